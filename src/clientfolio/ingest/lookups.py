"""Reference look-ups used while importing: code -> id, creating what is missing
inside the import's transaction, and the sink of row errors."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from clientfolio.ingest.report import RowError
from clientfolio.store import IdBlock, bulk_insert

__all__ = ["CodeBook", "ErrorSink", "slug"]

_SHOWN = 60  # characters of a too long value kept in its error


def slug(text: str, limit: int = 64) -> str:
    """An upper-case code from a label: "Île-de-France" -> "ILE-DE-FRANCE"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "-", ascii_text.upper()).strip("-")[:limit] or "X"


class CodeBook:
    """``code -> id`` of one table with ``code`` and ``name`` columns.

    ``resolve`` accepts a code or a name (case and accents ignored) and, when
    ``create`` is true, inserts a missing entry (with the import id if the
    table has one).  A ``deferred`` book gives new entries their id at once but
    writes them at the next ``flush`` (one multi-row insert for thousands of
    new customers)."""

    def __init__(self, conn: Connection, table: Table, import_id: int | None = None, *, deferred: bool = False) -> None:
        self.conn = conn
        self.table = table
        self.import_id = import_id if "import_id" in table.c else None
        self._ids = IdBlock(conn, table) if deferred else None
        self._pending: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
        self.ids: dict[str, int] = {}
        self._by_key: dict[str, int] = {}
        for id_, code, name in conn.execute(select(table.c.id, table.c.code, table.c.name)):
            self._remember(id_, code, name)
        self.created = 0

    def _remember(self, id_: int, code: str, name: str) -> None:
        self.ids[code] = id_
        self._by_key.setdefault(slug(code), id_)
        self._by_key.setdefault(slug(name), id_)

    def get(self, code: str) -> int | None:
        return self.ids.get(code)

    def keep_only(self, ids: set[int]) -> None:
        """Forget the entries whose id is not in ``ids`` (rows out of the actor's
        scope: looked up, they are treated as unknown, never as existing)."""
        self.ids = {c: i for c, i in self.ids.items() if i in ids}
        self._by_key = {k: i for k, i in self._by_key.items() if i in ids}

    def resolve(self, value: str, *, create: bool = True, **extra: Any) -> int | None:
        """The id of the entry whose code or name is ``value``."""
        found = self.ids.get(value)
        if found is None:
            found = self._by_key.get(slug(value))
        if found is None and create:
            found = self.add(slug(value) if "code" not in extra else extra.pop("code"), value, **extra)
        return found

    def add(self, code: str, name: str, **extra: Any) -> int:
        values = {"code": code, "name": name, **extra}
        if self.import_id is not None:
            values["import_id"] = self.import_id
        if self._ids is None:
            new_id = self.conn.execute(insert(self.table).values(values).returning(self.table.c.id)).scalar_one()
        else:
            new_id = self._ids.take()
            self._pending[("id", *values)].append((new_id, *values.values()))
        self._remember(new_id, code, name)
        self.created += 1
        return int(new_id)

    def flush(self) -> None:
        """Write the entries a deferred book has created since the last flush."""
        for columns, rows in self._pending.items():
            bulk_insert(self.conn, self.table, columns, rows)
        self._pending.clear()


class ErrorSink:
    """Collects every row error; keeps the first ``limit`` and counts the rest."""

    def __init__(self, file: str, limit: int) -> None:
        self.file = file
        self.limit = limit
        self.errors: list[RowError] = []
        self.total = 0
        self.headers: dict[str, str] = {}  # field -> the file's header, for messages

    def add(self, line: int, column: str, value: Any, reason: str | ValueError) -> None:
        """Count a bad cell; ``reason`` may be the parser's ``ValueError`` (a
        ``TooLong`` one keeps its template, and its value is shortened)."""
        self.total += 1
        if len(self.errors) < self.limit:
            shown = self.headers.get(column, column)
            text = "" if value is None else str(value)
            template: str = getattr(reason, "template", "")
            params: dict[str, str | int] = getattr(reason, "params", {})
            if template and len(text) > _SHOWN:
                text = text[: _SHOWN - 1] + "\u2026"
            self.errors.append(RowError(self.file, line, shown, text, str(reason), template, params))

    def __bool__(self) -> bool:
        return self.total > 0
