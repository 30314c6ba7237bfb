"""Fast multi-row INSERT for imports and the demo generator.

SQLAlchemy's per-row parameter processing costs more than the database itself
on a million rows; here rows are plain tuples already in storage form (dates as
ISO strings ``YYYY-MM-DD``, money as integer cents, booleans as ``bool``) and
are sent as multi-row ``INSERT ... VALUES (...), (...)`` statements through the
driver.  ``IdBlock`` hands out primary keys before the rows are written, so
that child rows can carry them in the same batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["IdBlock", "bulk_insert"]

_MAX_PARAMS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
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
            cursor.execute(full_sql, list(chain.from_iterable(rows[start : start + per_statement])))
        rest = rows[stop:]
        if rest:
            cursor.execute(head + ",".join([one] * len(rest)), list(chain.from_iterable(rest)))
    finally:
        cursor.close()


class IdBlock:
    """Primary keys of ``table`` taken before insertion.

    On PostgreSQL they are drawn from the table's sequence, a block at a time,
    so concurrent writers never collide.  On SQLite the writing transaction
    holds the database lock, so the keys after the current maximum are free.
    Call it only inside a transaction that has already written.
    """

    def __init__(self, conn: Connection, table: Table, block: int = 10_000) -> None:
        self.conn = conn
        self.table = table
        self.block = block
        self._free: list[int] = []
        self._next: int | None = None

    def take(self) -> int:
        if self.conn.dialect.name == "postgresql":
            if not self._free:
                self._free = [
                    row[0]
                    for row in self.conn.exec_driver_sql(
                        f"SELECT nextval(pg_get_serial_sequence('{self.table.name}', 'id')) "
                        f"FROM generate_series(1, {self.block})"
                    )
                ]
                self._free.reverse()
            return self._free.pop()
        if self._next is None:
            top = self.conn.exec_driver_sql(f"SELECT max(id) FROM {self.table.name}").scalar()
            self._next = (top or 0) + 1
        self._next += 1
        return self._next - 1
