from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from clientfolio.errors import StoreError
from clientfolio.store import Store, head_of_files
from clientfolio.store.schema import Base


def test_migrations_from_empty_match_the_models(store_url: str) -> None:
    store = Store(store_url, upgrade=False)
    assert store.current_revision() is None
    store.upgrade()
    assert store.current_revision() == Store.head_revision()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "customers",
        "invoices",
        "invoice_lines",
        "payments",
        "prospects",
        "activities",
        "actions",
        "users",
        "user_scopes",
        "regions",
        "segments",
        "product_lines",
    } <= tables
    store.dispose()


def test_upgrade_is_idempotent(store: Store) -> None:
    store.upgrade()
    assert store.current_revision() == Store.head_revision()


def test_sqlite_store_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path}/sub/dir/c.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


def test_the_head_read_from_the_files_is_alembics(tmp_path: Path) -> None:
    assert head_of_files() == Store.head_revision() is not None
    (tmp_path / "a.py").write_text('revision = "a"\ndown_revision = None\n', encoding="utf-8")
    (tmp_path / "b.py").write_text("revision: str = 'b'\ndown_revision: str | None = 'a'\n", encoding="utf-8")
    assert head_of_files(tmp_path) == "b"
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = "a"\n', encoding="utf-8")
    assert head_of_files(tmp_path) is None  # two heads: Alembic decides
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = ("a", "b")\n', encoding="utf-8")
    assert head_of_files(tmp_path) is None  # a merge: not read here


def test_a_store_behind_is_upgraded_and_one_at_the_head_opens_without_alembic(store_url: str) -> None:
    behind = Store(store_url, upgrade=False)
    behind.upgrade("0014")
    assert behind.current_revision() == "0014"
    behind.dispose()
    reopened = Store(store_url)
    assert reopened.current_revision() == Store.head_revision()
    reopened.dispose()
    probe = (
        "import sys\nfrom clientfolio.store import Store\n"
        f"Store({store_url!r}).dispose()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"


def test_a_store_of_a_newer_version_or_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    newer = Store(f"sqlite:///{tmp_path}/newer.db")
    with newer.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    newer.dispose()
    with pytest.raises(StoreError, match="schema revision 9999, which this version of Clientfolio does not know"):
        Store(f"sqlite:///{tmp_path}/newer.db")
    (tmp_path / "notes.db").write_text("not a database\n" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="cannot open the store at .*notes.db: file is not a database"):
        Store(f"sqlite:///{tmp_path}/notes.db")
