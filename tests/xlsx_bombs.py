"""XLSX files written with ``zipfile`` for the tests of the reading limits:
ordinary ones, and bombs (a sheet whose XML expands to far more than the
file, or that declares more cells than it holds).  Nothing binary is kept in
the repository: each test writes its files."""

from __future__ import annotations

import random
import string
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["CALC_ON_LOAD", "Formula", "bomb_rows", "far_row", "plain_rows", "random_rows", "write_xlsx"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets>{calculation}</workbook>'
)
CALC_ON_LOAD = '<calcPr calcId="124519" fullCalcOnLoad="1"/>'
"""What xlsxwriter and openpyxl write: the spreadsheet is asked to compute the formulas on opening."""
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


class Formula(str):
    """A formula cell (its text without ``=``) and the value kept beside it
    (``0``, as xlsxwriter writes it, unless a spreadsheet computed another)."""

    cached: int

    def __new__(cls, text: str, cached: int = 0) -> Formula:
        cell = super().__new__(cls, text)
        cell.cached = cached
        return cell


def _cell(value: str | int) -> str:
    if isinstance(value, Formula):
        return f"<c><f>{value}</f><v>{value.cached}</v></c>"
    if isinstance(value, int):
        return f"<c><v>{value}</v></c>"
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def _row(values: Iterable[str | int]) -> bytes:
    return ("<row>" + "".join(_cell(v) for v in values) + "</row>").encode()


def plain_rows(rows: list[list[str | int]]) -> Iterator[bytes]:
    """The sheet rows of ``rows`` (the first is the header)."""
    return (_row(r) for r in rows)


def far_row(number: int, values: Iterable[str | int]) -> bytes:
    """A row numbered ``number``: the reader yields an empty row for each
    number skipped before it."""
    return f'<row r="{number}">'.encode() + _row(values)[len("<row>") :]


def bomb_rows(megabytes: float, header: list[str | int] | None = None) -> Iterator[bytes]:
    """A header, then one row of ten cells repeated until about ``megabytes``
    of XML: deflate shrinks it a hundred and fifty times or more."""
    yield _row(header or ["code client", "raison sociale"])
    row = _row(["C" + "0" * 20, "Société répétée " * 4, 1234567, 7654321, "x" * 30] * 2)
    chunk = row * 200
    for _ in range(max(1, int(megabytes * 1024 * 1024 / len(chunk)))):
        yield chunk


def random_rows(megabytes: float) -> Iterator[bytes]:
    """A header, then rows of random text (compressing poorly) for about ``megabytes`` of XML."""
    rng = random.Random(7)
    yield _row(["code client", "raison sociale"])
    written = 0
    while written < megabytes * 1024 * 1024:
        row = _row(["".join(rng.choices(string.ascii_letters, k=40)) for _ in range(5)])
        written += len(row)
        yield row


def write_xlsx(
    path: Path,
    rows: Iterable[bytes],
    *,
    dimension: str | None = None,
    method: int = zipfile.ZIP_DEFLATED,
    calculation: str = "",
) -> Path:
    """An XLSX file of one sheet holding ``rows`` (XML of ``<row>``
    elements), its ``<dimension ref=...>`` when given, streamed into the ZIP
    (``method``: how the sheet is compressed), and the workbook's
    ``calculation`` properties (``CALC_ON_LOAD``; none by default)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(calculation=calculation))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2025, 1, 1, 0, 0, 0))
        info.compress_type = method
        with z.open(info, "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.format(dimension=f'<dimension ref="{dimension}"/>' if dimension else "").encode())
            for row in rows:
                sheet.write(row)
            sheet.write(_SHEET_TAIL.encode())
    return path
