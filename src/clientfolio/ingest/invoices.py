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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from clientfolio.ingest.lookups import CodeBook, ErrorSink
from clientfolio.ingest.report import ImportResult
from clientfolio.ingest.values import DateParser, parse_amount_cents, parse_int, parse_quantity
from clientfolio.store import bulk_insert
from clientfolio.store.schema import Customer, Invoice, InvoiceLine, Payment, Product, ProductLine

__all__ = ["InvoiceWriter", "LineIn", "parse_kind"]

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
class LineIn:
    """One validated invoice line, before ids are known."""

    file_line: int
    number: str
    line_no: int
    product_id: int | None
    description: str | None
    quantity: float | None
    amount_cents: int
    margin_cents: int | None


@dataclass(slots=True)
class _Header:
    customer_id: int
    issued_on: str
    kind: str
    due_on: str | None
    first_line: int
    last_line: int
    lines: int
    existing_id: int | None
    line_nos: set[int] | None = None


class InvoiceWriter:
    """Accepts validated lines and writes them in batches inside the import's
    transaction; reads the store once for what it already holds."""

    LINE_COLUMNS = (
        "invoice_id", "line_no", "product_id", "description", "quantity", "amount_cents", "margin_cents",
    )

    def __init__(self, conn: Connection, import_id: int, errors: ErrorSink, result: ImportResult) -> None:
        self.conn = conn
        self.import_id = import_id
        self.errors = errors
        self.result = result
        self.customers = CodeBook(conn, Customer.__table__, import_id)  # type: ignore[arg-type]
        self.products = CodeBook(conn, Product.__table__, import_id)  # type: ignore[arg-type]
        self.product_lines = CodeBook(conn, ProductLine.__table__)  # type: ignore[arg-type]
        self.stored: dict[str, tuple[int, int, str, str]] = {
            number: (id_, customer_id, issued_on.isoformat(), kind)
            for id_, number, customer_id, issued_on, kind in conn.execute(
                select(Invoice.id, Invoice.number, Invoice.customer_id, Invoice.issued_on, Invoice.kind)
            )
        }
        self.headers: dict[str, _Header] = {}
        self._new_invoices: list[str] = []
        self._lines: list[LineIn] = []
        self._payments: list[tuple[str, str]] = []
        self._last_id = 0
        self._ids: dict[str, int] = {}
        self._previous_line = 0

    def header(
        self, line: int, number: str, customer_id: int, issued_on: str, kind: str,
        due_on: str | None, paid_on: str | None, explicit_line_no: bool,
    ) -> _Header | None:
        """Register or check the invoice header of a row; ``None`` if inconsistent."""
        head = self.headers.get(number)
        if head is None:
            stored = self.stored.get(number)
            head = _Header(customer_id, issued_on, kind, due_on, line, line, 0, stored[0] if stored else None)
            if stored is not None and stored[1:] != (customer_id, issued_on, kind):
                self.errors.add(line, "invoice_number", number,
                                "invoice already imported with another customer, date or type")
                return None
            self.headers[number] = head
            if stored is None:
                self._new_invoices.append(number)
                if paid_on:
                    self._payments.append((number, paid_on))
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

    def add_line(self, head: _Header, line_in: LineIn) -> None:
        head.last_line = line_in.file_line
        head.lines += 1
        self._previous_line = line_in.file_line
        self._lines.append(line_in)

    def skip_row(self, line: int) -> None:
        self._previous_line = line

    @property
    def pending(self) -> int:
        return len(self._lines)

    def flush(self) -> None:
        """Write what is pending (or drop it, once an error has doomed the import)."""
        if self.errors:
            self._clear()
            return
        table = Invoice.__table__
        bulk_insert(self.conn, table, ("number", "customer_id", "issued_on", "due_on", "kind", "import_id"), [  # type: ignore[arg-type]
            (n, h.customer_id, h.issued_on, h.due_on, h.kind, self.import_id)
            for n in self._new_invoices for h in (self.headers[n],)
        ])
        self.result.count("created", "invoices", len(self._new_invoices))
        for id_, number in self.conn.execute(
            select(Invoice.id, Invoice.number).where(Invoice.import_id == self.import_id, Invoice.id > self._last_id)
        ):
            self._ids[number] = id_
            self._last_id = max(self._last_id, id_)
        new_rows, old = [], []
        for ln in self._lines:
            head = self.headers[ln.number]
            if head.existing_id is None:
                new_rows.append((self._ids[ln.number], ln.line_no, ln.product_id, ln.description,
                                 ln.quantity, ln.amount_cents, ln.margin_cents))
            else:
                old.append(ln)
        bulk_insert(self.conn, InvoiceLine.__table__, self.LINE_COLUMNS, new_rows)  # type: ignore[arg-type]
        self.result.count("created", "invoice_lines", len(new_rows))
        self._check_stored(old)
        bulk_insert(self.conn, Payment.__table__, ("invoice_id", "paid_on", "import_id"),  # type: ignore[arg-type]
                    [(self._ids[n], paid, self.import_id) for n, paid in self._payments])
        self.result.count("created", "payments", len(self._payments))
        self._clear()

    def _clear(self) -> None:
        self._new_invoices.clear()
        self._lines.clear()
        self._payments.clear()

    def _check_stored(self, lines: list[LineIn]) -> None:
        """Lines of invoices imported before must be identical to the stored ones."""
        if not lines:
            return
        ids = {self.headers[ln.number].existing_id for ln in lines}
        stored: dict[tuple[int, int], tuple[Any, ...]] = {}
        for chunk in _chunks(sorted(i for i in ids if i is not None), 5000):
            for row in self.conn.execute(
                select(InvoiceLine.invoice_id, InvoiceLine.line_no, InvoiceLine.product_id,
                       InvoiceLine.quantity, InvoiceLine.amount_cents, InvoiceLine.margin_cents)
                .where(InvoiceLine.invoice_id.in_(chunk))
            ):
                stored[(row[0], row[1])] = tuple(row[2:])
        for ln in lines:
            key = (self.headers[ln.number].existing_id or 0, ln.line_no)
            if stored.get(key) == (ln.product_id, ln.quantity, ln.amount_cents, ln.margin_cents):
                self.result.count("unchanged", "invoice_lines")
            else:
                self.errors.add(ln.file_line, "invoice_number", ln.number,
                                f"line {ln.line_no} differs from the invoice already imported")

    def finish(self) -> None:
        self.flush()
        self._check_stored_counts()
        self.result.count("created", "customers", self.customers.created)
        self.result.count("created", "products", self.products.created)

    def _check_stored_counts(self) -> None:
        """An invoice imported before must not come back with fewer lines."""
        heads = {h.existing_id: (n, h) for n, h in self.headers.items() if h.existing_id is not None}
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


def read_invoice_rows(
    rows: Any, idx: dict[str, int], writer: InvoiceWriter, errors: ErrorSink,
    dates: DateParser, decimal: str, chunk: int, tick: Callable[[int], None],
) -> int:
    """Validate every row of an invoice file into ``writer``; returns rows read."""
    get = {name: idx.get(name, -1) for name in (
        "invoice_number", "invoice_date", "customer_code", "customer_name", "line_no",
        "product_code", "product_name", "product_line", "quantity", "amount", "cost",
        "margin", "kind", "due_date", "paid_date")}
    explicit_line_no = get["line_no"] >= 0
    count = 0
    for line, row in rows:
        count += 1

        def cell(name: str) -> Any:
            i = get[name]
            if i < 0:
                return ""
            v = row[i]
            return v.strip() if isinstance(v, str) else v

        bad = errors.total
        number = str(cell("invoice_number"))
        if not number:
            errors.add(line, "invoice_number", "", "empty invoice number")
        code = str(cell("customer_code"))
        customer_id = writer.customers.get(code) if code else None
        if not code:
            errors.add(line, "customer_code", "", "empty customer code")
        elif customer_id is None:
            name = str(cell("customer_name"))
            if name:
                customer_id = writer.customers.add(code, name, status="active")
            else:
                errors.add(line, "customer_code", code, "unknown customer: import the customer "
                           "file first, or add a customer name column to create it")
        values: dict[str, Any] = {}
        for name, parse in (("invoice_date", dates), ("due_date", dates), ("paid_date", dates),
                            ("kind", parse_kind), ("line_no", parse_int)):
            raw = cell(name)
            if raw != "":
                try:
                    values[name] = parse(raw)
                except ValueError as exc:
                    errors.add(line, name, raw, str(exc))
        if "invoice_date" not in values and cell("invoice_date") == "":
            errors.add(line, "invoice_date", "", "empty invoice date")
        kind = values.get("kind", "invoice")
        amounts: dict[str, Any] = {}
        for name, parse_num in (("amount", parse_amount_cents), ("cost", parse_amount_cents),
                                ("margin", parse_amount_cents), ("quantity", parse_quantity)):
            raw = cell(name)
            if raw != "":
                try:
                    amounts[name] = parse_num(raw, decimal)
                except ValueError as exc:
                    errors.add(line, name, raw, str(exc))
        if "amount" not in amounts and cell("amount") == "":
            errors.add(line, "amount", "", "empty amount")
        quantity = amounts.get("quantity")
        if quantity is not None and quantity < 0 and kind == "invoice":
            errors.add(line, "quantity", cell("quantity"),
                       "negative quantity on an invoice (a credit note needs type 'avoir')")
        product_id = None
        product_code = str(cell("product_code"))
        if product_code:
            product_id = writer.products.get(product_code)
            if product_id is None:
                label = str(cell("product_name"))
                if label:
                    family = str(cell("product_line"))
                    line_id = writer.product_lines.resolve(family) if family else None
                    product_id = writer.products.add(product_code, label, product_line_id=line_id)
                else:
                    errors.add(line, "product_code", product_code,
                               "unknown product: import the product file first, or add a label column")
        if errors.total > bad or customer_id is None:
            writer.skip_row(line)
            continue
        amount = amounts["amount"]
        margin = amounts.get("margin")
        if margin is None and "cost" in amounts:
            margin = amount - amounts["cost"]
        if kind == "credit_note":
            amount, margin = -abs(amount), (None if margin is None else -abs(margin))
            quantity = None if quantity is None else -abs(quantity)
        head = writer.header(line, number, customer_id, values["invoice_date"], kind,
                             values.get("due_date"), values.get("paid_date"), explicit_line_no)
        if head is None:
            writer.skip_row(line)
            continue
        line_no = values.get("line_no", head.lines + 1)
        if explicit_line_no:
            head.line_nos = head.line_nos or set()
            if line_no in head.line_nos:
                errors.add(line, "line_no", line_no, f"line {line_no} of invoice {number} appears twice")
                writer.skip_row(line)
                continue
            head.line_nos.add(line_no)
        writer.add_line(head, LineIn(line, number, line_no, product_id,
                                     str(cell("product_name")) or None, quantity, amount, margin))
        if writer.pending >= chunk:
            writer.flush()
            tick(count)
    return count
