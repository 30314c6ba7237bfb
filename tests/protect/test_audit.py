"""The audit hash chain: recorded in the caller's transaction, and every edit,
deletion or reordering found by ``verify_chain`` at its first bad entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading

import pytest
from sqlalchemy import Connection, select, text

from clientfolio.errors import ClientfolioError
from clientfolio.protect.audit import (
    GENESIS,
    AuditReport,
    canonical_json,
    list_events,
    record_event,
    reseal_chain,
    verify_chain,
)
from clientfolio.store import Store
from clientfolio.store.schema import AuditEntry

KEY = b"a" * 32
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def five_entries(store: Store) -> list[str]:
    """Entries 1..5 (actor u1..u5) at T0 + n minutes; their hashes."""
    with store.begin() as conn:
        for n in range(1, 6):
            record_event(
                conn,
                actor=f"u{n}",
                action="test.event",
                target=f"C{n}",
                details={"n": n, "day": dt.date(2025, 3, n)},
                chain_key=KEY,
                at=T0 + dt.timedelta(minutes=n),
            )
    with store.engine.connect() as conn:
        return list(conn.scalars(select(AuditEntry.hash).order_by(AuditEntry.seq)))


def sql(store: Store, *statements: str) -> None:
    with store.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_an_intact_chain_verifies_and_reports_its_head(store: Store) -> None:
    assert verify_chain(store, KEY) == AuditReport(True, 0, None, None)
    hashes = five_entries(store)
    assert verify_chain(store, KEY) == AuditReport(True, 5, 5, hashes[-1])
    assert verify_chain(store, KEY, expect_head=(3, hashes[2])).ok


def test_the_seal_is_the_hmac_of_the_previous_hash_and_the_canonical_entry(store: Store) -> None:
    hashes = five_entries(store)
    with store.engine.connect() as conn:
        first = conn.execute(select(AuditEntry).where(AuditEntry.seq == 1)).one()
    assert first.details == '{"day":"2025-03-01","n":1}'
    payload = (
        '{"action":"test.event","actor":"u1","at":"2025-03-01T09:01:00.000000Z",'
        '"details":{"day":"2025-03-01","n":1},"seq":1,"target":"C1"}'
    )
    assert first.prev_hash == GENESIS
    assert first.hash == hmac.new(KEY, (GENESIS + payload).encode(), hashlib.sha256).hexdigest()
    assert hashes[0] == first.hash
    assert canonical_json({"b": [1, 2], "a": "é", "s": {"y", "x"}}) == '{"a":"é","b":[1,2],"s":["x","y"]}'


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "reason"),
    [
        (["UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"], 3, "edited"),
        (['UPDATE audit_log SET details = \'{"day":"2025-03-04","n": 40}\' WHERE seq = 4'], 4, "edited"),
        (["UPDATE audit_log SET details = 'not json' WHERE seq = 2"], 2, "edited"),
        (["UPDATE audit_log SET target = NULL WHERE seq = 5"], 5, "edited"),
        (["UPDATE audit_log SET hash = '" + "f" * 64 + "' WHERE seq = 2"], 2, "edited"),
        (["UPDATE audit_log SET prev_hash = '" + "e" * 64 + "' WHERE seq = 4"], 4, "edited"),
        (["DELETE FROM audit_log WHERE seq = 3"], 3, "deleted"),
        (["DELETE FROM audit_log WHERE seq IN (2, 3)"], 2, "deleted"),
        (["DELETE FROM audit_log WHERE seq = 1"], 1, "deleted"),
        (
            [
                "DELETE FROM audit_log WHERE seq = 3",  # then renumbered to hide the gap
                "UPDATE audit_log SET seq = 3 WHERE seq = 4",
                "UPDATE audit_log SET seq = 4 WHERE seq = 5",
            ],
            3,
            "deleted",
        ),
        (
            [
                "UPDATE audit_log SET seq = 100 WHERE seq = 2",
                "UPDATE audit_log SET seq = 2 WHERE seq = 3",
                "UPDATE audit_log SET seq = 3 WHERE seq = 100",
            ],
            2,
            "reordered",
        ),
        (
            [
                "UPDATE audit_log SET seq = 100 WHERE seq = 1",
                "UPDATE audit_log SET seq = 1 WHERE seq = 5",
                "UPDATE audit_log SET seq = 5 WHERE seq = 100",
            ],
            1,
            "reordered",
        ),
    ],
)
def test_tampering_is_found_at_the_first_bad_entry(
    store: Store,
    tamper: list[str],
    bad_seq: int,
    reason: str,
) -> None:
    five_entries(store)
    sql(store, *tamper)
    report = verify_chain(store, KEY)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, bad_seq, reason), report.detail
    assert report.head_seq == (bad_seq - 1 or None)


def test_an_edit_resealed_without_the_key_is_still_found(store: Store) -> None:
    five_entries(store)
    with store.begin() as conn:
        row = conn.execute(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        forged = hashlib.sha256((row.prev_hash + "mallory").encode()).hexdigest()
        conn.execute(text("UPDATE audit_log SET actor = 'mallory', hash = :h WHERE seq = 2"), {"h": forged})
        conn.execute(text("UPDATE audit_log SET prev_hash = :h WHERE seq = 3"), {"h": forged})
    report = verify_chain(store, KEY)
    assert (report.first_bad_seq, report.reason, report.detail) == (2, "edited", "entry #2 does not match its seal")


def test_a_deleted_tail_is_found_only_against_the_noted_head(store: Store) -> None:
    hashes = five_entries(store)
    sql(store, "DELETE FROM audit_log WHERE seq = 5")
    assert verify_chain(store, KEY).ok  # the limit: a shorter chain is still sound
    report = verify_chain(store, KEY, expect_head=(5, hashes[4]))
    assert (report.ok, report.first_bad_seq, report.reason, report.detail) == (
        False,
        5,
        "deleted",
        "the log ends at #4; the noted head is #5",
    )
    rewritten = verify_chain(store, KEY, expect_head=(4, "0" * 64))
    assert (rewritten.ok, rewritten.first_bad_seq, rewritten.reason) == (False, 4, "edited")


def test_a_wrong_key_fails_at_the_first_entry(store: Store) -> None:
    five_entries(store)
    report = verify_chain(store, b"b" * 32)
    assert (report.first_bad_seq, report.reason) == (1, "edited")
    assert "audit key" in report.detail


def test_an_entry_commits_or_rolls_back_with_the_change(store: Store) -> None:
    def change(conn: Connection) -> None:
        record_event(conn, actor="u", action="user.create", target="x", chain_key=KEY)
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError), store.begin() as conn:
        change(conn)
    assert list_events(store) == []
    with store.begin() as conn:
        assert record_event(conn, actor="u", action="a.b", chain_key=KEY) == 1
        assert record_event(conn, actor="u", action="a.c", chain_key=KEY) == 2
    assert [e.seq for e in list_events(store)] == [2, 1]
    assert verify_chain(store, KEY).ok


def test_list_events_newest_first(store: Store) -> None:
    five_entries(store)
    events = list_events(store, limit=2)
    assert [(e.seq, e.actor, e.target, e.details) for e in events] == [
        (5, "u5", "C5", {"day": "2025-03-05", "n": 5}),
        (4, "u4", "C4", {"day": "2025-03-04", "n": 4}),
    ]
    assert events[0].at == T0 + dt.timedelta(minutes=5)
    assert [e.seq for e in list_events(store, action="nothing")] == []
    sql(store, "UPDATE audit_log SET details = 'oops' WHERE seq = 5")
    assert list_events(store, limit=1)[0].details == {"raw": "oops"}
    assert json.loads(canonical_json({"at": T0})) == {"at": "2025-03-01T09:00:00+00:00"}


def test_reseal_under_a_new_key_after_checking_the_old_one(store: Store) -> None:
    five_entries(store)
    new_key = b"n" * 32
    report = reseal_chain(store, KEY, new_key)
    assert report == verify_chain(store, new_key)
    assert (report.ok, report.entries, report.head_seq) == (True, 5, 5)
    assert verify_chain(store, KEY).reason == "edited"
    assert [e.actor for e in list_events(store)] == ["u5", "u4", "u3", "u2", "u1"]
    sql(store, "DELETE FROM audit_log WHERE seq = 2")
    with pytest.raises(ClientfolioError, match="the audit log does not verify, not re-sealed: deleted at #2"):
        reseal_chain(store, new_key, KEY)
    assert verify_chain(store, new_key).first_bad_seq == 2


def test_concurrent_writers_never_fork_the_chain(store: Store) -> None:
    def write(worker: int) -> None:
        for n in range(10):
            with store.begin() as conn:
                record_event(conn, actor=f"w{worker}", action="test.event", details={"n": n}, chain_key=KEY)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_chain(store, KEY)
    assert (report.ok, report.entries, report.head_seq) == (True, 40, 40)
    assert sorted(e.actor for e in list_events(store, limit=100)) == sorted(
        f"w{w}" for w in range(4) for _ in range(10)
    )
