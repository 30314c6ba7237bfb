"""Value fixtures: the analytics engines (DuckDB, SQLite, PostgreSQL, Spark),
and ``load_solvency`` putting receivables and settlements on the engine under test."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from tests.analytics.conftest import engine, spark_backend  # noqa: F401

Row = tuple[Any, ...]
LoadSolvency = Callable[[list[Row], list[Row]], tuple[ir.Table, ir.Table]]

RECEIVABLES = pa.schema(
    [
        ("customer_id", pa.string()),
        ("invoice_id", pa.string()),
        ("kind", pa.string()),
        ("issued_on", pa.date32()),
        ("due_on", pa.date32()),
        ("amount_cents", pa.int64()),
    ]
)
SETTLEMENTS = pa.schema([("invoice_id", pa.string()), ("paid_on", pa.date32()), ("amount_cents", pa.int64())])


def _arrow(rows: list[Row], schema: pa.Schema) -> pa.Table:
    return pa.table({f.name: [r[i] for r in rows] for i, f in enumerate(schema)}, schema=schema)


@pytest.fixture
def load_solvency(engine: Any) -> LoadSolvency:  # noqa: F811 - the re-exported fixture
    """``load_solvency(receivables, settlements)``: tuples in the column order of
    ``RECEIVABLES`` / ``SETTLEMENTS`` (dates as ``date``), as two engine tables."""

    def load(receivables: list[Row], settlements: list[Row]) -> tuple[ir.Table, ir.Table]:
        tag = uuid.uuid4().hex[:10]
        r = engine.create_table(f"r_{tag}", ibis.memtable(_arrow(receivables, RECEIVABLES)))
        s = engine.create_table(f"s_{tag}", ibis.memtable(_arrow(settlements, SETTLEMENTS)))
        return r, s

    return load
