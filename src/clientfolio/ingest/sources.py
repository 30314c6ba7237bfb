"""Reading tabular files: CSV (delimiter and encoding sniffed) and XLSX.

``open_table`` gives the header and an iterator of ``(line, cells)``; problems
of the file itself (empty, binary, bad encoding, ragged or huge lines) are
raised as ``ImportRejected`` with the line at fault.  A file mixing UTF-8 lines
(with accents) and Windows-1252 lines is refused, naming the first line not in
UTF-8, rather than read as mojibake ("Ã©" for "é"): no line-by-line guess.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from clientfolio.filelimits import FileLimitExceeded, ReadLimits, RowGuard, active_limits, open_workbook
from clientfolio.ingest.report import ImportRejected, RowError

__all__ = ["SourceOptions", "Table", "open_table"]

DELIMITERS = ";,\t|"
_SAMPLE = 64 * 1024


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

    def close(self) -> None:
        """Release the file (also when its rows were never read)."""
        if self._close:
            self._close()

    def position(self) -> int:
        """Bytes consumed so far (for a progress bar out of ``size``)."""
        return int(self._position()) if self._position else self.size

    def fail(self, line: int, reason: str, column: str = "", value: str = "") -> ImportRejected:
        return ImportRejected([RowError(self.name, line, column, value, reason)])


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
        raise ImportRejected([RowError(name, 0, "", "", f"cannot read file: {exc.strerror}")])
    if not head.strip():
        raise ImportRejected([RowError(name, 0, "", "", "the file is empty")])
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, size, options, limits)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRejected(
            [RowError(name, 0, "", "", "old Excel .xls format: save it as .xlsx or CSV")]
        )
    return _open_csv(path, head, size, options, limits)


def _detect_encoding(name: str, head: bytes, forced: str | None) -> str:
    if forced:
        return forced
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ImportRejected(
            [RowError(name, 0, "", "", "binary content: not a CSV or XLSX file")]
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


MIXED_ENCODINGS = ("line {line} is not UTF-8 like the rest of the file (it reads as Windows-1252: {sample}): "
                   "the file mixes two encodings; save it again as UTF-8 (\"CSV UTF-8\") and import it again")


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
    return text[start:min(ends) if ends else len(text)].strip()[:40]


def _mixed_line(path: Path) -> tuple[int, str] | None:
    """(the first line that is not UTF-8, its word read as Windows-1252) when the
    file mixes UTF-8 lines (with accents) and Windows-1252 lines; else None."""
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


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


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
    encoding = _detect_encoding(name, head, options.encoding)
    if encoding == "cp1252" and not options.encoding and (mixed := _mixed_line(path)):
        line, sample = mixed  # UTF-8 accents would be read as mojibake ("Ã©"): refused
        params: dict[str, str | int] = {"line": line, "sample": sample}
        raise ImportRejected([RowError(name, line, "", "", MIXED_ENCODINGS.format(**params), MIXED_ENCODINGS,
                                       params)])
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = options.delimiter or _detect_delimiter(sample.splitlines()[0] if sample else "")
    counting = _CountingReader(path.open("rb"))
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    table = Table(name, [], iter(()), size, encoding, delimiter, lambda: counting.bytes_read, text.close)

    def fail(reason: str, line: int | None = None) -> ImportRejected:
        return table.fail(reader.line_num + 1 if line is None else line, reason)

    def failure(exc: csv.Error | UnicodeDecodeError) -> ImportRejected:
        text.close()
        if isinstance(exc, UnicodeDecodeError):
            if encoding == "utf-8" and not options.encoding and (mixed := _mixed_line(path)):
                params: dict[str, str | int] = {"line": mixed[0], "sample": mixed[1]}
                return ImportRejected([RowError(name, mixed[0], "", "", MIXED_ENCODINGS.format(**params),
                                                MIXED_ENCODINGS, params)])
            return fail(
                f"bytes not valid in {encoding} ({exc.reason}): is the file in one encoding?",
                _undecodable_line(path, encoding),
            )
        # the csv module has already counted the line it failed in
        if "field larger" in str(exc):
            return fail(f"a field is longer than {limits.field_chars:,} characters", reader.line_num)
        return fail(f"malformed CSV: {exc}", reader.line_num)

    def read() -> list[str] | None:
        try:
            row = next(reader)
            guard(len(row))
            return row
        except StopIteration:
            return None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise failure(exc) from None
        except FileLimitExceeded:
            text.close()
            raise

    header = read()
    while header is not None and not any(cell.strip() for cell in header):
        header = read()
    if header is None:
        text.close()
        raise ImportRejected([RowError(name, 0, "", "", "the file is empty")])
    table.header = [h.strip().lstrip("\ufeff") for h in header]
    width = len(table.header)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for row in reader:
                guard(len(row))
                if len(row) != width or not row[0].strip():  # cheap tests first: most rows pass
                    if not "".join(row).strip():
                        continue  # blank, or only delimiters (";;;;" as spreadsheets export)
                    if len(row) > width and not "".join(row[width:]).strip():
                        row = row[:width]
                    elif len(row) != width:
                        raise fail_at(reader.line_num, len(row))
                yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise failure(exc) from None
        finally:
            text.close()

    def fail_at(line: int, got: int) -> ImportRejected:
        return table.fail(
            line, f"{got} fields where the header has {width} (delimiter {delimiter!r})"
        )

    table.rows = rows()
    return table


def _open_xlsx(path: Path, size: int, options: SourceOptions, limits: ReadLimits) -> Table:
    name = path.name
    try:
        handle = path.open("rb")  # a file object: openpyxl would refuse a path not named .xlsx
    except OSError as exc:
        raise ImportRejected([RowError(name, 0, "", "", f"cannot read file: {exc.strerror}")])
    try:
        book = open_workbook(handle, path, name, limits)  # the ZIP's declared sizes checked first
    except FileLimitExceeded:
        handle.close()
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken zip
        handle.close()
        raise ImportRejected([RowError(name, 0, "", "", f"not a readable XLSX file: {exc}")])

    def close() -> None:
        book.close()
        handle.close()

    if options.sheet and options.sheet not in book.sheetnames:
        close()
        raise ImportRejected(
            [RowError(name, 0, "", options.sheet, f"no such sheet; sheets: {book.sheetnames}")]
        )
    sheet = book[options.sheet] if options.sheet else book.worksheets[0]
    cells = RowGuard(name, limits).rows_of(sheet.iter_rows(values_only=True))  # padding counted too
    line = 0
    header: list[str] = []
    try:
        for line, values in enumerate(cells, start=1):
            if any(v not in (None, "") for v in values):
                header = ["" if v is None else str(v).strip() for v in values]
                break
    except FileLimitExceeded:
        close()
        raise
    if not header:
        close()
        raise ImportRejected([RowError(name, 0, "", "", "the workbook's sheet is empty")])
    while header and not header[-1]:
        header.pop()
    width = len(header)
    start = line
    done = {"rows": 0}

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, values in enumerate(cells, start=start + 1):
                done["rows"] = number
                row = ["" if v is None else v for v in values[:width]]
                if not any(v != "" for v in row):
                    continue
                row.extend([""] * (width - len(row)))
                yield number, row
        finally:
            close()

    total_rows = max(sheet.max_row or 1, 1)
    return Table(
        name, header, rows(), size, "xlsx", "", lambda: size * done["rows"] // total_rows, close
    )
