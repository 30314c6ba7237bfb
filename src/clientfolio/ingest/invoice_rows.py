"""Reading the rows of an invoice file into an ``InvoiceWriter``.

Each row first takes a fast path that only accepts the common shapes (plain
numbers, dates and codes already met, no credit note); anything else goes
through the full parsers of ``values``, which accept every supported format and
give each bad cell its reason.  Both paths produce the same parsed row, so the
rules of ``invoices`` are checked once, in ``InvoiceWriter.accept``.  The bulk
reader (``bulk_rows``) converts whole blocks of a CSV file at once and sends
the rows it cannot convert to the same ``full`` path.

The rows of one invoice are gathered (``_Runs``) before they are accepted, for
what is decided per invoice: its kind when the file has no type column, its
amount tax included and its payment (see ``invoices``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from clientfolio.access.writes import OUTSIDE_SCOPE
from clientfolio.ingest.invoices import CREDIT_NOTE_NUMBER, InvoiceWriter, Parsed, parse_kind
from clientfolio.ingest.lookups import ErrorSink, slug
from clientfolio.ingest.values import (
    DateParser,
    TooLong,
    fits,
    parse_amount_cents,
    parse_int,
    parse_quantity,
)
from clientfolio.store.schema import column_length

__all__ = ["CREDIT_NOTE_NUMBER", "TOTAL_CELL", "read_invoice_rows"]

INVOICE_AMOUNTS = ("amount_incl_tax", "paid_amount", "balance")
"""Invoice-level amounts: tax included, paid, still due (the first non-empty cell
of an invoice's rows, see ``invoices``)."""

_FIELDS = (
    "invoice_number",
    "invoice_date",
    "customer_code",
    "customer_name",
    "line_no",
    "product_code",
    "product_name",
    "product_line",
    "quantity",
    "amount",
    "cost",
    "margin",
    "kind",
    "due_date",
    "paid_date",
    *INVOICE_AMOUNTS,
)
_PLAIN = {",": re.compile(r"-?\d+(?:,\d+)?").fullmatch, ".": re.compile(r"-?\d+(?:\.\d+)?").fullmatch}
_FAST_KIND = {
    "": "invoice",
    "F": "invoice",
    "f": "invoice",
    "facture": "invoice",
    "Facture": "invoice",
    "invoice": "invoice",
    "FA": "invoice",
}
_MAX_CENTS = 10**15  # as values.parse_amount_cents: beyond is "amount too large"

TOTAL_ROWS = "total rows (no customer and no date; a cell says total)"  # or "Total" as the customer
"""The reason of the rows set aside as an export's totals (``ImportResult.set_aside``)."""
_TOTAL_WORD = r"\s*(?:sous[- ]?|sub[- ]?|grand[- ])?tota(?:l|ux|ls)"
TOTAL_CELL = re.compile(_TOTAL_WORD + r"\b", re.IGNORECASE)
"""A cell of a totals row: "Total", "TOTAL GÉNÉRAL", "Sous-total", "Totaux", "Grand total", "Subtotal"."""
_TOTAL_ONLY = re.compile(_TOTAL_WORD + r"(?:\s+g[ée]n[ée]ral)?\s*:?\s*", re.IGNORECASE)
"""A customer cell holding the word total alone ("TOTAL", "Total général :"), not a name that
begins with it ("Total Énergies")."""

Amounts = tuple["int | None", "int | None", "int | None"]
"""Of one row: amount tax included, paid amount, balance (cents; ``None``: empty)."""


class _Rows:
    """The per-file state of reading invoice rows."""

    def __init__(
        self, idx: dict[str, int], writer: InvoiceWriter, errors: ErrorSink, dates: DateParser, decimal: str
    ) -> None:
        self.col = {name: idx.get(name, -1) for name in _FIELDS}
        self.writer = writer
        self.errors = errors
        self.dates = dates
        self.decimal = decimal
        self.explicit_line_no = self.col["line_no"] >= 0
        self.infer_kind = self.col["kind"] < 0  # no type column: decided per invoice (``_Runs``)
        self.one_customer_column = self.col["customer_code"] >= 0 and (
            self.col["customer_code"] == self.col["customer_name"]
        )
        self.aliases: dict[str, int] = {}  # one customer column: cell -> customer id
        self.amounts = any(self.col[f] >= 0 for f in INVOICE_AMOUNTS)
        self.number_max = column_length("invoices", "number") or 1 << 30  # longer: the full path tells
        self.description_max = column_length("invoice_lines", "description") or 1 << 30

    # -- look-ups shared with the bulk reader (no error reported: ``full`` reports them) --

    def customer_id(self, value: str) -> int | None:
        """The customer of a (stripped) customer cell, when known."""
        if not self.one_customer_column:
            return self.writer.customers.ids.get(value)
        found = self.aliases.get(value)
        if found is None:
            found = self.writer.customers.ids.get(value)
            if found is None:
                found = self.writer.customers.resolve(value, create=False)
            if found is not None:
                self.aliases[value] = found
        return found

    def create_customer(self, code: str, name: str) -> int | None:
        """Create the customer ``full`` would create for this code and name, when
        it would (else ``None``: ``full`` reports why)."""
        writer = self.writer
        if not code or writer.scoped or self.customer_id(code) is not None:
            return None
        if self.one_customer_column:
            name, code = code, slug(code)
        if not name or _too_long(code, "customers", "code") or _too_long(name, "customers", "name"):
            return None
        if not writer.customers.created:
            writer.wait()  # the first id is read from the store
        new = writer.customers.add(code, name, status="active")
        if self.one_customer_column:
            self.aliases[name] = new
        return new

    def create_product(self, code: str, label: str, family: str) -> int | None:
        """Create the product ``full`` would create (``None``: it would not)."""
        writer = self.writer
        if (
            not code
            or not label
            or writer.products.get(code) is not None
            or _too_long(code, "products", "code")
            or _too_long(label, "invoice_lines", "description")
            or _too_long(label, "products", "name")
            or (family and _too_long(family, "product_lines", "name"))
        ):
            return None
        if not writer.products.created or (family and writer.product_lines.resolve(family, create=False) is None):
            writer.wait()  # the first id is read from the store; a new product line is written at once
        line_id = writer.product_lines.resolve(family) if family else None
        return writer.products.add(code, label, product_line_id=line_id)

    def fast(self, row: list[Any]) -> Parsed | None:
        """The common shapes only; ``None`` sends the row to ``full``."""
        c = self.col
        plain = _PLAIN[self.decimal]
        cache = self.dates.cache
        past = self.dates.past_cache
        number = row[c["invoice_number"]]
        issued = past.get(row[c["invoice_date"]])
        customer_id = (self.aliases if self.one_customer_column else self.writer.customers.ids).get(
            row[c["customer_code"]]
        )
        raw = row[c["amount"]]
        if (
            not number
            or issued is None
            or customer_id is None
            or not plain(raw)
            or number != number.strip()
            or len(number) > self.number_max
        ):
            return None
        amount = round(float(raw.replace(",", ".")) * 100)
        if abs(amount) >= _MAX_CENTS:
            return None
        quantity = margin = product_id = line_no = None
        description = due = paid = None
        if (i := c["quantity"]) >= 0 and (raw := row[i]):
            if not plain(raw) or (raw[0] == "-" and not self.infer_kind):
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
        if margin is not None and abs(margin) >= _MAX_CENTS:
            return None
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
        if (i := c["paid_date"]) >= 0 and (raw := row[i]) and (paid := past.get(raw)) is None:
            return None
        return (
            number,
            customer_id,
            issued,
            kind,
            due,
            paid,
            line_no,
            product_id,
            description,
            quantity,
            amount,
            margin,
        )

    def _totals(self, row: list[Any]) -> bool:
        """Whether a row without date, customer nor invoice (or the word total in their
        place) is an export's totals (a text cell saying total): then set aside with its
        amount (0 when unreadable), not an error."""
        if not any(isinstance(v, str) and TOTAL_CELL.match(v) for v in row):
            return False
        i = self.col["amount"]
        raw = row[i] if 0 <= i < len(row) else ""
        try:
            cents = parse_amount_cents(raw.strip() if isinstance(raw, str) else raw, self.decimal)
        except ValueError:
            cents = 0
        self.writer.result.put_aside(TOTAL_ROWS, 1, cents)
        return True

    def full(self, line: int, row: list[Any]) -> Parsed | None:
        """Every supported format; reports each bad cell and returns ``None``."""
        c, errors, writer = self.col, self.errors, self.writer
        writer.wait()  # what follows may read or write the store

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

        code, number = str(cell("customer_code")), str(cell("invoice_number"))
        if (
            cell("invoice_date") == ""
            and (not code or _TOTAL_ONLY.fullmatch(code))  # "TOTAL" alone, not "Total Énergies"
            and (not number or TOTAL_CELL.match(number))  # "Sous-total janvier" where the numbers are
            and self._totals(row)
        ):
            return None
        bad = errors.total
        if not number:
            errors.add(line, "invoice_number", "", "empty invoice number")
        else:
            too_long("invoice_number", number, "invoices", "number")
        customer_id = self.customer_id(code) if code else None
        if not code:
            errors.add(line, "customer_code", "", "empty customer code")
        elif customer_id is None and self.one_customer_column:  # the cell is a code or a name
            if too_long("customer_name", code, "customers", "name"):
                pass
            elif writer.scoped:
                errors.add(line, "customer_code", code, OUTSIDE_SCOPE)
            elif not too_long("customer_code", slug(code), "customers", "code"):
                customer_id = self.aliases[code] = writer.customers.add(slug(code), code, status="active")
        elif customer_id is None and too_long("customer_code", code, "customers", "code"):
            pass
        elif customer_id is None and writer.scoped:  # unknown or out of scope: one answer
            errors.add(line, "customer_code", code, OUTSIDE_SCOPE)
        elif customer_id is None and (name := str(cell("customer_name"))):
            if not too_long("customer_name", name, "customers", "name"):
                customer_id = writer.customers.add(code, name, status="active")
        elif customer_id is None:
            errors.add(
                line,
                "customer_code",
                code,
                "unknown customer: import the customer file first, or add a customer name column to create it",
            )
        values: dict[str, Any] = {}
        parsers: tuple[tuple[str, Callable[[Any], Any]], ...] = (
            ("invoice_date", self.dates.past),
            ("due_date", self.dates),
            ("paid_date", self.dates.past),
            ("kind", parse_kind),
            ("line_no", parse_int),
        )
        for name, parse in parsers:
            if (raw := cell(name)) != "":
                try:
                    values[name] = parse(raw)
                except ValueError as exc:
                    errors.add(line, name, raw, exc)
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
        if quantity is not None and quantity < 0 and kind == "invoice" and not self.infer_kind:
            errors.add(
                line, "quantity", cell("quantity"), "negative quantity on an invoice (a credit note needs type 'avoir')"
            )
        product_id = None
        label = str(cell("product_name"))
        label_fits = not label or not too_long("product_name", label, "invoice_lines", "description")
        if product_code := str(cell("product_code")):
            product_id = writer.products.get(product_code)
            if product_id is None and too_long("product_code", product_code, "products", "code"):
                pass
            elif product_id is None and label:
                family = str(cell("product_line"))
                if (
                    label_fits
                    and not too_long("product_name", label, "products", "name")
                    and not (family and too_long("product_line", family, "product_lines", "name"))
                ):
                    line_id = writer.product_lines.resolve(family) if family else None
                    product_id = writer.products.add(product_code, label, product_line_id=line_id)
            elif product_id is None:
                errors.add(
                    line,
                    "product_code",
                    product_code,
                    "unknown product: import the product file first, or add a label column",
                )
        if errors.total > bad or customer_id is None:
            return None
        amount, margin = values["amount"], values.get("margin")
        if margin is None and "cost" in values:
            margin = amount - values["cost"]
        if kind == "credit_note":
            amount, margin = -abs(amount), (None if margin is None else -abs(margin))
            quantity = None if quantity is None else -abs(quantity)
        return (
            number,
            customer_id,
            values["invoice_date"],
            kind,
            values.get("due_date"),
            values.get("paid_date"),
            values.get("line_no"),
            product_id,
            str(cell("product_name")) or None,
            quantity,
            amount,
            margin,
        )

    def invoice_amounts(self, line: int, row: list[Any]) -> Amounts | None:
        """The invoice-level amounts of a row; ``None`` when one is bad (reported)."""
        out: list[int | None] = []
        bad = False
        for name in INVOICE_AMOUNTS:
            i = self.col[name]
            raw = row[i] if i >= 0 else ""
            raw = raw.strip() if isinstance(raw, str) else raw
            if raw == "" or raw is None:
                out.append(None)
                continue
            try:
                out.append(parse_amount_cents(raw, self.decimal))
            except ValueError as exc:
                self.errors.add(line, name, raw, str(exc))
                bad = True
        return None if bad else (out[0], out[1], out[2])


def _without_paid_on(p: Parsed) -> Parsed:
    return (p[0], p[1], p[2], p[3], p[4], None, p[6], p[7], p[8], p[9], p[10], p[11])


def _too_long(text: str, table: str, column: str) -> bool:
    try:
        fits(text, table, column)
    except TooLong:
        return True
    return False


class _Runs:
    """Gathers the consecutive rows of one invoice, then decides what is decided
    per invoice (kind without a type column, amount tax included, payment) and
    hands the rows to the writer, in file order."""

    def __init__(self, state: _Rows) -> None:
        self.state = state
        self.writer = state.writer
        self.errors = state.errors
        self.explicit = state.explicit_line_no
        self.infer_kind = state.infer_kind
        self.amounts = state.amounts
        self.ttc_column = state.col["amount_incl_tax"] >= 0
        self.number: str | None = None
        self.rows: list[tuple[int, Parsed]] = []
        self.row_amounts: list[Amounts] = []
        self.paid_numbers: set[str] = set()  # invoices whose payment was given (once per invoice)

    def add(self, line: int, parsed: Parsed, amounts: Amounts | None = None) -> None:
        if parsed[0] != self.number:
            if self.rows:
                self.close()
            self.number = parsed[0]
        self.rows.append((line, parsed))
        if amounts is not None:
            self.row_amounts.append(amounts)

    def skip(self, line: int) -> None:
        """A row with errors: it ends the run (and breaks it for the writer)."""
        if self.rows:
            self.close()
        self.number = None
        self.writer.skip_row(line)

    def close(self) -> None:
        rows, self.rows = self.rows, []
        amounts, self.row_amounts = self.row_amounts, []
        number = rows[0][1][0]
        writer = self.writer
        if self.infer_kind:
            rows = self._infer_kind(number, rows)
        payment: tuple[int, str, int | None] | None = None
        if amounts:
            payment, rows = self._invoice_amounts(number, rows, amounts)
        accept = writer.accept
        explicit = self.explicit
        for line, parsed in rows:
            accept(line, parsed, explicit)
        if payment is not None and number in writer.headers:
            writer.pay(payment[0], number, payment[1], payment[2])

    def _infer_kind(self, number: str, rows: list[tuple[int, Parsed]]) -> list[tuple[int, Parsed]]:
        """Without a type column: a credit note is an invoice met before as one, or
        one whose lines sum below zero or whose number reads as a credit note's."""
        writer = self.writer
        total = 0
        for _, parsed in rows:
            total += parsed[10]
        head = writer.headers.get(number)
        stored = writer.stored.get(number) if head is None else None
        if head is not None:
            kind = head.kind
        elif stored is not None:
            kind = stored[3]
        else:
            kind = "credit_note" if total < 0 or CREDIT_NOTE_NUMBER.match(number) else "invoice"
        if kind == "invoice":
            return rows
        flip = total > 0  # a credit note written with positive amounts: stored negative
        out = []
        for line, p in rows:
            amount, margin, quantity = p[10], p[11], p[9]
            if flip:
                amount, margin = -amount, (None if margin is None else -margin)
            quantity = None if quantity is None else -abs(quantity)
            out.append(
                (line, (p[0], p[1], p[2], "credit_note", p[4], p[5], p[6], p[7], p[8], quantity, amount, margin))
            )
        return out

    def _invoice_amounts(
        self,
        number: str,
        rows: list[tuple[int, Parsed]],
        amounts: list[Amounts],
    ) -> tuple[tuple[int, str, int | None] | None, list[tuple[int, Parsed]]]:
        """The gross amount (given to the writer) and the payment of an invoice."""
        writer = self.writer
        lines_total = sum(p[10] for _, p in rows)
        kind = rows[0][1][3]
        ttcs = [a[0] for a in amounts if a[0] is not None]
        gross: int | None = None
        if ttcs:
            first = ttcs[0]
            # one value repeated (or given once) is the invoice's total, unless it is below the
            # lines' total excluding tax: then each row carries its own line's amount
            if all(t == first for t in ttcs) and (len(ttcs) == 1 or abs(first) >= abs(lines_total)):
                gross = first
            else:
                gross = sum(ttcs)
            if kind == "credit_note":
                gross = -abs(gross)
            if number not in writer.headers:
                writer.gross(number, gross)
        paid = next((a[1] for a in amounts if a[1] is not None), None)
        balance = next((a[2] for a in amounts if a[2] is not None), None)
        if (paid is None and balance is None) or number in self.paid_numbers:
            return None, rows
        first_line = rows[0][0]
        basis = gross if gross is not None else lines_total  # what the paid amount is counted in
        if paid is None:
            assert balance is not None
            paid = abs(basis) - abs(balance)
        paid = abs(paid)
        paid_on = next((p[5] for _, p in rows if p[5]), None)
        rows = [(ln, _without_paid_on(p)) for ln, p in rows]  # the payment says how much is paid
        if paid == 0:
            return None, rows
        if paid_on is None:
            given = "paid_amount" if self.state.col["paid_amount"] >= 0 else "balance"
            cents = paid if given == "paid_amount" or balance is None else abs(balance)  # the cell's amount
            shown = f"{cents / 100:.2f}".replace(".", self.state.decimal)
            self.errors.add(
                first_line,
                given,
                shown,
                "a paid amount needs its payment date (a paid date column): the day the invoice was paid; "
                "without one, leave the paid and still-due columns out (a mapping file)",
            )
            return None, rows
        self.paid_numbers.add(number)
        if paid >= abs(basis):
            return (first_line, paid_on, None), rows
        cents = paid if gross is None or gross == 0 else round(paid * abs(lines_total) / abs(gross))
        return (first_line, paid_on, -cents if lines_total < 0 else cents), rows

    def finish(self) -> None:
        """Hand over the rows gathered (the next row starts a new run)."""
        if self.rows:
            self.close()
        self.number = None


def read_invoice_rows(
    rows: Iterable[tuple[int, list[Any]]],
    idx: dict[str, int],
    writer: InvoiceWriter,
    errors: ErrorSink,
    dates: DateParser,
    decimal: str,
    chunk: int,
    tick: Callable[[int], None],
    state: _Rows | None = None,
    runs: _Runs | None = None,
    count: int = 0,
) -> int:
    """Validate every row of an invoice file into ``writer``; returns rows read.
    (``state``, ``runs`` and ``count``: the bulk reader handing over the rest of a file.)"""
    state = state or _Rows(idx, writer, errors, dates, decimal)
    runs = runs or _Runs(state)
    fast, full, add, skip = state.fast, state.full, runs.add, runs.skip
    amounts = state.invoice_amounts if state.amounts else None
    for line, row in rows:
        count += 1
        try:
            parsed = fast(row)
        except (ValueError, IndexError):
            parsed = None
        if parsed is None:
            parsed = full(line, row)
        extra = amounts(line, row) if amounts is not None else None
        if parsed is None or (amounts is not None and extra is None):
            skip(line)
        else:
            add(line, parsed, extra)
        if count % chunk == 0:
            tick(count)
    runs.finish()
    return count
