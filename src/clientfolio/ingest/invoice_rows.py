"""Reading the rows of an invoice file into an ``InvoiceWriter``.

Each row first takes a fast path that only accepts the common shapes (plain
numbers, dates and codes already met, no credit note); anything else goes
through the full parsers of ``values``, which accept every supported format and
give each bad cell its reason.  Both paths produce the same parsed row, so the
rules of ``invoices`` are checked once, in ``_accept``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from clientfolio.access.writes import OUTSIDE_SCOPE
from clientfolio.ingest.invoices import InvoiceWriter, parse_kind
from clientfolio.ingest.lookups import ErrorSink
from clientfolio.store.schema import column_length
from clientfolio.ingest.values import (
    DateParser,
    TooLong,
    fits,
    parse_amount_cents,
    parse_int,
    parse_quantity,
)

__all__ = ["read_invoice_rows"]

_FIELDS = (
    "invoice_number", "invoice_date", "customer_code", "customer_name", "line_no", "product_code",
    "product_name", "product_line", "quantity", "amount", "cost", "margin", "kind", "due_date",
    "paid_date",
)
_PLAIN = {",": re.compile(r"-?\d+(?:,\d+)?").fullmatch, ".": re.compile(r"-?\d+(?:\.\d+)?").fullmatch}
_FAST_KIND = {"": "invoice", "F": "invoice", "f": "invoice", "facture": "invoice", "Facture": "invoice",
              "invoice": "invoice", "FA": "invoice"}

# A parsed row: number, customer id, issued on, kind, due on, paid on, line no (or None),
# product id, description, quantity, amount cents, margin cents.
Parsed = tuple[str, int, str, str, "str | None", "str | None", "int | None", "int | None",
               "str | None", "float | None", int, "int | None"]


class _Rows:
    """The per-file state of reading invoice rows."""

    def __init__(self, idx: dict[str, int], writer: InvoiceWriter, errors: ErrorSink,
                 dates: DateParser, decimal: str) -> None:
        self.col = {name: idx.get(name, -1) for name in _FIELDS}
        self.writer = writer
        self.errors = errors
        self.dates = dates
        self.decimal = decimal
        self.explicit_line_no = self.col["line_no"] >= 0
        self.number_max = column_length("invoices", "number") or 1 << 30  # longer: the full path tells
        self.description_max = column_length("invoice_lines", "description") or 1 << 30

    def fast(self, row: list[Any]) -> Parsed | None:
        """The common shapes only; ``None`` sends the row to ``full``."""
        c = self.col
        plain = _PLAIN[self.decimal]
        cache = self.dates.cache
        number = row[c["invoice_number"]]
        issued = cache.get(row[c["invoice_date"]])
        customer_id = self.writer.customers.ids.get(row[c["customer_code"]])
        raw = row[c["amount"]]
        if (not number or issued is None or customer_id is None or not plain(raw) or number != number.strip()
                or len(number) > self.number_max):
            return None
        amount = round(float(raw.replace(",", ".")) * 100)
        quantity = margin = product_id = line_no = None
        description = due = paid = None
        if (i := c["quantity"]) >= 0 and (raw := row[i]):
            if not plain(raw) or raw[0] == "-":
                return None
            quantity = float(raw.replace(",", "."))
        if (i := c["margin"]) >= 0 and (raw := row[i]):
            if not plain(raw):
                return None
            margin = round(float(raw.replace(",", ".")) * 100)
        elif (i := c["cost"]) >= 0 and (raw := row[i]):
            if not plain(raw):
                return None
            margin = amount - round(float(raw.replace(",", ".")) * 100)
        if (i := c["product_code"]) >= 0 and (raw := row[i]):
            product_id = self.writer.products.ids.get(raw)
            if product_id is None:
                return None
        if (i := c["product_name"]) >= 0:
            description = row[i].strip() or None
            if description and len(description) > self.description_max:
                return None
        if (i := c["line_no"]) >= 0:
            if not row[i].isdigit():
                return None
            line_no = int(row[i])
        kind = "invoice"
        if (i := c["kind"]) >= 0 and _FAST_KIND.get(row[i]) is None:
            return None
        if (i := c["due_date"]) >= 0 and (raw := row[i]) and (due := cache.get(raw)) is None:
            return None
        if (i := c["paid_date"]) >= 0 and (raw := row[i]) and (paid := cache.get(raw)) is None:
            return None
        return (number, customer_id, issued, kind, due, paid, line_no, product_id, description,
                quantity, amount, margin)

    def full(self, line: int, row: list[Any]) -> Parsed | None:
        """Every supported format; reports each bad cell and returns ``None``."""
        c, errors, writer = self.col, self.errors, self.writer

        def cell(name: str) -> Any:
            i = c[name]
            value = row[i] if i >= 0 else ""
            return value.strip() if isinstance(value, str) else value

        def too_long(name: str, value: str, table: str, column: str) -> bool:
            """Whether ``value`` is longer than the store's column (then reported)."""
            try:
                fits(value, table, column)
            except TooLong as exc:
                errors.add(line, name, value, exc)
                return True
            return False

        bad = errors.total
        number = str(cell("invoice_number"))
        if not number:
            errors.add(line, "invoice_number", "", "empty invoice number")
        else:
            too_long("invoice_number", number, "invoices", "number")
        code = str(cell("customer_code"))
        customer_id = writer.customers.get(code) if code else None
        if not code:
            errors.add(line, "customer_code", "", "empty customer code")
        elif customer_id is None and too_long("customer_code", code, "customers", "code"):
            pass
        elif customer_id is None and writer.scoped:  # unknown or out of scope: one answer
            errors.add(line, "customer_code", code, OUTSIDE_SCOPE)
        elif customer_id is None and (name := str(cell("customer_name"))):
            if not too_long("customer_name", name, "customers", "name"):
                customer_id = writer.customers.add(code, name, status="active")
        elif customer_id is None:
            errors.add(line, "customer_code", code, "unknown customer: import the customer "
                       "file first, or add a customer name column to create it")
        values: dict[str, Any] = {}
        parsers: tuple[tuple[str, Callable[[Any], Any]], ...] = (
            ("invoice_date", self.dates), ("due_date", self.dates), ("paid_date", self.dates),
            ("kind", parse_kind), ("line_no", parse_int))
        for name, parse in parsers:
            if (raw := cell(name)) != "":
                try:
                    values[name] = parse(raw)
                except ValueError as exc:
                    errors.add(line, name, raw, str(exc))
        if cell("invoice_date") == "":
            errors.add(line, "invoice_date", "", "empty invoice date")
        for name in ("amount", "cost", "margin", "quantity"):
            if (raw := cell(name)) != "":
                try:
                    values[name] = (parse_quantity if name == "quantity" else parse_amount_cents)(raw, self.decimal)
                except ValueError as exc:
                    errors.add(line, name, raw, str(exc))
        if cell("amount") == "":
            errors.add(line, "amount", "", "empty amount")
        kind = values.get("kind", "invoice")
        quantity = values.get("quantity")
        if quantity is not None and quantity < 0 and kind == "invoice":
            errors.add(line, "quantity", cell("quantity"),
                       "negative quantity on an invoice (a credit note needs type 'avoir')")
        product_id = None
        label = str(cell("product_name"))
        label_fits = not label or not too_long("product_name", label, "invoice_lines", "description")
        if product_code := str(cell("product_code")):
            product_id = writer.products.get(product_code)
            if product_id is None and too_long("product_code", product_code, "products", "code"):
                pass
            elif product_id is None and label:
                family = str(cell("product_line"))
                if label_fits and not too_long("product_name", label, "products", "name") and not (
                        family and too_long("product_line", family, "product_lines", "name")):
                    line_id = writer.product_lines.resolve(family) if family else None
                    product_id = writer.products.add(product_code, label, product_line_id=line_id)
            elif product_id is None:
                errors.add(line, "product_code", product_code,
                           "unknown product: import the product file first, or add a label column")
        if errors.total > bad or customer_id is None:
            return None
        amount, margin = values["amount"], values.get("margin")
        if margin is None and "cost" in values:
            margin = amount - values["cost"]
        if kind == "credit_note":
            amount, margin = -abs(amount), (None if margin is None else -abs(margin))
            quantity = None if quantity is None else -abs(quantity)
        return (number, customer_id, values["invoice_date"], kind, values.get("due_date"),
                values.get("paid_date"), values.get("line_no"), product_id,
                str(cell("product_name")) or None, quantity, amount, margin)


def read_invoice_rows(
    rows: Iterable[tuple[int, list[Any]]], idx: dict[str, int], writer: InvoiceWriter,
    errors: ErrorSink, dates: DateParser, decimal: str, chunk: int, tick: Callable[[int], None],
) -> int:
    """Validate every row of an invoice file into ``writer``; returns rows read."""
    state = _Rows(idx, writer, errors, dates, decimal)
    fast, full, accept = state.fast, state.full, writer.accept
    explicit = state.explicit_line_no
    count = 0
    for line, row in rows:
        count += 1
        try:
            parsed = fast(row)
        except (ValueError, IndexError):
            parsed = None
        if parsed is None:
            parsed = full(line, row)
        if parsed is None:
            writer.skip_row(line)
        else:
            accept(line, parsed, explicit)
        if count % chunk == 0:
            tick(count)
    return count
