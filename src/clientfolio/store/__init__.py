"""The customer store: tables, migrations, engines and the bulk writer.

``Store`` opens a database URL, brings its schema to the latest migration and
hands out connections.  It knows nothing of the domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from clientfolio.errors import StoreError
from clientfolio.store.bulk import IdBlock, bulk_insert
from clientfolio.store.engine import make_engine

__all__ = ["IdBlock", "Store", "bulk_insert"]


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "clientfolio.store:migrations")
    return config


class Store:
    """A customer store at ``url`` (SQLite file or PostgreSQL database)."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        if upgrade:
            self.upgrade()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to ``revision``."""
        config = _alembic_config()
        try:
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
        except OperationalError as exc:
            raise StoreError(
                "cannot open the store at {url}: {detail}", url=self.safe_url, detail=str(exc.orig)
            ) from exc

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head_revision() -> str | None:
        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction, committed on success."""
        with self.engine.begin() as conn:
            yield conn

    def session(self) -> Session:
        return Session(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
