"""The SQL of the analyses, compiled once per shape of query.

Ibis compiles each query anew, and on a store of a few hundred customers that
is a tenth of the dashboard's figures (0.1 s of CPU per scope).  Yet the same
queries come back in a process that lives on: the figures of a scope after an
import, the same analysis for another reader, another store of the same
schema.  ``remember_compiled(backend)`` makes ``backend.compile`` keep the SQL
of each query it compiles under the query's shape (its operations, columns,
types, literal values and limit, its tables by their places and schemas, not
their names: Ibis's temporary and in-memory tables have new names every time).
The first query of a shape is compiled as it is (a command run once pays only
the shape's reading, a few milliseconds); the next on the same tables gets its
SQL; the first on other tables compiles the shape once with its tables named
by their places, and the next ones get that SQL with their own tables' names
put in.  A query with parameters is compiled as before.  The last ``KEPT``
shapes are kept, shared by the process's back-ends of the same kind
(``name``: DuckDB, SQLite, PostgreSQL).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibis.backends.sql import SQLBackend

__all__ = ["KEPT", "remember_compiled"]

KEPT = 512
"""How many shapes of query the process keeps the SQL of (a few hundred
bytes to a few tens of kB each)."""

_PLACEHOLDER = "clientfolio_table_{}_"
_kept: OrderedDict[tuple[Any, ...], tuple[tuple[str, ...] | None, str]] = OrderedDict()
_lock = threading.Lock()


def remember_compiled(backend: SQLBackend) -> None:
    """Make ``backend.compile`` (which its ``execute``, ``to_pyarrow`` … call)
    reuse the SQL of a query of the same shape compiled before."""
    compile_anew = backend.compile

    def compile(expr: Any, /, *, limit: Any = None, params: Any = None, pretty: bool = False) -> str:
        if params or pretty:
            return str(compile_anew(expr, limit=limit, params=params, pretty=pretty))
        op = expr.op()
        shape, tables = _shape(op)
        names = tuple(table.name for table in tables)
        key = (backend.name, shape, limit)
        try:
            with _lock:
                kept = _kept.get(key)
                if kept is not None:
                    _kept.move_to_end(key)
        except TypeError:  # a value Ibis holds that cannot be a key: compiled as before
            return str(compile_anew(expr, limit=limit))
        if kept is None:  # the first of its shape: compiled as it is (a command run once pays nothing more)
            sql = str(compile_anew(expr, limit=limit))
            _keep(key, (names, sql))
            return sql
        if kept[0] == names:  # the same tables again
            return kept[1]
        if kept[0] is not None:  # the same shape on other tables: compiled once with its tables by their places
            unbound = _unbound(op, tables)
            kept = (None, str(compile_anew(unbound.to_expr(), limit=limit)))
            _keep(key, kept)
        own = {_quoted(backend, _PLACEHOLDER.format(i)): _quoted(backend, name) for i, name in enumerate(names)}
        return re.sub("|".join(map(re.escape, own)), lambda found: own[found.group()], kept[1]) if own else kept[1]

    backend.compile = compile


def _keep(key: tuple[Any, ...], kept: tuple[tuple[str, ...] | None, str]) -> None:
    with _lock:
        _kept[key] = kept
        while len(_kept) > KEPT:
            _kept.popitem(last=False)


def _shape(op: Any) -> tuple[tuple[Any, ...], list[Any]]:
    """The shape of ``op``: each of its operations, inputs first, with the
    places of its inputs among them instead of the inputs, and each table (in
    the store, temporary or in memory) by its place among the tables and its
    schema, not its name; and those tables in that order."""
    import ibis.expr.operations as ops
    from ibis.common.graph import Node

    table_kinds = (ops.DatabaseTable, ops.InMemoryTable, ops.UnboundTable)
    place: dict[Any, int] = {}
    entries: list[Any] = []
    tables: list[Any] = []

    def visit(node: Any) -> int:
        found = place.get(node)
        if found is None:
            if isinstance(node, table_kinds):
                entry: Any = ("table", len(tables), node.schema, getattr(node, "namespace", None))
                tables.append(node)
            else:
                entry = (type(node), flat(node.__args__))
            found = place[node] = len(entries)
            entries.append(entry)
        return found

    def flat(value: Any) -> Any:
        if isinstance(value, Node):
            return ("@", visit(value))
        if isinstance(value, tuple | list):
            return tuple(flat(item) for item in value)
        if isinstance(value, dict):  # ibis's frozen mappings (a projection's columns ...)
            return ("{}", *((k, flat(v)) for k, v in value.items()))
        return value

    visit(op)
    return tuple(entries), tables


def _unbound(op: Any, tables: list[Any]) -> Any:
    """``op`` with ``tables`` replaced by unbound tables of their schemas, named by their places."""
    import ibis.expr.operations as ops

    return op.replace(
        {
            table: ops.UnboundTable(
                name=_PLACEHOLDER.format(i), schema=table.schema, namespace=getattr(table, "namespace", ops.Namespace())
            )
            for i, table in enumerate(tables)
        }
    )


def _quoted(backend: SQLBackend, name: str) -> str:
    import sqlglot as sg

    return str(sg.to_identifier(name, quoted=backend.compiler.quoted).sql(backend.dialect))
