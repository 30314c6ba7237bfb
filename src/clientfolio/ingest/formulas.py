"""Formulas whose values were never computed, in a workbook to import.

A workbook keeps, beside each formula, the value its spreadsheet computed, and
that value is what an import reads.  Programs that write workbooks without a
spreadsheet (xlsxwriter, openpyxl, many accounting and reporting tools) cannot
compute formulas: they store 0 or nothing and ask the spreadsheet to
recalculate on opening (``<calcPr fullCalcOnLoad="1"/>``).  Read as they are,
such amounts are 0 € invoices, silently.  ``uncomputed_formula`` finds the
first formula of such a workbook's sheet, for the import to refuse it with the
way out (open and save it in Excel or LibreOffice, or export it as CSV); a
workbook saved by a spreadsheet keeps its computed values and is read as before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clientfolio.filelimits import RowGuard, open_workbook

__all__ = ["UNCOMPUTED", "uncomputed_formula"]

UNCOMPUTED = (
    "a formula whose value was never computed: the program that wrote this workbook left the "
    "calculation to the spreadsheet; open it in Excel or LibreOffice, save it, then import it again "
    "(or export it as CSV)"
)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CHUNK = 1 << 20


def uncomputed_formula(book: Any, sheet: Any, path: Path, guard: RowGuard) -> tuple[int, int, str] | None:
    """The first formula of ``sheet`` (row, column from 1, its text) when
    ``book`` (opened read-only from ``path``) asks to be recalculated on
    opening; None when it does not, or when the sheet holds no formula.  The
    workbook is read again within the same limits as for the import: its parts
    (``filelimits.open_workbook``) and, counted by ``guard``, its rows (a sheet
    padded to a million rows is refused as when imported)."""
    calculation = getattr(book, "calculation", None)
    if calculation is None or not calculation.fullCalcOnLoad:
        return None
    if not _holds_formula(book, sheet):
        return None
    with path.open("rb") as handle:
        formulas = open_workbook(handle, path, guard.name, guard.limits, formulas=True)
        try:
            for row in guard.rows_of(formulas[sheet.title].iter_rows()):
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        return cell.row, cell.column, str(cell.value)
        finally:
            formulas.close()
    return None


def _holds_formula(book: Any, sheet: Any) -> bool:
    """Whether the sheet's XML has a formula element, read as bytes (quick:
    the cells are parsed only where there is one)."""
    with book._archive.open(sheet._worksheet_path) as xml:
        tail = b""
        while chunk := xml.read(_CHUNK):
            if _FORMULA.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False
