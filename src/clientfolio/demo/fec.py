"""The store's sales as a French FEC (fichier des écritures comptables).

Format of article A47 A-1 of the Livre des procédures fiscales: 18 tab-separated
columns, UTF-8, dates ``YYYYMMDD``, amounts with a decimal comma.  Journals:

- ``VT`` Ventes: one entry per invoice or credit note (``PieceRef`` = its number):
  411000 Clients (auxiliary account = customer code) for the amount including
  20 % VAT, revenue per product line (706/707 accounts, label = product line
  name), 445710 TVA collectée.  A credit note is the mirror image.
- ``BQ`` Banque: one entry per payment (512000 Banque against 411000), and per
  supplier payment (401000 against 512000).
- ``AC`` Achats: one supplier invoice a month for the cost of the goods sold
  (607000, 445660, 401000 with auxiliary account ``F00001``).

A settled invoice's 411 line and its payments' 411 lines share a lettering code
(``EcritureLet`` AA, AB, ... per auxiliary account) and ``DateLet`` = the last
payment date; unpaid invoices are not lettered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from clientfolio.access import SYSTEM, Principal
from clientfolio.access.ledger import LedgerReader
from clientfolio.demo import catalog
from clientfolio.errors import ClientfolioError
from clientfolio.ingest.fec import FEC_COLUMNS
from clientfolio.ingest.values import luhn_valid
from clientfolio.store import Store

__all__ = ["write_fec"]

JOURNALS = {"VT": "Ventes", "AC": "Achats", "BQ": "Banque"}
CUSTOMERS = ("411000", "Clients")
SUPPLIERS = ("401000", "Fournisseurs")
BANK = ("512000", "Banque")
VAT_COLLECTED = ("445710", "TVA collectée")
VAT_DEDUCTIBLE = ("445660", "TVA déductible sur autres biens et services")
PURCHASES = ("607000", "Achats de marchandises")
OTHER_SALES = ("707000", "Ventes de marchandises")  # lines without a product line
SUPPLIER_TERMS = dt.timedelta(days=30)


def _vat(cents: int) -> int:
    """20 % of ``cents``, rounded half away from zero."""
    vat = (abs(cents) * 20 + 50) // 100
    return vat if cents >= 0 else -vat


def _money(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _letters(n: int) -> str:
    """0 -> "AA", 1 -> "AB", ..., 675 -> "ZZ", 676 -> "AAA", ..."""
    width = 2
    while n >= 26**width:
        n -= 26**width
        width += 1
    return "".join(chr(65 + n // 26**i % 26) for i in reversed(range(width)))


@dataclass
class _Line:
    account: tuple[str, str]
    amount: int  # debit if positive, credit if negative
    aux: tuple[str, str] = ("", "")
    letter: str = ""
    let_date: dt.date | None = None


@dataclass
class _Entry:
    journal: str
    day: dt.date
    piece: str
    label: str
    lines: list[_Line]


@dataclass
class _Invoice:
    number: str
    issued_on: dt.date
    kind: str
    customer: tuple[str, str]  # (code, name): the 411 auxiliary account
    revenue: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))


def _revenue_accounts(names: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Revenue account of each product line: the demo's own, else 7079NN."""
    known = {line.code: line.revenue_account for line in catalog.PRODUCT_LINES}
    others = (code for code in names if code not in known)
    numbers = {code: f"7079{i:02d}" for i, code in enumerate(others, 1)}
    return {code: (known.get(code) or numbers[code], name) for code, name in names.items()}


def _sales(reader: LedgerReader) -> tuple[dict[str, _Invoice], dict[tuple[int, int], int]]:
    """Visible invoices by number, and the cost of the goods sold by (year, month)."""
    accounts = _revenue_accounts(reader.product_lines())
    invoices: dict[str, _Invoice] = {}
    costs: dict[tuple[int, int], int] = defaultdict(int)
    for sale in reader.sales():
        invoice = invoices.get(sale.invoice_number)
        if invoice is None:
            invoice = invoices[sale.invoice_number] = _Invoice(
                sale.invoice_number, sale.issued_on, sale.kind, (sale.customer_code, sale.customer_name)
            )
        account = accounts[sale.product_line] if sale.product_line else OTHER_SALES
        invoice.revenue[account] += sale.amount_cents
        if sale.margin_cents is not None:
            costs[sale.issued_on.year, sale.issued_on.month] += sale.amount_cents - sale.margin_cents
    return invoices, costs


def _sale_entries(reader: LedgerReader, invoices: dict[str, _Invoice]) -> list[_Entry]:
    """Sales entries and their payments, lettered per customer.  A payment with
    an amount (excluding tax, as the store keeps money) settles that amount plus
    VAT; one without settles what remains due."""
    payments = defaultdict(list)
    for number, _, _, paid_on, amount in reader.payments():
        if number in invoices:
            payments[number].append((paid_on, amount))
    entries: list[_Entry] = []
    letters: dict[str, int] = defaultdict(int)
    for invoice in invoices.values():
        code, name = invoice.customer
        excl = sum(invoice.revenue.values())
        vat = _vat(excl)
        customer = _Line(CUSTOMERS, excl + vat, invoice.customer)
        revenue = [_Line(account, -cents) for account, cents in sorted(invoice.revenue.items())]
        word = "Facture" if invoice.kind == "invoice" else "Avoir"
        entries.append(
            _Entry(
                "VT",
                invoice.issued_on,
                invoice.number,
                f"{word} {invoice.number} {name}",
                [customer, *revenue, _Line(VAT_COLLECTED, -vat)],
            )
        )
        due, settlements, last_paid = excl + vat, [], invoice.issued_on
        for paid_on, amount in payments[invoice.number]:
            settled = due if amount is None else amount + _vat(amount)
            if settled:
                due, last_paid = due - settled, paid_on
                settlements.append(_Line(CUSTOMERS, -settled, invoice.customer))
                verb = "Règlement" if settled > 0 else "Remboursement"
                entries.append(
                    _Entry(
                        "BQ",
                        paid_on,
                        f"REL{paid_on:%Y%m}",
                        f"{verb} {invoice.number} {name}",
                        [_Line(BANK, settled), settlements[-1]],
                    )
                )
        if settlements and due == 0:
            letter = _letters(letters[code])
            letters[code] += 1
            for line in (customer, *settlements):
                line.letter, line.let_date = letter, last_paid
    return entries


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _purchase_entries(costs: dict[tuple[int, int], int], last_day: dt.date) -> list[_Entry]:
    """One supplier invoice a month for the cost of the goods sold, paid 30 days later."""
    entries: list[_Entry] = []
    lettered = 0
    for (year, month), cost in sorted(costs.items()):
        if cost <= 0:
            continue
        day, total = min(_month_end(year, month), last_day), cost + _vat(cost)
        piece = f"FA{year}{month:02d}"
        owed = _Line(SUPPLIERS, -total, catalog.SUPPLIER)
        entries.append(
            _Entry(
                "AC",
                day,
                piece,
                f"Facture {catalog.SUPPLIER[1]} {piece}",
                [_Line(PURCHASES, cost), _Line(VAT_DEDUCTIBLE, _vat(cost)), owed],
            )
        )
        paid_on = day + SUPPLIER_TERMS
        if paid_on <= last_day:
            paid = _Line(SUPPLIERS, total, catalog.SUPPLIER)
            for line in (owed, paid):
                line.letter, line.let_date = _letters(lettered), paid_on
            lettered += 1
            entries.append(
                _Entry(
                    "BQ",
                    paid_on,
                    f"REL{paid_on:%Y%m}",
                    f"Règlement {catalog.SUPPLIER[1]} {piece}",
                    [paid, _Line(BANK, -total)],
                )
            )
    return entries


def _clean(text: str) -> str:
    return " ".join(text.split())


def write_fec(
    store: Store, path: Path, *, principal: Principal = SYSTEM, siren: str = catalog.COMPANY[1]
) -> tuple[Path, int]:
    """Write the sales visible to ``principal``, their payments and monthly purchases
    as an FEC at ``path`` (in a directory: ``<siren>FEC<last entry date>.txt`` in it).
    Returns the file written and its number of entry lines, the header left out."""
    if not (len(siren) == 9 and luhn_valid(siren)):
        raise ClientfolioError("not a valid SIREN number: '{siren}'", siren=siren)
    reader = LedgerReader(store, principal)
    invoices, costs = _sales(reader)
    entries = _sale_entries(reader, invoices)
    last_day = max((entry.day for entry in entries), default=dt.date.today())
    entries += _purchase_entries(costs, last_day)
    order = list(JOURNALS)
    entries = sorted(
        (e for e in entries if any(line.amount for line in e.lines)),
        key=lambda e: (e.day, order.index(e.journal), e.piece),
    )
    if path.is_dir():
        path = path / f"{siren}FEC{last_day:%Y%m%d}.txt"
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(FEC_COLUMNS) + "\n")
        for number, entry in enumerate(entries, 1):
            day = f"{entry.day:%Y%m%d}"
            for line in entry.lines:
                if not line.amount:
                    continue
                let_date = f"{line.let_date:%Y%m%d}" if line.let_date else ""
                fields = (
                    entry.journal,
                    JOURNALS[entry.journal],
                    str(number),
                    day,
                    *line.account,
                    *line.aux,
                    entry.piece,
                    day,
                    entry.label,
                    _money(max(line.amount, 0)),
                    _money(max(-line.amount, 0)),
                    line.letter,
                    let_date,
                    day,
                    "",
                    "",
                )
                out.write("\t".join(_clean(f) for f in fields) + "\n")
                written += 1
    return path, written
