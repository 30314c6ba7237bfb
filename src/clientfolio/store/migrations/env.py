"""Alembic environment: runs on the connection handed over by ``Store.upgrade``."""

from __future__ import annotations

from alembic import context

from clientfolio.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the library drives migrations
    raise RuntimeError("run migrations through clientfolio.store.Store.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
