"""The FEC (Fichier des Écritures Comptables, art. A47 A-1 LPF): the legal
accounting export of every French company, 18 columns, tab or pipe separated,
dates ``YYYYMMDD``, decimal comma.  Both legal layouts of the amounts are read:
``Debit`` and ``Credit``, or ``Montant`` and ``Sens`` (``D``/``C``, ``+1``/``-1``
or ``1``/``-1``); headers are matched case-insensitively.

What Clientfolio takes from it:

- customers: the customer accounts (411*): ``CompAuxNum`` is the customer code
  and ``CompAuxLib`` its name; a 411 general sub-account without auxiliary
  account (4110001, 4110002, ... as small-business software keeps them) is the
  customer itself: code ``CompteNum``, name ``CompteLib``;
- sales: every entry (``JournalCode`` + ``EcritureNum``, whatever the journal)
  holding revenue lines (accounts 70*) and customer lines of one customer; its
  date is ``PieceDate`` (else ``EcritureDate``), its amount tax included (the
  customer lines) is the invoice's gross amount; each revenue line becomes an
  invoice line whose product is the revenue account and whose product line is
  the account's class (706 Prestations de services, 707 Ventes de
  marchandises, ...), except the discounts granted (709): a line without
  product (out of the product lines) unless ``discounts_as_products``; an entry
  whose revenue is negative is a credit note (amounts negative);
- invoice numbers: ``PieceRef`` restarts every fiscal year in many tools, so
  the number stored carries the fiscal year of the file (the year of its latest
  ``EcritureDate``): ``PieceRef`` itself when it contains that year
  ("FA2024-001"), else ``"<year>-<PieceRef>"`` ("2024-F0012"); an entry without
  ``PieceRef`` is ``"<year>-<JournalCode>-<EcritureNum>"``.  The numbering is
  deterministic: importing a file again (or a longer version of it) finds the
  same invoices;
- payments: the lettering.  A lettering group is the customer lines of one
  customer sharing ``EcritureLet``.  A group that balances (debits = credits)
  settles its invoices in full, on the date of its settling entries (the
  latest; ``DateLet`` when the file holds none).  A group holding invoices but
  no other entry (settled in another file) settles them on ``DateLet`` too,
  unless its letter is lower case (a partial lettering, of unknown amount).  A
  group that does not balance, whatever the case of its letter, is a partial
  lettering: its payments (customer credits of entries that are not sales) are
  applied to its invoices oldest first.  An unlettered payment whose
  ``PieceRef`` is that of an invoice of the same customer is a payment of that
  invoice, and so is a customer line of the sale entry itself on the other side
  (a sale paid at once).  Amounts paid are tax included; they are stored in the basis of the
  invoice lines (excl. tax, ``paid x lines / gross``), and as "settled in full"
  (no amount) once the payments reach the invoice's gross amount;
- receivables carried forward: in a later year's FEC, a lettering group holding
  no sale of the file but a customer debit of another entry (the opening entry,
  "à nouveaux") stands for an invoice of an earlier year: it is matched to the
  invoice already in the store, first by ``PieceRef`` (the number that
  invoice's file gave it, same customer), else to the customer's only open
  invoice of that gross amount; the group's payments are recorded on it.

Set aside (counted and totalled in the import's report, not errors): sales
without a customer account (cash sales), payments not lettered to an invoice,
payments lettered with no invoice of the file, receivables carried forward that
match no stored invoice, payments beyond the amount of their invoices.  An FEC
holding no sale to a customer and no payment of an invoice is rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from clientfolio.ingest.columns import normalize
from clientfolio.ingest.invoices import InvoiceWriter
from clientfolio.ingest.lookups import ErrorSink
from clientfolio.ingest.report import ImportRejected, Reason, RowError
from clientfolio.ingest.values import DateParser, TooLong, fits, parse_amount_cents
from clientfolio.store.schema import Invoice, InvoiceLine, Payment, column_length

__all__ = ["FEC_COLUMNS", "is_fec_header", "load_fec"]

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
_NEEDED = (
    "JournalCode",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLet",
    "DateLet",
)
_DEBIT_CREDIT = ("Debit", "Credit")
_MONTANT_SENS = ("Montant", "Sens")
_DEBIT_SENS = {"D", "+1", "1", "DEBIT", "DÉBIT"}
_CREDIT_SENS = {"C", "-1", "CREDIT", "CRÉDIT"}
PRODUCT_LINES = {
    "701": "Ventes de produits finis",
    "702": "Ventes de produits intermédiaires",
    "703": "Ventes de produits résiduels",
    "704": "Travaux",
    "705": "Études",
    "706": "Prestations de services",
    "707": "Ventes de marchandises",
    "708": "Produits des activités annexes",
    "709": "Rabais, remises et ristournes accordés",
}

CASH_SALES = "cash sales (no customer account)"
OTHER_REVENUE = "revenue entries without a customer account"
UNLETTERED = "payments not lettered to an invoice"
LETTERED_ALONE = "payments lettered with no invoice of this file"
NOT_CARRIED = "receivables carried forward that match no invoice in the store"
OVERPAID = "payments beyond the amount of their invoices"

_STORED = (
    ("CompAuxNum", "customers", "code"),
    ("CompAuxLib", "customers", "name"),
    ("PieceRef", "invoices", "number"),
    ("CompteNum", "products", "code"),
    ("CompteLib", "invoice_lines", "description"),
)
"""The FEC fields the store keeps, and where (their lengths are checked)."""

_CustomerLine = tuple[int, str, str, str, str, str, int]
"""line, customer code, customer name, EcritureLet, DateLet (ISO), PieceRef, debit - credit."""


def _cents(raw: str) -> int:
    """An FEC amount (decimal comma) in cents; the zeros of the unused side at once."""
    if raw in _ZEROS:
        return 0
    return parse_amount_cents(raw, ",")


_ZEROS = frozenset({"", "0", "0,00", "0.00"})


def is_fec_header(header: list[str]) -> bool:
    names = {normalize(h) for h in header}
    return {"journalcode", "ecriturenum", "comptenum"} <= names


@dataclass(slots=True)
class _Entry:
    journal: str
    number: str
    date: str = ""
    piece: str = ""
    piece_date: str = ""
    debit: int = 0
    credit: int = 0
    customers: list[_CustomerLine] = field(default_factory=list)
    revenue: list[tuple[int, str, str, int]] = field(default_factory=list)  # line, account, label, cents
    first_line: int = 0
    cash: bool = False  # has a bank or cash line (51*, 53*)


@dataclass(slots=True)
class _Target:
    """An invoice receiving payments in this file: of the file, or carried forward."""

    number: str
    due: int  # what the file's payments may settle, tax included (positive)
    gross: int  # the invoice's amount tax included: the basis of the conversion
    lines_total: int  # the invoice's lines (excl. tax)
    credit_note: bool = False
    issued_on: str = ""
    paid: list[tuple[str, int, int]] = field(default_factory=list)  # day, cents tax included, file line


@dataclass(slots=True)
class _Group:
    """The customer lines of one customer sharing one lettering code."""

    debit: int = 0
    credit: int = 0
    date_let: str = ""
    sales: list[tuple[_Target, int, int]] = field(default_factory=list)  # invoice, cents, line
    others: list[tuple[int, int, str, str]] = field(default_factory=list)  # line, cents, entry date, PieceRef


def load_fec(
    file: str,
    header: list[str],
    rows: Iterable[tuple[int, list[Any]]],
    writer: InvoiceWriter,
    errors: ErrorSink,
    dates: DateParser,
    tick: Callable[[int], None],
    *,
    discounts_as_products: bool = False,
) -> int:
    """Read an FEC and feed its customers, sales and payments to ``writer``."""
    col = {normalize(h): i for i, h in enumerate(header)}
    missing = [name for name in _NEEDED if name.lower() not in col]
    if all(name.lower() in col for name in _DEBIT_CREDIT):
        amounts = _DEBIT_CREDIT
    elif all(name.lower() in col for name in _MONTANT_SENS):
        amounts = _MONTANT_SENS
    else:
        partial = _MONTANT_SENS if any(n.lower() in col for n in _MONTANT_SENS) else _DEBIT_CREDIT
        missing += [name for name in partial if name.lower() not in col]
    if missing:
        raise ImportRejected([RowError(file, 1, name, "", "missing FEC column") for name in missing])
    montant = amounts == _MONTANT_SENS
    ix = {name: col[name.lower()] for name in (*_NEEDED, *amounts)}
    entries: dict[tuple[str, str], _Entry] = {}
    unchecked: set[tuple[str, str]] = set()  # entries with a bad line: not balance-checked
    latest = ""
    stored = [(name, table, column, column_length(table, column) or 1 << 30) for name, table, column in _STORED]
    count = 0
    for line, row in rows:
        count += 1
        if count % 50_000 == 0:
            tick(count)
        bad = errors.total
        cell = {name: str(row[i]).strip() for name, i in ix.items()}
        parsed: dict[str, Any] = {}
        for name in ("EcritureDate", "PieceDate", "DateLet"):
            if cell[name]:
                try:
                    parsed[name] = dates.past(cell[name])
                except ValueError as exc:
                    errors.add(line, name, cell[name], exc)
        debit = credit = 0
        if montant:
            try:
                cents = _cents(cell["Montant"])
            except ValueError as exc:
                errors.add(line, "Montant", cell["Montant"], str(exc))
            else:
                sens = cell["Sens"].upper()
                if sens in _DEBIT_SENS:
                    debit = cents
                elif sens in _CREDIT_SENS:
                    credit = cents
                else:
                    errors.add(line, "Sens", cell["Sens"], "Sens must be D or C (or +1 / -1)")
        else:
            try:
                debit = _cents(cell["Debit"])
            except ValueError as exc:
                errors.add(line, "Debit", cell["Debit"], str(exc))
            try:
                credit = _cents(cell["Credit"])
            except ValueError as exc:
                errors.add(line, "Credit", cell["Credit"], str(exc))
        if not cell["EcritureNum"] or not cell["JournalCode"]:
            errors.add(line, "EcritureNum", cell["EcritureNum"], "entry without journal or number")
        for name, table, column, limit in stored:  # what the store keeps of the line: within its columns
            if len(cell[name]) > limit:
                try:
                    fits(cell[name], table, column)
                except TooLong as exc:
                    errors.add(line, name, cell[name], exc)
        account = cell["CompteNum"]
        customer = account.startswith("411")
        if customer and not cell["CompAuxNum"]:  # the general sub-account is the customer: its name is kept
            try:
                fits(cell["CompteLib"], "customers", "name")
            except TooLong as exc:
                errors.add(line, "CompteLib", cell["CompteLib"], exc)
        if "EcritureDate" not in parsed and not cell["EcritureDate"]:
            errors.add(line, "EcritureDate", "", "empty entry date")
        key = (cell["JournalCode"], cell["EcritureNum"])
        if errors.total > bad:
            unchecked.add(key)
            continue
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(*key, date=parsed["EcritureDate"], first_line=line)
        latest = max(latest, parsed["EcritureDate"])
        entry.piece = entry.piece or cell["PieceRef"]
        entry.piece_date = entry.piece_date or parsed.get("PieceDate", "")
        entry.debit += debit
        entry.credit += credit
        if customer:
            code, name = (
                (cell["CompAuxNum"], cell["CompAuxLib"]) if cell["CompAuxNum"] else (account, cell["CompteLib"])
            )
            entry.customers.append(
                (line, code, name, cell["EcritureLet"], parsed.get("DateLet", ""), cell["PieceRef"], debit - credit)
            )
        elif account.startswith("70"):
            entry.revenue.append((line, account, cell["CompteLib"], credit - debit))
        elif account.startswith(("51", "53")):
            entry.cash = True
    for key, entry in entries.items():
        if entry.debit != entry.credit and key not in unchecked:
            errors.add(
                entry.first_line,
                "EcritureNum",
                entry.number,
                Reason(
                    "entry {journal} {number} does not balance (debit {debit}, credit {credit})",
                    journal=entry.journal,
                    number=entry.number,
                    debit=f"{entry.debit / 100:.2f}",
                    credit=f"{entry.credit / 100:.2f}",
                ),
            )
    tick(count)
    if not entries:
        return count
    _Ledger(writer, errors, latest[:4], discounts_as_products).load(file, entries)
    return count


class _Ledger:
    """The second step, over the entries kept: sales, lettering, payments."""

    def __init__(self, writer: InvoiceWriter, errors: ErrorSink, year: str, discounts_as_products: bool) -> None:
        self.writer = writer
        self.errors = errors
        self.result = writer.result
        self.year = year
        self.discounts_as_products = discounts_as_products
        self.groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
        self.by_piece: dict[tuple[str, str], _Target] = {}  # (customer, PieceRef) -> invoice of this file
        self.targets: list[_Target] = []
        self.stored_targets: dict[str, _Target] = {}
        self.payments = 0
        self.open_cache: dict[int, dict[str, tuple[int, int | None, str]]] = {}

    def number(self, piece: str, journal: str, entry_number: str) -> str:
        if not piece:
            return f"{self.year}-{journal}-{entry_number}"
        return piece if self.year in piece else f"{self.year}-{piece}"

    def load(self, file: str, entries: dict[tuple[str, str], _Entry]) -> None:
        sales = cash = credit_notes = 0
        unlettered: list[tuple[int, str, str, str, int]] = []  # line, customer, PieceRef, date, cents paid
        read = len(entries)
        for key in list(entries):
            entry = entries.pop(key)  # what is kept of it goes to the invoices and lettering groups
            if entry.revenue and entry.customers:
                sales += 1
                credit_notes += self.sale(entry)
            elif entry.revenue:
                total = sum(cents for *_, cents in entry.revenue)
                if total:
                    cash += entry.cash
                    self.result.put_aside(CASH_SALES if entry.cash else OTHER_REVENUE, 1, total)
            else:
                for line, code, _name, letter, date_let, piece, cents in entry.customers:
                    if letter:
                        group = self.groups[(code, letter)]
                        group.others.append((line, cents, entry.date, piece))
                        self.add_to_group(group, cents, date_let)
                    elif cents < 0:
                        unlettered.append((line, code, piece, entry.date, -cents))
        if self.errors:
            return
        for (_code, letter), group in self.groups.items():
            self.settle_group(_code, letter, group)
        for line, code, piece, day, cents in unlettered:
            target = self.by_piece.get((code, piece)) if piece else None
            if target is not None and not target.credit_note:
                target.paid.append((day, cents, line))
            else:
                self.result.put_aside(UNLETTERED, 1, cents)
        for target in (*self.targets, *self.stored_targets.values()):
            self.pay(target)
        self.result.count("created", "credit_notes", credit_notes)
        if not sales and not self.payments:
            raise ImportRejected(
                [
                    RowError.because(
                        file,
                        0,
                        "",
                        "",
                        "no sale to a customer account (411…) in this FEC: "
                        "{read} entries read, {cash} cash sales set aside",
                        read=read,
                        cash=cash,
                    )
                ]
            )

    @staticmethod
    def add_to_group(group: _Group, cents: int, date_let: str) -> None:
        if cents > 0:
            group.debit += cents
        else:
            group.credit -= cents
        group.date_let = max(group.date_let, date_let)

    def sale(self, entry: _Entry) -> int:
        """Write the sale ``entry``; 1 for a new credit note, else 0."""
        writer = self.writer
        codes = {customer[1] for customer in entry.customers}
        line, code, name, *_ = entry.customers[0]
        if len(codes) > 1:
            self.errors.add(
                line,
                "CompAuxNum",
                ", ".join(sorted(codes)),
                Reason(
                    "entry {journal} {number} has revenue for several customers",
                    journal=entry.journal,
                    number=entry.number,
                ),
            )
            return 0
        number = self.number(entry.piece, entry.journal, entry.number)
        limit = column_length("invoices", "number") or len(number)
        if len(entry.piece) <= limit < len(number):  # a too long PieceRef is reported on its lines
            try:
                fits(number, "invoices", "number")
            except TooLong as exc:
                self.errors.add(line, "PieceRef", number, exc)
                return 0
        customer_id = writer.customers.get(code) or writer.customers.add(code, name or code, status="active")
        lines_total = sum(cents for *_, cents in entry.revenue)
        kind = "credit_note" if lines_total < 0 else "invoice"
        sign = -1 if lines_total < 0 else 1
        # the customer lines of the sale's side make its gross amount; one on the other side is a
        # settlement within the entry (a sale paid at once), lettered or not
        gross = sum(customer[6] for customer in entry.customers if customer[6] * sign > 0)
        issued_on = entry.piece_date or entry.date
        target = _Target(number, abs(gross), abs(gross), abs(lines_total), kind == "credit_note", issued_on)
        self.targets.append(target)
        self.by_piece.setdefault((code, entry.piece), target)
        for cline, _code, _name, letter, date_let, piece, cents in entry.customers:
            if letter:
                group = self.groups[(code, letter)]
                if cents * sign > 0:
                    group.sales.append((target, cents, cline))
                else:
                    group.others.append((cline, cents, entry.date, piece))
                self.add_to_group(group, cents, date_let)
            elif cents * sign < 0 and kind == "invoice":
                target.paid.append((entry.date, -cents, cline))
        new = number not in writer.stored and number not in writer.headers
        writer.gross(number, gross)
        for rev_line, account, label, cents in entry.revenue:
            if account.startswith("709") and not self.discounts_as_products:
                product_id = None
            else:
                product_id = writer.products.get(account)
                if product_id is None:
                    family = PRODUCT_LINES.get(account[:3], f"Comptes {account[:3]}")
                    line_id = writer.product_lines.resolve(family, code=account[:3])
                    product_id = writer.products.add(account, label or account, product_line_id=line_id)
            writer.accept(
                rev_line,
                (
                    number,
                    customer_id,
                    issued_on,
                    kind,
                    None,
                    None,
                    None,
                    product_id,
                    label or (account if product_id is None else None),
                    None,
                    cents,
                    None,
                ),
                True,
            )
        return int(new and kind == "credit_note")

    def settle_group(self, code: str, letter: str, group: _Group) -> None:
        balanced = group.debit == group.credit
        if group.sales:
            days = [day for _line, _cents, day, _piece in group.others]
            if balanced or (not days and not letter.islower()):
                day = max(days) if days else group.date_let
                if day:
                    for target, cents, line in group.sales:
                        target.paid.append((day, abs(cents), line))
                return
            invoices = sorted(
                ((t, cents, line) for t, cents, line in group.sales if cents > 0 and not t.credit_note),
                key=lambda s: (s[0].issued_on, s[2]),
            )
            self.allocate(invoices, group)
            return
        carried = [(line, cents, day, piece) for line, cents, day, piece in group.others if cents > 0]
        paid = [(line, -cents, day) for line, cents, day, _piece in group.others if cents < 0]
        if not carried:
            self.result.put_aside(LETTERED_ALONE, len(paid), sum(cents for _line, cents, _day in paid))
            return
        pieces: list[tuple[_Target, int, int]] = []
        for line, cents, day, piece in carried:
            found = self.carried_target(code, piece, cents, day)
            if found is None:
                self.result.put_aside(NOT_CARRIED, 1, cents)
                target = _Target("", cents, cents, 0, issued_on=day)  # paid, but recorded nowhere
            else:
                target = found
                target.due += cents
            pieces.append((target, cents, line))
        if balanced:
            day = max((day for _line, _cents, day in paid), default=group.date_let)
            if day:
                for target, cents, line in pieces:
                    target.paid.append((day, cents, line))
            return
        self.allocate(sorted(pieces, key=lambda s: (s[0].issued_on, s[2])), group)

    def allocate(self, invoices: list[tuple[_Target, int, int]], group: _Group) -> None:
        """A partial lettering: the group's payments go to its invoices, oldest first."""
        paid = sorted((day, line, -cents) for line, cents, day, _piece in group.others if cents < 0)
        shares = [cents for _target, cents, _line in invoices]
        i = 0
        for day, line, cents in paid:
            while cents and i < len(invoices):
                share = min(cents, shares[i])
                invoices[i][0].paid.append((day, share, line))
                shares[i] -= share
                cents -= share
                if not shares[i]:
                    i += 1
            if cents:
                self.result.put_aside(OVERPAID, 1, cents)

    def carried_target(self, code: str, piece: str, cents: int, day: str) -> _Target | None:
        """The stored invoice an opening debit of ``cents`` on ``day`` carries forward."""
        writer = self.writer
        customer_id = writer.customers.get(code)
        if customer_id is None:
            return None
        found: str | None = None
        if piece:
            if (hit := writer.stored.get(piece)) and hit[1] == customer_id and hit[3] == "invoice" and hit[2] < day:
                found = piece
            else:
                for year in range(int(self.year) - 1, int(self.year) - 11, -1):
                    number = f"{year}-{piece}"
                    hit = writer.stored.get(number)
                    if hit and hit[1] == customer_id and hit[3] == "invoice":
                        found = number
                        break
        if found is None:
            candidates = [
                number
                for number, (_id, gross, issued_on) in self.open_stored(customer_id).items()
                if gross == cents and issued_on < day
            ]
            if len(candidates) != 1:
                return None
            found = candidates[0]
        target = self.stored_targets.get(found)
        if target is None:
            target = self.stored_targets[found] = self.stored_target(found, writer.stored[found][2])
        return target

    def open_stored(self, customer_id: int) -> dict[str, tuple[int, int | None, str]]:
        """The customer's stored open invoices: number -> (id, gross, issued on)."""
        if (cached := self.open_cache.get(customer_id)) is not None:
            return cached
        conn = self.writer.conn
        invoices = {
            number: (id_, gross, issued_on.isoformat())
            for id_, number, gross, issued_on in conn.execute(
                select(Invoice.id, Invoice.number, Invoice.gross_cents, Invoice.issued_on).where(
                    Invoice.customer_id == customer_id, Invoice.kind == "invoice"
                )
            )
        }
        ids = [v[0] for v in invoices.values()]
        totals = dict(
            conn.execute(
                select(InvoiceLine.invoice_id, func.sum(InvoiceLine.amount_cents))
                .where(InvoiceLine.invoice_id.in_(ids))
                .group_by(InvoiceLine.invoice_id)
            ).all()
        )
        paid: dict[int, int | None] = {}
        for invoice_id, cents in conn.execute(
            select(Payment.invoice_id, Payment.amount_cents).where(Payment.invoice_id.in_(ids))
        ):
            before = paid.get(invoice_id, 0)
            paid[invoice_id] = None if before is None or cents is None else before + cents
        found = {}
        for number, v in invoices.items():
            settled = v[0] in paid and ((cents := paid[v[0]]) is None or cents >= totals.get(v[0], 0))
            if not settled:
                found[number] = v
        self.open_cache[customer_id] = found
        return found

    def stored_target(self, number: str, issued_on: str) -> _Target:
        invoice_id = self.writer.stored[number][0]
        conn = self.writer.conn
        gross = conn.execute(select(Invoice.gross_cents).where(Invoice.id == invoice_id)).scalar_one()
        lines_total = conn.execute(
            select(func.coalesce(func.sum(InvoiceLine.amount_cents), 0)).where(InvoiceLine.invoice_id == invoice_id)
        ).scalar_one()
        return _Target(number, 0, gross or 0, int(lines_total), issued_on=issued_on)

    def pay(self, target: _Target) -> None:
        """Record the payments of ``target``, one per day, "in full" once they reach what is due."""
        if not target.paid or not target.number:
            return
        by_day: dict[str, int] = defaultdict(int)
        first_line: dict[str, int] = {}
        for day, cents, line in target.paid:
            by_day[day] += cents
            first_line.setdefault(day, line)
        gross = target.gross or target.due
        total = 0
        for day in sorted(by_day):
            cents = by_day[day]
            if total >= target.due:
                self.result.put_aside(OVERPAID, 1, cents)
                continue
            total += cents
            if total >= target.due:
                self.writer.pay(first_line[day], target.number, day, None)
                self.payments += 1
                if total > target.due:
                    self.result.put_aside(OVERPAID, 1, total - target.due)
            elif not target.credit_note and gross > 0:
                self.writer.pay(first_line[day], target.number, day, round(cents * target.lines_total / gross))
                self.payments += 1
