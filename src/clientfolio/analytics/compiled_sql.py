"""The SQL of the analyses, compiled once per shape of query.

Ibis compiles each query anew: on a store of a few hundred customers that
takes longer than running it (a third of the dashboard's figures, 0.3 s of
CPU per scope).  Yet the same queries come back: the figures of a scope after
an import, the same analysis for another reader, the next command on the same
store.  ``remember_compiled(backend)`` makes ``backend.compile`` keep the SQL
of each query it compiles, keyed by the query with its tables' names taken
out (the names of Ibis's temporary and in-memory tables are new every time):
the next query of the same shape (same operations, columns, types, literal
values and limit, its tables in the same places) gets that SQL with its own
tables' names put back, without compiling.  A query with parameters is
compiled as before.  The last ``KEPT`` shapes are kept, shared by the
process's back-ends of the same kind (``name``: DuckDB, SQLite, PostgreSQL).
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
_kept: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_lock = threading.Lock()


def remember_compiled(backend: SQLBackend) -> None:
    """Make ``backend.compile`` (which its ``execute``, ``to_pyarrow`` … call)
    reuse the SQL of a query of the same shape compiled before."""
    compile_anew = backend.compile

    def compile(expr: Any, /, *, limit: Any = None, params: Any = None, pretty: bool = False) -> str:
        if params or pretty:
            return str(compile_anew(expr, limit=limit, params=params, pretty=pretty))
        shape, names = _shape(expr.op())
        key = (backend.name, shape, limit)
        with _lock:
            sql = _kept.get(key)
            if sql is not None:
                _kept.move_to_end(key)
        if sql is None:
            sql = str(compile_anew(shape.to_expr(), limit=limit))
            with _lock:
                _kept[key] = sql
                while len(_kept) > KEPT:
                    _kept.popitem(last=False)
        if not names:
            return sql
        own = {_quoted(backend, _PLACEHOLDER.format(i)): _quoted(backend, name) for i, name in enumerate(names)}
        return re.sub("|".join(map(re.escape, own)), lambda found: own[found.group()], sql)

    backend.compile = compile


def _shape(op: Any) -> tuple[Any, list[str]]:
    """``op`` with each of its tables (in the store, temporary or in memory)
    replaced by an unbound table of the same schema named by its place, and
    the tables' names in that order."""
    import ibis.expr.operations as ops

    tables = list(dict.fromkeys(op.find((ops.DatabaseTable, ops.InMemoryTable, ops.UnboundTable))))
    if not tables:
        return op, []
    unbound = {
        table: ops.UnboundTable(
            name=_PLACEHOLDER.format(i), schema=table.schema, namespace=getattr(table, "namespace", ops.Namespace())
        )
        for i, table in enumerate(tables)
    }
    return op.replace(unbound), [table.name for table in tables]


def _quoted(backend: SQLBackend, name: str) -> str:
    import sqlglot as sg

    return str(sg.to_identifier(name, quoted=backend.compiler.quoted).sql(backend.dialect))
