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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from clientfolio.access.writes import OUTSIDE_SCOPE, WriteGuard
from clientfolio.ingest.lookups import CodeBook, ErrorSink
from clientfolio.ingest.report import ImportResult
from clientfolio.store import IdBlock, bulk_insert
from clientfolio.store.schema import (
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    ProductLine,
)

__all__ = ["InvoiceWriter", "Parsed", "parse_kind"]

_INVOICE_WORDS = {"", "f", "fa", "fac", "facture", "invoice", "inv", "i"}
_CREDIT_WORDS = {"a", "av", "avoir", "avoir client", "credit", "credit note", "cn", "c", "creditnote"}


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


Parsed = tuple[
    str, int, str, str, "str | None", "str | None", "int | None", "int | None", "str | None",
    "float | None", int, "int | None",
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
        "invoice_id", "line_no", "product_id", "description", "quantity", "amount_cents", "margin_cents",
    )

    def __init__(self, conn: Connection, import_id: int, errors: ErrorSink, result: ImportResult,
                 chunk_rows: int, guard: WriteGuard | None = None) -> None:
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
        self.headers: dict[str, _Header] = {}
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

    def _header(self, line: int, number: str, customer_id: int, issued_on: str, kind: str,
                due_on: str | None, paid_on: str | None, explicit_line_no: bool) -> _Header | None:
        """The header of an invoice met on a new run of rows; ``None`` if inconsistent."""
        head = self.headers.get(number)
        if head is None:
            stored = self.stored.get(number)
            if stored is None and self.guard is not None and self.scoped and self.guard.taken("invoices", number):
                self.errors.add(line, "invoice_number", number, OUTSIDE_SCOPE)
                return None
            if stored is not None and stored[1:] != (customer_id, issued_on, kind):
                self.errors.add(line, "invoice_number", number,
                                "invoice already imported with another customer, date or type")
                return None
            invoice_id = stored[0] if stored else self._invoice_ids.take()
            head = self.headers[number] = _Header(
                invoice_id, customer_id, issued_on, kind, line, line, 0, stored is not None)
            if stored is None:
                self._invoices.append(
                    (invoice_id, number, customer_id, issued_on, due_on, kind, self.import_id,
                     self._gross.pop(number, None)))
                if paid_on:
                    self._payments.append((invoice_id, paid_on, self.import_id))
            return head
        if (head.customer_id, head.issued_on, head.kind) != (customer_id, issued_on, kind):
            self.errors.add(line, "invoice_number", number,
                            f"customer, date or type differ from the same invoice at line {head.first_line}")
            return None
        if not explicit_line_no and head.last_line != self._previous_line:
            self.errors.add(line, "invoice_number", number,
                            f"invoice already listed at line {head.first_line}: duplicate invoice?")
            return None
        return head

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
            self.errors.add(line, "invoice_number", number, "payment of an invoice that is neither in the file "
                            "nor in the store")
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
            for invoice_id, paid_on, cents in self.conn.execute(
                select(Payment.invoice_id, Payment.paid_on, Payment.amount_cents).where(Payment.invoice_id.in_(chunk))
            ):
                stored[(invoice_id, paid_on.isoformat())] = cents
        rows = []
        for (invoice_id, paid_on), (line, number, cents) in sorted(self._paid.items()):
            if (invoice_id, paid_on) not in stored:
                rows.append((invoice_id, paid_on, cents, self.import_id))
            elif stored[(invoice_id, paid_on)] == cents:
                self.result.count("unchanged", "payments")
            else:
                self.errors.add(line, "invoice_number", number,
                                f"payment of {paid_on} already imported with another amount")
        if not self.errors:
            bulk_insert(self.conn, Payment.__table__, ("invoice_id", "paid_on", "amount_cents", "import_id"), rows)  # type: ignore[arg-type]
            self.result.count("created", "payments", len(rows))
        self._paid.clear()

    def accept(self, line: int, row: Parsed, explicit_line_no: bool) -> None:
        """Take one validated row (rows come in file order)."""
        number, customer_id, issued_on, kind, due_on, paid_on, line_no, product_id, description, \
            quantity, amount, margin = row
        head = self._last_head
        if head is None or number != self._last_number:
            head = self._header(line, number, customer_id, issued_on, kind, due_on, paid_on,
                                explicit_line_no)
        elif (head.customer_id, head.issued_on, head.kind) != (customer_id, issued_on, kind):
            self.errors.add(line, "invoice_number", number,
                            f"customer, date or type differ from the same invoice at line {head.first_line}")
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
                self.errors.add(line, "line_no", line_no, f"line {line_no} of invoice {number} appears twice")
                return
            head.line_nos.add(line_no)
        head.lines += 1
        head.last_line = line
        if head.stored:
            self._stored_lines.append((line, number, head.invoice_id, line_no, product_id, quantity, amount, margin))
        else:
            self._lines.append((head.invoice_id, line_no, product_id, description, quantity, amount, margin))
        if self.pending >= self.chunk_rows:
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
            self.customers.flush()
            self.products.flush()
            bulk_insert(self.conn, Invoice.__table__, self.INVOICE_COLUMNS, self._invoices)  # type: ignore[arg-type]
            bulk_insert(self.conn, InvoiceLine.__table__, self.LINE_COLUMNS, self._lines)  # type: ignore[arg-type]
            bulk_insert(self.conn, Payment.__table__, ("invoice_id", "paid_on", "import_id"), self._payments)  # type: ignore[arg-type]
            self.result.count("created", "invoices", len(self._invoices))
            self.result.count("created", "invoice_lines", len(self._lines))
            self.result.count("created", "payments", len(self._payments))
            self._check_stored(self._stored_lines)
        self._invoices.clear()
        self._lines.clear()
        self._stored_lines.clear()
        self._payments.clear()

    def _check_stored(self, lines: list[tuple[Any, ...]]) -> None:
        """Lines of invoices imported before must be identical to the stored ones."""
        if not lines:
            return
        stored: dict[tuple[int, int], tuple[Any, ...]] = {}
        for chunk in _chunks(sorted({ln[2] for ln in lines}), 5000):
            for row in self.conn.execute(
                select(InvoiceLine.invoice_id, InvoiceLine.line_no, InvoiceLine.product_id,
                       InvoiceLine.quantity, InvoiceLine.amount_cents, InvoiceLine.margin_cents)
                .where(InvoiceLine.invoice_id.in_(chunk))
            ):
                stored[(row[0], row[1])] = tuple(row[2:])
        for file_line, number, invoice_id, line_no, *values in lines:
            if stored.get((invoice_id, line_no)) == tuple(values):
                self.result.count("unchanged", "invoice_lines")
            else:
                self.errors.add(file_line, "invoice_number", number,
                                f"line {line_no} differs from the invoice already imported")

    def finish(self) -> None:
        self.flush()
        self._write_paid()
        self._check_stored_counts()
        self.result.count("created", "customers", self.customers.created)
        self.result.count("created", "products", self.products.created)

    def _check_stored_counts(self) -> None:
        """An invoice imported before must not come back with fewer lines."""
        heads = {h.invoice_id: (n, h) for n, h in self.headers.items() if h.stored}
        for chunk in _chunks(sorted(heads), 5000):
            for invoice_id, stored_lines in self.conn.execute(
                select(InvoiceLine.invoice_id, func.count()).where(InvoiceLine.invoice_id.in_(chunk))
                .group_by(InvoiceLine.invoice_id)
            ):
                number, head = heads[invoice_id]
                if head.lines < stored_lines:
                    self.errors.add(head.first_line, "invoice_number", number,
                                    f"invoice already imported with {stored_lines} lines, "
                                    f"this file lists {head.lines}")


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
