from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from clientfolio.store import Store
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
