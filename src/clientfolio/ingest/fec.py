"""The FEC (Fichier des Écritures Comptables, art. A47 A-1 LPF): the legal
accounting export of every French company, 18 columns, tab or pipe separated.

What Clientfolio takes from it:

- customers: the auxiliary accounts of the customer accounts (411*):
  ``CompAuxNum`` is the customer code, ``CompAuxLib`` its name;
- sales: every entry (``JournalCode`` + ``EcritureNum``) holding revenue lines
  (accounts 70*) and one customer line; the invoice number is ``PieceRef``,
  its date ``PieceDate``; each revenue line becomes an invoice line whose
  product is the revenue account and whose product line is the account's class
  (706 Prestations de services, 707 Ventes de marchandises, ...); an entry whose
  revenue is negative is a credit note;
- payments: the lettering.  The invoice's customer line and the settlement's
  customer line share ``EcritureLet`` on the same auxiliary account; the
  payment date is the date of the settling entry (``DateLet`` when the file
  holds no settling entry).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from clientfolio.ingest.columns import normalize
from clientfolio.ingest.invoices import InvoiceWriter
from clientfolio.ingest.lookups import ErrorSink
from clientfolio.ingest.report import ImportRejected, RowError
from clientfolio.ingest.values import DateParser, TooLong, fits, parse_amount_cents

__all__ = ["FEC_COLUMNS", "is_fec_header", "load_fec"]

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)
_NEEDED = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "Debit", "Credit", "EcritureLet", "DateLet")
PRODUCT_LINES = {
    "701": "Ventes de produits finis", "702": "Ventes de produits intermédiaires",
    "703": "Ventes de produits résiduels", "704": "Travaux", "705": "Études",
    "706": "Prestations de services", "707": "Ventes de marchandises",
    "708": "Produits des activités annexes", "709": "Rabais, remises et ristournes accordés",
}


_STORED = (("CompAuxNum", "customers", "code"), ("CompAuxLib", "customers", "name"),
           ("PieceRef", "invoices", "number"), ("CompteNum", "products", "code"),
           ("CompteLib", "invoice_lines", "description"))
"""The FEC fields the store keeps, and where (their lengths are checked)."""


def is_fec_header(header: list[str]) -> bool:
    names = {normalize(h) for h in header}
    return {"journalcode", "ecriturenum", "comptenum"} <= names


@dataclass
class _Entry:
    journal: str
    number: str
    date: str = ""
    piece: str = ""
    piece_date: str = ""
    debit: int = 0
    credit: int = 0
    customers: list[tuple[int, str, str, str, str]] = field(default_factory=list)  # line, aux, name, letter, DateLet
    revenue: list[tuple[int, str, str, int]] = field(default_factory=list)  # line, account, label, cents
    first_line: int = 0


def load_fec(
    file: str, header: list[str], rows: Iterable[tuple[int, list[Any]]], writer: InvoiceWriter,
    errors: ErrorSink, dates: DateParser, tick: Callable[[int], None],
) -> int:
    """Read an FEC and feed its customers, sales and payments to ``writer``."""
    col = {normalize(h): i for i, h in enumerate(header)}
    missing = [name for name in _NEEDED if name.lower() not in col]
    if missing:
        raise ImportRejected([RowError(file, 1, name, "", "missing FEC column") for name in missing])
    ix = {name: col[name.lower()] for name in _NEEDED}
    entries: dict[tuple[str, str], _Entry] = {}
    letters: dict[tuple[str, str], list[str]] = defaultdict(list)  # settling dates per lettering
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
                    parsed[name] = dates(cell[name])
                except ValueError as exc:
                    errors.add(line, name, cell[name], str(exc))
        for name in ("Debit", "Credit"):
            try:
                parsed[name] = parse_amount_cents(cell[name] or "0", ",")
            except ValueError as exc:
                errors.add(line, name, cell[name], str(exc))
        if not cell["EcritureNum"] or not cell["JournalCode"]:
            errors.add(line, "EcritureNum", cell["EcritureNum"], "entry without journal or number")
        for name, table, column in _STORED:  # what the store keeps of the line: within its columns
            try:
                fits(cell[name], table, column)
            except TooLong as exc:
                errors.add(line, name, cell[name], exc)
        if "EcritureDate" not in parsed and not cell["EcritureDate"]:
            errors.add(line, "EcritureDate", "", "empty entry date")
        if errors.total > bad:
            continue
        key = (cell["JournalCode"], cell["EcritureNum"])
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(*key, date=parsed["EcritureDate"], first_line=line)
        entry.piece = entry.piece or cell["PieceRef"]
        entry.piece_date = entry.piece_date or parsed.get("PieceDate", "")
        entry.debit += parsed["Debit"]
        entry.credit += parsed["Credit"]
        account = cell["CompteNum"]
        if account.startswith("411") and cell["CompAuxNum"]:
            entry.customers.append((line, cell["CompAuxNum"], cell["CompAuxLib"], cell["EcritureLet"],
                                    parsed.get("DateLet", "")))
        elif account.startswith("70"):
            entry.revenue.append((line, account, cell["CompteLib"], parsed["Credit"] - parsed["Debit"]))
    for entry in entries.values():
        if entry.debit != entry.credit:
            errors.add(entry.first_line, "EcritureNum", entry.number,
                       f"entry {entry.journal} {entry.number} does not balance "
                       f"(debit {entry.debit / 100:.2f}, credit {entry.credit / 100:.2f})")
        if not entry.revenue:
            for _line, aux, _name, letter, _lettered in entry.customers:
                if letter:
                    letters[(aux, letter)].append(entry.date)
    tick(count)
    for entry in entries.values():
        if entry.revenue and entry.customers:
            _write_sale(entry, writer, errors, letters)
    return count


def _write_sale(entry: _Entry, writer: InvoiceWriter, errors: ErrorSink,
                letters: dict[tuple[str, str], list[str]]) -> None:
    auxes = {customer[1] for customer in entry.customers}
    line, aux, name, letter, lettered_on = entry.customers[0]
    if len(auxes) > 1:
        errors.add(line, "CompAuxNum", ", ".join(sorted(auxes)),
                   f"entry {entry.journal} {entry.number} has revenue for several customers")
        return
    customer_id = writer.customers.get(aux) or writer.customers.add(aux, name or aux, status="active")
    total = sum(cents for *_, cents in entry.revenue)
    kind = "credit_note" if total < 0 else "invoice"
    paid_on = None
    if letter:
        settled = letters.get((aux, letter))
        paid_on = max(settled) if settled else (lettered_on or None)
    number = entry.piece or f"{entry.journal}-{entry.number}"
    issued_on = entry.piece_date or entry.date
    for rev_line, account, label, cents in entry.revenue:
        product_id = writer.products.get(account)
        if product_id is None:
            family = PRODUCT_LINES.get(account[:3], f"Comptes {account[:3]}")
            line_id = writer.product_lines.resolve(family, code=account[:3])
            product_id = writer.products.add(account, label or account, product_line_id=line_id)
        writer.accept(rev_line, (number, customer_id, issued_on, kind, None, paid_on, None,
                                 product_id, label or None, None, cents, None), True)
