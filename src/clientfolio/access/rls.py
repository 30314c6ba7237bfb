"""The second wall on PostgreSQL: row-level security bound to the reader's scope.

The access layer filters every query by the principal's scope.  On PostgreSQL
the tables also carry policies (migration 0008) that read the scope from two
settings of the connection, so that a query that forgot its filter still sees
only the scope's rows.  ``scope_settings`` gives those settings; ``limit_connection``
sets them on a SQLAlchemy connection for its transaction, ``limit_backend`` on an
Ibis back-end for its session.  SQLite has no such wall: nothing is set there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from clientfolio.access.principal import Scope

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = ["limit_backend", "limit_connection", "scope_settings"]

_NOTHING = ","  # a list holding only empty codes: matches no row


def _codes(codes: frozenset[str] | None) -> str:
    if codes is None:
        return ""
    return ",".join(sorted(codes)) or _NOTHING


def scope_settings(scope: Scope) -> dict[str, str]:
    """The settings of the policies for ``scope`` (empty value: no limit)."""
    return {"clientfolio.regions": _codes(scope.regions), "clientfolio.segments": _codes(scope.segments)}


def limit_connection(conn: Connection, scope: Scope) -> None:
    """Bind ``conn``'s current transaction to ``scope`` (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return
    for name, value in scope_settings(scope).items():
        conn.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def limit_backend(con: BaseBackend, scope: Scope) -> None:
    """Bind an Ibis back-end's session to ``scope`` (PostgreSQL only)."""
    if con.name != "postgres":
        return
    for name, value in scope_settings(scope).items():
        quoted = value.replace("'", "''")
        con.raw_sql(f"SELECT set_config('{name}', '{quoted}', false)")
