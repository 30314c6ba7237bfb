"""The GDPR duties of the customer file: record of processing, access,
rectification, erasure, objection to prospecting, retention purge."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.access import SYSTEM, PortfolioReader, Principal
from clientfolio.crypto import open_field, seal_field
from clientfolio.demo import generate_demo
from clientfolio.errors import AccessDenied, ClientfolioError
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.audit import list_events, verify_chain
from clientfolio.protect.exports import ExportKeys, ExportRequest, make_export
from clientfolio.protect.gdpr import (
    ACCOUNTING_KEPT,
    EXPORTS_KEEP_MARKS,
    erase,
    object_to_prospecting,
    processing_record,
    rectify,
    subject_access,
)
from clientfolio.protect.gdpr_retention import purge, retention_due
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import Activity, AuditEntry, Contact, Customer, Invoice

RING = KeyRing.for_tests(b"g" * 32)
KEYS = ExportKeys.from_ring(RING)
AUDIT = KEYS.audit
AS_OF = dt.date(2026, 1, 5)
NOON = dt.datetime(2026, 1, 6, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(store: Store) -> Store:
    generate_demo(store, customers=30, years=1, seed=11, as_of=AS_OF, ring=RING)
    return store


def people(store: Store) -> list[tuple[int, int | None, str, str]]:
    """(contact id, customer id, name, e-mail) of every contact, decrypted."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(Contact).order_by(Contact.id)).all()
    return [
        (
            r.id,
            r.customer_id,
            open_field(RING, "contacts", r.id, "name", r.name) or "",
            open_field(RING, "contacts", r.id, "email", r.email) or "",
        )
        for r in rows
    ]


def a_customer_contact(store: Store) -> tuple[int, int, str, str]:
    """A contact of a customer that has invoices and another contact."""
    found = people(store)
    with store.engine.connect() as conn:
        invoiced = set(conn.execute(select(Invoice.customer_id)).scalars())
    for cid, customer, name, email in found:
        others = [p for p in found if p[1] == customer and p[0] != cid]
        if customer in invoiced and others:
            return cid, customer, name, email
    raise AssertionError("the demo has no such contact")


def audit_text(store: Store) -> str:
    with store.engine.connect() as conn:
        return " ".join(f"{e.target} {e.details}" for e in conn.execute(select(AuditEntry)))


def test_the_record_of_processing_lists_data_purposes_recipients_retention(demo: Store, tmp_path: Path) -> None:
    make_export(
        demo,
        SYSTEM,
        ExportRequest("Agence X", "prospecting", kind="mailing"),
        tmp_path / "m.csv",
        keys=KEYS,
        rules=ExportRules(),
        now=NOON,
    )
    record = processing_record(demo, SYSTEM)
    contacts = next(c for c in record.categories if c.table == "contacts")
    assert contacts.columns == ("name", "function", "email", "phone") and contacts.rows == len(people(demo))
    (recipient,) = record.recipients
    assert (recipient.recipient, recipient.kinds, recipient.exports) == ("Agence X", ("mailing",), 1)
    assert record.retention == {"prospect_years": 3, "customer_contact_years": 3, "invoice_years": 10}
    assert json.dumps(record.as_dict(), default=str)


def test_access_gives_everything_about_the_person_and_nothing_about_others(demo: Store, tmp_path: Path) -> None:
    cid, customer, name, email = a_customer_contact(demo)
    make_export(
        demo,
        SYSTEM,
        ExportRequest("Agence X", "prospecting", kind="mailing"),
        tmp_path / "m.csv",
        keys=KEYS,
        rules=ExportRules(),
        now=NOON,
    )
    with demo.begin() as conn:  # one activity names the person in its subject, one in its encrypted outcome
        conn.execute(
            insert(Activity).values(kind="call", occurred_on=AS_OF, customer_id=customer, subject=f"Rappeler {name}")
        )
        visit = conn.execute(
            insert(Activity).values(kind="visit", occurred_on=AS_OF, customer_id=customer)
        ).inserted_primary_key[0]
        sealed = seal_field(RING, "activities", visit, "outcome", f"Vu {name}, devis")
        conn.execute(update(Activity).where(Activity.id == visit).values(outcome=sealed))
    answer = subject_access(demo, RING, f"  {email.upper()} ", SYSTEM, chain_key=AUDIT)
    (contact,) = answer["contacts"]
    assert (contact["name"], contact["email"], contact["objects_to_prospecting"]) == (name, email, False)
    assert contact["account"]["kind"] == "customer"
    assert [(a["subject"], a["outcome"]) for a in contact["activities"]] == [
        (f"Rappeler {name}", None),
        (None, f"Vu {name}, devis"),
    ]
    assert [e["recipient"] for e in answer["mailing_exports"]] == ["Agence X"]
    text = json.dumps(answer, ensure_ascii=False)
    others = [p for p in people(demo) if p[0] != cid]
    assert not any(p[2] in text or p[3] in text for p in others)
    (event,) = list_events(demo, action="gdpr.access")
    assert event.target == f"contact:{cid}" and email not in audit_text(demo)
    with pytest.raises(ClientfolioError):
        subject_access(demo, RING, "nobody@example.invalid", SYSTEM, chain_key=AUDIT)


def test_only_an_admin_exercises_the_rights(demo: Store) -> None:
    email = a_customer_contact(demo)[3]
    with pytest.raises(AccessDenied):
        subject_access(demo, RING, email, Principal("cmorel", "manager"), chain_key=AUDIT)
    with pytest.raises(AccessDenied):
        retention_due(demo, Principal("cmorel", "manager"), AS_OF)
    with pytest.raises(AccessDenied):
        processing_record(demo, Principal("cmorel", "manager"))


def test_rectification_seals_the_new_value(demo: Store) -> None:
    cid, _, _, email = a_customer_contact(demo)
    assert rectify(demo, RING, email, "phone", "01 02 03 04 05", SYSTEM, chain_key=AUDIT) == 1
    with demo.engine.connect() as conn:
        stored = conn.scalar(select(Contact.phone).where(Contact.id == cid))
    assert stored != "01 02 03 04 05" and open_field(RING, "contacts", cid, "phone", stored) == "01 02 03 04 05"
    with pytest.raises(ClientfolioError):
        rectify(demo, RING, email, "customer_id", "1", SYSTEM, chain_key=AUDIT)
    assert list_events(demo, action="gdpr.rectify")[0].details == {"field": "phone"}


def test_erasure_removes_the_person_and_keeps_the_accounting_records(demo: Store) -> None:
    cid, customer, name, email = a_customer_contact(demo)
    with demo.engine.connect() as conn:
        invoices = conn.scalar(select(func.count()).where(Invoice.customer_id == customer))
        code = conn.scalar(select(Customer.code).where(Customer.id == customer))
    with demo.begin() as conn:
        call = conn.execute(
            insert(Activity).values(kind="call", occurred_on=AS_OF, customer_id=customer, subject=f"Appel {name}")
        ).inserted_primary_key[0]
    before = len(people(demo))
    result = erase(demo, RING, email, SYSTEM, chain_key=AUDIT)
    assert (result.contacts, result.activities) == (1, 1) and len(people(demo)) == before - 1
    with demo.engine.connect() as conn:  # the call stays, without the text naming the person
        assert conn.execute(select(Activity.kind, Activity.subject).where(Activity.id == call)).one() == ("call", None)
    assert PortfolioReader(demo, SYSTEM).find_contact_by_email(email, RING) == []
    assert all(p[0] != cid for p in people(demo))
    with demo.engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(Invoice.customer_id == customer)) == invoices
    assert (ACCOUNTING_KEPT, {"customer": code, "invoices": str(invoices)}) in result.kept
    assert (EXPORTS_KEEP_MARKS, {}) in result.kept
    assert list_events(demo, action="gdpr.erase")[0].target == f"contact:{cid}"
    assert name not in audit_text(demo) and email not in audit_text(demo)
    assert verify_chain(demo, AUDIT).ok


def test_an_objection_leaves_the_person_out_of_mailings(demo: Store, tmp_path: Path) -> None:
    cid, customer, _, email = a_customer_contact(demo)
    assert object_to_prospecting(demo, RING, email, SYSTEM, chain_key=AUDIT) == 1
    make_export(
        demo,
        SYSTEM,
        ExportRequest("Agence X", "prospecting", kind="mailing"),
        tmp_path / "m.csv",
        keys=KEYS,
        rules=ExportRules(),
        now=NOON,
    )
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as f:
        sent = {row["email"] for row in csv.DictReader(f, delimiter=";")}
    colleagues = {p[3] for p in people(demo) if p[1] == customer and p[0] != cid}
    assert email not in sent and colleagues <= sent
    assert subject_access(demo, RING, email, SYSTEM, chain_key=AUDIT)["contacts"][0]["objects_to_prospecting"]
    assert list_events(demo, action="gdpr.object")[0].target == f"contact:{cid}"


def test_retention_lists_then_purges_on_confirmation(demo: Store) -> None:
    today = dt.date(2029, 3, 1)  # 3 years after the demo's last contacts
    before = len(people(demo))
    due = retention_due(demo, SYSTEM, today)
    assert due and {i.kind for i in due} == {"customer", "prospect"}
    assert all(i.last_contact < dt.date(2026, 3, 1) for i in due)
    assert len(people(demo)) == before and list_events(demo, action="gdpr.purge") == []  # a dry run
    spared = next(i for i in due if i.kind == "customer")
    with demo.begin() as conn:  # contacted since the list was made: spared
        account = conn.scalar(select(Customer.id).where(Customer.code == spared.code))
        conn.execute(insert(Activity).values(kind="call", occurred_on=dt.date(2028, 6, 1), customer_id=account))
    done = purge(demo, RING, due, SYSTEM, today, chain_key=AUDIT)
    assert spared not in done and len(done) == len(due) - 1
    assert len(people(demo)) == before - sum(i.contacts for i in done)
    assert sum(p[1] == account for p in people(demo)) == spared.contacts
    assert retention_due(demo, SYSTEM, today) == []  # the spared account is no longer due
    (event,) = list_events(demo, action="gdpr.purge")
    assert event.details["contacts"] == sum(i.contacts for i in done)
    assert f"customer:{spared.code}" not in event.details["accounts"]
    assert retention_due(demo, SYSTEM, dt.date(2026, 1, 6)) == []  # nothing is due right after the demo


def test_the_commands_in_french_ask_before_erasing_and_purging(tmp_path: Path) -> None:
    key = base64.b64encode(b"g" * 32).decode()
    url = f"sqlite:///{tmp_path}/x.db"

    def run(*args: str, answer: str = "") -> Result:
        return CliRunner().invoke(
            cli.app, [*args, "--db", url, "--lang", "fr"], input=answer, env={"CLIENTFOLIO_KEY": key, "COLUMNS": "200"}
        )

    assert run("demo", "--customers", "30", "--years", "1").exit_code == 0
    store = Store(url)
    email = a_customer_contact(store)[3]
    assert "Finalités" in run("gdpr", "record").stdout
    assert json.loads(run("gdpr", "access", email).stdout)["contacts"][0]["email"] == email
    refused = run("gdpr", "erase", email, answer="n\n")
    assert refused.exit_code == 1 and "Effacer toutes les données" in refused.stdout
    erased = run("gdpr", "erase", email, "--yes")
    assert erased.exit_code == 0 and "Code de commerce" in erased.stdout and "Effacé : 1 fiches" in erased.stdout
    gone = run("gdpr", "access", email)
    assert gone.exit_code == 1 and "aucun interlocuteur" in gone.stderr
    listed = run("gdpr", "retention", "--as-of", "2040-01-01")
    assert "Simulation" in listed.stdout and list_events(store, action="gdpr.purge") == []
    assert run("gdpr", "retention", "--as-of", "2040-01-01", "--purge", answer="o\n").exit_code == 0
    assert retention_due(store, SYSTEM, dt.date(2040, 1, 1)) == []
    assert len(list_events(store, action="gdpr.purge")) == 1
    assert "Effacer" in run("gdpr", "erase", "--help").stdout
    store.dispose()
