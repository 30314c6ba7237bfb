"""Fast multi-row INSERT for imports and the demo generator.

SQLAlchemy's per-row parameter processing costs more than the database itself
on a million rows; here rows are plain tuples already in storage form (dates as
``datetime.date``, money as integer cents) and are sent as multi-row
``INSERT ... VALUES (...), (...)`` statements through the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["bulk_insert"]

_MAX_PARAMS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``."""
    if not rows:
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    width = len(columns)
    one = "(" + ",".join([marker] * width) + ")"
    per_statement = max(1, min(500, _MAX_PARAMS // width))
    head = f"INSERT INTO {table.name} ({','.join(columns)}) VALUES "
    full_sql = head + ",".join([one] * per_statement)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        stop = len(rows) - len(rows) % per_statement
        for start in range(0, stop, per_statement):
            cursor.execute(full_sql, [v for row in rows[start : start + per_statement] for v in row])
        rest = rows[stop:]
        if rest:
            cursor.execute(head + ",".join([one] * len(rest)), [v for row in rest for v in row])
    finally:
        cursor.close()
