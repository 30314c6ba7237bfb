"""The second wall on PostgreSQL: row-level security bound to the actor's scope.

The access layer filters every query by the principal's scope.  On PostgreSQL
the tables also carry policies (migrations 0008, 0010) that keep only the rows
of the scope BOUND to the connection by ``clientfolio_bind_scope``: a
connection that declares nothing sees nothing (fails closed), only the system
actor (a principal without any region or segment limit) binds ``*`` (all), and
the first binding of a transaction (or of an Ibis session) wins: a second,
different one is refused by the database, so a scope cannot be widened.
``limit_connection`` binds a SQLAlchemy connection's transaction,
``limit_backend`` an Ibis back-end's session.  SQLite has no such wall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from clientfolio.access.principal import Scope

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = ["ALL", "bound_codes", "limit_backend", "limit_connection", "scope_settings"]

ALL = "*"
"""The binding of a dimension without limit (the system actor, maintenance)."""

_NOTHING = ","  # a list holding only empty codes: matches no row


def _codes(codes: frozenset[str] | None) -> str:
    if codes is None:
        return ""
    return ",".join(sorted(codes)) or _NOTHING


def scope_settings(scope: Scope) -> dict[str, str]:
    """The settings of the policies for ``scope`` (empty value: no limit)."""
    return {"clientfolio.regions": _codes(scope.regions), "clientfolio.segments": _codes(scope.segments)}


def bound_codes(codes: frozenset[str] | None) -> list[str]:
    """The codes bound for one dimension: ``["*"]`` for no limit."""
    return [ALL] if codes is None else sorted(codes)


def limit_connection(conn: Connection, scope: Scope) -> None:
    """Bind ``conn``'s current transaction to ``scope`` (PostgreSQL only); a
    transaction already bound to another scope raises (the database refuses)."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        text("SELECT clientfolio_bind_scope(CAST(:regions AS text[]), CAST(:segments AS text[]), false)"),
        {"regions": bound_codes(scope.regions), "segments": bound_codes(scope.segments)},
    )


def limit_backend(con: BaseBackend, scope: Scope) -> None:
    """Bind an Ibis back-end's session to ``scope`` (PostgreSQL only): every
    later transaction of the session sees that scope; binding it again to
    another scope raises."""
    if con.name != "postgres":
        return

    def array(codes: frozenset[str] | None) -> str:
        items = ",".join("'" + c.replace("'", "''") + "'" for c in bound_codes(codes))
        return f"ARRAY[{items}]::text[]" if items else "ARRAY[]::text[]"

    con.raw_sql(f"SELECT clientfolio_bind_scope({array(scope.regions)}, {array(scope.segments)}, true)")
