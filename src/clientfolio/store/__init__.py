"""The customer store: tables, migrations, engines and the bulk writer.

``Store`` opens a database URL, brings its schema to the latest migration and
hands out connections.  It knows nothing of the domain.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from clientfolio.errors import StoreError
from clientfolio.store.bulk import IdBlock, bulk_insert
from clientfolio.store.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["IdBlock", "Store", "bulk_insert", "head_of_files"]

_log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]+)?=\s*(?:[\"'](\w+)[\"']|None)\s*$", re.MULTILINE)


def head_of_files(folder: Path = _MIGRATIONS) -> str | None:
    """The one head revision of the migration files in ``folder``, read as text
    (``revision = "0015"``, ``down_revision = "0014"``, as ``script.py.mako``
    writes them, quotes and annotation either way); None when a file says
    it otherwise (a merge, a branch) or there are none: then Alembic decides.
    Alembic's own answer (``Store.head_revision``) loads Alembic and every
    migration, a tenth of a second that each command would pay."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8"))}
        if not found.get("revision") or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


@functools.cache
def _package_head() -> str | None:
    """``head_of_files()`` of the package's migrations, read once per process."""
    return head_of_files()


def _alembic_config() -> Config:
    from alembic.config import Config  # Alembic only when the schema moves

    config = Config()
    config.set_main_option("script_location", "clientfolio.store:migrations")
    return config


ANALYZE_LOCK_WAIT = "2s"
"""How long ``Store.refresh_statistics`` waits for a table another session is
vacuuming or analysing before it gives up (the next autovacuum gathers them)."""


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
        """Apply the Alembic migrations up to ``revision`` (nothing to load
        when the store is at the head already: the usual open)."""
        head = _package_head() if revision == "head" else None
        if head is not None and self._stored_revisions() == [head]:
            return
        from alembic import command
        from alembic.util import CommandError

        config = _alembic_config()
        try:
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
        except DBAPIError as exc:  # no server, no access, or a file that is not a database
            raise StoreError(
                "cannot open the store at {url}: {detail}", url=self.safe_url, detail=str(exc.orig)
            ) from exc
        except CommandError:
            if revision != "head":
                raise
            raise StoreError(
                "the store at {url} is at schema revision {revision}, which this version of Clientfolio "
                "does not know: was it made by a newer version?",
                url=self.safe_url,
                revision=", ".join(self._stored_revisions() or ["?"]),
            ) from None

    def _stored_revisions(self) -> list[str] | None:
        """The revisions ``alembic_version`` holds, None when it cannot be read
        (a new store, or no store: Alembic's path says which)."""
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except DBAPIError:
            return None

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head_revision() -> str | None:
        from alembic.script import ScriptDirectory

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

    def refresh_statistics(self) -> None:
        """Have PostgreSQL gather the planner's statistics of the store's tables
        (``ANALYZE``), after a bulk write: an import, the demo, a restore.
        Without them, until autovacuum passes (minutes later, or never where it
        is off), the planner takes a table of 250,000 invoice lines for a few
        hundred rows and may choose a nested loop over the customers: a command
        of seconds ran for minutes.  ANALYZE reads a sample (30,000 rows a
        table, whatever its size); a role that does not own the tables is told
        so in a notice and nothing changes.  Best effort: what was written is
        committed already, so a failure (a table locked by a long VACUUM for
        more than ``ANALYZE_LOCK_WAIT``, a lost connection) is logged (info:
        nothing for the user to do, autovacuum gathers them later), not raised.
        SQLite: nothing (its planner reads the indexes, not statistics)."""
        if self.dialect != "postgresql":
            return
        from clientfolio.store.schema import Base

        names = ", ".join(self.engine.dialect.identifier_preparer.quote(t.name) for t in Base.metadata.sorted_tables)
        try:
            with self.engine.begin() as conn:
                conn.execute(text(f"SET LOCAL lock_timeout = '{ANALYZE_LOCK_WAIT}'"))
                conn.execute(text(f"ANALYZE {names}"))
        except DBAPIError as exc:
            _log.info("the planner's statistics of %s were not gathered: %s", self.safe_url, exc.orig)

    def dispose(self) -> None:
        self.engine.dispose()
