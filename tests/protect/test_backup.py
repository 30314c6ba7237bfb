"""Backups: consistent while the store is written, encrypted, verified in full
before a restore replaces anything; the restored store equals the saved one."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from clientfolio.demo import generate_demo
from clientfolio.errors import BackupRefused, ClientfolioError
from clientfolio.protect.audit import list_events, verify_chain
from clientfolio.protect.backup import backup, restore, verify_backup
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.rotation import key_status, rotate_keys
from clientfolio.store import Store
from clientfolio.store.schema import Action, Base, Customer, ImportBatch, Region
from tests.conftest import planner_statistics

RING = KeyRing.for_tests(b"k" * 32)


def snapshot(store: Store) -> dict[str, list[Any]]:
    """Every row of every table of the models, by primary key."""
    with store.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in Base.metadata.sorted_tables
        }


def assert_restored(restored: dict[str, list[Any]], original: dict[str, list[Any]]) -> None:
    """Every table as in ``original``; the audit log as it was when the archive
    was made (without the backup's own entry, written once the archive was
    complete; hashes aside: an older key's log is re-sealed), then the restore's entry."""
    restored, original = dict(restored), dict(original)
    log, was = restored.pop("audit_log"), original.pop("audit_log")
    assert restored == original
    assert log[-1][3] == "backup.restore"
    assert [row[:6] for row in log[:-1]] == [row[:6] for row in was if row[3] != "backup"]


@pytest.fixture
def filled(store: Store) -> Store:
    generate_demo(store, customers=12, years=1, seed=3, as_of=dt.date(2025, 6, 30), ring=RING)
    with store.begin() as conn:
        conn.execute(
            insert(ImportBatch).values(kind="customers", source_name="clients.csv", sha256="ab" * 32, rows_read=3)
        )
        conn.execute(
            insert(Action).values(
                title="Relance",
                kind="commercial",
                progress=10,
                budget_cents=1234,
                comments=None,
                due_on=dt.date(2025, 7, 1),
            )
        )
    return store


def test_backup_then_restore_gives_back_every_row(filled: Store, tmp_path: Path) -> None:
    before = snapshot(filled)
    archive = tmp_path / "b.cfbackup"
    manifest = backup(filled, RING, archive, chunk_size=4096)
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    assert manifest.chunks > 3
    assert {t.name: t.rows for t in manifest.tables} == {name: len(rows) for name, rows in before.items()}
    assert manifest.schema_revision == Store.head_revision() and manifest.key_id == 1
    first_name = before["customers"][0][2]
    assert first_name.encode() not in archive.read_bytes()  # encrypted
    with filled.begin() as conn:  # the store goes on living: rows deleted, changed, added
        conn.execute(delete(Action))
        conn.execute(update(Customer).where(Customer.id == 1).values(name="Changed"))
        conn.execute(insert(Region).values(code="NEW", name="Nouvelle"))
    with pytest.raises(BackupRefused, match="rows: confirm to replace them"):
        restore(filled.url, RING, archive)
    assert snapshot(filled) != before
    on_postgresql = filled.dialect == "postgresql"
    analysed = planner_statistics(filled, ("customers",)) if on_postgresql else {}
    report = restore(filled.url, RING, archive, force=True)
    if on_postgresql:  # the planner's statistics gathered again after the bulk write
        assert planner_statistics(filled, ("customers",))["customers"][0] == analysed["customers"][0] + 1
    # one deleted, one added, and the backup's own audit entry (written once the archive was complete)
    assert report.replaced_rows == sum(len(rows) for rows in before.values()) + 1
    assert_restored(snapshot(filled), before)  # every table, row for row
    assert [e.action for e in list_events(filled, limit=1)] == ["backup.restore"]
    assert verify_chain(filled, RING.subkey("audit")).ok
    with filled.begin() as conn:  # the id sequences follow the restored rows
        new_id = conn.execute(insert(Region).values(code="AFTER", name="Après").returning(Region.id)).scalar_one()
    assert new_id == max(r[0] for r in before["regions"]) + 1


def utc_naive(rows: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The snapshot with times in UTC without zone (SQLite keeps no zone)."""

    def value(v: Any) -> Any:
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None)
        return v

    return {name: [tuple(value(v) for v in row) for row in table] for name, table in rows.items()}


def test_restore_into_a_new_sqlite_store(filled: Store, tmp_path: Path) -> None:
    archive = tmp_path / "b.cfbackup"
    backup(filled, RING, archive)
    target = Store(f"sqlite:///{tmp_path}/new.db", upgrade=False)
    restore(target.url, RING, archive)  # created and migrated, after the verification
    assert_restored(snapshot(target), utc_naive(snapshot(filled)))  # from PostgreSQL too
    target.dispose()


def test_backup_is_a_snapshot_while_the_store_is_written(filled: Store, tmp_path: Path) -> None:
    before = snapshot(filled)
    calls: list[int] = []

    def write_meanwhile(done: int, total: int) -> None:
        if not calls:  # after the first table, before the customers (they refer to other tables)
            with filled.begin() as conn:
                conn.execute(insert(Customer).values(code="LATE", name="Arrivé pendant la sauvegarde"))
        calls.append(done)

    manifest = backup(filled, RING, tmp_path / "b.cfbackup", progress=write_meanwhile)
    assert calls[-1] == sum(len(rows) for rows in before.values())
    assert {t.name: t.rows for t in manifest.tables}["customers"] == len(before["customers"])
    restore(filled.url, RING, tmp_path / "b.cfbackup", force=True)
    assert_restored(snapshot(filled), before)


@pytest.mark.parametrize("where", ["header", "first chunk", "middle", "manifest", "last byte"])
def test_a_flipped_byte_is_refused_and_the_store_left_intact(filled: Store, tmp_path: Path, where: str) -> None:
    archive = tmp_path / "b.cfbackup"
    backup(filled, RING, archive, chunk_size=4096)
    data = bytearray(archive.read_bytes())
    header_end = 13 + int.from_bytes(data[9:13], "big")
    at = {
        "header": 20,
        "first chunk": header_end + 30,
        "middle": len(data) // 2,
        "manifest": len(data) - 40,
        "last byte": len(data) - 1,
    }[where]
    data[at] ^= 0x01
    archive.write_bytes(bytes(data))
    with filled.begin() as conn:
        conn.execute(delete(Action))
    changed = snapshot(filled)
    with pytest.raises(BackupRefused):
        restore(filled.url, RING, archive, force=True)
    assert snapshot(filled) == changed


def test_truncated_or_foreign_archives_are_refused(filled: Store, tmp_path: Path) -> None:
    archive = tmp_path / "b.cfbackup"
    backup(filled, RING, archive, chunk_size=4096)
    data = archive.read_bytes()
    cut = tmp_path / "cut.cfbackup"
    cut.write_bytes(data[: len(data) - 200])
    with pytest.raises(BackupRefused, match="truncated"):
        verify_backup(RING, cut)
    other = KeyRing.for_tests(b"o" * 32)
    with pytest.raises(BackupRefused, match="chunk 0 fails authentication: altered, or made with another key 1"):
        restore(filled.url, other, archive, force=True)
    with pytest.raises(BackupRefused, match="made with key 1 .*which this key ring does not hold"):
        verify_backup(KeyRing.for_tests(b"o" * 32, key_id=2), archive)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(BackupRefused, match="is not a Clientfolio backup"):
        verify_backup(RING, text_file)


def test_an_older_backup_opens_with_the_retired_key(filled: Store, tmp_path: Path) -> None:
    ring = KeyRing(keys={1: b"k" * 32}, current=1, path=tmp_path / "clientfolio.key")
    ring.save()
    before = snapshot(filled)
    backup(filled, ring, tmp_path / "old.cfbackup")
    rotated = rotate_keys(filled, ring).ring
    restore(filled.url, rotated, tmp_path / "old.cfbackup", force=True)
    assert_restored(snapshot(filled), before)  # the old tokens are back: retired key 1 still opens them
    assert verify_chain(filled, rotated.subkey("audit")).ok  # the old log, re-sealed under key 2
    assert key_status(filled).by_key == {1: sum(key_status(filled).by_key.values())}
    dropped = rotate_keys(filled, rotated, forget=True).ring  # a store under key 3, keys 1 and 2 gone
    with pytest.raises(BackupRefused, match="made with key 1"):
        verify_backup(dropped, tmp_path / "old.cfbackup")


def test_a_backup_replaces_an_earlier_backup_never_another_file(filled: Store, tmp_path: Path) -> None:
    """``--out`` naming a file that is not a backup (a typo, ``/etc/passwd``) is refused and the
    file left as it was; an earlier backup of the same name is replaced (a nightly backup)."""
    other = tmp_path / "notes.txt"
    other.write_text("mes notes")
    with pytest.raises(ClientfolioError, match="exists and is not a backup"):
        backup(filled, RING, other)
    assert other.read_text() == "mes notes"
    archive = tmp_path / "nightly.cfbackup"
    first = backup(filled, RING, archive)
    second = backup(filled, RING, archive)
    assert second.rows == first.rows + 1  # the audit entry of the first backup
    assert verify_backup(RING, archive).rows == second.rows
