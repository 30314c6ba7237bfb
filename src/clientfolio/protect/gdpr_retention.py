"""Retention of the contact persons' data (GDPR art. 5: storage limitation).

Two rules, as settings (``clientfolio.settings``):

- a prospect not won with no contact for ``retention_prospect_years`` (its
  last activity, stage change or creation; 3 years: the CNIL's usual duration):
  its contact persons are deleted and its activities cleared of their text;
  the company's record stays (a company is not a person);
- a customer whose relationship ended ``retention_customer_contact_years`` ago
  (its last invoice or activity): its contact persons are deleted; its
  invoices stay 10 years (Code de commerce L123-22).

``retention_due`` lists; ``purge`` purges what is (still) due, audited as
``gdpr.purge``.  Accounts without any date are never listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from clientfolio.access.principal import Principal
from clientfolio.access.reader import PortfolioReader
from clientfolio.protect.audit import record_event
from clientfolio.protect.gdpr import erase_contacts
from clientfolio.protect.users import require
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import Activity, Contact, Customer, Invoice, Prospect, StageChange

if TYPE_CHECKING:
    from clientfolio.keyring import KeyRing

__all__ = ["RetentionItem", "purge", "retention_due"]


@dataclass(frozen=True)
class RetentionItem:
    """An account whose contact persons are past their retention: ``kind``
    (customer or prospect), its code, its last contact and its contact count."""

    kind: str
    code: str
    last_contact: dt.date
    contacts: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _latest(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def _latest_by(conn: Connection, key: Any, day: Any) -> dict[int, dt.date]:
    """The latest ``day`` by ``key`` (a column of ids)."""
    return {k: d for k, d in conn.execute(select(key, func.max(day)).group_by(key)) if k is not None}


def _counts_by(conn: Connection, key: Any) -> dict[int, int]:
    return {k: n for k, n in conn.execute(select(key, func.count()).group_by(key)) if k is not None}


def _due(conn: Connection, reader: PortfolioReader, today: dt.date, config: Settings) -> list[RetentionItem]:
    items: list[RetentionItem] = []
    counts = _counts_by(conn, Contact.customer_id)
    invoiced = _latest_by(conn, Invoice.customer_id, Invoice.issued_on)
    met = _latest_by(conn, Activity.customer_id, Activity.occurred_on)
    limit = _years_before(today, config.retention_customer_contact_years)
    customers = select(Customer.id, Customer.code).where(reader.visible(Customer)).order_by(Customer.code)
    for cid, code in conn.execute(customers):
        last = _latest(invoiced.get(cid), met.get(cid))
        if counts.get(cid) and last is not None and last < limit:
            items.append(RetentionItem("customer", code, last, counts[cid]))
    counts = _counts_by(conn, Contact.prospect_id)
    met = _latest_by(conn, Activity.prospect_id, Activity.occurred_on)
    moved = _latest_by(conn, StageChange.prospect_id, StageChange.changed_on)
    limit = _years_before(today, config.retention_prospect_years)
    prospects = select(Prospect.id, Prospect.code, Prospect.created_on).where(
        reader.visible(Prospect), Prospect.stage != "won"
    )
    for pid, code, created in conn.execute(prospects.order_by(Prospect.code)):
        last = _latest(created, met.get(pid), moved.get(pid))
        if counts.get(pid) and last is not None and last < limit:
            items.append(RetentionItem("prospect", code, last, counts[pid]))
    return items


def retention_due(
    store: Store, principal: Principal, today: dt.date, settings: Settings | None = None
) -> list[RetentionItem]:
    """The accounts (customers, then prospects, by code) whose contact persons
    are past their retention on ``today``; a dry run, nothing changed."""
    require(principal, "admin")
    reader = PortfolioReader(store, principal)
    with reader.connect() as conn:
        return _due(conn, reader, today, settings or Settings.model_construct())


def purge(
    store: Store,
    ring: KeyRing | None,
    items: list[RetentionItem],
    principal: Principal,
    today: dt.date,
    *,
    chain_key: bytes,
    settings: Settings | None = None,
) -> list[RetentionItem]:
    """Delete the contact persons of ``items`` that are still due on ``today``
    (checked again: an account contacted since is spared), clear the
    activities that name them; the purged items, audited as ``gdpr.purge``
    (account codes and counts)."""
    require(principal, "admin")
    reader = PortfolioReader(store, principal)
    with reader.begin() as conn:
        due = {(i.kind, i.code): i for i in _due(conn, reader, today, settings or Settings.model_construct())}
        done = [due[i.kind, i.code] for i in items if (i.kind, i.code) in due]
        cleared = 0
        for item in done:
            model, owner = (
                (Customer, Contact.customer_id) if item.kind == "customer" else (Prospect, Contact.prospect_id)
            )
            account = select(model.id).where(model.code == item.code).scalar_subquery()
            rows = list(conn.execute(select(Contact).where(owner == account)).all())
            cleared += erase_contacts(conn, ring, rows)[1]
        record_event(
            conn,
            actor=principal.username,
            action="gdpr.purge",
            details={
                "accounts": [f"{i.kind}:{i.code}" for i in done],
                "contacts": sum(i.contacts for i in done),
                "activities_cleared": cleared,
                "as_of": today.isoformat(),
            },
            chain_key=chain_key,
        )
    return done
