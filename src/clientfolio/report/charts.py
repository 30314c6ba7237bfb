"""Charts as SVG strings: pure functions, no JavaScript, no third-party library.

Each function takes the figures and the already translated texts, and returns
one ``<svg>`` element that:

- is **accessible**: ``role="img"``, a ``<title>`` and a ``<desc>`` listing the
  values (the caller may give its own ``desc``);
- **scales** to its container's width (fixed ``viewBox``, ``width: 100%``) and
  keeps a readable font size (at least ``MIN_TEXT``, 14 user units on a
  720-unit-wide chart: 11 px when drawn 570 px wide, the web app's smallest);
- is **legible**: every series colour (``PALETTE``) has a contrast of at
  least 3:1 on white, every text at least 4.5:1 on what is behind it;
- **prints in greyscale**: every value is written beside its mark, series
  differ by dash pattern and marker shape as well as colour, and heat-map
  cells carry their figure;
- is **safe**: every text is XML-escaped, so a customer called ``<b>&Co``
  stays text;
- shows an explicit "no data" panel (text given by ``empty``) when there is
  nothing to draw.

Numbers are formatted by the caller's ``fmt`` (``clientfolio.i18n.formatter``
gives French ``1 234,56 €`` or English ``€1,234.56``).  The SVG keeps to what
fpdf2 draws (``rect``, ``line``, ``polyline``, ``path``, ``circle``, ``text``
with ``text-anchor``), so the PDF report embeds the same charts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from clientfolio.i18n import N_, render

__all__ = [
    "FONT",
    "bar_chart",
    "funnel_chart",
    "gauge",
    "heatmap",
    "line_chart",
    "pareto_chart",
    "quadrant_chart",
    "symlog",
]

FONT = "Open Sans, DejaVu Sans, Verdana, Arial, sans-serif"
WIDTH = 720
INK = "#1f2937"
GRID = "#d1d5db"
MIN_TEXT = 14
"""The smallest font size of a chart's text, in user units of the ``WIDTH``-wide canvas."""
#: the one palette of the series: dark blue, dark orange, dark teal, grey, red, purple; each at least 3:1 on white
#: (8.4, 4.2, 4.8, 6.8, 6.9, 6.3), series also differ by dash pattern and marker shape
PALETTE = ("#1d4e89", "#c26100", "#1b7f7a", "#5b5b5b", "#b2182b", "#6a51a3")
#: dash patterns paired with the colours, so series differ in greyscale too
DASHES = ("", "8 4", "2 3", "12 4 2 4", "4 4", "1 6")

Fmt = Callable[[float], str]


def _e(text: object) -> str:
    return escape(str(text), {'"': "&quot;"})


def _thinned(points: Sequence[tuple[float, float]], step: float = 0.5) -> list[tuple[float, float]]:
    """The vertices of a line that move at least ``step`` pixels away from the
    last one kept, the first and the last always: a curve of 20,000 customers
    drawn with a few hundred points, the same to the eye (150 kB of SVG -> a few)."""
    kept = list(points[:1])
    for x, y in points[1:-1]:
        if abs(x - kept[-1][0]) >= step or abs(y - kept[-1][1]) >= step:
            kept.append((x, y))
    return kept + list(points[-1:]) if len(points) > 1 else kept


def _n(value: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(
    x: float,
    y: float,
    text: object,
    *,
    size: int = MIN_TEXT,
    anchor: str = "start",
    weight: str = "normal",
    fill: str = INK,
    cls: str = "",
) -> str:
    size = max(size, MIN_TEXT)
    extra = f' class="{cls}"' if cls else ""
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
        f"{bold}{extra}>{_e(text)}</text>"
    )


def _line(
    x1: float, y1: float, x2: float, y2: float, *, stroke: str = GRID, width: float = 1, dash: str = "", cls: str = ""
) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    extra += f' class="{cls}"' if cls else ""
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
        f'stroke-width="{_n(width)}"{extra}/>'
    )


def _svg(height: int, title: str, desc: str, body: Sequence[str], *, kind: str) -> str:
    """The root element around ``body`` (drawn on a ``WIDTH`` x ``height`` canvas)."""
    uid = hashlib.sha256(f"{kind}\0{title}\0{desc}\0{''.join(body)}".encode()).hexdigest()[:10]
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" style="width:100%;height:auto;max-width:{WIDTH * 2}px" role="img" '
            f'aria-labelledby="t{uid} d{uid}" class="chart chart-{kind}" font-family="{FONT}">',
            f'<title id="t{uid}">{_e(title)}</title>',
            f'<desc id="d{uid}">{_e(desc)}</desc>',
            f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            _text(12, 24, title, size=16, weight="bold", cls="chart-title"),
            *body,
            "</svg>",
        ]
    )


def _empty(title: str, empty: str, kind: str) -> str:
    body = [
        f'<rect x="12" y="40" width="{WIDTH - 24}" height="100" fill="#f3f4f6" stroke="{GRID}"/>',
        _text(WIDTH / 2, 96, empty, size=16, anchor="middle", cls="no-data"),
    ]
    return _svg(160, title, empty, body, kind=kind)


def _pair(lang: str, label: str, value: str) -> str:
    """``label: value`` in ``lang`` (French puts a space before the colon)."""
    return render(lang, N_("{label}: {value}"), {"label": label, "value": value})


def _describe(labels: Sequence[str], values: Sequence[str], lang: str) -> str:
    return "; ".join(_pair(lang, label, value) for label, value in zip(labels, values, strict=True))


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _scale(values: Sequence[float]) -> tuple[float, float]:
    """The value range drawn: always includes 0, never empty."""
    low, high = min(0.0, *values), max(0.0, *values)
    if high == low:
        high = low + 1
    return low, high


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    fmt: Fmt,
    desc: str | None = None,
    lang: str = "en",
    empty: str = "No data",
) -> str:
    """Horizontal bars, one per label, each with its formatted value; a zero
    line splits negative bars (drawn hatched-grey and to the left) from
    positive ones.  Bar length is proportional to the value."""
    if len(labels) != len(values):
        raise ValueError("bar_chart: one value per label")
    if not values:
        return _empty(title, empty, "bar")
    row, top, left, right = 28, 44, 200, 110
    low, high = _scale(values)
    span = WIDTH - left - right
    zero = left + span * (-low) / (high - low)
    body = [_line(zero, top - 4, zero, top + row * len(values), stroke=INK)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        length = span * abs(value) / (high - low)
        x = zero if value >= 0 else zero - length
        colour = PALETTE[0] if value >= 0 else PALETTE[4]
        body.append(
            f'<rect class="bar" x="{_n(x)}" y="{_n(y + 4)}" width="{_n(length)}" height="{row - 8}" '
            f'fill="{colour}" data-value="{value!r}"><title>{_e(_pair(lang, label, fmt(value)))}</title></rect>'
        )
        body.append(_text(left - 8, y + row / 2 + 5, _clip(label, 28), anchor="end", cls="bar-label"))
        # a negative bar's value is written right of the zero line, clear of the labels
        tip = x + length + 6 if value >= 0 else zero + 6
        body.append(_text(tip, y + row / 2 + 5, fmt(value), cls="bar-value"))
    text = desc or _describe(labels, [fmt(v) for v in values], lang)
    return _svg(top + row * len(values) + 16, title, text, body, kind="bar")


def _clip(label: str, size: int) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def line_chart(
    x_labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    fmt: Fmt,
    desc: str | None = None,
    lang: str = "en",
    empty: str = "No data",
) -> str:
    """One line per series over ``x_labels``, each with its own colour, dash
    pattern and marker shape, a legend, and the last value written at the
    end of each line (every point's value is in its tooltip and in ``desc``)."""
    if any(len(v) != len(x_labels) for v in series.values()):
        raise ValueError("line_chart: every series has one value per x label")
    if not x_labels or not series:
        return _empty(title, empty, "line")
    height, top, left, right, bottom = 340, 70, 90, 130, 50
    low, high = _scale([v for values in series.values() for v in values])
    plot_h, plot_w = height - top - bottom, WIDTH - left - right
    step = plot_w / max(1, len(x_labels) - 1)

    def y_of(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    body = []
    for k in range(5):
        v = low + (high - low) * k / 4
        body += [
            _line(left, y_of(v), left + plot_w, y_of(v)),
            _text(left - 6, y_of(v) + 4, fmt(v), size=12, anchor="end"),
        ]
    for i, label in enumerate(x_labels):
        body.append(_text(left + i * step, height - bottom + 20, label, size=12, anchor="middle"))
    lines = []
    for n, (name, values) in enumerate(series.items()):
        colour, dash = PALETTE[n % len(PALETTE)], DASHES[n % len(DASHES)]
        points = [(left + i * step, y_of(v)) for i, v in enumerate(values)]
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2.5"{extra} '
            f'points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in points)}"/>'
        )
        body += [
            _marker(n, x, y, colour, _pair(lang, f"{name}, {xl}", fmt(v)))
            for (x, y), xl, v in zip(points, x_labels, values, strict=True)
        ]
        last_x, last_y = points[-1]
        body.append(_text(last_x + 8, last_y + 4, fmt(values[-1]), size=12, cls="line-value"))
        lx = left + (n % 3) * (plot_w / 3)
        ly = 44 + (n // 3) * 18
        body += [
            _line(lx, ly - 4, lx + 28, ly - 4, stroke=colour, width=2.5, dash=dash),
            _marker(n, lx + 14, ly - 4, colour, name),
            _text(lx + 34, ly, name, size=12),
        ]
        lines.append(_pair(lang, name, ", ".join(f"{xl} {fmt(v)}" for xl, v in zip(x_labels, values, strict=True))))
    return _svg(height, title, desc or "; ".join(lines), body, kind="line")


def _marker(n: int, x: float, y: float, colour: str, tip: str) -> str:
    """Circle, square, triangle, diamond ... by series number ``n``."""
    shape = n % 4
    if shape == 0:
        mark = f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}">'
    elif shape == 1:
        mark = f'<rect x="{_n(x - 4)}" y="{_n(y - 4)}" width="8" height="8" fill="{colour}">'
    else:
        pts = (
            ((x, y - 5), (x + 5, y + 4), (x - 5, y + 4))
            if shape == 2
            else ((x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y))
        )
        d = "M" + " L".join(f"{_n(a)} {_n(b)}" for a, b in pts) + " Z"
        mark = f'<path d="{d}" fill="{colour}">'
    tag = mark.split(" ", 1)[0][1:]
    return f"{mark}<title>{_e(tip)}</title></{tag}>"


def heatmap(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    fmt: Fmt,
    desc: str | None = None,
    lang: str = "en",
    empty: str = "No data",
) -> str:
    """A table of cells shaded from white (lowest) to dark blue (highest),
    each cell carrying its formatted value (empty cells for None), so the
    reading does not depend on colour."""
    if len(values) != len(row_labels) or any(len(r) != len(column_labels) for r in values):
        raise ValueError("heatmap: one row of values per row label, one value per column label")
    known = [v for r in values for v in r if v is not None]
    if not row_labels or not column_labels or not known:
        return _empty(title, empty, "heatmap")
    top, left, row = 70, 170, 30
    cell_w = (WIDTH - left - 12) / len(column_labels)
    low, high = min(known), max(known)
    body = [
        _text(left + (j + 0.5) * cell_w, top - 10, _clip(c, max(4, int(cell_w / 8))), size=12, anchor="middle")
        for j, c in enumerate(column_labels)
    ]
    cells = []
    for i, (label, cells_of_row) in enumerate(zip(row_labels, values, strict=True)):
        y = top + i * row
        body.append(_text(left - 8, y + row / 2 + 5, _clip(label, 24), size=12, anchor="end"))
        for j, v in enumerate(cells_of_row):
            x = left + j * cell_w
            if v is None:
                body.append(
                    f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cell_w)}" height="{row}" '
                    f'fill="#ffffff" stroke="{GRID}"/>'
                )
                continue
            level = 0.0 if high == low else (v - low) / (high - low)
            body.append(
                f'<rect class="cell" x="{_n(x)}" y="{_n(y)}" width="{_n(cell_w)}" height="{row}" '
                f'fill="{_blue(_shade(level))}" stroke="#ffffff"/>'
            )
            body.append(
                _text(
                    x + cell_w / 2,
                    y + row / 2 + 5,
                    fmt(v),
                    size=12,
                    anchor="middle",
                    fill="#ffffff" if level >= _SHADE_SPLIT else INK,
                )
            )
            cells.append(_pair(lang, f"{label} × {column_labels[j]}", fmt(v)))
    return _svg(top + row * len(row_labels) + 12, title, desc or "; ".join(cells), body, kind="heatmap")


_SHADE_SPLIT = 0.575


def _shade(level: float) -> float:
    """The shade of a heat-map cell of ``level``: monotonic, skipping the mid blues (0.5-0.65 of ``_blue``)
    on which neither dark nor white text reaches 4.5:1 (dark text below ``_SHADE_SPLIT``, white above)."""
    if level < _SHADE_SPLIT:
        return level * 0.5 / _SHADE_SPLIT
    return 0.65 + (level - _SHADE_SPLIT) * 0.35 / (1 - _SHADE_SPLIT)


def _blue(level: float) -> str:
    """White to dark blue, monotonic in lightness (reads as grey levels)."""
    start, end = (0xF7, 0xFB, 0xFF), (0x08, 0x30, 0x6B)
    return "#" + "".join(f"{round(s + (e - s) * level):02x}" for s, e in zip(start, end, strict=True))


def pareto_chart(
    cumulative_shares: Sequence[float],
    *,
    a: float,
    b: float,
    title: str,
    fmt: Fmt = _percent,
    x_label: str = "Share of customers",
    y_label: str = "Share of revenue",
    desc: str | None = None,
    lang: str = "en",
    empty: str = "No data",
) -> str:
    """The concentration curve: customers sorted by revenue, largest first,
    on x (their share of the count), the cumulative share of revenue on y;
    dashed lines at the ``a`` and ``b`` thresholds and the A / B / C zones
    they cut, each zone labelled with its share of customers."""
    if not cumulative_shares:
        return _empty(title, empty, "pareto")
    height, top, left, right, bottom = 360, 50, 70, 30, 60
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    count = len(cumulative_shares)

    def xy(share_of_customers: float, share_of_revenue: float) -> tuple[float, float]:
        return left + plot_w * share_of_customers, top + plot_h * (1 - max(0.0, min(1.0, share_of_revenue)))

    body = []
    for k in range(5):
        x, y = xy(k / 4, k / 4)
        body += [
            _line(left, y, left + plot_w, y),
            _text(left - 6, y + 4, fmt(k / 4), size=12, anchor="end"),
            _text(x, top + plot_h + 18, fmt(k / 4), size=12, anchor="middle"),
        ]
    body += [
        _text(left + plot_w / 2, height - 12, x_label, size=13, anchor="middle"),
        _text(left + 4, top - 8, y_label, size=13),
    ]
    # class boundaries: the number of customers before the one that starts at or beyond a (b)
    cuts = [next((i for i, s in enumerate(cumulative_shares) if s >= t), count - 1) + 1 for t in (a, b)]
    bounds = [0, *cuts, count]
    for name, start, end in zip("ABC", bounds, bounds[1:], strict=False):
        x0, _ = xy(start / count, 0)
        x1, _ = xy(end / count, 0)
        if end > start:
            body.append(
                _text(
                    (x0 + x1) / 2,
                    top + plot_h - 8,
                    f"{name} {fmt((end - start) / count)}",
                    size=13,
                    anchor="middle",
                    weight="bold",
                    cls="zone",
                )
            )
    for threshold, cut in zip((a, b), cuts, strict=True):
        _, y = xy(0, threshold)
        x, _ = xy(cut / count, 0)
        body += [
            _line(left, y, left + plot_w, y, stroke=INK, dash="6 4", cls="cut"),
            _line(x, top, x, top + plot_h, stroke=INK, dash="2 3", cls="cut"),
            _text(left + plot_w - 4, y - 5, fmt(threshold), size=12, anchor="end"),
        ]
    points = _thinned([xy(0, 0)] + [xy((i + 1) / count, s) for i, s in enumerate(cumulative_shares)])
    body.append(
        f'<polyline class="curve" fill="none" stroke="{PALETTE[0]}" stroke-width="3" '
        f'points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in points)}"/>'
    )
    body.append(_line(left, top + plot_h, left + plot_w, top, stroke=GRID, dash="1 4"))
    text = desc or "; ".join(
        _pair(lang, name, f"{fmt((end - start) / count)} / {fmt(cumulative_shares[end - 1])}")
        for name, start, end in zip("ABC", bounds, bounds[1:], strict=False)
        if end > start
    )
    return _svg(height, title, text, body, kind="pareto")


def symlog(value: float, unit: float = 1.0) -> float:
    """The symmetric log of ``value``: ``sign(v) * log10(1 + |v| / unit)``
    (linear near 0, logarithmic beyond ``unit``, defined for negatives)."""
    return math.copysign(math.log10(1 + abs(value) / unit), value)


def quadrant_chart(
    points: Sequence[tuple[str, float, float]],
    *,
    x_threshold: float,
    y_threshold: float,
    x_label: str,
    y_label: str,
    quadrant_labels: tuple[str, str, str, str],
    title: str,
    desc: str | None = None,
    lang: str = "en",
    empty: str = "No data",
    labelled: int = 12,
    log: bool = False,
    unit: float = 1.0,
    log_note: str = "log scale",
    fmt: Fmt | None = None,
) -> str:
    """A scatter of named points cut into four quadrants at the thresholds;
    quadrant names (top-left, top-right, bottom-left, bottom-right) are
    written in their corner, and the ``labelled`` points farthest from the
    origin carry their name.

    ``log``: both axes on a symmetric log scale (``symlog(v, unit)``), so one
    very large customer does not crush the others into a corner; the axis
    labels then end with ``(log_note)`` and the powers of ten are ticked
    (written with ``fmt``).  Points keep their order either side of the
    thresholds, so the quadrant counts do not change."""
    if not points:
        return _empty(title, empty, "quadrant")
    if unit <= 0:
        raise ValueError("quadrant_chart: unit must be positive")
    if log:
        points = [(name, symlog(x, unit), symlog(y, unit)) for name, x, y in points]
        x_threshold, y_threshold = symlog(x_threshold, unit), symlog(y_threshold, unit)
        x_label, y_label = f"{x_label} ({log_note})", f"{y_label} ({log_note})"
    return _quadrant(
        points,
        x_threshold=x_threshold,
        y_threshold=y_threshold,
        x_label=x_label,
        y_label=y_label,
        quadrant_labels=quadrant_labels,
        title=title,
        desc=desc,
        lang=lang,
        labelled=labelled,
        ticks=(unit, fmt or _compact) if log else None,
    )


_NAMED = 5
"""The names a point's tooltip gives when it stands for several (then ``+N`` for the others)."""


def _quadrant(
    points: Sequence[tuple[str, float, float]],
    *,
    x_threshold: float,
    y_threshold: float,
    x_label: str,
    y_label: str,
    quadrant_labels: tuple[str, str, str, str],
    title: str,
    desc: str | None,
    lang: str,
    labelled: int,
    ticks: tuple[float, Fmt] | None,
) -> str:
    """The quadrant chart of points already on the drawn scale; ``ticks``
    (unit, fmt): tick the powers of ten of a symmetric log scale."""
    height, top, left, right, bottom = 420, 44, 60, 20, 50
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    xs, ys = [p[1] for p in points] + [x_threshold], [p[2] for p in points] + [y_threshold]
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys), max(ys)
    x_span, y_span = (x_high - x_low) or 1.0, (y_high - y_low) or 1.0
    x_low, x_high, y_low, y_high = (
        x_low - x_span * 0.05,
        x_high + x_span * 0.05,
        y_low - y_span * 0.05,
        y_high + y_span * 0.05,
    )

    def xy(x: float, y: float) -> tuple[float, float]:
        return (left + plot_w * (x - x_low) / (x_high - x_low), top + plot_h * (y_high - y) / (y_high - y_low))

    cx, cy = xy(x_threshold, y_threshold)
    body = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{GRID}"/>',
        _line(cx, top, cx, top + plot_h, stroke=INK, dash="6 4", cls="cut"),
        _line(left, cy, left + plot_w, cy, stroke=INK, dash="6 4", cls="cut"),
    ]
    corners = (
        (left + 6, top + 18, "start"),
        (left + plot_w - 6, top + 18, "end"),
        (left + 6, top + plot_h - 8, "start"),
        (left + plot_w - 6, top + plot_h - 8, "end"),
    )
    body += [
        _text(x, y, label, size=14, anchor=anchor, weight="bold", fill="#4b5563", cls="quadrant")
        for (x, y, anchor), label in zip(corners, quadrant_labels, strict=True)
    ]
    body += [
        _text(left + plot_w / 2, height - 12, x_label, size=13, anchor="middle", cls="axis-label"),
        _text(left, top - 6, y_label, size=13, cls="axis-label"),
    ]
    if ticks is not None:
        body += _log_ticks(ticks, (x_low, x_high), (y_low, y_high), xy, left, top + plot_h)
    far = sorted(points, key=lambda p: -math.hypot((p[1] - x_low) / x_span, (p[2] - y_low) / y_span))[:labelled]
    # One circle per pixel: with thousands of customers most points fall on others (20,000 customers:
    # 14,000 points on 5,700 pixels, a dashboard of 1.9 MB); the circle's tooltip names those it stands for.
    pixels: dict[tuple[int, int], tuple[float, float, list[str]]] = {}
    for name, x, y in points:
        px, py = xy(x, y)
        pixels.setdefault((round(px), round(py)), (px, py, []))[2].append(name)
    for px, py, names in pixels.values():
        shown = ", ".join(names[:_NAMED]) + (f" +{len(names) - _NAMED}" if len(names) > _NAMED else "")
        body.append(
            f'<circle class="point" cx="{_n(px)}" cy="{_n(py)}" r="4" fill="{PALETTE[0]}" '
            f'fill-opacity="0.75"><title>{_e(shown)}</title></circle>'
        )
    for name, x, y in far:
        px, py = xy(x, y)
        body.append(_text(px + 6, py - 6, _clip(name, 24), size=11))
    counts = [0, 0, 0, 0]
    for _, x, y in points:
        counts[(0 if y >= y_threshold else 2) + (1 if x >= x_threshold else 0)] += 1
    text = desc or _describe(quadrant_labels, [str(n) for n in counts], lang)
    return _svg(height, title, text, body, kind="quadrant")


def _compact(value: float) -> str:
    """A tick of a log axis, short: ``0``, ``100``, ``10k``, ``-1M``."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _log_ticks(
    ticks: tuple[float, Fmt],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    xy: Callable[[float, float], tuple[float, float]],
    left: float,
    base: float,
) -> list[str]:
    """Ticks at 0 and at the powers of ten (times ``unit``) inside the drawn
    ranges of a symmetric log scale, written with ``fmt`` under the x axis and
    left of the y axis."""
    unit, fmt = ticks
    body: list[str] = []
    values = [0.0] + [sign * unit * 10**k for k in range(0, 13) for sign in (1, -1)]
    for value in sorted(values):
        t = symlog(value, unit)
        if x_range[0] <= t <= x_range[1]:
            x, _ = xy(t, y_range[0])
            body += [
                _line(x, base, x, base + 5, stroke=INK, cls="tick"),
                _text(x, base + 17, fmt(value), size=10, anchor="middle", cls="tick-x"),
            ]
        if y_range[0] <= t <= y_range[1]:
            _, y = xy(x_range[0], t)
            body += [
                _line(left - 5, y, left, y, stroke=INK, cls="tick"),
                _text(left - 7, y + 4, fmt(value), size=10, anchor="end", cls="tick-y"),
            ]
    return body


def funnel_chart(
    stages: Sequence[str],
    counts: Sequence[int],
    *,
    title: str,
    fmt: Fmt = lambda v: f"{v:,.0f}",
    rate_fmt: Fmt = _percent,
    rate_label: str = "",
    desc: str | None = None,
    lang: str = "en",
    empty: str = "No data",
) -> str:
    """Centred bars, widest first, one per stage, with the count and the
    conversion from the previous stage (``rate_label`` before it) written on each."""
    if len(stages) != len(counts):
        raise ValueError("funnel_chart: one count per stage")
    if not stages:
        return _empty(title, empty, "funnel")
    row, top, left, right = 38, 44, 170, 190
    span = WIDTH - left - right
    most = max(max(counts), 1)
    body = []
    for i, (stage, count) in enumerate(zip(stages, counts, strict=True)):
        y = top + i * row
        width = span * max(count, 0) / most
        x = left + (span - width) / 2
        body.append(
            f'<rect class="stage" x="{_n(x)}" y="{_n(y + 3)}" width="{_n(width)}" height="{row - 6}" '
            f'fill="{PALETTE[i % 2 * 2]}" data-value="{count}"/>'
        )
        body.append(_text(left - 8, y + row / 2 + 5, _clip(stage, 22), anchor="end"))
        body.append(_text(WIDTH - right + 10, y + row / 2 + 5, fmt(count), weight="bold", cls="stage-count"))
        if i and counts[i - 1]:
            rate = f"{rate_label} {rate_fmt(count / counts[i - 1])}".strip()
            body.append(_text(WIDTH - 12, y + row / 2 + 5, rate, size=12, anchor="end", cls="rate"))
    text = desc or _describe(stages, [fmt(c) for c in counts], lang)
    return _svg(top + row * len(stages) + 12, title, text, body, kind="funnel")


def gauge(
    mark: float,
    *,
    out_of: float = 20,
    title: str,
    fmt: Fmt = lambda v: f"{v:g}",
    desc: str | None = None,
    bands: tuple[float, float] = (10, 14),
) -> str:
    """A half-circle dial from 0 to ``out_of`` with the mark written in its
    centre (``12.5 / 20``), a needle, and the ``bands`` (weak / fair / good)
    shaded in three grey-distinct tones and ticked."""
    if out_of <= 0:
        raise ValueError("gauge: out_of must be positive")
    cx, cy, radius, thick = WIDTH / 2, 220, 150, 36
    share = max(0.0, min(1.0, mark / out_of))

    def at(fraction: float, r: float) -> tuple[float, float]:
        angle = math.pi * (1 - fraction)
        return cx + r * math.cos(angle), cy - r * math.sin(angle)

    def arc(f0: float, f1: float, colour: str, cls: str) -> str:
        (x0, y0), (x1, y1) = at(f0, radius), at(f1, radius)
        (x2, y2), (x3, y3) = at(f1, radius - thick), at(f0, radius - thick)
        large = 1 if f1 - f0 > 0.5 else 0
        return (
            f'<path class="{cls}" d="M{_n(x0)} {_n(y0)} A{radius} {radius} 0 {large} 1 {_n(x1)} {_n(y1)} '
            f'L{_n(x2)} {_n(y2)} A{radius - thick} {radius - thick} 0 {large} 0 {_n(x3)} {_n(y3)} Z" '
            f'fill="{colour}"/>'
        )

    limits = [0.0, *(min(1.0, max(0.0, b / out_of)) for b in bands), 1.0]
    body = [
        arc(f0, f1, colour, "band")
        for f0, f1, colour in zip(limits, limits[1:], (PALETTE[4], PALETTE[1], PALETTE[0]), strict=False)
        if f1 > f0
    ]
    for value in (0, *bands, out_of):
        x, y = at(value / out_of, radius + 14)
        body.append(_text(x, y + 4, fmt(value), size=12, anchor="middle"))
    nx, ny = at(share, radius - thick - 8)
    body += [
        _line(cx, cy, nx, ny, stroke=INK, width=4, cls="needle"),
        f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="8" fill="{INK}"/>',
        _text(cx, cy + 44, f"{fmt(mark)} / {fmt(out_of)}", size=28, anchor="middle", weight="bold", cls="gauge-mark"),
    ]
    return _svg(280, title, desc or f"{fmt(mark)} / {fmt(out_of)}", body, kind="gauge")
