"""Analytics fixtures: the same small transactions on every engine.

``load(rows)`` puts rows (dicts with ``customer_id, invoice_id, date, amount``
in euros and optional ``product, segment, margin``) into a table of the engine
under test and returns it as the standard transactions table.  Tests taking
``load`` run on DuckDB, SQLite, PostgreSQL and Spark; compare results with
``as_rows``.  Spark is skipped when PySpark or Java is missing, except when
``CI`` is set.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from clientfolio.analytics.engines import connect
from clientfolio.analytics.transactions import standardize

Load = Callable[[list[dict[str, Any]]], ir.Table]

_ARROW = pa.schema(
    [
        ("customer_id", pa.string()),
        ("invoice_id", pa.string()),
        ("date", pa.date32()),
        ("amount", pa.float64()),
        ("product", pa.string()),
        ("segment", pa.string()),
        ("margin", pa.float64()),
    ]
)


def _arrow(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {f.name: [r.get(f.name) for r in rows] for f in _ARROW}
    return pa.table(columns, schema=_ARROW)


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PySpark is not installed while CI is set")
        pytest.skip("PySpark not installed")
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("Java is not installed while CI is set (Spark needs it)")
        pytest.skip("Java not installed")
    con = connect("spark")
    yield con
    con._session.stop()


@pytest.fixture(
    params=[
        "duckdb",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("spark", marks=pytest.mark.spark),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    if request.param == "spark":
        yield request.getfixturevalue("spark_backend")
        return
    if request.param == "duckdb":
        con = connect("duckdb")
    elif request.param == "sqlite":
        con = connect("sqlite", database=str(tmp_path / "analytics.db"))
    else:
        con = connect("postgres", url=request.getfixturevalue("pg_url"))
    yield con
    con.disconnect()


@pytest.fixture
def load(engine: Any) -> Load:
    def load_rows(rows: list[dict[str, Any]]) -> ir.Table:
        name = f"t_{uuid.uuid4().hex[:10]}"
        table = engine.create_table(name, ibis.memtable(_arrow(rows)))
        return standardize(table)

    return load_rows


def as_rows(expr: ir.Table, order_by: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``expr`` as plain Python values (dates as ``date``), sorted."""
    if order_by:
        expr = expr.order_by(order_by)
    out = []
    for row in expr.to_pyarrow().to_pylist():
        out.append({k: (v.date() if isinstance(v, dt.datetime) else v) for k, v in row.items()})
    return out
