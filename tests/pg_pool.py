"""This worker's PostgreSQL databases, reused from test to test.

``DROP DATABASE`` waits for a checkpoint that writes out the new database's own
catalogs (about a second on a busy server, more than most tests), and migrating
a new database takes seconds: so a database a test is done with is emptied and
given to the next test.  An empty one (``pg_url``) loses its ``public`` schema
and gets a new one; a migrated one (``store``) has its tables truncated.  Either
is then checked against the catalog fingerprint of a new database of its kind
(schemas, tables, columns, constraints, indexes, policies, triggers, functions,
sequences, privileges, settings, extensions, the Alembic revision): if anything
differs, it is dropped and the next test gets a new one.
"""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clientfolio.store import Store

FINGERPRINT = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema')
SELECT md5(coalesce(string_agg(line, E'\\n' ORDER BY line), '')) FROM (
  SELECT concat_ws(' ', 'n', nspname, nspowner::regrole, nspacl) AS line FROM pg_namespace WHERE oid IN (TABLE ns)
  UNION ALL SELECT concat_ws(' ', 'c', oid::regclass, relkind, relrowsecurity, relforcerowsecurity, relacl)
    FROM pg_class WHERE relnamespace IN (TABLE ns)
  UNION ALL SELECT concat_ws(' ', 'a', attrelid::regclass, attname, format_type(atttypid, atttypmod), attnotnull,
      pg_get_expr(adbin, adrelid))
    FROM pg_attribute JOIN pg_class c ON c.oid = attrelid LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
    WHERE c.relnamespace IN (TABLE ns) AND attnum > 0 AND NOT attisdropped
  UNION ALL SELECT concat_ws(' ', 'k', conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace IN (TABLE ns)
  UNION ALL SELECT concat_ws(' ', 'i', pg_get_indexdef(indexrelid))
    FROM pg_index JOIN pg_class c ON c.oid = indexrelid WHERE c.relnamespace IN (TABLE ns)
  UNION ALL SELECT concat_ws(' ', 'p', schemaname, tablename, policyname, permissive, roles, cmd, qual, with_check)
    FROM pg_policies
  UNION ALL SELECT concat_ws(' ', 't', pg_get_triggerdef(oid)) FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT concat_ws(' ', 'f', oid::regprocedure, md5(prosrc)) FROM pg_proc WHERE pronamespace IN (TABLE ns)
  UNION ALL SELECT concat_ws(' ', 'q', schemaname, sequencename, last_value) FROM pg_sequences
  UNION ALL SELECT concat_ws(' ', 'y', oid::regtype) FROM pg_type WHERE typnamespace IN (TABLE ns) AND typrelid = 0
  UNION ALL SELECT concat_ws(' ', 'e', extname, extversion) FROM pg_extension
  UNION ALL SELECT concat_ws(' ', 's', setconfig) FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL SELECT concat_ws(' ', 'd', datacl, datconnlimit, datallowconn) FROM pg_database
    WHERE datname = current_database()
  UNION ALL SELECT concat_ws(' ', 'l', count(*)) FROM pg_largeobject_metadata
) AS catalog
"""

EMPTY_PUBLIC = (
    "DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner; "
    "GRANT USAGE ON SCHEMA public TO PUBLIC; COMMENT ON SCHEMA public IS 'standard public schema'"
)


PUBLIC_TABLES = (
    "SELECT format('public.%I', tablename) FROM pg_tables"
    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)

RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public'"
)


class Databases:
    """New-looking PostgreSQL databases, empty or migrated, for one worker."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._free: dict[bool, list[str]] = {False: [], True: []}
        self._fingerprint: dict[bool, str] = {}
        self._revision = Store.head_revision()

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def take(self, *, migrated: bool) -> str:
        """The name of a database as new: empty, or ``migrated`` to the head revision."""
        if self._free[migrated]:
            return self._free[migrated].pop()
        name = f"clientfolio_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        if migrated:
            Store(self.url(name)).dispose()
        if migrated not in self._fingerprint:
            self._fingerprint[migrated] = self._inspect(name, reset=None)
        return name

    def give_back(self, name: str, *, migrated: bool) -> None:
        """Empty ``name`` for the next test, or drop it if it is no longer as new."""
        with self.admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
        try:
            fingerprint = self._inspect(name, reset=migrated)
        except Exception:  # noqa: BLE001 - a database that cannot be emptied is dropped
            fingerprint = None
        if fingerprint == self._fingerprint[migrated]:
            self._free[migrated].append(name)
        else:
            self._drop(name)

    def close(self) -> None:
        for name in (*self._free[False], *self._free[True]):
            self._drop(name)
        self.admin.dispose()

    def _inspect(self, name: str, *, reset: bool | None) -> str:
        """The fingerprint of ``name``, once emptied (``reset``: False, of its
        schema; True, of its rows but Alembic's)."""
        engine = create_engine(self.url(name), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if reset is False:
                    conn.execute(text(EMPTY_PUBLIC))
                elif reset:
                    conn.execute(text("SET session_replication_role = replica"))  # no foreign keys, no triggers
                    for table in conn.execute(text(PUBLIC_TABLES)).scalars().all():
                        conn.execute(text(f"DELETE FROM {table}"))  # TRUNCATE makes new files: 20 times slower
                    conn.execute(text(RESTART_SEQUENCES))
                    if conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() != [
                        self._revision
                    ]:
                        return "another revision"
                return str(conn.execute(text(FINGERPRINT)).scalar_one())
        finally:
            engine.dispose()

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
