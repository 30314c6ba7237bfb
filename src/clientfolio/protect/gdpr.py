"""The customer file's GDPR duties: record of processing and the rights of a contact person.

- ``processing_record``: the *registre des traitements* (GDPR art. 30) read from
  the store: the personal data held (columns of the schema, rows counted), the
  purposes, the recipients (the export registry) and the retention settings;
- the rights of a contact person, found by exact e-mail through the blind index
  (``Contact.email_index``): ``subject_access`` (art. 15), ``rectify`` (art. 16),
  ``erase`` (art. 17), ``object_to_prospecting`` (art. 21: mailing exports leave
  them out); retention: ``clientfolio.protect.gdpr_retention``.

Every action is for admins (``require(principal, "admin")``), within the
principal's scope, and audited (``gdpr.*``).  An audit entry names the contact
rows by id, never the person: the log, which is never erased, keeps nothing of
an erased person.  What erasure cannot reach is stated in its result: the
invoices of a company customer are kept 10 years (Code de commerce L123-22,
they name the company, not the person), and exports already sent keep their
marks and trap records (the registry holds hashes and counts, not the rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select, update

from clientfolio.access.principal import Principal
from clientfolio.access.reader import PortfolioReader
from clientfolio.crypto import contact_values, email_index, open_field
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_
from clientfolio.protect.audit import record_event
from clientfolio.protect.exports import list_exports
from clientfolio.protect.users import require
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import Activity, Base, Contact, Customer, Invoice, Prospect

if TYPE_CHECKING:
    from clientfolio.keyring import KeyRing

__all__ = [
    "ACCOUNTING_KEPT",
    "EXPORTS_KEEP_MARKS",
    "PERSONAL_COLUMNS",
    "PURPOSES",
    "RECTIFIABLE",
    "Erasure",
    "Record",
    "erase",
    "erase_contacts",
    "object_to_prospecting",
    "processing_record",
    "rectify",
    "subject_access",
]

PERSONAL_COLUMNS = {
    "contacts": ("name", "function", "email", "phone"),
    "customers": ("name", "address", "postal_code", "city", "country"),
    "prospects": ("name", "city"),
}
"""The columns holding data about people (a sole trader's company name and
address are personal data too), by table."""
PURPOSES = (
    N_("Customer relationship management: accounts, contact persons, sales activities"),
    N_("Invoicing and accounting (legal obligation)"),
    N_("Prospecting by the sales team and mailings (legitimate interest; objection honoured)"),
    N_("Portfolio analyses and the commercial action plan (aggregated figures)"),
)
RECTIFIABLE = ("name", "function", "email", "phone")
ACCOUNTING_KEPT = N_(
    "The invoices of {customer} ({invoices}) are kept 10 years (Code de commerce L123-22): they name the company, "
    "not the person."
)
EXPORTS_KEEP_MARKS = N_(
    "Exports already sent keep their marks and trap records: the registry holds hashes and counts, not the rows; "
    "ask their recipients to erase the person too."
)
BACKUPS_EXPIRE = N_(
    "Backups made before still hold the person until they are destroyed: after restoring one, erase them again "
    "(the audit log lists every erasure)."
)


@dataclass(frozen=True)
class Category:
    """Personal data of one table: its columns and how many rows hold them."""

    table: str
    columns: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class Recipient:
    """Who received exports of the file, what kinds, how many, for what, and when last."""

    recipient: str
    kinds: tuple[str, ...]
    exports: int
    purposes: tuple[str, ...]
    last: dt.datetime


@dataclass(frozen=True)
class Record:
    """The record of processing (*registre des traitements*)."""

    categories: tuple[Category, ...]
    purposes: tuple[str, ...]
    recipients: tuple[Recipient, ...]
    retention: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Erasure:
    """What an erasure did (``contacts`` deleted, ``activities`` whose text
    named the person cleared) and what it kept, and why (English templates
    and their parameters)."""

    contacts: int
    activities: int
    kept: tuple[tuple[str, dict[str, str]], ...] = field(default=())


def processing_record(store: Store, principal: Principal, settings: Settings | None = None) -> Record:
    """The record of processing from the store's tables (customers, prospects,
    contacts: their personal columns and row counts), the export registry
    (recipients) and the retention settings; for an admin."""
    require(principal, "admin")
    config = settings or Settings.model_construct()
    tables = Base.metadata.tables
    with store.engine.connect() as conn:
        categories = tuple(
            Category(
                name,
                tuple(c for c in columns if c in tables[name].c),
                conn.scalar(select(func.count()).select_from(tables[name])) or 0,
            )
            for name, columns in PERSONAL_COLUMNS.items()
        )
    grouped: dict[str, list[Any]] = {}
    for export in list_exports(store):
        grouped.setdefault(export.recipient, []).append(export)
    recipients = tuple(
        Recipient(
            name,
            tuple(sorted({e.kind for e in made})),
            len(made),
            tuple(sorted({e.purpose for e in made})),
            max(e.created_at for e in made),
        )
        for name, made in sorted(grouped.items())
    )
    retention = {
        "prospect_years": config.retention_prospect_years,
        "customer_contact_years": config.retention_customer_contact_years,
        "invoice_years": 10,
    }
    return Record(categories, PURPOSES, recipients, retention)


def _matches(conn: Connection, reader: PortfolioReader, ring: KeyRing, email: str) -> list[Any]:
    """The contact rows (visible to the reader) whose e-mail is ``email``, by the blind index."""
    visible = (Contact.customer_id.in_(reader.visible_ids(Customer))) | (
        Contact.prospect_id.in_(reader.visible_ids(Prospect))
    )
    query = select(Contact).where(Contact.email_index == email_index(ring, email), visible).order_by(Contact.id)
    return list(conn.execute(query).all())


def _found(conn: Connection, reader: PortfolioReader, ring: KeyRing, email: str) -> list[Any]:
    rows = _matches(conn, reader, ring, email)
    if not rows:
        raise ClientfolioError("no contact person with the e-mail {email} (in your scope)", email=email.strip())
    return rows


def _account(row: Any) -> tuple[type[Customer] | type[Prospect], int]:
    return (Customer, row.customer_id) if row.customer_id is not None else (Prospect, row.prospect_id)


def _mentions(conn: Connection, ring: KeyRing | None, row: Any, name: str) -> list[tuple[Any, str | None]]:
    """The activities of the contact's account whose subject or (decrypted)
    outcome names them, each with its outcome in clear."""
    owner = Activity.customer_id if row.customer_id is not None else Activity.prospect_id
    account = row.customer_id if row.customer_id is not None else row.prospect_id
    needle = name.casefold()
    found = []
    for activity in conn.execute(select(Activity).where(owner == account).order_by(Activity.occurred_on, Activity.id)):
        outcome = open_field(ring, "activities", activity.id, "outcome", activity.outcome)
        if needle and needle in f"{activity.subject or ''} {outcome or ''}".casefold():
            found.append((activity, outcome))
    return found


def _target(rows: list[Any]) -> str:
    return "contact:" + ",".join(str(r.id) for r in rows)


def subject_access(
    store: Store, ring: KeyRing, email: str, principal: Principal, *, chain_key: bytes
) -> dict[str, Any]:
    """Everything held about the person whose e-mail is ``email`` (GDPR art. 15),
    decrypted: each contact row, the account it belongs to, the activities of
    that account that name them, and the mailing exports that may have held
    them (the registry keeps no rows: every mailing export made while they
    were in the file).  Nothing about anyone else.  Audited as ``gdpr.access``."""
    require(principal, "admin")
    reader = PortfolioReader(store, principal)
    contacts = []
    with reader.begin() as conn:
        rows = _found(conn, reader, ring, email)
        for row in rows:
            name = open_field(ring, "contacts", row.id, "name", row.name) or ""
            model, account_id = _account(row)
            account = conn.execute(select(model.code, model.name).where(model.id == account_id)).one()
            contacts.append(
                {
                    "name": name,
                    "function": row.function,
                    "email": open_field(ring, "contacts", row.id, "email", row.email),
                    "phone": open_field(ring, "contacts", row.id, "phone", row.phone),
                    "objects_to_prospecting": row.objects_to_prospecting,
                    "account": {"kind": model.__tablename__[:-1], "code": account.code, "name": account.name},
                    "activities": [
                        {"on": a.occurred_on.isoformat(), "kind": a.kind, "subject": a.subject, "outcome": outcome}
                        for a, outcome in _mentions(conn, ring, row, name)
                    ],
                }
            )
        record_event(conn, actor=principal.username, action="gdpr.access", target=_target(rows), chain_key=chain_key)
    exports = [
        {"export": e.export_uid, "on": e.created_at.isoformat(), "recipient": e.recipient, "purpose": e.purpose}
        for e in list_exports(store)
        if e.kind == "mailing"
    ]
    return {"email": email.strip(), "contacts": contacts, "mailing_exports": exports}


def rectify(
    store: Store, ring: KeyRing, email: str, column: str, value: str, principal: Principal, *, chain_key: bytes
) -> int:
    """Set ``column`` (one of ``RECTIFIABLE``) of the contact rows of ``email``
    to ``value`` (GDPR art. 16), sealed as stored; how many rows.  Audited as
    ``gdpr.rectify`` (the column, not the values)."""
    require(principal, "admin")
    if column not in RECTIFIABLE:
        raise ClientfolioError(
            "{field}: not a field of a contact person ({fields})", field=column, fields=", ".join(RECTIFIABLE)
        )
    reader = PortfolioReader(store, principal)
    with reader.begin() as conn:
        rows = _found(conn, reader, ring, email)
        for row in rows:
            conn.execute(
                update(Contact)
                .where(Contact.id == row.id)
                .values(**contact_values(ring, row.id, {column: value or None}))
            )
        record_event(
            conn,
            actor=principal.username,
            action="gdpr.rectify",
            target=_target(rows),
            details={"field": column},
            chain_key=chain_key,
        )
    return len(rows)


def erase_contacts(
    conn: Connection, ring: KeyRing | None, rows: list[Any]
) -> tuple[int, int, list[tuple[str, dict[str, str]]]]:
    """Delete the contact ``rows`` and clear the text of the activities that
    name them; (contacts, activities, what is kept for accounting law)."""
    cleared = 0
    kept: list[tuple[str, dict[str, str]]] = []
    for row in rows:
        name = open_field(ring, "contacts", row.id, "name", row.name) or ""
        for activity, _ in _mentions(conn, ring, row, name):
            conn.execute(update(Activity).where(Activity.id == activity.id).values(subject=None, outcome=None))
            cleared += 1
        if row.customer_id is not None:
            code = conn.scalar(select(Customer.code).where(Customer.id == row.customer_id)) or ""
            invoices = conn.scalar(select(func.count()).where(Invoice.customer_id == row.customer_id)) or 0
            if invoices and (ACCOUNTING_KEPT, {"customer": code, "invoices": str(invoices)}) not in kept:
                kept.append((ACCOUNTING_KEPT, {"customer": code, "invoices": str(invoices)}))
    conn.execute(delete(Contact).where(Contact.id.in_([r.id for r in rows])))
    return len(rows), cleared, kept


def erase(store: Store, ring: KeyRing, email: str, principal: Principal, *, chain_key: bytes) -> Erasure:
    """Erase the person whose e-mail is ``email`` (GDPR art. 17): their contact
    rows deleted, the activities that name them cleared of their text; the
    invoices of their company kept (accounting law), exports already sent
    and older backups out of reach: all said in the result.  Audited as
    ``gdpr.erase`` (ids and counts only)."""
    require(principal, "admin")
    reader = PortfolioReader(store, principal)
    with reader.begin() as conn:
        rows = _found(conn, reader, ring, email)
        target = _target(rows)
        contacts, activities, kept = erase_contacts(conn, ring, rows)
        record_event(
            conn,
            actor=principal.username,
            action="gdpr.erase",
            target=target,
            details={"contacts": contacts, "activities_cleared": activities},
            chain_key=chain_key,
        )
    return Erasure(contacts, activities, (*kept, (EXPORTS_KEEP_MARKS, {}), (BACKUPS_EXPIRE, {})))


def object_to_prospecting(store: Store, ring: KeyRing, email: str, principal: Principal, *, chain_key: bytes) -> int:
    """Record the objection to prospecting of the person whose e-mail is
    ``email`` (GDPR art. 21): mailing exports leave their rows out; how many
    rows.  Audited as ``gdpr.object``."""
    require(principal, "admin")
    reader = PortfolioReader(store, principal)
    with reader.begin() as conn:
        rows = _found(conn, reader, ring, email)
        conn.execute(update(Contact).where(Contact.id.in_([r.id for r in rows])).values(objects_to_prospecting=True))
        record_event(conn, actor=principal.username, action="gdpr.object", target=_target(rows), chain_key=chain_key)
    return len(rows)
