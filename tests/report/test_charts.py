"""The SVG charts: valid XML, accessible, proportional, escaped, empty-safe."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from clientfolio.i18n import formatter
from clientfolio.report.charts import (
    bar_chart,
    funnel_chart,
    gauge,
    heatmap,
    line_chart,
    pareto_chart,
    quadrant_chart,
)

NS = {"s": "http://www.w3.org/2000/svg"}


def euros(value: float) -> str:
    return formatter("fr").money(value * 100)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 720 ")
    assert root.find("s:title", NS) is not None and root.find("s:desc", NS) is not None
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def test_bar_chart_one_bar_per_value_with_label_and_proportional_length() -> None:
    root = parse(bar_chart(["Nord", "Sud", "Est"], [1000.0, 250.0, 500.0], title="CA par région", fmt=euros))
    assert root.find("s:title", NS).text == "CA par région"  # type: ignore[union-attr]
    bars = by_class(root, "bar")
    assert len(bars) == 3
    widths = [float(b.get("width", "0")) for b in bars]
    assert widths[1] / widths[0] == pytest.approx(0.25, abs=0.002)
    assert widths[2] / widths[0] == pytest.approx(0.5, abs=0.002)
    shown = texts(root)
    assert {"Nord", "Sud", "Est"} <= set(shown)
    assert "1\u202f000,00\xa0€" in shown and "250,00\xa0€" in shown
    assert "Nord: 1\u202f000,00\xa0€" in root.find("s:desc", NS).text  # type: ignore[operator, union-attr]


def test_bar_chart_negative_values_extend_left_of_the_zero_line() -> None:
    root = parse(bar_chart(["gain", "loss"], [300.0, -100.0], title="t", fmt=str))
    gain, loss = by_class(root, "bar")
    zero = float(gain.get("x", "0"))
    assert float(loss.get("x", "0")) + float(loss.get("width", "0")) == pytest.approx(zero, abs=0.1)
    assert float(loss.get("width", "0")) * 3 == pytest.approx(float(gain.get("width", "0")), abs=0.2)
    assert "-100.0" in texts(root)


def test_text_is_escaped() -> None:
    nasty = "<b>Dupont & Fils</b>"
    svg = bar_chart([nasty], [1.0], title="a < b & c > d", fmt=str)
    assert "<b>" not in svg
    root = parse(svg)
    assert root.find("s:title", NS).text == "a < b & c > d"  # type: ignore[union-attr]
    assert nasty in texts(root)
    quadrant = parse(
        quadrant_chart(
            [(nasty, 1, 1)],
            x_threshold=0,
            y_threshold=0,
            x_label="<x>",
            y_label="&",
            quadrant_labels=("<1>", "2", "3", "4"),
            title="q",
        )
    )
    assert {"<x>", "&", "<1>"} <= set(texts(quadrant))


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart([], [], title="empty", fmt=str, empty="Aucune donnée"),
        line_chart([], {}, title="empty", fmt=str, empty="Aucune donnée"),
        heatmap([], [], [], title="empty", fmt=str, empty="Aucune donnée"),
        heatmap(["a"], ["b"], [[None]], title="empty", fmt=str, empty="Aucune donnée"),
        pareto_chart([], a=0.8, b=0.95, title="empty", empty="Aucune donnée"),
        quadrant_chart(
            [],
            x_threshold=0,
            y_threshold=0,
            x_label="x",
            y_label="y",
            quadrant_labels=("a", "b", "c", "d"),
            title="empty",
            empty="Aucune donnée",
        ),
        funnel_chart([], [], title="empty", empty="Aucune donnée"),
    ],
)
def test_empty_input_draws_a_no_data_panel(svg: str) -> None:
    root = parse(svg)
    assert [e.text for e in by_class(root, "no-data")] == ["Aucune donnée"]
    assert "empty" in texts(root)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        bar_chart(["a"], [1.0, 2.0], title="t", fmt=str)
    with pytest.raises(ValueError):
        line_chart(["a", "b"], {"s": [1.0]}, title="t", fmt=str)
    with pytest.raises(ValueError):
        heatmap(["a"], ["b", "c"], [[1.0]], title="t", fmt=str)


def test_line_chart_one_line_per_series_with_heights_following_values() -> None:
    root = parse(
        line_chart(
            ["2023", "2024", "2025"],
            {"CA": [0.0, 50.0, 100.0], "Marge": [10.0, -10.0, 0.0]},
            title="Évolution",
            fmt=str,
        )
    )
    lines = by_class(root, "series")
    assert len(lines) == 2
    ys = [float(p.split(",")[1]) for p in lines[0].get("points", "").split()]
    # y grows downwards: equal steps of value give equal steps of height
    assert ys[0] > ys[1] > ys[2]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.2)
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")  # differ in greyscale
    assert {"CA", "Marge", "2023", "2025"} <= set(texts(root))


def test_heatmap_cells_carry_their_values() -> None:
    root = parse(
        heatmap(
            ["Segment 1", "Segment 2"],
            ["P1", "P2"],
            [[20.0, None], [0.0, 67.0]],
            title="Segment × produit",
            fmt=lambda v: f"{v:g} K€",
        )
    )
    assert len(by_class(root, "cell")) == 3
    assert {"20 K€", "0 K€", "67 K€", "Segment 1", "P2"} <= set(texts(root))


def test_pareto_chart_cuts_and_zones() -> None:
    shares = [0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 1.0]
    root = parse(pareto_chart(shares, a=0.8, b=0.95, title="Concentration", x_label="clients", y_label="CA"))
    assert len(by_class(root, "cut")) == 4
    zones = [e.text for e in by_class(root, "zone")]
    assert zones == ["A 20%", "B 20%", "C 60%"]
    curve = by_class(root, "curve")[0].get("points", "").split()
    assert len(curve) == len(shares) + 1


def test_quadrant_chart_places_points_by_threshold() -> None:
    points = [("VIP", 9.0, 9.0), ("Fonds", 9.0, 1.0), ("Eco", 1.0, 1.0)]
    root = parse(
        quadrant_chart(
            points,
            x_threshold=5,
            y_threshold=5,
            x_label="CA",
            y_label="Potentiel",
            quadrant_labels=("Potentiel", "VIP", "Gestion économique", "Fonds de commerce"),
            title="Catégories",
        )
    )
    circles = {c.find("s:title", NS).text: c for c in by_class(root, "point")}  # type: ignore[union-attr]
    assert float(circles["VIP"].get("cx", "0")) == pytest.approx(float(circles["Fonds"].get("cx", "0")))
    assert float(circles["VIP"].get("cy", "0")) < float(circles["Fonds"].get("cy", "0"))
    assert float(circles["Eco"].get("cx", "0")) < float(circles["Fonds"].get("cx", "0"))
    assert [e.text for e in by_class(root, "quadrant")] == [
        "Potentiel",
        "VIP",
        "Gestion économique",
        "Fonds de commerce",
    ]
    assert "VIP: 1" in root.find("s:desc", NS).text  # type: ignore[operator, union-attr]


def test_funnel_chart_widths_and_conversions() -> None:
    root = parse(
        funnel_chart(["Suspects", "Prospects", "Clients"], [100, 50, 10], title="Entonnoir", rate_label="conv.")
    )
    widths = [float(r.get("width", "0")) for r in by_class(root, "stage")]
    assert widths[1] / widths[0] == pytest.approx(0.5, abs=0.002)
    assert widths[2] / widths[0] == pytest.approx(0.1, abs=0.002)
    assert [e.text for e in by_class(root, "rate")] == ["conv. 50%", "conv. 20%"]
    assert [e.text for e in by_class(root, "stage-count")] == ["100", "50", "10"]


@pytest.mark.parametrize(("mark", "angle"), [(0, 180), (10, 90), (20, 0), (25, 0), (5, 135)])
def test_gauge_needle_points_at_the_mark(mark: float, angle: float) -> None:
    root = parse(gauge(mark, title="Note", fmt=lambda v: formatter("fr").number(v, 1)))
    needle = by_class(root, "needle")[0]
    dx = float(needle.get("x2", "0")) - float(needle.get("x1", "0"))
    dy = float(needle.get("y1", "0")) - float(needle.get("y2", "0"))
    assert math.degrees(math.atan2(dy, dx)) == pytest.approx(angle, abs=0.5)
    assert by_class(root, "gauge-mark")[0].text == f"{formatter('fr').number(mark, 1)} / 20,0"


def test_symlog_is_symmetric_and_monotonic() -> None:
    from clientfolio.report.charts import symlog

    assert symlog(0) == 0
    assert symlog(9) == pytest.approx(1) and symlog(-9) == pytest.approx(-1)
    assert symlog(99_990, unit=10) == pytest.approx(4)
    values = [-1e6, -10, -0.5, 0, 0.5, 10, 1e6]
    assert [symlog(v) for v in values] == sorted(symlog(v) for v in values)
    with pytest.raises(ValueError):
        quadrant_chart(
            [("a", 1, 1)],
            x_threshold=0,
            y_threshold=0,
            x_label="x",
            y_label="y",
            quadrant_labels=("1", "2", "3", "4"),
            title="t",
            log=True,
            unit=0,
        )


PLAIN_QUADRANT: dict[str, object] = {
    "x_label": "Marge",
    "y_label": "CLV",
    "quadrant_labels": ("TL", "TR", "BL", "BR"),
    "title": "Q",
}
"""The labels of a quadrant chart whose points, not its words, a test checks."""


def test_quadrant_chart_log_scale_spreads_the_small_customers() -> None:
    # one customer 1000 times larger than the others
    points = [
        ("Big", 1_000_000.0, 1_000_000.0),
        ("S1", 1_000.0, 1_000.0),
        ("S2", 100.0, 100.0),
        ("Zero", 0.0, 0.0),
        ("Neg", -100.0, 10.0),
    ]
    common = {"x_threshold": 500.0, "y_threshold": 500.0, **PLAIN_QUADRANT}
    linear = parse(quadrant_chart(points, **common))  # type: ignore[arg-type]
    log = parse(quadrant_chart(points, log=True, log_note="échelle log", **common))  # type: ignore[arg-type]

    def cx(root: ET.Element) -> dict[str, float]:
        return {
            c.find("s:title", NS).text or "": float(c.get("cx", "0"))  # type: ignore[union-attr]
            for c in by_class(root, "point")
        }

    lin, lg = cx(linear), cx(log)
    # linear: the small ones within a pixel or two, those on one pixel one circle naming them; log: far apart
    assert sorted(lin) == ["Big", "S1", "S2, Zero, Neg"] and abs(lin["S1"] - lin["S2, Zero, Neg"]) < 2
    assert lg["S1"] - lg["S2"] > 50
    # on the log scale, equal ratios are equal distances: 1e6/1e3 is three times 1e3/1e2... minus the +1
    left, big, s1, s2, zero = 60, lg["Big"], lg["S1"], lg["S2"], lg["Zero"]
    span = (big - zero) / math.log10(1 + 1e6)
    assert s1 - zero == pytest.approx(span * math.log10(1 + 1e3), abs=0.2)
    assert s2 - zero == pytest.approx(span * math.log10(1 + 1e2), abs=0.2)
    assert lg["Neg"] < zero and zero - lg["Neg"] == pytest.approx(s2 - zero, abs=0.2)
    assert zero > left
    # same quadrants either way; the axis labels say the scale; the powers of ten are ticked
    assert log.find("s:desc", NS).text == linear.find("s:desc", NS).text  # type: ignore[union-attr]
    labels = [e.text for e in by_class(log, "axis-label")]
    assert labels == ["Marge (échelle log)", "CLV (échelle log)"]
    assert [e.text for e in by_class(linear, "axis-label")] == ["Marge", "CLV"]
    assert {"0", "1k", "1M", "-100"} <= {e.text for e in by_class(log, "tick-x")}
    assert not by_class(linear, "tick-x")


def test_quadrant_chart_draws_one_circle_per_pixel_naming_its_points() -> None:
    """Thousands of customers: a point that falls on the pixel of another is not
    drawn again; the circle's tooltip names the first five, then ``+N``; the
    quadrant counts still count every point."""
    many = [(f"C{i:02}", 100.0 + i * 1e-6, 100.0) for i in range(8)] + [("Far", 1_000.0, 10.0)]
    root = parse(quadrant_chart(many, x_threshold=500.0, y_threshold=50.0, **PLAIN_QUADRANT))  # type: ignore[arg-type]
    names = sorted(c.find("s:title", NS).text or "" for c in by_class(root, "point"))  # type: ignore[union-attr]
    assert names == ["C00, C01, C02, C03, C04 +3", "Far"]
    assert root.find("s:desc", NS).text == "TL: 8; TR: 0; BL: 0; BR: 1"  # type: ignore[union-attr]


def test_pareto_curve_of_many_customers_keeps_a_vertex_per_half_pixel() -> None:
    """20,000 customers: the curve keeps the vertices half a pixel apart at
    least (the first and the last always), not one per customer."""
    count = 20_000
    shares = [1 - (1 - (i + 1) / count) ** 3 for i in range(count)]
    curve = by_class(parse(pareto_chart(shares, a=0.8, b=0.95, title="C", x_label="x", y_label="y")), "curve")[0]
    points = [tuple(map(float, p.split(","))) for p in curve.get("points", "").split()]
    assert 300 < len(points) < 2_000
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert (xs[0], ys[0]) == (min(xs), max(ys)) and (xs[-1], ys[-1]) == (max(xs), min(ys))  # origin to the end
    steps = [max(abs(b[0] - a[0]), abs(b[1] - a[1])) for a, b in zip(points[:-2], points[1:-1], strict=True)]
    assert min(steps) >= 0.4  # half a pixel, written to a tenth
    few = [0.5, 0.8, 0.9, 1.0]  # far apart: every vertex kept
    assert len(by_class(parse(pareto_chart(few, a=0.8, b=0.95, title="C")), "curve")[0].get("points", "").split()) == 5
