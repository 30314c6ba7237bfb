"""The review as an XLSX workbook (openpyxl): a summary sheet with the
headline, then one sheet per section with its key figures and tables.
Figures are numbers with a number format (money in euros, shares as
percentages, dates as dates), so the workbook computes; charts are not
copied (they are in the HTML and PDF)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from clientfolio.plan.xlsx import texts_only
from clientfolio.report.layout import Figure, Report, Table

__all__ = ["write_xlsx"]

FORMATS = {
    "money": '#,##0.00 "€"',
    "euros": '#,##0 "€"',
    "int": "#,##0",
    "num": "#,##0.0",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
}
DAY_FORMATS = {"fr": "dd/mm/yyyy", "en": "d mmm yyyy"}
"""The format of the days in each language's workbook."""
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD = PatternFill("solid", fgColor="ECEEF1")


def _cell_value(value: Any, kind: str) -> tuple[Any, str | None]:
    """The value to store and its number format."""
    if kind == "row":
        value, kind = value
    if value is None:
        return None, None
    if kind == "money":
        return round(float(value) / 100, 2), FORMATS["money"]
    if kind == "euros":
        return round(float(value) / 100, 2), FORMATS["euros"]  # exact, shown in whole euros
    if kind in FORMATS and kind != "date":
        return float(value) if kind != "int" else int(value), FORMATS[kind]
    if kind == "date" and isinstance(value, dt.date):
        return value, FORMATS["date"]
    return str(value), None


def _put(sheet: Worksheet, row: int, column: int, value: Any, kind: str) -> None:
    stored, number_format = _cell_value(value, kind)
    cell = sheet.cell(row=row, column=column, value=stored)
    if number_format:
        cell.number_format = number_format


def _figures(sheet: Worksheet, row: int, figures: Sequence[Figure]) -> int:
    for figure in figures:
        sheet.cell(row=row, column=1, value=figure.label)
        _put(sheet, row, 2, figure.value, figure.kind)
        row += 1
    return row + 1


def _table(sheet: Worksheet, row: int, table: Table) -> int:
    sheet.cell(row=row, column=1, value=table.caption).font = _BOLD
    row += 1
    for column, header in enumerate(table.columns, start=1):
        cell = sheet.cell(row=row, column=column, value=header)
        cell.font, cell.fill = _BOLD, _HEAD
    for values in table.rows:
        row += 1
        for column, (value, kind) in enumerate(zip(values, table.kinds, strict=True), start=1):
            _put(sheet, row, column, value, kind)
    return row + 2


def _sheet_name(number: int, title: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", title)
    name = f"{number} {clean}"[:31].strip()
    while name in taken:
        name = name[:28] + f"~{len(taken)}"
    taken.add(name)
    return name


def write_xlsx(report: Report, path: Path, *, export_uid: str | None = None) -> Path:
    """Write ``report`` as XLSX at ``path``; returns ``path``."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = report.labels.get("summary", "Summary")[:31]
    summary.cell(row=1, column=1, value=report.title).font = _TITLE
    summary.cell(row=2, column=1, value=report.subtitle)
    confidential = report.labels.get("confidential", "")
    summary.cell(row=3, column=1, value=f"{confidential} · {export_uid}" if export_uid else confidential)
    _figures(summary, 5, report.headline)
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 20
    taken = {summary.title}
    for number, section in enumerate(report.sections, start=1):
        sheet = book.create_sheet(_sheet_name(number, section.title, taken))
        sheet.cell(row=1, column=1, value=section.title).font = _TITLE
        row = 2
        for note in section.notes:
            sheet.cell(row=row, column=1, value=note)
            row += 1
        row = _figures(sheet, row + 1, section.figures) if section.figures else row + 1
        for table in section.tables:
            row = _table(sheet, row, table)
        sheet.column_dimensions["A"].width = 40
        for letter in "BCDEFGHI":
            sheet.column_dimensions[letter].width = 18
    if report.lang in DAY_FORMATS:  # days as the reader writes them (French: 27/06/2025)
        for worksheet in book.worksheets:
            for cells in worksheet.iter_rows():
                for cell in cells:
                    if cell.number_format == FORMATS["date"]:
                        cell.number_format = DAY_FORMATS[report.lang]
    texts_only(book)  # a name that begins with "=" is shown, never run
    book.properties.title = report.title
    book.properties.creator = "clientfolio"
    book.save(path)
    return path
