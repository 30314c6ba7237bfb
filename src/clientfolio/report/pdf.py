"""The review as a PDF, with fpdf2 (pure Python: it installs with ``pip install .``).

A cover with the valuation headline, then one section a page: key figures,
the charts (the same SVG as the HTML, drawn by fpdf2 as vector graphics) and
the tables.  Text is set in Open Sans, embedded from the ``ttf-opensans``
package (Apache 2.0, a wheel with no dependency): neither fpdf2 nor the
machine's fonts are relied on, so ``é``, ``€`` and French spacing print
everywhere.  Characters the font lacks are replaced (the narrow no-break
space of French numbers by a no-break space, others by ``?``).

A table's caption is kept with its table: before writing a caption, the
space left on the page is checked against the caption, the header row and
the first ``KEEP_ROWS`` rows; when they do not fit, the caption starts a new
page.  Each caption's place (page, top, space left, space needed) is kept in
``_Document.captions`` (the tests check that none is left at the foot of a
page).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from fpdf.fonts import FontFace

from clientfolio.i18n import formatter
from clientfolio.pdf_text import FAMILY, A4Document, pdf_safe
from clientfolio.report.layout import Figure, Report, Section, Table, format_value

__all__ = ["render_pdf", "write_pdf"]

KEEP_ROWS = 3
"""Rows of a table that must fit under its caption (fewer if the table has fewer)."""
_LINE, _PADDING = 3.8, 0.8
_SVG = "{http://www.w3.org/2000/svg}"


def _svg_for_pdf(svg: str) -> bytes:
    """The chart without what fpdf2 does not draw (``title``, ``desc``, the
    CSS sizing), its texts cleaned for the font."""
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{_SVG}title", f"{_SVG}desc"):
                parent.remove(child)
    for element in root.iter():
        if element.text:
            element.text = pdf_safe(element.text)
    root.attrib.pop("style", None)
    ET.register_namespace("", _SVG[1:-1])
    written: bytes = ET.tostring(root, encoding="utf-8")
    return written


class _Document(A4Document):
    def __init__(self, footer_text: str) -> None:
        super().__init__(footer_text)
        #: (page, y, space left, space needed) of each table caption written
        self.captions: list[tuple[int, float, float, float]] = []

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, "", 7)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, pdf_safe(f"{self.footer_text} · {self.page_no()}"), align="C")
        self.set_text_color(0, 0, 0)


def _figures(pdf: _Document, report: Report, figures: Sequence[Figure], *, large: bool = False) -> None:
    fmt = formatter(report.lang)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 3
    for n, figure in enumerate(figures):
        if n % 3 == 0:
            pdf.ln(1)
            y = pdf.get_y()
        x = pdf.l_margin + (n % 3) * width
        pdf.set_xy(x, y)
        pdf.set_font(FAMILY, "", 7.5)
        pdf.multi_cell(width - 3, 3.6, pdf_safe(figure.label), new_x="LEFT", new_y="NEXT")
        pdf.set_font(FAMILY, "B", 14 if large else 11)
        pdf.cell(width - 3, 7, pdf_safe(format_value(figure.value, figure.kind, fmt)), new_x="LEFT", new_y="NEXT")
        if n % 3 == 2 or n == len(figures) - 1:
            pdf.set_y(max(pdf.get_y(), y + 16))
    pdf.ln(2)


def _table(pdf: _Document, report: Report, table: Table) -> None:
    fmt = formatter(report.lang)
    pdf.set_font(FAMILY, "B", 9)
    caption = pdf_safe(table.caption)
    row = _LINE + 2 * _PADDING
    # the caption, a header row of up to two lines, and the first rows (or "-")
    caption_height = pdf.multi_cell(0, 5, caption, dry_run=True, output="HEIGHT")
    assert isinstance(caption_height, float | int)
    needed = float(caption_height) + (
        2 * _LINE + 2 * _PADDING + row * min(KEEP_ROWS, len(table.rows)) if table.rows else 5
    )
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.captions.append((pdf.page_no(), pdf.get_y(), pdf.page_break_trigger - pdf.get_y(), needed))
    pdf.multi_cell(0, 5, caption, new_x="LMARGIN", new_y="NEXT")
    if not table.rows:
        pdf.set_font(FAMILY, "", 8)
        pdf.cell(0, 5, "-", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font(FAMILY, "", 7)
    weights = [3 if k == "text" else 1.8 if k in ("money", "euros", "row") else 1.3 for k in table.kinds]
    aligns = ["LEFT" if k == "text" else "RIGHT" for k in table.kinds]
    with pdf.table(
        col_widths=weights,
        text_align=aligns,
        line_height=_LINE,
        padding=_PADDING,
        headings_style=FontFace(emphasis="BOLD", fill_color=(236, 238, 241)),
        first_row_as_headings=True,
    ) as grid:
        grid.row([pdf_safe(c) for c in table.columns])
        for values in table.rows:
            grid.row([pdf_safe(format_value(v, k, fmt)) for v, k in zip(values, table.kinds, strict=True)])
    pdf.ln(3)


def _section(pdf: _Document, report: Report, number: int, section: Section) -> None:
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 9, pdf_safe(f"{number}. {section.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 8.5)
    for note in section.notes:
        pdf.multi_cell(0, 4.2, pdf_safe(note), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    if section.figures:
        _figures(pdf, report, section.figures)
    for chart in section.charts:
        body = _svg_for_pdf(chart)
        height = 180 * float(re.search(rb'height="([\d.]+)"', body).group(1)) / 720  # type: ignore[union-attr]
        if pdf.get_y() + height > pdf.h - 18:
            pdf.add_page()
        pdf.image(io.BytesIO(body), x=pdf.l_margin, w=180)
        pdf.ln(3)
    for table in section.tables:
        _table(pdf, report, table)


def render_pdf(
    report: Report, *, export_uid: str | None = None, made_at: dt.datetime | None = None, compress: bool = True
) -> bytes:
    """The PDF bytes of ``report``; ``export_uid`` printed in every footer;
    ``compress=False`` leaves the content streams readable (tests)."""
    return bytes(_render(report, export_uid=export_uid, made_at=made_at, compress=compress).output())


def _render(
    report: Report, *, export_uid: str | None = None, made_at: dt.datetime | None = None, compress: bool = True
) -> _Document:
    """The laid-out document of ``report`` (before its output)."""
    footer = f"{report.title} · {report.labels.get('confidential', '')}"
    pdf = _Document(f"{footer} · {export_uid}" if export_uid else footer)
    pdf.compress = compress
    pdf.set_title(pdf_safe(report.title))
    pdf.set_creator("clientfolio")
    if made_at is not None:
        pdf.set_creation_date(made_at)
    pdf.add_page()
    pdf.set_y(60)
    pdf.set_font(FAMILY, "B", 26)
    pdf.multi_cell(0, 12, pdf_safe(report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(0, 6, pdf_safe(report.subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    _figures(pdf, report, report.headline, large=True)
    pdf.ln(6)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 7, pdf_safe(report.labels.get("contents", "")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    for number, section in enumerate(report.sections, start=1):
        pdf.cell(0, 6, pdf_safe(f"{number}. {section.title}"), new_x="LMARGIN", new_y="NEXT")
    for number, section in enumerate(report.sections, start=1):
        _section(pdf, report, number, section)
    return pdf


def write_pdf(
    report: Report,
    path: Path,
    *,
    export_uid: str | None = None,
    made_at: dt.datetime | None = None,
    compress: bool = True,
) -> Path:
    """Write ``report`` as PDF at ``path``; returns ``path``."""
    path.write_bytes(render_pdf(report, export_uid=export_uid, made_at=made_at, compress=compress))
    return path
