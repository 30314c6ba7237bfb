"""Reading tabular files: CSV (delimiter and encoding sniffed) and XLSX.

``open_table`` gives the header and an iterator of ``(line, cells)``; problems
of the file itself (empty, binary, bad encoding, ragged or huge lines) are
raised as ``ImportRejected`` with the line at fault (and, for a field too long,
its column).  A file mixing UTF-8 lines (with accents) and 8-bit lines is
refused, naming the first line not in UTF-8, rather than read as mojibake
("Ã©" for "é"): no line-by-line guess.

The encoding is told from the content (``clientfolio.textfiles``): BOM, UTF-16
without BOM, UTF-8, else Windows-1252 or ISO-8859-15 (allowed in an FEC; its
"œ" and "€" are told from the whole file).

The header is the row, among the first ``HEADER_SEARCH`` rows that are not
blank, whose cells are the most known headers (any field's synonym, or an FEC
column); title rows above it ("Export des ventes – 2025") are skipped.  A
header on two rows ("Facture" merged over "N°" and "Date", "Montant" over "HT"
and "TTC") is read as one ("Facture N°", "Montant HT") when that matches more.
Ties go to the row first in the file; when no row holds a known header, the
first row is the header.  ``SourceOptions.header_row`` names it instead.  The
delimiter of a CSV file is the one giving the best header.

Both readers hold the file to the active reading limits
(``clientfolio.filelimits``: the declared sizes and compression ratio of an
XLSX file checked before it is opened, the bytes inflated, the rows and cells
read, the CSV field length, the time limit); a limit passed raises
``FileLimitExceeded``, and nothing is imported.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from clientfolio.errors import os_reason
from clientfolio.filelimits import FileLimitExceeded, ReadLimits, RowGuard, active_limits, open_workbook
from clientfolio.ingest.columns import header_forms, known_headers, normalize
from clientfolio.ingest.fec import FEC_COLUMNS
from clientfolio.ingest.formulas import UNCOMPUTED, uncomputed_formula
from clientfolio.ingest.report import ImportRejected, RowError
from clientfolio.textfiles import detect_encoding

__all__ = ["HEADER_SEARCH", "SourceOptions", "Table", "combine_header_rows", "find_header", "open_table"]

DELIMITERS = ";,\t|"
_SAMPLE = 64 * 1024
HEADER_SEARCH = 20
"""The rows (not blank) among which the header is looked for."""
_MEASURE_CHARS = 1 << 24
"""How long a field may be when the record holding a field too long is read
again to name its column (beyond, the column is not named)."""


@dataclass(frozen=True)
class SourceOptions:
    """How to read the file; ``None`` means detect."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # the line (CSV) or sheet row (XLSX) of the header, from 1


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from the file underneath, for progress bars."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.bytes_read += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


@dataclass
class Table:
    """A file opened for import."""

    name: str
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    size: int
    encoding: str = ""
    delimiter: str = ""
    _position: Any = field(default=None, repr=False)
    _close: Any = field(default=None, repr=False)
    header_line: int = 1  # the line (CSV) or sheet row (XLSX) of the header (its lower row when on two)
    sheet: str | None = None  # the sheet read, in a workbook of several

    def close(self) -> None:
        """Release the file (also when its rows were never read)."""
        if self._close:
            self._close()

    def position(self) -> int:
        """Bytes consumed so far (for a progress bar out of ``size``)."""
        return int(self._position()) if self._position else self.size

    def fail(self, line: int, reason: str, column: str = "", value: str = "", **params: str | int) -> ImportRejected:
        """The file's rejection at ``line``: ``reason``, a template filled with ``params`` when given."""
        error = RowError.because(self.name, line, column, value, reason, **params) if params else None
        return ImportRejected([error or RowError(self.name, line, column, value, reason)])


def open_table(path: Path, options: SourceOptions = SourceOptions()) -> Table:
    """Open ``path`` (CSV or XLSX, told by content, not by name), within the
    active reading limits (``filelimits.active_limits``)."""
    name = path.name
    limits = active_limits()
    try:
        size = path.stat().st_size
        with path.open("rb") as probe:
            head = probe.read(_SAMPLE)
    except OSError as exc:
        raise ImportRejected(
            [RowError.because(name, 0, "", "", "cannot read file: {error_msg}", error_msg=os_reason(exc))]
        ) from None
    if not head.strip():
        raise ImportRejected([RowError(name, 0, "", "", "the file is empty")])
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, size, options, limits)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRejected([RowError(name, 0, "", "", "old Excel .xls format: save it as .xlsx or CSV")])
    return _open_csv(path, head, size, options, limits)


def _detect_encoding(name: str, path: Path, head: bytes, forced: str | None) -> str:
    if forced:
        return forced
    encoding = detect_encoding(path, head)
    if encoding is None:
        raise ImportRejected([RowError(name, 0, "", "", "binary content: not a CSV or XLSX file")])
    return encoding


# -- the header ------------------------------------------------------------------------------


@cache
def _known() -> frozenset[str]:
    return known_headers() | {normalize(c) for c in FEC_COLUMNS}


def _score(header: Sequence[str]) -> int:
    """How many cells of ``header`` are known headers."""
    known = _known()
    return sum(1 for h in header if h and any(form in known for form in header_forms(h)))


def _joined(upper: str, lower: str) -> str:
    """ "Montant HT" from "Montant" over "HT"; "N° client" from "Client" over
    "N°" (the order that is a known header, else the upper label first)."""
    first = f"{upper} {lower}"
    if normalize(first) in _known():
        return first
    second = f"{lower} {upper}"
    return second if normalize(second) in _known() else first


def combine_header_rows(upper: Sequence[str], lower: Sequence[str]) -> list[str]:
    """The header written on two rows: each label of ``upper`` joined to each
    label below it.  A label merged over several columns has its value in the
    first of them only (as spreadsheets store it): it spreads to the columns
    right of it that are blank above and labelled below.  A label over a blank
    cell (merged down the two rows) stays alone and spreads to none."""
    width = max(len(upper), len(lower))
    ups = [*upper, *[""] * (width - len(upper))]
    lows = [*lower, *[""] * (width - len(lower))]
    group = ""
    cells: list[str] = []
    for up, low in zip(ups, lows, strict=True):
        if up:
            group = up if low else ""
            cells.append(_joined(up, low) if low else up)
        elif low:
            cells.append(_joined(group, low) if group else low)
        else:
            group = ""
            cells.append("")
    return cells


def find_header(rows: Sequence[Sequence[str]], forced: int | None = None) -> tuple[int, list[str]] | None:
    """(the index in ``rows`` of the header's row, its cells) among ``rows``
    (the first rows of a file as text, blank ones included: a header on two
    rows is on two rows next to each other), or None when all are blank.
    ``forced``: the index of the header's row, given (joined to the row above
    it only when that matches more known headers)."""
    filled = [any(cells) for cells in rows]
    if forced is not None:
        alone = list(rows[forced])
        if forced > 0 and filled[forced - 1]:
            both = combine_header_rows(rows[forced - 1], alone)
            if _score(both) > _score(alone):
                return forced, both
        return forced, alone
    best: tuple[int, list[str]] | None = None
    best_score = 0
    for i, cells in enumerate(rows):
        if not filled[i]:
            continue
        if best is None:
            best = i, list(cells)  # when no row holds a known header: the first one
        candidates = [(i, list(cells))]
        if i + 1 < len(rows) and filled[i + 1]:
            candidates.append((i + 1, combine_header_rows(cells, rows[i + 1])))
        for candidate in candidates:
            if (score := _score(candidate[1])) > best_score:
                best, best_score = candidate, score
    return best


def _best_sheet(book: Any, name: str, limits: ReadLimits) -> Any:
    """The sheet whose first rows hold the most known headers (the first sheet on a tie):
    a workbook often opens on a summary, its data on a later sheet."""
    best, best_score = book.worksheets[0], 0
    if len(book.worksheets) == 1:
        return best
    for sheet in book.worksheets:
        rows = RowGuard(name, limits).rows_of(sheet.iter_rows(values_only=True, max_row=4 * HEADER_SEARCH))
        score = max((_score(_texts(values)) for values in rows), default=0)
        if score > best_score:
            best, best_score = sheet, score
    return best


def _texts(values: Iterable[Any]) -> list[str]:
    return ["" if v is None else str(v).strip().lstrip("\ufeff") for v in values]


def _missing_header_row(name: str, line: int, blank: bool) -> ImportRejected:
    what = "is blank" if blank else "is not in the file"
    params: dict[str, str | int] = {"line": line}
    template = f"the header row given (line {{line}}) {what}"
    return ImportRejected([RowError(name, line, "", "", template.format(**params), template, params)])


# -- CSV -------------------------------------------------------------------------------------

MIXED_ENCODINGS = (
    "line {line} is not UTF-8 like the rest of the file (it reads as Windows-1252: {sample}): "
    'the file mixes two encodings; save it again as UTF-8 ("CSV UTF-8") and import it again'
)


def _cp1252_sample(raw: bytes) -> str | None:
    """The word around the first non-ASCII character of ``raw`` read as
    Windows-1252, when it reads as text there (letters such as é è à ç)."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    at = next(i for i, ch in enumerate(text) if not ch.isascii())
    if not text[at].isprintable():
        return None
    start = max(text.rfind(" ", 0, at), text.rfind(";", 0, at), text.rfind(",", 0, at)) + 1
    ends = [i for i in (text.find(" ", at), text.find(";", at), text.find(",", at)) if i >= 0]
    return text[start : min(ends) if ends else len(text)].strip()[:40]


_UTF8_SHAPE = bytes.maketrans(
    bytes(range(0xC2, 0xF5)) + bytes(range(0x80, 0xC0)), b"L" * (0xF5 - 0xC2) + b"C" * (0xC0 - 0x80)
)
"""Lead bytes of a UTF-8 sequence as ``L``, continuation bytes as ``C``: a file
without ``LC`` holds no UTF-8 letter beyond ASCII."""


def _may_hold_utf8(path: Path) -> bool:
    """Whether ``path`` holds a byte pair shaped as a UTF-8 sequence (one pass of
    ``bytes.translate``, about 1 GB/s: the line-by-line check runs only then)."""
    last = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            if b"LC" in (last + chunk).translate(_UTF8_SHAPE):
                return True
            last = chunk[-1:]
    return False


def _mixed_line(path: Path) -> tuple[int, str] | None:
    """(the first line that is not UTF-8, its word read as Windows-1252) when the
    file mixes UTF-8 lines (with accents) and Windows-1252 lines; else None."""
    if not _may_hold_utf8(path):
        return None
    utf8 = False
    first: tuple[int, str] | None = None
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                utf8 = True
            except UnicodeDecodeError:
                if first is None:
                    sample = _cp1252_sample(raw)
                    if sample is None:
                        return None  # not Windows-1252 text either: another problem
                    first = (number, sample)
            if utf8 and first is not None:
                return first
    return None


def _sample_rows(sample: str, delimiter: str) -> list[list[str]]:
    """The first rows of ``sample`` (up to ``HEADER_SEARCH`` not blank) cut at ``delimiter``."""
    rows: list[list[str]] = []
    filled = 0
    try:
        for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
            rows.append(_texts(row))
            filled += any(rows[-1])
            if filled >= HEADER_SEARCH:
                break
    except csv.Error:
        pass  # a field too long or cut by the sample's end: the rows before it tell
    return rows


def _detect_delimiter(sample: str) -> str:
    """The delimiter giving the header of the most known headers; among equals
    (unknown headers), the most frequent in the first line holding one."""
    scores = {}
    for d in DELIMITERS:
        found = find_header(_sample_rows(sample, d))
        scores[d] = _score(found[1]) if found else 0
    best = max(scores.values())
    tied = [d for d in DELIMITERS if scores[d] == best]
    if len(tied) == 1:
        return tied[0]
    lines = (line for line in sample.splitlines()[: HEADER_SEARCH * 5] if line.strip())
    first = next((line for line in lines if any(d in line for d in tied)), "")
    counts = {d: first.count(d) for d in tied}
    top = max(tied, key=lambda d: counts[d])
    return top if counts[top] else ","


def _long_field(path: Path, encoding: str, delimiter: str, start: int, chars: int) -> tuple[int, int] | None:
    """(the index, the length) of the longest field of the record starting at
    line ``start``, when longer than ``chars``: the record is read again with
    the csv module's field limit raised (to ``_MEASURE_CHARS``), then restored."""
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(max(chars, _MEASURE_CHARS))
        with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
            lines = iter(text)
            next(islice(lines, start - 1, start - 1), None)  # skip the lines before the record
            record = next(csv.reader(lines, delimiter=delimiter), None)
    except (OSError, ValueError, csv.Error):  # UnicodeDecodeError is a ValueError
        return None
    finally:
        csv.field_size_limit(previous)
    if not record:
        return None
    index = max(range(len(record)), key=lambda i: len(record[i]))
    return (index, len(record[index])) if len(record[index]) > chars else None


TOO_LONG = "a field is longer than {limit} characters ({length} characters in this column, field {field} of the line)"


def _undecodable_line(path: Path, encoding: str) -> int | None:
    """The line holding the first bytes not valid in ``encoding`` (the text
    layer decodes by chunks, so the csv reader's position is not that line)."""
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        return None  # lines cannot be split on b"\n" in these
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


def _open_csv(path: Path, head: bytes, size: int, options: SourceOptions, limits: ReadLimits) -> Table:
    name = path.name
    guard = RowGuard(name, limits)
    csv.field_size_limit(limits.field_chars)  # the csv module's limit is process-wide: set from the settings
    encoding = _detect_encoding(name, path, head, options.encoding)
    if encoding in ("cp1252", "iso-8859-15") and not options.encoding and (mixed := _mixed_line(path)):
        line, sample = mixed  # UTF-8 accents would be read as mojibake ("Ã©"): refused
        params: dict[str, str | int] = {"line": line, "sample": sample}
        raise ImportRejected([RowError(name, line, "", "", MIXED_ENCODINGS.format(**params), MIXED_ENCODINGS, params)])
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = options.delimiter or _detect_delimiter(sample)
    counting = _CountingReader(path.open("rb"))
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    table = Table(name, [], iter(()), size, encoding, delimiter, lambda: counting.bytes_read, text.close)

    def fail(reason: str, line: int | None = None) -> ImportRejected:
        return table.fail(reader.line_num + 1 if line is None else line, reason)

    def failure(exc: csv.Error | UnicodeDecodeError, start: int) -> ImportRejected:
        """The error of the record starting at line ``start``."""
        text.close()
        if isinstance(exc, UnicodeDecodeError):
            if encoding == "utf-8" and not options.encoding and (mixed := _mixed_line(path)):
                params: dict[str, str | int] = {"line": mixed[0], "sample": mixed[1]}
                return ImportRejected(
                    [RowError(name, mixed[0], "", "", MIXED_ENCODINGS.format(**params), MIXED_ENCODINGS, params)]
                )
            return fail(
                f"bytes not valid in {encoding} ({exc.reason}): is the file in one encoding?",
                _undecodable_line(path, encoding),
            )
        # the csv module has already counted the line it failed in
        if "field larger" in str(exc):
            return too_long(start, reader.line_num)
        return fail(f"malformed CSV: {exc}", reader.line_num)

    def too_long(start: int, line: int) -> ImportRejected:
        found = _long_field(path, encoding, delimiter, start, limits.field_chars)
        if found is None:
            return fail(f"a field is longer than {limits.field_chars:,} characters", line)
        index, length = found
        column = table.header[index] if index < len(table.header) else ""
        params: dict[str, str | int] = {"limit": limits.field_chars, "length": length, "field": index + 1}
        reason = TOO_LONG.format(**{k: f"{v:,}" for k, v in params.items()})
        return ImportRejected([RowError(name, line, column, "", reason, TOO_LONG, params)])

    # the first records, among which the header is: (first line, last line, cells)
    looked: list[tuple[int, int, list[str]]] = []
    pending: tuple[csv.Error | UnicodeDecodeError, int] | None = None
    forced = options.header_row
    filled = 0
    while (filled < HEADER_SEARCH) if forced is None else (not looked or looked[-1][0] < forced):
        before = reader.line_num
        try:
            row = next(reader)
            guard(len(row))
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            pending = exc, before + 1  # raised once the header (naming the column) is known
            break
        except FileLimitExceeded:
            text.close()
            raise
        looked.append((before + 1, reader.line_num, row))
        filled += any(cell.strip() for cell in row)
        if forced is not None and len(looked) > 2:
            del looked[0]  # only the header's row and the one above it are kept
    texts = [_texts(cells) for _, _, cells in looked]
    at: int | None = None
    if forced is not None:
        at = next((i for i, (start, _, _) in enumerate(looked) if start == forced), None)
        if at is None or not any(texts[at]):
            if pending is not None:
                raise failure(*pending)
            text.close()
            raise _missing_header_row(name, forced, at is not None)
    found = find_header(texts, at)
    if found is None:
        if pending is not None:
            raise failure(*pending)
        text.close()
        raise ImportRejected([RowError(name, 0, "", "", "the file is empty")])
    index, header = found
    width = len(looked[index][2])
    table.header = [*header[:width], *[""] * (width - len(header))]
    table.header_line = looked[index][0]
    if pending is not None:
        raise failure(*pending)
    after = [(end, cells) for _, end, cells in looked[index + 1 :]]

    def shaped(line: int, row: list[str]) -> list[str] | None:
        """``row`` as wide as the header; None when blank.  A line without a
        delimiter (a report's group title, note or footer) is its first cell."""
        if not "".join(row).strip():
            return None  # blank, or only delimiters (";;;;" as spreadsheets export)
        if len(row) > width and not "".join(row[width:]).strip():
            return row[:width]
        if len(row) == 1 < width:
            return [*row, *[""] * (width - 1)]
        if len(row) != width:
            raise table.fail(
                line,
                "{fields} fields where the header has {width} (delimiter {delimiter})",
                fields=len(row),
                width=width,
                delimiter=repr(delimiter),
            )
        return row

    def rows() -> Iterator[tuple[int, list[Any]]]:
        last = looked[-1][1] if looked else 0  # the last line of the record before the one read
        try:
            for line, row in after:
                if len(row) != width or not row[0].strip():
                    if (ok := shaped(line, row)) is None:
                        continue
                    row = ok
                yield line, row
            for row in reader:
                last = line = reader.line_num  # the record's last line (the next one starts after it)
                guard(len(row))
                if len(row) != width or not row[0].strip():  # cheap tests first: most rows pass
                    if (ok := shaped(line, row)) is None:
                        continue
                    row = ok
                yield line, row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise failure(exc, last + 1) from None
        finally:
            text.close()

    table.rows = rows()
    return table


def _open_xlsx(path: Path, size: int, options: SourceOptions, limits: ReadLimits) -> Table:
    name = path.name
    try:
        handle = path.open("rb")  # a file object: openpyxl would refuse a path not named .xlsx
    except OSError as exc:
        raise ImportRejected(
            [RowError.because(name, 0, "", "", "cannot read file: {error_msg}", error_msg=os_reason(exc))]
        ) from None
    try:
        book = open_workbook(handle, path, name, limits)  # the ZIP's declared sizes checked first
    except FileLimitExceeded:
        handle.close()
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken zip
        handle.close()
        raise ImportRejected(
            [RowError.because(name, 0, "", "", "not a readable XLSX file: {error}", error=str(exc))]
        ) from None

    def close() -> None:
        book.close()
        handle.close()

    if options.sheet and options.sheet not in book.sheetnames:
        close()
        raise ImportRejected(
            [
                RowError.because(
                    name, 0, "", options.sheet, "no such sheet; sheets: {sheets}", sheets=str(book.sheetnames)
                )
            ]
        )
    try:
        sheet = book[options.sheet] if options.sheet else _best_sheet(book, name, limits)
    except FileLimitExceeded:
        close()
        raise
    if sheet is not book.worksheets[0] and not options.sheet:
        name = f"{name} ({sheet.title})"  # the rows told are that sheet's
    cells = RowGuard(name, limits).rows_of(sheet.iter_rows(values_only=True))  # padding counted too
    forced = options.header_row
    looked: list[tuple[int, Sequence[Any]]] = []  # the first rows, among which the header is
    filled = 0
    try:
        for line, values in enumerate(cells, start=1):
            looked.append((line, values))
            if forced is None:
                filled += any(v not in (None, "") for v in values)
                if filled >= HEADER_SEARCH:
                    break
            else:
                if len(looked) > 2:
                    del looked[0]  # only the header's row and the one above it are kept
                if line >= forced:
                    break
    except FileLimitExceeded:
        close()
        raise
    texts = [_texts(values) for _, values in looked]
    at: int | None = None
    if forced is not None:
        at = next((i for i, (line, _) in enumerate(looked) if line == forced), None)
        if at is None or not any(texts[at]):
            close()
            raise _missing_header_row(name, forced, at is not None)
    found = find_header(texts, at)
    if found is None:
        close()
        raise ImportRejected([RowError(name, 0, "", "", "the workbook's sheet is empty")])
    index, header = found
    while header and not header[-1]:
        header.pop()
    try:
        formula = uncomputed_formula(book, sheet, path, RowGuard(name, limits))
    except FileLimitExceeded:
        close()
        raise
    if formula is not None:
        from openpyxl.utils import get_column_letter

        close()
        line, column, text = formula
        where = header[column - 1] if column <= len(header) and header[column - 1] else get_column_letter(column)
        raise ImportRejected([RowError.because(name, line, where, text, UNCOMPUTED)])
    width = len(header)
    start = looked[-1][0] if looked else 0
    after = looked[index + 1 :]
    done = {"rows": 0}

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, values in chain(after, enumerate(cells, start=start + 1)):
                done["rows"] = number
                row = ["" if v is None else v for v in values[:width]]
                if not any(v != "" for v in row):
                    continue
                row.extend([""] * (width - len(row)))
                yield number, row
        finally:
            close()

    total_rows = max(sheet.max_row or 1, 1)
    table = Table(name, header, rows(), size, "xlsx", "", lambda: size * done["rows"] // total_rows, close)
    table.header_line = looked[index][0]
    table.sheet = sheet.title if len(book.worksheets) > 1 else None
    return table
