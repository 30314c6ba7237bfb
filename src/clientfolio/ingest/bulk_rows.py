"""Reading a CSV invoice file by blocks: parsed and converted by pyarrow, checked
in bulk, and handed to the same ``InvoiceWriter`` as the rows of ``invoice_rows``:
the runs of rows that need nothing decided per invoice by columns
(``InvoiceWriter.accept_columns``, which checks the rules that span rows per run),
the others row by row through ``_Runs``.  The writer writes each batch in a thread
of its own meanwhile (``InvoiceWriter.background``).

The file is read in blocks of whole lines (``BLOCK_BYTES``).  Each block is
decoded, parsed by ``pyarrow.csv`` with every column as text, and each field is
checked and converted column by column (``pyarrow.compute``): the plain number,
date and line-number shapes by regular expression, dates and codes through their
distinct values (few in a block: a date is parsed once, a code looked up once;
the customers and products a row would create are created at their first row, as
the row path creates them).  A row that fails any of these checks goes to the row
path's ``fast``/``full`` parsers, which make every check and give each bad cell
its reason: nothing is decided here that the row path would decide otherwise.

Line numbers are the file's: a block's records are its non-empty lines, which is
only true when no quoted field holds a line break.  So a block is handed over,
with the rest of the file, to the csv module's rows (``Table.rows``, skipped up
to the block's first line) when it holds a line with an odd number of quotes, a
carriage return alone, a NUL, bytes not valid in the encoding, a line longer
than the field limit, a row of the wrong width, or would pass the rows or cells
limit: what the row path then reads, and the error it gives, is exactly what it
would have read or given from the start.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from clientfolio.filelimits import active_limits, check_deadline
from clientfolio.ingest.invoice_rows import (
    _FAST_KIND,
    _MAX_CENTS,
    INVOICE_AMOUNTS,
    _Rows,
    _Runs,
    read_invoice_rows,
)
from clientfolio.ingest.invoices import InvoiceWriter, _Header
from clientfolio.ingest.lookups import ErrorSink
from clientfolio.ingest.sources import Table
from clientfolio.ingest.values import DateParser

__all__ = ["BLOCK_BYTES", "bulk_start", "read_invoice_table"]

_BAD: Any = object()  # a cell the bulk checks do not pass

BLOCK_BYTES = 2 << 20
"""Bytes of a block: about 25,000 lines of a usual export (its Python objects, made
for the writer, are what the import holds at a time)."""

_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp1252": "cp1252",
    "iso8859-1": "latin-1",
    "latin-1": "latin-1",
    "iso8859-15": "iso8859-15",
    "ascii": "ascii",
}
"""Encodings whose line breaks, quotes and delimiters are single ASCII bytes."""

_NUMBER = {",": r"^-?[0-9]+(?:,[0-9]+)?$", ".": r"^-?[0-9]+(?:\.[0-9]+)?$"}
_CREDIT_NOTE_NUMBER = r"(?i)^(?:(?:AVOIR|AVO|AVR|AV|CN)(?:[^A-Z]|$)|A-|CR-)"  # invoices.CREDIT_NOTE_NUMBER in RE2
_INVOICE_NUMBER = r"^[!-~](?:[ -~]*[!-~])?$"  # printable ASCII, no space around: kept as it is


def bulk_start(path: Path, table: Table) -> tuple[int, int, str] | None:
    """(the header's line, the byte offset after it, the blocks' codec) when the
    bulk reader can read ``table``'s file; ``None``: the rows of ``table``."""
    codec = _ENCODINGS.get(codecs.lookup(table.encoding).name if table.encoding and table.encoding != "xlsx" else "")
    if codec is None or len(table.delimiter) != 1 or table.delimiter in '"\r\n':
        return None
    wanted = getattr(table, "header_line", None)
    offset = 0
    try:
        with path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                offset += len(raw)
                if number > 1000 or (wanted is not None and number > wanted):
                    return None
                if wanted is not None and number < wanted:
                    continue
                text = raw.decode(table.encoding).lstrip("\ufeff")
                cells = next(csv.reader([text], delimiter=table.delimiter), [])
                if wanted is None and not any(c.strip() for c in cells):
                    continue  # blank lines above the header, as ``sources`` skips them
                if [c.strip() for c in cells] != table.header or not raw.endswith(b"\n"):
                    return None
                return number, offset, codec
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


class _Blocks:
    """The file's blocks of whole lines after the header: (first line, bytes)."""

    def __init__(self, path: Path, offset: int, first_line: int) -> None:
        self.path = path
        self.offset = offset
        self.line = first_line
        self.position = offset  # bytes read (shown by the progress)
        self.start = self.size = 0  # the block being converted

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            carry = b""
            while True:
                chunk = f.read(BLOCK_BYTES)
                data = carry + chunk if carry else chunk
                if not chunk:
                    if data:
                        self.start, self.size = self.position, len(data)
                        self.position += len(data)
                        yield self.line, data
                    return
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                block, carry = data[:cut], data[cut:]
                line = self.line
                self.line += block.count(b"\n")
                self.start, self.size = self.position, len(block)
                self.position += len(block)
                yield line, block


def _lines(block: bytes) -> tuple[np.ndarray, int, int]:
    """(each non-empty line's index in the block, the lines, the longest line's bytes)."""
    arr = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(arr == 10)
    if not block.endswith(b"\n"):
        ends = np.append(ends, len(block))
    starts = np.empty_like(ends)
    starts[0:1] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    cr = np.zeros(len(ends), bool)
    has = lengths > 0
    cr[has] = arr[ends[has] - 1] == 13
    lengths -= cr
    return np.flatnonzero(lengths > 0), len(ends), int(lengths.max(initial=0))


def read_invoice_table(
    path: Path,
    table: Table,
    start: tuple[int, int, str],
    idx: dict[str, int],
    writer: InvoiceWriter,
    errors: ErrorSink,
    dates: DateParser,
    decimal: str,
    chunk: int,
    tick: Callable[[int], None],
) -> int:
    """Validate every row of ``table``'s CSV file into ``writer`` by blocks;
    returns rows read.  ``start``: what ``bulk_start`` gave."""
    header_line, offset, codec = start
    state = _Rows(idx, writer, errors, dates, decimal)
    runs = _Runs(state)
    limits = active_limits()
    width = len(table.header)
    names = [f"c{i}" for i in range(width)]
    read_options = pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES * 2, use_threads=False)
    parse_options = pacsv.ParseOptions(
        delimiter=table.delimiter,
        quote_char='"',
        double_quote=True,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=True,
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    blocks = _Blocks(path, offset, header_line + 1)
    table._position = lambda: blocks.position  # the progress of the import is this reader's

    def progress(rows: int, done: float) -> None:
        """``done``: the part of the block converted."""
        blocks.position = blocks.start + int(blocks.size * done)
        tick(rows)

    converter = _Converter(state, runs, decimal, chunk, progress)
    seen_rows, seen_cells = header_line, width
    count = 0
    writer.background(True)  # each batch written while the next blocks are converted
    try:
        for first, block in blocks:
            check_deadline(table.name, limits)
            records, lines, longest = _lines(block)
            handover = (
                longest > limits.field_chars
                or b"\x00" in block
                or seen_rows + lines > limits.rows
                or seen_cells + len(records) * width > limits.cells
                or (b"\r" in block and block.count(b"\r") != block.count(b"\r\n"))
                or (b'"' in block and _odd_quotes(block))
            )
            if not handover:
                try:
                    data = block if codec == "utf-8" or block.isascii() else block.decode(codec).encode("utf-8")
                    parsed = pacsv.read_csv(pa.py_buffer(data), read_options, parse_options, convert_options)
                    handover = parsed.num_rows != len(records)
                except (UnicodeDecodeError, pa.ArrowInvalid):
                    handover = True
            if handover:
                rest = ((line, row) for line, row in table.rows if line >= first)
                return read_invoice_rows(
                    rest, idx, writer, errors, dates, decimal, chunk, tick, state=state, runs=runs, count=count
                )
            seen_rows += lines
            seen_cells += len(records) * width
            count = converter.block(parsed, (records + first).tolist(), count)
        runs.finish()
        return count
    except BaseException:
        writer.stop()  # the batch being written, if any, is dropped with its error: this one tells
        raise
    finally:
        writer.background(False)


def _odd_quotes(block: bytes) -> bool:
    """Whether a line of ``block`` holds an odd number of quotes (a quoted field
    goes on over a line break, or a stray quote: the csv module reads these)."""
    arr = np.frombuffer(block, np.uint8)
    quotes = np.flatnonzero(arr == 34)
    breaks = np.flatnonzero(arr == 10)
    per_line = np.bincount(np.searchsorted(breaks, quotes), minlength=len(breaks) + 1)
    return bool((per_line & 1).any())


class _Converter:
    """Converts the blocks' columns and hands their rows to ``_Runs``."""

    def __init__(
        self, state: _Rows, runs: _Runs, decimal: str, chunk: int, progress: Callable[[int, float], None]
    ) -> None:
        self.chunk = chunk
        self.progress = progress
        self.state = state
        self.runs = runs
        self.col = state.col
        self.number_re = _NUMBER[decimal]
        self.decimal = decimal

    def block(self, tbl: pa.Table, lines: list[int], count: int) -> int:
        state, c = self.state, self.col
        n = tbl.num_rows
        cols = [tbl.column(i).combine_chunks() for i in range(tbl.num_columns)]

        def column(name: str) -> pa.Array | None:
            return cols[c[name]] if c[name] >= 0 else None

        ok = np.ones(n, bool)

        def good(mask: Any) -> None:
            nonlocal ok
            ok &= np.asarray(mask.to_numpy(zero_copy_only=False), bool)

        def distinct(arr: pa.Array, fn: Callable[[str], Any]) -> list[Any]:
            """``fn`` of each cell, computed once per distinct value (``_BAD``: the row is checked
            by the row path)."""
            encoded = pc.dictionary_encode(arr)
            mapped = [fn(k) for k in encoded.dictionary.to_pylist()]
            indices = encoded.indices.to_numpy(zero_copy_only=False)
            flags = np.fromiter((m is _BAD for m in mapped), bool, len(mapped))
            if flags.any():
                ok[flags[indices]] = False
                mapped = [None if m is _BAD else m for m in mapped]
            values = np.empty(len(mapped), object)
            values[:] = mapped
            looked_up: list[Any] = values[indices].tolist()
            return looked_up

        numbers_arr = _required(column("invoice_number"))
        good(pc.match_substring_regex(numbers_arr, _INVOICE_NUMBER))
        good(pc.less_equal(pc.binary_length(numbers_arr), state.number_max))
        numbers = numbers_arr.to_pylist()
        issued = distinct(_required(column("invoice_date")), _parser(state.dates.past))
        customers_arr = _required(column("customer_code"))
        self._create(customers_arr, column("customer_name"), None, state.create_customer)
        customers = distinct(customers_arr, lambda k: _bad_if_none(state.customer_id(k.strip())) if k.strip() else _BAD)
        amount, amount_ok = self._cents(_required(column("amount")), required=True)
        ok &= amount_ok
        out: list[Any] = [
            numbers,
            customers,
            issued,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            amount.to_pylist(),
            None,
        ]  # as ``Parsed`` (``None``: no column; the kind: "invoice")
        if (arr := column("due_date")) is not None:
            out[4] = distinct(arr, _parser(state.dates, empty=True))
        if (arr := column("paid_date")) is not None:
            out[5] = distinct(arr, _parser(state.dates.past, empty=True))
        if (arr := column("kind")) is not None:
            distinct(arr, lambda k: _FAST_KIND.get(k, _BAD))
        if (arr := column("line_no")) is not None:
            good(pc.match_substring_regex(arr, r"^[0-9]{1,15}$"))
            out[6] = pc.cast(pc.if_else(pa.array(ok), arr, "0"), pa.int64()).to_pylist()
        if (arr := column("product_code")) is not None:
            self._create(arr, column("product_name"), column("product_line"), state.create_product)
            products = state.writer.products
            out[7] = distinct(arr, lambda k: _bad_if_none(products.get(k.strip())) if k.strip() else None)
        if (arr := column("product_name")) is not None:
            good(pc.less_equal(pc.utf8_length(arr), state.description_max))  # longer: the row path tells
            out[8] = [d.strip() or None for d in arr.to_pylist()]
        if (arr := column("quantity")) is not None:
            values, fine = self._number(arr)
            ok &= fine
            if not state.infer_kind:
                good(pc.invert(pc.starts_with(arr, "-")))
            out[9] = values.to_pylist()
        margin_arr, cost_arr = column("margin"), column("cost")
        if margin_arr is not None or cost_arr is not None:
            margin: pa.Array = pa.nulls(n, pa.int64())
            if cost_arr is not None:
                cost, fine = self._cents(cost_arr)
                ok &= fine
                margin = pc.if_else(pc.is_null(cost), margin, pc.subtract(amount, cost))
            if margin_arr is not None:
                given, fine = self._cents(margin_arr)
                ok &= fine
                margin = pc.if_else(pc.is_null(given), margin, given)
            good(pc.less(pc.abs(pc.fill_null(margin, 0)), _MAX_CENTS))
            out[11] = margin.to_pylist()
        extras: Any = None
        if state.amounts:
            parts: list[Any] = []
            for name in INVOICE_AMOUNTS:
                if (arr := column(name)) is None:
                    parts.append(repeat(None))
                    continue
                cents, fine = self._cents(arr)
                ok &= fine
                parts.append(cents.to_pylist())
            extras = list(zip(*parts, strict=False))  # an absent column is repeat(None), endless
        direct = self._direct(numbers_arr, numbers, amount, ok) if extras is None else np.zeros(n, bool)
        return self._rows(cols, lines, ok.tolist(), direct, out, extras, count)

    def _direct(self, numbers_arr: pa.Array, numbers: list[str], amount: pa.Array, ok: np.ndarray) -> np.ndarray:
        """The rows that need nothing decided per invoice: handed to the writer at once
        (the others are gathered by ``_Runs``).  Without a type column: the rows of the
        invoices whose lines sum to zero or more, whose number does not read as a credit
        note's and not met before as one, except the block's last invoice (it may go on
        in the next block) and one going on from the previous block."""
        state, n = self.state, len(numbers)
        if not state.infer_kind or n == 0:
            return ok
        new_run = np.ones(n, bool)
        new_run[1:] = pc.not_equal(numbers_arr[1:], numbers_arr[:-1]).to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(new_run)
        totals = np.add.reduceat(pc.fill_null(amount, 0).to_numpy(zero_copy_only=False), starts)
        bad = np.add.reduceat((~ok).astype(np.int32), starts) > 0
        credit = pc.match_substring_regex(numbers_arr, _CREDIT_NOTE_NUMBER).to_numpy(zero_copy_only=False)
        fine = (totals >= 0) & ~bad & ~credit[starts]
        fine[-1] = False
        if self.runs.rows and self.runs.number == numbers[0]:
            fine[0] = False
        writer = self.state.writer
        heads, stored = writer.headers, writer.stored
        at = np.flatnonzero(fine)
        firsts = [numbers[i] for i in starts[at].tolist()]
        seen = heads.met(firsts, *heads.hashes(firsts))
        if stored:
            seen |= np.fromiter((x in stored for x in firsts), bool, len(firsts))
        for r, number in zip(at[seen].tolist(), np.asarray(firsts, dtype=object)[seen].tolist(), strict=True):
            known = heads.get(number) or stored.get(number)  # met before: the kind it had then
            if known is not None and (known.kind if isinstance(known, _Header) else known[3]) != "invoice":
                fine[r] = False
        return np.repeat(fine, np.diff(np.append(starts, n)))

    def _rows(
        self,
        cols: list[pa.Array],
        lines: list[int],
        oks: list[bool],
        direct: np.ndarray,
        out: list[Any],
        extras: list[Any] | None,
        count: int,
    ) -> int:
        """Hand the block's rows over in file order: the runs of ``direct`` rows to the
        writer by columns, the others one by one to ``_Runs`` (or the row path)."""
        runs = self.runs
        add, explicit = runs.add, self.state.explicit_line_no
        writer = self.state.writer
        amounts = self.state.invoice_amounts if extras is not None else None
        n = len(lines)
        cuts = set(range(0, n, self.chunk)) | {n}  # a progress tick every ``chunk`` rows
        cuts.update((np.flatnonzero(direct[1:] != direct[:-1]) + 1).tolist())
        edges = sorted(cuts)
        for a, b in pairwise(edges):
            if direct[a]:
                runs.finish()
                writer.accept_columns(lines[a:b], [None if c is None else c[a:b] for c in out], explicit)
                count += b - a
            else:
                for i in range(a, b):
                    if oks[i]:
                        count += 1
                        add(
                            lines[i],
                            (
                                out[0][i],
                                out[1][i],
                                out[2][i],
                                "invoice",
                                *(None if c is None else c[i] for c in out[4:]),
                            ),
                            extras[i] if extras is not None else None,
                        )
                    elif self._slow(cols, i, lines[i], amounts):
                        count += 1
            if b % self.chunk == 0 or b == n:
                self.progress(count, b / n)
        return count

    def _slow(self, cols: list[pa.Array], i: int, line: int, amounts: Callable[[int, list[Any]], Any] | None) -> bool:
        """A row the bulk checks did not pass, through the row path; whether it counts."""
        row = [col[i].as_py() for col in cols]
        if not row[0].strip() and not "".join(row).strip():
            return False  # a row of empty cells (";;;;"), as ``sources`` skips it
        state = self.state
        try:
            parsed = state.fast(row)
        except (ValueError, IndexError):
            parsed = None
        if parsed is None:
            parsed = state.full(line, row)
        extra = amounts(line, row) if amounts is not None else None
        if parsed is None or (amounts is not None and extra is None):
            self.runs.skip(line)
        else:
            self.runs.add(line, parsed, extra)
        return True

    def _create(
        self, codes: pa.Array, names: pa.Array | None, families: pa.Array | None, create: Callable[..., Any]
    ) -> None:
        """Create the customers (products) met in this block for the first time at
        their first row, as the row path would there (``create`` says whether)."""
        encoded = pc.dictionary_encode(codes)
        keys = encoded.dictionary.to_pylist()
        _, first = np.unique(encoded.indices.to_numpy(zero_copy_only=False), return_index=True)
        for key, at in zip(keys, first.tolist(), strict=False):  # a null code has no key
            code = key.strip()
            if not code:
                continue
            name = names[at].as_py().strip() if names is not None else ""
            if create == self.state.create_customer:
                create(code, name)
            else:
                create(code, name, families[at].as_py().strip() if families is not None else "")

    def _number(self, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
        """(the plain numbers of ``arr`` as floats, null where empty; rows that are fine)."""
        empty = pc.equal(arr, "")
        plain = pc.match_substring_regex(arr, self.number_re)
        fine = np.asarray(pc.or_(empty, plain).to_numpy(zero_copy_only=False), bool)
        text = pc.if_else(plain, arr, "0")
        if self.decimal == ",":
            text = pc.replace_substring(text, ",", ".")
        values = pc.if_else(plain, pc.cast(text, pa.float64()), pa.scalar(None, pa.float64()))
        return values, fine

    def _cents(self, arr: pa.Array, required: bool = False) -> tuple[pa.Array, np.ndarray]:
        """(cents of the plain numbers of ``arr``, null where empty; rows that are fine)."""
        values, fine = self._number(arr)
        cents = pc.round(pc.multiply(values, 100.0), round_mode="half_to_even")
        fine &= np.asarray(
            pc.fill_null(pc.less(pc.abs(cents), float(_MAX_CENTS)), True).to_numpy(zero_copy_only=False), bool
        )
        if required:
            fine &= np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), bool)
        cents = pc.if_else(pc.less(pc.abs(pc.fill_null(cents, 0.0)), float(_MAX_CENTS)), cents, 0.0)
        return pc.cast(cents, pa.int64()), fine


def _required(arr: pa.Array | None) -> pa.Array:
    assert arr is not None
    return arr


def _bad_if_none(value: Any) -> Any:
    return _BAD if value is None else value


def _parser(parse: Callable[[Any], str], empty: bool = False) -> Callable[[str], Any]:
    """A date parser giving ``_BAD`` for a bad date (``""`` -> ``None`` when ``empty``)."""

    def one(raw: str) -> Any:
        if empty and raw == "":
            return None
        try:
            return parse(raw)
        except ValueError:
            return _BAD

    return one
