"""Registered exports: scoped rows, fingerprint, traps, signed manifest, audit, alerts, approvals."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from clientfolio.access import SYSTEM, Principal, Scope
from clientfolio.demo import generate_demo
from clientfolio.errors import AccessDenied, AuthenticationFailed, ClientfolioError, ExportRefused
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.audit import list_events, verify_chain
from clientfolio.protect.exports import (
    CUSTOMER_COLUMNS,
    ExportKeys,
    ExportRequest,
    approve_export,
    customer_rows,
    list_approvals,
    list_exports,
    make_export,
)
from clientfolio.protect.fingerprint import canonical
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.manifest import SignedManifest, verify_file
from clientfolio.protect.users import set_password
from clientfolio.store import Store
from clientfolio.store.schema import Customer, User

RING = KeyRing.for_tests(b"k" * 32)
KEYS = ExportKeys.from_ring(RING)
NOON = dt.datetime(2026, 1, 6, 11, 0, tzinfo=dt.UTC)  # a Tuesday, 12:00 in Paris
MANAGER = Principal("cmorel", "manager")
APPROVER_PW = "a long enough passphrase"


@pytest.fixture
def demo(store: Store) -> Store:
    generate_demo(store, customers=60, years=1, seed=5, as_of=dt.date(2026, 1, 5))
    return store


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_an_export_is_written_registered_signed_and_audited(demo: Store, tmp_path: Path) -> None:
    out = tmp_path / "acme.csv"
    result = make_export(
        demo, MANAGER, ExportRequest(" ACME  Conseil ", "mailing"), out, keys=KEYS, rules=ExportRules(), now=NOON
    )
    rows = customer_rows(demo, MANAGER, dt.date(2026, 1, 6))
    written = read_csv(out)
    assert list(written[0]) == list(CUSTOMER_COLUMNS)
    assert (result.rows, result.traps, len(written)) == (60, 3, 63)
    traps = {t.code for t in list_exports(demo)[0].traps}
    real = [r for r in written if r["code"] not in traps]
    # figures and identifiers are untouched; names and cities keep their canonical form
    assert [(r["code"], r["siren"], r["postal_code"], r["revenue_12m"]) for r in real] == [
        (r["code"], r["siren"], r["postal_code"], f"{r['revenue_12m']:.2f}".replace(".", ",")) for r in rows
    ]
    assert [canonical(r["name"]) for r in real] == [canonical(r["name"]) for r in rows]
    assert sum(r["name"] != o["name"] for r, o in zip(real, rows, strict=True)) > 5  # some marks show
    # traps carry a plausible revenue (no tell-tale zero) and sit where their codes sort
    assert all(r["revenue_12m"] != "0,00" for r in written if r["code"] in traps)
    assert [r["code"] for r in written] == sorted(r["code"] for r in written)

    (record,) = list_exports(demo)
    assert (record.export_uid, record.recipient, record.username, record.row_count, record.format) == (
        result.export_uid,
        "ACME Conseil",
        "cmorel",
        60,
        "csv",
    )
    assert record.file_sha256 == result.sha256 and record.key_id == 1 and record.alerts == ()
    signed = SignedManifest.from_json(result.manifest_path.read_text(encoding="utf-8"))
    assert signed == record.signed == result.signed
    assert signed.manifest.row_count == 63 and signed.manifest.file_name == "acme.csv"
    assert verify_file(out, signed, RING.verify_key()).ok

    (event,) = list_events(demo, action="export")
    assert (event.actor, event.target) == ("cmorel", result.export_uid)
    assert event.details == {
        "recipient": "ACME Conseil",
        "purpose": "mailing",
        "rows": 60,
        "traps": 3,
        "kind": "customers",
        "format": "csv",
        "fingerprint": f"1:{result.export_uid}",
        "sha256": result.sha256,
        "alerts": [],
        "approval": None,
    }
    assert verify_chain(demo, KEYS.audit).ok


def test_the_export_holds_only_the_principals_scope(demo: Store, tmp_path: Path) -> None:
    scoped = Principal("cmorel", "manager", Scope(regions=frozenset({"IDF"})))
    with demo.engine.connect() as conn:
        idf = conn.execute(select(Customer.code).where(Customer.region_id == 1).order_by(Customer.code)).scalars()
        expected = list(idf)
    result = make_export(
        demo,
        scoped,
        ExportRequest("ACME", "mailing", format="xlsx"),
        tmp_path / "idf.xlsx",
        keys=KEYS,
        rules=ExportRules(trap_records=0),
        now=NOON,
    )
    sheet = load_workbook(tmp_path / "idf.xlsx").worksheets[0]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == expected and result.rows == len(expected) > 0
    assert {row[6] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"IDF"}


def test_who_may_not_export_is_refused_and_audited(demo: Store, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        make_export(
            demo,
            Principal("jleroy", "sales"),
            ExportRequest("ACME", "mailing"),
            tmp_path / "x.csv",
            keys=KEYS,
            rules=ExportRules(),
            now=NOON,
        )
    assert not (tmp_path / "x.csv").exists() and list_exports(demo) == []
    (event,) = list_events(demo, action="export.refused")
    assert event.actor == "jleroy" and event.details["recipient"] == "ACME"


def test_bad_requests_are_refused_before_anything(demo: Store, tmp_path: Path) -> None:
    for request in (
        ExportRequest(" ", "x"),
        ExportRequest("a", ""),
        ExportRequest("a", "b", kind="invoices"),
        ExportRequest("a", "b", format="pdf"),
    ):
        with pytest.raises(ClientfolioError):
            make_export(demo, SYSTEM, request, tmp_path / "x.csv", keys=KEYS, rules=ExportRules())
    (tmp_path / "old.csv").write_text("keep me")
    with pytest.raises(ClientfolioError, match="never overwrites"):
        make_export(demo, SYSTEM, ExportRequest("a", "b"), tmp_path / "old.csv", keys=KEYS, rules=ExportRules())
    assert (tmp_path / "old.csv").read_text() == "keep me" and list_exports(demo) == []


def test_alerts_are_stored_with_the_export_and_audited(demo: Store, tmp_path: Path) -> None:
    with demo.begin() as conn:
        conn.execute(update(User).where(User.username == "cmorel").values(left_on=dt.date(2026, 3, 31)))
    saturday = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)
    make_export(
        demo,
        MANAGER,
        ExportRequest("ACME", "mailing"),
        tmp_path / "a.csv",
        keys=KEYS,
        rules=ExportRules(alert_rows=59),
        now=saturday,
    )
    (record,) = list_exports(demo)
    assert [a.kind for a in record.alerts] == ["rows", "off_hours", "departure"]
    assert list_events(demo, action="export")[0].details["alerts"] == ["rows", "off_hours", "departure"]


def test_above_the_hard_limit_an_admin_must_approve(demo: Store, tmp_path: Path) -> None:
    rules = ExportRules(hard_limit_rows=59)
    request = ExportRequest("ACME", "whole file")
    with pytest.raises(ExportRefused) as refused:
        make_export(demo, MANAGER, request, tmp_path / "a.csv", keys=KEYS, rules=rules, now=NOON)
    request_id = refused.value.request_id
    with pytest.raises(ExportRefused) as again:  # the same request is not recorded twice
        make_export(demo, MANAGER, request, tmp_path / "a.csv", keys=KEYS, rules=rules, now=NOON)
    assert again.value.request_id == request_id
    assert [(a.id, a.status, a.row_count) for a in list_approvals(demo)] == [(request_id, "pending", 60)]
    assert not (tmp_path / "a.csv").exists()

    admin = Principal("pbernard", "admin")
    set_password(demo, "pbernard", APPROVER_PW, actor="test", chain_key=KEYS.audit)
    with demo.begin() as conn:  # the demo's users were made now; this admin existed before the request
        conn.execute(update(User).where(User.username == "pbernard").values(created_at=NOON - dt.timedelta(days=9)))
    with pytest.raises(AccessDenied):  # not an admin
        approve_export(demo, request_id, MANAGER, password=APPROVER_PW, chain_key=KEYS.audit, now=NOON)
    with pytest.raises(AuthenticationFailed):  # an admin cannot approve its own request (nor without password)
        approve_export(demo, request_id, Principal("cmorel", "admin"), password="", chain_key=KEYS.audit, now=NOON)
    with pytest.raises(AuthenticationFailed):  # the approver's own password, not just its name
        approve_export(demo, request_id, admin, password="wrong password!", chain_key=KEYS.audit, now=NOON)
    with pytest.raises(ClientfolioError, match="no export request"):
        approve_export(demo, 999, admin, password=APPROVER_PW, chain_key=KEYS.audit, now=NOON)
    approved = approve_export(demo, request_id, admin, password=APPROVER_PW, chain_key=KEYS.audit, now=NOON)
    assert (approved.status, approved.approved_by) == ("approved", "pbernard")
    with pytest.raises(ClientfolioError, match="not pending"):
        approve_export(demo, request_id, admin, password=APPROVER_PW, chain_key=KEYS.audit, now=NOON)

    with pytest.raises(ExportRefused):  # another user, or another recipient, is not approved
        make_export(demo, SYSTEM, request, tmp_path / "a.csv", keys=KEYS, rules=rules, now=NOON)
    result = make_export(demo, MANAGER, request, tmp_path / "a.csv", keys=KEYS, rules=rules, now=NOON)
    assert [(a.id, a.status, a.export_uid) for a in list_approvals(demo) if a.id == request_id] == [
        (request_id, "used", result.export_uid)
    ]
    with pytest.raises(ExportRefused):  # an approval is used once
        make_export(demo, MANAGER, request, tmp_path / "b.csv", keys=KEYS, rules=rules, now=NOON)
    actions = [e.action for e in reversed(list_events(demo, limit=100)) if e.action.startswith("export")]
    assert actions == [
        "export.refused",
        "export.refused",
        "export.approved",
        "export.refused",
        "export",
        "export.refused",
    ]
    assert list_events(demo, action="export")[0].details["approval"] == request_id
    assert verify_chain(demo, KEYS.audit).ok


def test_traps_never_repeat_across_exports(demo: Store, tmp_path: Path) -> None:
    for i in range(4):
        make_export(
            demo,
            SYSTEM,
            ExportRequest(f"R{i}", "test"),
            tmp_path / f"{i}.csv",
            keys=KEYS,
            rules=ExportRules(trap_records=5),
            now=NOON,
        )
    traps = [t for e in list_exports(demo) for t in e.traps]
    assert len(traps) == 20
    assert len({t.siren for t in traps}) == 20 and len({canonical(t.name) for t in traps}) == 20
    rows = read_csv(tmp_path / "0.csv")
    assert json.loads(json.dumps(rows))  # plain text cells
    trap_codes = {t.code for t in list_exports(demo)[0].traps}
    assert Decimal(
        sum(Decimal(r["revenue_12m"].replace(",", ".")) for r in rows if r["code"] not in trap_codes)
    ) == sum(r["revenue_12m"] for r in customer_rows(demo, SYSTEM, NOON.date()))


def test_an_approval_needs_an_admin_older_than_the_request_and_not_the_requester(demo: Store, tmp_path: Path) -> None:
    """Issue 14: the requester cannot create a second admin and approve as it."""
    from clientfolio.protect.users import create_user

    rules = ExportRules(hard_limit_rows=59)
    boss = Principal("pbernard", "admin")
    set_password(demo, "pbernard", APPROVER_PW, actor="test", chain_key=KEYS.audit)
    with pytest.raises(ExportRefused) as refused:
        make_export(
            demo,
            boss,
            ExportRequest("ACME", "whole file"),
            tmp_path / "a.csv",
            keys=KEYS,
            rules=rules,
            now=NOON + dt.timedelta(days=3650),
        )  # ten years on: every demo user existed then
    request_id = refused.value.request_id
    later = NOON + dt.timedelta(days=3651)
    with pytest.raises(AccessDenied, match="another admin than its requester"):
        approve_export(demo, request_id, boss, password=APPROVER_PW, chain_key=KEYS.audit, now=later)
    create_user(demo, "puppet", APPROVER_PW, "admin", actor="pbernard", chain_key=KEYS.audit)
    with demo.begin() as conn:
        conn.execute(update(User).where(User.username == "puppet").values(created_at=later))
    with pytest.raises(AccessDenied, match="created after export request"):
        approve_export(
            demo, request_id, Principal("puppet", "admin"), password=APPROVER_PW, chain_key=KEYS.audit, now=later
        )
    assert [e.details["reason"][:20] for e in list_events(demo, action="export.approval.refused")] == [
        "puppet was created a",
        "an export request is",
    ]
    assert [a.status for a in list_approvals(demo)] == ["pending"]
