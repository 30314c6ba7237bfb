"""Loading invoice lines: validation, idempotence, and the batched writes.

Rules (each broken rule is a row error; any row error rejects the whole file):

- an invoice's number, date, customer and kind are the same on all its lines;
- without a line-number column, the lines of an invoice are consecutive rows
  (an invoice met again further down is a duplicate invoice);
- a line number appears once per invoice;
- a negative quantity is allowed only on a credit note (type "avoir"); credit
  note amounts are stored negative whatever their sign in the file;
- an unknown customer is created only if the row carries its name, an unknown
  product only if the row carries its label;
- an invoice already in the store must match line for line: identical lines are
  skipped (importing a file twice adds nothing), different ones are errors.

Files without a type column (as invoicing tools export them), decided per
invoice (its consecutive rows; with a line-number column, an invoice listed
again further down keeps the kind of its first rows):

- an invoice is a credit note when its lines sum below zero, or when its number
  reads as a credit note's (``CREDIT_NOTE_NUMBER``: AV, AVO, AVR, AVOIR or CN not
  followed by a letter, A-, CR-; case ignored), or when it is already stored as
  one.  An invoice with a negative line (a discount) and a positive total stays
  an invoice;
- negative quantities are then allowed (the type column is what they would
  contradict); a credit note's quantities are stored negative, and its amounts
  and margins too: a credit note written with positive amounts (total above
  zero) has every line's sign turned, one written with negative amounts is kept
  as it is (its mixed signs, if any, still sum to the same total).

Invoice-level amounts (``amount_incl_tax``, ``paid_amount``, ``balance``), taken
from the first non-empty cell of an invoice's rows:

- the amount tax included is the invoice's gross amount when its rows give one
  value (repeated on every row, or on one row), unless that value is below the
  lines' total excluding tax: then, as when the rows give different values, each
  row carries its own line's amount and the gross is their sum.  A credit note's
  gross is stored negative;
- the paid amount is ``paid_amount``, else the gross (or, without one, the lines'
  total) minus ``balance``; it is counted tax included when the invoice has a
  gross amount, excluding tax otherwise, and stored in the lines' basis
  (``paid x lines total / gross``, rounded to the cent), or as a payment in full
  when it covers the invoice; zero is no payment.  A paid amount needs its day
  (``paid_date``), else the row is an error.  ``paid_date`` alone still means
  settled in full.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from clientfolio.access.writes import OUTSIDE_SCOPE, WriteGuard
from clientfolio.ingest.lookups import CodeBook, ErrorSink
from clientfolio.ingest.report import ImportResult, Reason
from clientfolio.store import IdBlock, bulk_insert
from clientfolio.store.schema import (
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    ProductLine,
)

__all__ = ["CREDIT_NOTE_NUMBER", "InvoiceWriter", "Parsed", "parse_kind"]

CREDIT_NOTE_NUMBER = re.compile(r"(?:AVOIR|AVO|AVR|AV|CN)(?![A-Z])|A-|CR-", re.IGNORECASE)
"""The numbers that read as a credit note's when a file has no type column
(``match`` at the start): "AV0012", "AV-12", "Avoir 3", "AVR2024-1", "CN-7",
"A-12", "CR-5"; not "AVANCE-1" or "CNAM-2"."""

_SQLITE_PARAMS = 32_000
"""Parameters of a statement written in the background (SQLite takes 32,766)."""

_SWITCH_INTERVAL = 0.0001
"""The GIL's switch interval while batches are written in the background."""

_switching = threading.Lock()
_switching_imports = [0, 0.0]  # imports writing in the background, the interval before the first


def _fast_switching(on: bool) -> None:
    """Lower the GIL's switch interval while at least one import writes in the
    background, and put back the one found when the last stops: the interval
    is the process's, and imports may run at once (the web app's upload workers)."""
    with _switching:
        if on:
            if _switching_imports[0] == 0:
                _switching_imports[1] = sys.getswitchinterval()
                sys.setswitchinterval(_SWITCH_INTERVAL)
            _switching_imports[0] += 1
        else:
            _switching_imports[0] -= 1
            if _switching_imports[0] == 0:
                sys.setswitchinterval(_switching_imports[1])


_INVOICE_WORDS = {
    *("", "f", "fa", "fac", "facture", "facture client", "invoice", "inv", "i", "sales invoice"),
    *("sales receipt", "accrec"),  # QuickBooks' cash sale, Xero's sales invoice type
}
_CREDIT_WORDS = {
    *("a", "av", "avoir", "avoir client", "credit", "credit note", "cn", "c", "creditnote", "sales credit note"),
    *("credit memo", "refund receipt", "accreccredit"),  # QuickBooks' credit note and refund, Xero's credit note
}


def parse_kind(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text in _INVOICE_WORDS:
        return "invoice"
    if text in _CREDIT_WORDS:
        return "credit_note"
    raise ValueError("type must be facture/invoice or avoir/credit note")


@dataclass(slots=True)
class _Header:
    invoice_id: int
    customer_id: int
    issued_on: str
    kind: str
    first_line: int
    last_line: int
    lines: int
    stored: bool
    line_nos: set[int] | None = None


class _Headers:
    """The headers of the invoices met in the file, in memory that hardly grows with
    it: the recent ones as ``_Header`` objects, the older ones (moved by ``archive``
    at each batch written) packed in arrays, about 90 bytes an invoice, found through an
    open-addressing table of their numbers' 64-bit hashes (a second, independent
    hash is compared too; only a collision of both, about one chance in 10^30 for
    a million invoices, could mistake one number for another).  A header found in
    the arrays comes back as an object (``get``), its line numbers with it."""

    _ROW = np.dtype(
        [
            ("hash2", "i8"),
            ("invoice_id", "i8"),
            ("customer_id", "i8"),
            ("issued", "i4"),
            ("kind", "i1"),
            ("stored", "i1"),
            ("first_line", "i8"),
            ("last_line", "i8"),
            ("lines", "i4"),
            ("line_min", "i4"),
            ("line_max", "i4"),
            ("numbered", "i1"),
        ]
    )

    def __init__(self) -> None:
        self.live: dict[str, _Header] = {}
        self._keys = np.zeros(1024, np.int64)  # 0: empty slot
        self._slots = np.full(1024, -1, np.int32)  # row of the slot's header (-1: taken back)
        self._rows = np.zeros(1024, self._ROW)
        self._count = 0  # rows used
        self._used = 0  # slots used
        self._line_nos: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, line numbers)

    @staticmethod
    def _hash(number: str) -> int:
        return hash(number) or 1

    def _find(self, number: str) -> int:
        """The slot of ``number`` in the table (-1: not there)."""
        if not self._used:
            return -1
        h = self._hash(number)
        keys, mask = self._keys, len(self._keys) - 1
        slot = h & mask
        h2 = None
        while (key := int(keys[slot])) != 0:
            if key == h and (row := int(self._slots[slot])) >= 0:
                h2 = hash(number + "\x00") if h2 is None else h2
                if int(self._rows[row]["hash2"]) == h2:
                    return slot
            slot = (slot + 1) & mask
        return -1

    def get(self, number: str) -> _Header | None:
        head = self.live.get(number)
        if head is None and self._used:
            slot = self._find(number)
            if slot >= 0:
                head = self.live[number] = self._revive(number, int(self._slots[slot]))
                self._slots[slot] = -1
        return head

    def __contains__(self, number: str) -> bool:
        return self.get(number) is not None

    def __setitem__(self, number: str, head: _Header) -> None:
        self.live[number] = head

    def __len__(self) -> int:
        return len(self.live) + int((self._slots >= 0).sum())

    def _revive(self, number: str, row: int) -> _Header:
        r = self._rows[row]
        day = int(r["issued"])
        line_nos: set[int] | None = None
        if r["numbered"] and int(r["line_max"]) - int(r["line_min"]) + 1 == int(r["lines"]):
            line_nos = set(range(int(r["line_min"]), int(r["line_max"]) + 1))  # 1..n, as most are
        elif r["numbered"]:
            h = self._hash(number)
            for hashes, values in self._line_nos:
                lo, hi = np.searchsorted(hashes, h), np.searchsorted(hashes, h, side="right")
                if hi > lo:
                    line_nos = (line_nos or set()) | set(values[lo:hi].tolist())
        return _Header(
            int(r["invoice_id"]),
            int(r["customer_id"]),
            f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}",
            "credit_note" if r["kind"] else "invoice",
            int(r["first_line"]),
            int(r["last_line"]),
            int(r["lines"]),
            bool(r["stored"]),
            line_nos,
        )

    def archive(self, keep: _Header | None) -> None:
        """Pack every header met but ``keep`` (the invoice being read, which may go on)."""
        heads = [(n, h) for n, h in self.live.items() if h is not keep]
        if not heads:
            return
        self.live = {n: h for n, h in self.live.items() if h is keep}
        n = len(heads)
        while self._count + n > len(self._rows):
            self._rows = np.concatenate([self._rows, np.zeros(len(self._rows), self._ROW)])
        rows = self._rows[self._count : self._count + n]
        hashes = np.fromiter((self._hash(number) for number, _ in heads), np.int64, n)
        rows["hash2"] = np.fromiter((hash(number + "\x00") for number, _ in heads), np.int64, n)
        rows["invoice_id"] = [h.invoice_id for _, h in heads]
        rows["customer_id"] = [h.customer_id for _, h in heads]
        rows["issued"] = [int(h.issued_on.replace("-", "")) for _, h in heads]
        rows["kind"] = [h.kind == "credit_note" for _, h in heads]
        rows["stored"] = [h.stored for _, h in heads]
        rows["first_line"] = [h.first_line for _, h in heads]
        rows["last_line"] = [h.last_line for _, h in heads]
        rows["lines"] = [h.lines for _, h in heads]
        rows["numbered"] = [h.line_nos is not None for _, h in heads]
        rows["line_min"] = [min(h.line_nos) if h.line_nos else 0 for _, h in heads]
        rows["line_max"] = [max(h.line_nos) if h.line_nos else -1 for _, h in heads]
        pairs = [
            (hashes[i], no)
            for i, (_, h) in enumerate(heads)
            if h.line_nos and max(h.line_nos) - min(h.line_nos) + 1 != len(h.line_nos)
            for no in h.line_nos
        ]
        if pairs:
            keys = np.array([p[0] for p in pairs], np.int64)
            order = np.argsort(keys, kind="stable")
            self._line_nos.append((keys[order], np.array([p[1] for p in pairs], np.int64)[order]))
        self._insert(hashes, np.arange(self._count, self._count + n, dtype=np.int64))
        self._count += n

    @staticmethod
    def hashes(numbers: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(``_hash``, second hash) of each of ``numbers``."""
        h = np.fromiter(map(hash, numbers), np.int64, len(numbers))
        h[h == 0] = 1
        return h, np.fromiter((hash(n + "\x00") for n in numbers), np.int64, len(numbers))

    def met(self, numbers: list[str], hashes: np.ndarray, hash2: np.ndarray) -> np.ndarray:
        """Whether each of ``numbers`` is a header already (live or packed), all at once."""
        n = len(numbers)
        found = np.zeros(n, bool)
        if self.live:
            live = self.live
            found |= np.fromiter((x in live for x in numbers), bool, n)
        if not self._used:
            return found
        keys, slots, mask = self._keys, self._slots, len(self._keys) - 1
        todo = np.arange(n)
        pos = hashes & mask
        while len(todo):  # linear probing, as ``_find``, one round for every array
            key = keys[pos]
            row = slots[pos]
            hit = (key == hashes[todo]) & (row >= 0)
            if hit.any():
                same = np.zeros(len(todo), bool)
                same[hit] = self._rows["hash2"][row[hit]] == hash2[todo[hit]]
                found[todo[same]] = True
                hit = same
            going = (key != 0) & ~hit
            todo, pos = todo[going], (pos[going] + 1) & mask
        return found

    def pack(self, hashes: np.ndarray, hash2: np.ndarray, fields: dict[str, Any]) -> None:
        """Pack headers given as arrays (``fields``: the ``_ROW`` fields but the hash)."""
        n = len(hashes)
        if not n:
            return
        while self._count + n > len(self._rows):
            self._rows = np.concatenate([self._rows, np.zeros(len(self._rows), self._ROW)])
        rows = self._rows[self._count : self._count + n]
        rows["hash2"] = hash2
        for name, values in fields.items():
            rows[name] = values
        self._insert(hashes, np.arange(self._count, self._count + n, dtype=np.int64))
        self._count += n

    def _insert(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if (self._used + len(hashes)) * 2 > len(self._keys):  # at most half full: short probes
            size = len(self._keys)
            while (self._used + len(hashes)) * 2 > size:
                size *= 2
            live = self._slots >= 0
            old_keys, old_rows = self._keys[live], self._slots[live]
            self._keys = np.zeros(size, np.int64)
            self._slots = np.full(size, -1, np.int32)
            self._used = 0
            self._insert(old_keys, old_rows.astype(np.int64))
        mask = len(self._keys) - 1
        pos = hashes & mask
        while len(hashes):  # linear probing, a round for each clash
            free = np.flatnonzero(self._keys[pos] == 0)
            _, first = np.unique(pos[free], return_index=True)
            won = free[first]
            self._keys[pos[won]] = hashes[won]
            self._slots[pos[won]] = rows[won].astype(np.int32)
            self._used += len(won)
            left = np.ones(len(hashes), bool)
            left[won] = False
            hashes, rows, pos = hashes[left], rows[left], (pos[left] + 1) & mask

    def stored(self) -> list[tuple[int, int, int, str | None]]:
        """(invoice id, first line, lines, number when known) of the stored invoices met."""
        out: list[tuple[int, int, int, str | None]] = [
            (h.invoice_id, h.first_line, h.lines, n) for n, h in self.live.items() if h.stored
        ]
        taken = self._slots[self._slots >= 0]
        rows = self._rows[np.sort(taken)]
        rows = rows[rows["stored"] == 1]
        out += [(int(r["invoice_id"]), int(r["first_line"]), int(r["lines"]), None) for r in rows]
        return out


Parsed = tuple[
    str,
    int,
    str,
    str,
    "str | None",
    "str | None",
    "int | None",
    "int | None",
    "str | None",
    "float | None",
    int,
    "int | None",
]
"""A validated row: number, customer id, issued on, kind, due on, paid on, line no
(``None``: next in the invoice), product id, description, quantity, amount cents,
margin cents.  Dates are ISO strings."""


class InvoiceWriter:
    """Accepts validated rows, checks the rules that span rows, and writes in
    batches of ``chunk_rows`` lines inside the import's transaction; reads the store once for what it
    already holds."""

    INVOICE_COLUMNS = ("id", "number", "customer_id", "issued_on", "due_on", "kind", "import_id", "gross_cents")
    LINE_COLUMNS = (
        "invoice_id",
        "line_no",
        "product_id",
        "description",
        "quantity",
        "amount_cents",
        "margin_cents",
    )

    def __init__(
        self,
        conn: Connection,
        import_id: int,
        errors: ErrorSink,
        result: ImportResult,
        chunk_rows: int,
        guard: WriteGuard | None = None,
    ) -> None:
        self.conn = conn
        self.guard = guard
        self.chunk_rows = chunk_rows
        self.import_id = import_id
        self.errors = errors
        self.result = result
        self.customers = CodeBook(conn, Customer.__table__, import_id, deferred=True)  # type: ignore[arg-type]
        self.products = CodeBook(conn, Product.__table__, import_id, deferred=True)  # type: ignore[arg-type]
        self.product_lines = CodeBook(conn, ProductLine.__table__)  # type: ignore[arg-type]
        self.stored: dict[str, tuple[int, int, str, str]] = {
            number: (id_, customer_id, issued_on.isoformat(), kind)
            for id_, number, customer_id, issued_on, kind in conn.execute(
                select(Invoice.id, Invoice.number, Invoice.customer_id, Invoice.issued_on, Invoice.kind)
            )
        }
        allowed = guard.customer_ids() if guard is not None else None
        self.scoped = allowed is not None
        if allowed is not None:  # customers and invoices out of scope are out of sight
            self.customers.keep_only(allowed)
            self.stored = {n: v for n, v in self.stored.items() if v[1] in allowed}
        self.headers = _Headers()
        self._invoice_ids = IdBlock(conn, Invoice.__table__)  # type: ignore[arg-type]
        self._invoices: list[tuple[Any, ...]] = []
        self._lines: list[tuple[Any, ...]] = []
        self._stored_lines: list[tuple[Any, ...]] = []
        self._payments: list[tuple[int, str, int]] = []
        self._gross: dict[str, int] = {}  # number -> amount tax included, for the invoice's row
        self._paid: dict[tuple[int, str], tuple[int, str, int | None]] = {}  # (invoice id, day) -> line, number, cents
        self._last_number = ""
        self._last_head: _Header | None = None
        self._previous_line = 0
        self._background = False
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._first_id = True  # no invoice id taken yet (on SQLite, the first reads the store)

    def _header(
        self,
        line: int,
        number: str,
        customer_id: int,
        issued_on: str,
        kind: str,
        due_on: str | None,
        paid_on: str | None,
        explicit_line_no: bool,
    ) -> _Header | None:
        """The header of an invoice met on a new run of rows; ``None`` if inconsistent."""
        head = self.headers.get(number)
        if head is None:
            stored = self.stored.get(number)
            if stored is None and self.guard is not None and self.scoped:
                self.wait()  # the guard reads the store
            if stored is None and self.guard is not None and self.scoped and self.guard.taken("invoices", number):
                self.errors.add(line, "invoice_number", number, OUTSIDE_SCOPE)
                return None
            if stored is not None and stored[1:] != (customer_id, issued_on, kind):
                self.errors.add(
                    line, "invoice_number", number, "invoice already imported with another customer, date or type"
                )
                return None
            invoice_id = stored[0] if stored else self._take_id()
            gross = self._gross.pop(number, None)
            head = self.headers[number] = _Header(
                invoice_id, customer_id, issued_on, kind, line, line, 0, stored is not None
            )
            if stored is None:
                self._invoices.append((invoice_id, number, customer_id, issued_on, due_on, kind, self.import_id, gross))
                if paid_on:
                    self._payments.append((invoice_id, paid_on, self.import_id))
            return head
        if (head.customer_id, head.issued_on, head.kind) != (customer_id, issued_on, kind):
            self.errors.add(
                line,
                "invoice_number",
                number,
                Reason("customer, date or type differ from the same invoice at line {line}", line=head.first_line),
            )
            return None
        if not explicit_line_no and head.last_line != self._previous_line:
            self.errors.add(
                line,
                "invoice_number",
                number,
                Reason("invoice already listed at line {line}: duplicate invoice?", line=head.first_line),
            )
            return None
        return head

    def _take_id(self) -> int:
        if self._first_id:
            self.wait()
            self._first_id = False
        return self._invoice_ids.take()

    def gross(self, number: str, cents: int) -> None:
        """The amount tax included of invoice ``number``, given before its first line."""
        self._gross[number] = cents

    def invoice_id(self, number: str) -> int | None:
        """The id of invoice ``number``: met in this file, or already in the store (and in sight)."""
        head = self.headers.get(number)
        if head is not None:
            return head.invoice_id
        stored = self.stored.get(number)
        return stored[0] if stored else None

    def pay(self, line: int, number: str, paid_on: str, amount_cents: int | None) -> None:
        """A payment of invoice ``number`` (of this file or already stored) on
        ``paid_on``: ``amount_cents`` in the basis of the invoice's lines
        (excluding tax), ``None`` when it settles the invoice in full.  Payments
        of one invoice on one day are added together; written by ``finish``."""
        invoice_id = self.invoice_id(number)
        if invoice_id is None:
            self.errors.add(
                line, "invoice_number", number, "payment of an invoice that is neither in the file nor in the store"
            )
            return
        key = (invoice_id, paid_on)
        before = self._paid.get(key)
        if before is not None:
            amount_cents = None if before[2] is None or amount_cents is None else before[2] + amount_cents
        self._paid[key] = (line, number, amount_cents)

    def _write_paid(self) -> None:
        """Write the payments given to ``pay``: one already stored (same invoice
        and day) must be the same, and is then left as it is."""
        if not self._paid or self.errors:
            return
        stored: dict[tuple[int, str], int | None] = {}
        for chunk in _chunks(sorted({k[0] for k in self._paid}), 5000):
            for stored_id, day, stored_cents in self.conn.execute(
                select(Payment.invoice_id, Payment.paid_on, Payment.amount_cents).where(Payment.invoice_id.in_(chunk))
            ):
                stored[(stored_id, day.isoformat())] = stored_cents
        rows = []
        for (invoice_id, paid_on), (line, number, cents) in sorted(self._paid.items()):
            if (invoice_id, paid_on) not in stored:
                rows.append((invoice_id, paid_on, cents, self.import_id))
            elif stored[(invoice_id, paid_on)] == cents:
                self.result.count("unchanged", "payments")
            else:
                self.errors.add(
                    line,
                    "invoice_number",
                    number,
                    Reason("payment of {day} already imported with another amount", day=paid_on),
                )
        if not self.errors:
            bulk_insert(self.conn, Payment.__table__, ("invoice_id", "paid_on", "amount_cents", "import_id"), rows)  # type: ignore[arg-type]
            self.result.count("created", "payments", len(rows))
        self._paid.clear()

    def accept(self, line: int, row: Parsed, explicit_line_no: bool) -> None:
        """Take one validated row (rows come in file order)."""
        (
            number,
            customer_id,
            issued_on,
            kind,
            due_on,
            paid_on,
            line_no,
            product_id,
            description,
            quantity,
            amount,
            margin,
        ) = row
        head = self._last_head
        if head is None or number != self._last_number:
            head = self._header(line, number, customer_id, issued_on, kind, due_on, paid_on, explicit_line_no)
        elif (head.customer_id, head.issued_on, head.kind) != (customer_id, issued_on, kind):
            self.errors.add(
                line,
                "invoice_number",
                number,
                Reason("customer, date or type differ from the same invoice at line {line}", line=head.first_line),
            )
            head = None
        self._previous_line = line
        self._last_number, self._last_head = number, head
        if head is None:
            return
        if line_no is None:
            line_no = head.lines + 1
        if explicit_line_no:
            if head.line_nos is None:
                head.line_nos = set()
            if line_no in head.line_nos:
                self.errors.add(
                    line,
                    "line_no",
                    line_no,
                    Reason("line {line_no} of invoice {number} appears twice", line_no=line_no, number=number),
                )
                return
            head.line_nos.add(line_no)
        head.lines += 1
        head.last_line = line
        if head.stored:
            self._stored_lines.append((line, number, head.invoice_id, line_no, product_id, quantity, amount, margin))
        else:
            self._lines.append((head.invoice_id, line_no, product_id, description, quantity, amount, margin))
        if len(self._lines) + len(self._stored_lines) >= self.chunk_rows:  # self.pending, inlined
            self.flush()

    def accept_columns(self, lines: list[int], cols: list[Any], explicit_line_no: bool) -> None:
        """``accept`` each row of a part of a file given by columns (in the order of
        ``Parsed``; ``None``: a column of ``None``; every kind ``"invoice"``), with the
        rules that span rows checked at once, per run of an invoice's rows.  The runs
        that need a closer look (met before, in the store or given a gross amount; a
        customer or date changing inside the run; line numbers twice, out of shape, or
        not given) go through ``accept`` row by row, so every error is ``accept``'s."""
        n = len(lines)
        if not n:
            return
        numbers = cols[0]
        by_number = np.asarray(numbers, dtype=object)
        new_run = np.ones(n, bool)
        new_run[1:] = by_number[1:] != by_number[:-1]
        starts = np.flatnonzero(new_run)
        ends = np.append(starts[1:], n)
        sizes = ends - starts
        runs = len(starts)
        customer = np.asarray(cols[1], dtype=object)
        issued = np.asarray(cols[2], dtype=object)
        changed = np.zeros(n, np.int32)
        changed[1:] = ((customer[1:] != customer[:-1]) | (issued[1:] != issued[:-1])) & ~new_run[1:]
        close = np.add.reduceat(changed, starts) > 0  # the runs sent to ``accept``
        run_numbers = by_number[starts].tolist()
        if self.scoped or (cols[3] is not None and any(k != "invoice" for k in cols[3])):
            close[:] = True
        if run_numbers[0] == self._last_number:
            close[0] = True  # the invoice of the rows before goes on
        hashes, hash2 = self.headers.hashes(run_numbers)
        close |= self.headers.met(run_numbers, hashes, hash2)
        if self.stored or self._gross:
            close |= np.fromiter((x in self.stored or x in self._gross for x in run_numbers), bool, runs)
        _, where, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        close |= counts[where] > 1  # an invoice listed twice here: the second is ``accept``'s to judge
        line_no: np.ndarray
        if explicit_line_no:
            if cols[6] is None or any(x is None for x in cols[6]):
                close[:] = True
                line_no = np.zeros(n, np.int64)
            else:
                line_no = np.asarray(cols[6], dtype=np.int64)
                run_of = np.repeat(np.arange(runs), sizes)
                order = np.lexsort((line_no, run_of))
                twice = (run_of[order][1:] == run_of[order][:-1]) & (line_no[order][1:] == line_no[order][:-1])
                close[run_of[order][1:][twice]] = True
                low, high = np.minimum.reduceat(line_no, starts), np.maximum.reduceat(line_no, starts)
                close |= (high - low + 1 != sizes) | (low < 0) | (high >= 1 << 31)  # packed: 1..n as most are
        else:
            if cols[6] is not None:
                close[:] = True
            line_no = np.arange(n, dtype=np.int64) - np.repeat(starts, sizes) + 1
        done = 0  # runs handed over
        for stop in [*np.flatnonzero(close).tolist(), runs]:
            if stop > done:
                self._accept_runs(
                    lines,
                    cols,
                    starts[done:stop],
                    ends[done:stop],
                    run_numbers[done:stop],
                    hashes[done:stop],
                    hash2[done:stop],
                    line_no,
                    explicit_line_no,
                )
            if stop < runs:
                for i in range(int(starts[stop]), int(ends[stop])):
                    self.accept(
                        lines[i],
                        (
                            numbers[i],
                            *(None if c is None else c[i] for c in cols[1:3]),
                            "invoice",
                            *(None if c is None else c[i] for c in cols[4:]),
                        ),
                        explicit_line_no,
                    )
                done = stop + 1

    def _accept_runs(
        self,
        lines: list[int],
        cols: list[Any],
        starts: np.ndarray,
        ends: np.ndarray,
        numbers: list[str],
        hashes: np.ndarray,
        hash2: np.ndarray,
        line_no: np.ndarray,
        explicit_line_no: bool,
    ) -> None:
        """Runs of new invoices, each consistent: written and remembered at once."""
        take = self._invoice_ids.take
        ids = [self._take_id(), *(take() for _ in numbers[1:])]
        first = starts.tolist()
        customers = [cols[1][i] for i in first]
        issued = [cols[2][i] for i in first]
        due = [None] * len(first) if cols[4] is None else [cols[4][i] for i in first]
        self._invoices.extend(
            zip(ids, numbers, customers, issued, due, repeat("invoice"), repeat(self.import_id), repeat(None))
        )
        if cols[5] is not None:
            paid = [cols[5][i] for i in first]
            self._payments.extend((i, p, self.import_id) for i, p in zip(ids, paid, strict=True) if p)
        a, b = first[0], int(ends[-1])
        sizes = ends - starts
        self._lines.extend(
            zip(  # noqa: B905 - columns without a value are repeat(None), endless
                np.repeat(np.asarray(ids, np.int64), sizes).tolist(),
                line_no[a:b].tolist(),
                *(repeat(None) if c is None else c[a:b] for c in cols[7:]),  # repeat(None): no column
            )
        )
        last_lines = [lines[i - 1] for i in ends.tolist()]
        numbered = (
            (np.minimum.reduceat(line_no[:b], starts), np.maximum.reduceat(line_no[:b], starts))
            if explicit_line_no
            else None
        )
        k = len(numbers) - 1  # the last run stays an object: its rows may go on
        if k:
            self.headers.pack(
                hashes[:k],
                hash2[:k],
                {
                    "invoice_id": ids[:k],
                    "customer_id": customers[:k],
                    "issued": [int(d.replace("-", "")) for d in issued[:k]],
                    "kind": 0,
                    "stored": 0,
                    "first_line": [lines[i] for i in first[:k]],
                    "last_line": last_lines[:k],
                    "lines": sizes[:k],
                    "numbered": numbered is not None,
                    "line_min": 0 if numbered is None else numbered[0][:k],
                    "line_max": -1 if numbered is None else numbered[1][:k],
                },
            )
        head = self.headers[numbers[k]] = _Header(
            ids[k],
            customers[k],
            issued[k],
            "invoice",
            lines[first[k]],
            last_lines[k],
            int(sizes[k]),
            False,
            None if numbered is None else set(line_no[first[k] : int(ends[k])].tolist()),
        )
        self._previous_line = last_lines[k]
        self._last_number, self._last_head = numbers[k], head
        if len(self._lines) + len(self._stored_lines) >= self.chunk_rows:
            self.flush()

    def skip_row(self, line: int) -> None:
        """A row that had errors: it still breaks a run of an invoice's rows."""
        self._previous_line = line
        self._last_number, self._last_head = "", None

    @property
    def pending(self) -> int:
        return len(self._lines) + len(self._stored_lines)

    def flush(self) -> None:
        """Write what is pending (or drop it, once an error has doomed the import)."""
        if not self.errors:
            self.wait()
            self.customers.flush()
            self.products.flush()
            self._check_stored(self._stored_lines)
            self.result.count("created", "invoices", len(self._invoices))
            self.result.count("created", "invoice_lines", len(self._lines))
            self.result.count("created", "payments", len(self._payments))
            batch = [
                (Invoice.__table__, self.INVOICE_COLUMNS, self._invoices),
                (InvoiceLine.__table__, self.LINE_COLUMNS, self._lines),
                (Payment.__table__, ("invoice_id", "paid_on", "import_id"), self._payments),
            ]
            if self._background and (self._invoices or self._lines or self._payments):
                self._thread = threading.Thread(target=self._write, args=(batch,), daemon=True)
                self._thread.start()
                self._invoices, self._lines, self._payments = [], [], []  # the thread's now
            else:
                for table, columns, rows in batch:
                    bulk_insert(self.conn, table, columns, rows)  # type: ignore[arg-type]
        self._invoices.clear()
        self._lines.clear()
        self._stored_lines.clear()
        self._payments.clear()
        self.headers.archive(self._last_head)

    def _check_stored(self, lines: list[tuple[Any, ...]]) -> None:
        """Lines of invoices imported before must be identical to the stored ones."""
        if not lines:
            return
        stored: dict[tuple[int, int], tuple[Any, ...]] = {}
        for chunk in _chunks(sorted({ln[2] for ln in lines}), 5000):
            for row in self.conn.execute(
                select(
                    InvoiceLine.invoice_id,
                    InvoiceLine.line_no,
                    InvoiceLine.product_id,
                    InvoiceLine.quantity,
                    InvoiceLine.amount_cents,
                    InvoiceLine.margin_cents,
                ).where(InvoiceLine.invoice_id.in_(chunk))
            ):
                stored[(row[0], row[1])] = tuple(row[2:])
        for file_line, number, invoice_id, line_no, *values in lines:
            if stored.get((invoice_id, line_no)) == tuple(values):
                self.result.count("unchanged", "invoice_lines")
            else:
                self.errors.add(
                    file_line,
                    "invoice_number",
                    number,
                    Reason("line {line_no} differs from the invoice already imported", line_no=line_no),
                )

    def background(self, on: bool) -> None:
        """Write each batch in a thread of its own while the next is read (``on``; on
        SQLite only, which lets the other threads run while it inserts), or no more
        (``False``: once the last batch is written).  The connection is then the
        thread's while it writes: ``wait`` before any other use of it."""
        try:
            self.wait()
        finally:
            was = self._background
            self._background = on and self.conn.dialect.name == "sqlite"
            if self._background and not was:
                # the writing thread waits for the GIL after each statement, up to the switch
                # interval (5 ms) while this one runs Python: 1M lines took 1.7x longer to write
                _fast_switching(True)
            elif was and not self._background:
                _fast_switching(False)

    def wait(self) -> None:
        """Wait for the batch being written in the background (its error is raised here)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            failure, self._failure = self._failure, None
            if failure is not None:
                raise failure

    def stop(self) -> None:
        """Wait for the batch being written, its error dropped (another error is being raised)."""
        try:
            self.wait()
        except Exception:  # noqa: S110 - the error on its way out is the one to tell
            pass
        self.background(False)

    def _write(self, batch: list[tuple[Any, tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
        """Insert ``batch`` as ``bulk_insert`` does, in statements of as many rows as
        SQLite takes parameters: each statement is a wait for the GIL after SQLite
        has run without it, so the fewer the better."""
        try:
            cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                for table, columns, rows in batch:
                    width = len(columns)
                    head = f"INSERT INTO {table.name} ({','.join(columns)}) VALUES "
                    one = "(" + ",".join("?" * width) + ")"
                    size, start = 1 << (_SQLITE_PARAMS // width).bit_length() - 1, 0
                    while start < len(rows):  # statements of 2^k rows: a few texts, which sqlite3 caches compiled
                        while start + size > len(rows):
                            size >>= 1
                        part = rows[start : start + size]
                        cursor.execute(head + ",".join([one] * size), list(chain.from_iterable(part)))
                        start += size
            finally:
                cursor.close()
        except BaseException as exc:  # raised by ``wait``, in the import's thread
            self._failure = exc

    def finish(self) -> None:
        self.flush()
        self._write_paid()
        self._check_stored_counts()
        self.result.count("created", "customers", self.customers.created)
        self.result.count("created", "products", self.products.created)

    def _check_stored_counts(self) -> None:
        """An invoice imported before must not come back with fewer lines."""
        heads = {h[0]: h for h in self.headers.stored()}
        short = []
        for chunk in _chunks(sorted(heads), 5000):
            for invoice_id, stored_lines in self.conn.execute(
                select(InvoiceLine.invoice_id, func.count())
                .where(InvoiceLine.invoice_id.in_(chunk))
                .group_by(InvoiceLine.invoice_id)
            ):
                if heads[invoice_id][2] < stored_lines:
                    short.append((heads[invoice_id], stored_lines))
        if short:
            numbers = {v[0]: n for n, v in self.stored.items()}
            for (invoice_id, first_line, lines, number), stored_lines in sorted(short):
                self.errors.add(
                    first_line,
                    "invoice_number",
                    number or numbers[invoice_id],
                    Reason(
                        "invoice already imported with {stored} lines, this file lists {lines}",
                        stored=stored_lines,
                        lines=lines,
                    ),
                )


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
