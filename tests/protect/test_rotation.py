"""Key rotation: every value readable after, none with the old key alone, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.errors import DecryptionFailed
from clientfolio.protect.fields import SENSITIVE_FIELDS, decrypt_field, email_index, encrypt_field, open_field
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.rotation import key_status, rotate_keys
from clientfolio.store import Store
from clientfolio.store.schema import Base, Contact
from tests.protect.sensitive import PLAIN, fill

OLD = b"o" * 32


def stored(store: Store) -> dict[tuple[str, int, str], str]:
    """Every non-null sensitive value as stored, by (table, id, field)."""
    values = {}
    with store.engine.connect() as conn:
        for name, fields in SENSITIVE_FIELDS.items():
            table = Base.metadata.tables[name]
            for row in conn.execute(select(table.c.id, *[table.c[f] for f in fields])):
                values.update({(name, row[0], f): v for f, v in zip(fields, row[1:], strict=True) if v is not None})
    return values


def file_ring(tmp_path: Path) -> KeyRing:
    ring = KeyRing(keys={1: OLD}, current=1, path=tmp_path / "clientfolio.key")
    ring.save()
    return ring


def test_status_counts_values_by_key_and_plain(store: Store) -> None:
    fill(store, KeyRing.for_tests(OLD))
    status = key_status(store)
    assert status.by_key == {1: 6}
    assert status.plain == {"actions.comments": 1, "contacts.email": 1, "contacts.name": 1}


def test_rotation_reencrypts_everything_and_retires_the_old_key(store: Store, tmp_path: Path) -> None:
    ring = file_ring(tmp_path)
    fill(store, ring)
    report = rotate_keys(store, ring)
    # rows with a value: customer 1, contacts 1-3, activity 1, action 1; values: the 9 of PLAIN
    assert (report.old_key_ids, report.new_key_id, report.rows, report.values, report.plain_values, report.indexes) == (
        (1,),
        2,
        6,
        9,
        3,
        2,
    )
    new = report.ring
    after = stored(store)
    assert set(after) == set(PLAIN)
    assert all(v.startswith("v1:2:") for v in after.values())
    assert {k: decrypt_field(new, *k, v) for k, v in after.items()} == PLAIN
    old_alone = KeyRing.for_tests(OLD)
    for key, token in after.items():
        with pytest.raises(DecryptionFailed):
            decrypt_field(old_alone, *key, token)
        with pytest.raises(DecryptionFailed):  # not even under the old id
            decrypt_field(old_alone, *key, token.replace("v1:2:", "v1:1:", 1))
    with store.engine.connect() as conn:
        indexes = dict(conn.execute(select(Contact.id, Contact.email_index)).all())
    assert indexes == {1: email_index(new, "ann@example.fr"), 2: None, 3: email_index(new, "cy@example.fr")}
    assert [c.code for c in PortfolioReader(store, SYSTEM).find_contact_by_email("CY@example.fr", new)] == ["C2"]
    on_file = json.loads((tmp_path / "clientfolio.key").read_text())
    assert (on_file["current"], list(on_file["keys"]), list(on_file["retired"])) == (2, ["2"], ["1"])
    assert KeyRing.read(tmp_path / "clientfolio.key") == new
    assert key_status(store).by_key == {2: 9} and key_status(store).plain == {}


def test_rotation_is_all_or_nothing(store: Store, tmp_path: Path) -> None:
    ring = file_ring(tmp_path)
    fill(store, ring)
    foreign = encrypt_field(KeyRing.for_tests(b"x" * 32), "actions", 1, "comments", "planted")
    with store.begin() as conn:  # the last row rotated does not open: the rotation must fail
        conn.execute(update(Base.metadata.tables["actions"]).values(comments=foreign))
    before = stored(store)
    with pytest.raises(DecryptionFailed, match="actions.comments of record 1"):
        rotate_keys(store, ring)
    assert stored(store) == before  # rolled back
    on_disk = KeyRing.read(tmp_path / "clientfolio.key")
    assert (sorted(on_disk.keys), on_disk.current) == ([1, 2], 2)  # both kept: nothing is lost
    assert all(open_field(on_disk, *k, v) == PLAIN[k] for k, v in before.items() if k[0] != "actions")


def test_forget_drops_the_old_keys(store: Store, tmp_path: Path) -> None:
    ring = file_ring(tmp_path)
    fill(store, ring)
    report = rotate_keys(store, ring, forget=True)
    assert (dict(report.ring.retired), list(report.ring.keys)) == ({}, [2])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contacts WHERE email_index IS NOT NULL")).scalar() == 2


def test_rotation_reseals_the_audit_log(store: Store, tmp_path: Path) -> None:
    from clientfolio.protect.audit import record_event, verify_chain

    ring = file_ring(tmp_path)
    with store.begin() as conn:
        for n in range(3):
            record_event(
                conn,
                actor="cli:test",
                action="user.change",
                target=f"u{n}",
                details={"n": n},
                chain_key=ring.subkey("audit"),
            )
    report = rotate_keys(store, ring)
    assert report.ring.subkey("audit") != ring.subkey("audit")
    after = verify_chain(store, report.ring.subkey("audit"))
    assert after.ok and after.entries == 4  # the three, and the rotation itself
    from clientfolio.protect.audit import list_events

    rotation = list_events(store, limit=1)[0]
    assert (rotation.action, rotation.target, rotation.details["old_key_ids"]) == ("keys.rotate", "key 2", [1])
    assert not verify_chain(store, ring.subkey("audit")).ok  # the old audit key no longer verifies it


# --- a rotation stopped at any step recovers (issue 14, item 8) ---------------------------------------------


class Crash(Exception):
    """A crash simulated at a checkpoint of the rotation."""


def audited(store: Store, ring: KeyRing, n: int, actor: str = "cli:test") -> None:
    from clientfolio.protect.audit import record_event

    with store.begin() as conn:
        for i in range(n):
            record_event(
                conn,
                actor=actor,
                action="user.change",
                target=f"u{i}",
                details={"n": i},
                chain_key=ring.subkey("audit"),
            )


@pytest.mark.parametrize(
    "point", [p for p in __import__("clientfolio.protect.rotation", fromlist=["CHECKPOINTS"]).CHECKPOINTS]
)
def test_a_rotation_crashed_at_any_step_recovers(store: Store, tmp_path: Path, point: str) -> None:
    from clientfolio.protect.audit import list_events, verify_log

    ring = file_ring(tmp_path)
    fill(store, ring)
    audited(store, ring, 2)

    def crash(name: str) -> None:
        if name == point:
            raise Crash(name)

    with pytest.raises(Crash):
        rotate_keys(store, ring, checkpoint=crash)
    left = KeyRing.read(tmp_path / "clientfolio.key")
    # every value still opens with the ring left on disk, whatever the step
    assert {k: open_field(left, *k, v) for k, v in stored(store).items()} == PLAIN
    # work goes on meanwhile: an audited action under the ring as loaded now
    audited(store, left, 1, actor="cli:meanwhile")
    report = verify_log(store, left)
    assert report.ok, report  # never "broken": the entries are sealed under keys of the ring
    assert report.interrupted_rotation == left.rotation_interrupted
    assert left.rotation_interrupted == (point not in ("start", "retired"))
    if point in ("key-saved", "batch", "reencrypted", "resealed", "recorded"):  # rolled back: old key, then new
        assert [r[2] for r in report.sealed_by] == [1, 2]
    recovered = rotate_keys(store, left)  # `keys recover`
    assert recovered.resumed == left.rotation_interrupted
    final = recovered.ring
    assert not final.rotation_interrupted and KeyRing.read(tmp_path / "clientfolio.key") == final
    after = verify_log(store, final)
    assert after.ok and not after.interrupted_rotation and after.sealed_by == ()
    assert {k: open_field(final, *k, v) for k, v in stored(store).items()} == PLAIN
    assert all(v.startswith(f"v1:{final.current}:") for v in stored(store).values())
    assert [c.code for c in PortfolioReader(store, SYSTEM).find_contact_by_email("ann@example.fr", final)] == ["C1"]
    actions = [e.action for e in reversed(list_events(store, limit=100))]
    assert actions.count("user.change") == 3 and actions[-1] == "keys.rotate"


def test_tampering_during_an_interrupted_rotation_is_still_found(store: Store, tmp_path: Path) -> None:
    from clientfolio.errors import ClientfolioError
    from clientfolio.protect.audit import verify_log
    from clientfolio.store.schema import AuditEntry

    ring = file_ring(tmp_path)
    audited(store, ring, 3)

    def crash(name: str) -> None:
        if name == "resealed":
            raise Crash(name)

    with pytest.raises(Crash):
        rotate_keys(store, ring, checkpoint=crash)
    left = KeyRing.read(tmp_path / "clientfolio.key")
    audited(store, left, 2)
    with store.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="someone else"))
    report = verify_log(store, left)
    assert (report.ok, report.first_bad_seq, report.reason, report.interrupted_rotation) == (False, 2, "edited", True)
    with pytest.raises(ClientfolioError, match="does not verify"):
        rotate_keys(store, left)
    assert KeyRing.read(tmp_path / "clientfolio.key").rotation_interrupted  # nothing half-done


def test_an_entry_under_a_retired_key_is_not_accepted(store: Store, tmp_path: Path) -> None:
    """Only the active keys of an interrupted rotation may seal entries: an entry
    sealed under an old, retired key (leaked, say) breaks the chain."""
    from clientfolio.protect.audit import verify_log

    ring = file_ring(tmp_path)
    audited(store, ring, 2)
    rotated = rotate_keys(store, ring).ring
    audited(store, ring, 1, actor="forger")  # sealed under the retired key 1
    report = verify_log(store, rotated)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 4, "edited")


_KILLER = """
import os, signal, sys
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.rotation import rotate_keys
from clientfolio.store import Store

def hook(name):
    if name == sys.argv[3]:
        os.kill(os.getpid(), signal.SIGKILL)

rotate_keys(Store(sys.argv[1]), KeyRing.read(__import__("pathlib").Path(sys.argv[2])), checkpoint=hook)
"""


@pytest.mark.parametrize("point", ["resealed", "committed"])
def test_a_rotation_killed_9_recovers(tmp_path: Path, point: str) -> None:
    import signal
    import subprocess
    import sys

    from clientfolio.protect.audit import verify_log

    url = f"sqlite:///{tmp_path}/killed.db"
    store = Store(url)
    ring = file_ring(tmp_path)
    fill(store, ring)
    audited(store, ring, 2)
    store.dispose()
    done = subprocess.run(
        [sys.executable, "-c", _KILLER, url, str(tmp_path / "clientfolio.key"), point],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = KeyRing.read(tmp_path / "clientfolio.key")
    assert left.rotation_interrupted
    store = Store(url)
    audited(store, left, 1)
    assert verify_log(store, left).interrupted_rotation and verify_log(store, left).ok
    final = rotate_keys(store, left).ring
    assert verify_log(store, final).ok
    assert {k: open_field(final, *k, v) for k, v in stored(store).items()} == PLAIN
    store.dispose()
