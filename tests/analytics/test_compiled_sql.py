"""The SQL compiled once per shape of query (``analytics.compiled_sql``): the
same SQL as Ibis compiles, each query's own tables in it, the same answers, and
a query of another shape (another literal, type, limit) never served another's SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import ibis
import pytest

from clientfolio.analytics import compiled_sql
from clientfolio.analytics.engines import connect


@pytest.fixture(autouse=True)
def _nothing_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_sql, "_kept", type(compiled_sql._kept)())


def sales(rows: list[tuple[str, float]]) -> Any:
    return ibis.memtable({"customer_id": [r[0] for r in rows], "amount": [r[1] for r in rows]})


def big_buyers(table: Any, threshold: float) -> Any:
    totals = table.group_by("customer_id").aggregate(total=table.amount.sum())
    return totals.filter(totals.total > threshold).order_by("customer_id")


def no_compiling(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any compilation by a compiler of ``backend``'s kind from now on fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled again")

    monkeypatch.setattr(type(backend.compiler), "to_sqlglot", refuse)


def test_the_same_shape_gets_ibis_sql_with_its_own_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first query of a shape is compiled as it is; the next on the same
    tables gets its SQL; the first on other tables compiles the shape once
    (its tables by their places), and the next ones on other tables again get
    that SQL with their own tables in it."""
    first, second = connect("duckdb"), connect("duckdb")
    plain = ibis.duckdb.connect()  # Ibis as it is
    a, b, c = sales([("A", 5.0), ("B", 30.0), ("B", 1.0)]), sales([("C", 50.0), ("D", 2.0)]), sales([("E", 11.0)])
    assert first.compile(big_buyers(a, 10.0)) == plain.compile(big_buyers(a, 10.0))
    assert first.to_pyarrow(big_buyers(a, 10.0)).to_pylist() == [{"customer_id": "B", "total": 31.0}]
    assert second.to_pyarrow(big_buyers(b, 10.0)).to_pylist() == [{"customer_id": "C", "total": 50.0}]
    expected = plain.compile(big_buyers(c, 10.0))
    no_compiling(second, monkeypatch)
    sql = second.compile(big_buyers(c, 10.0))
    assert sql == expected
    assert c.op().name in sql and a.op().name not in sql and b.op().name not in sql
    assert second.to_pyarrow(big_buyers(c, 10.0)).to_pylist() == [{"customer_id": "E", "total": 11.0}]
    assert first.to_pyarrow(big_buyers(a, 10.0)).to_pylist() == [{"customer_id": "B", "total": 31.0}]


def test_two_tables_of_one_schema_keep_their_places() -> None:
    backend = connect("duckdb")
    left, right = sales([("A", 1.0), ("B", 2.0)]), sales([("B", 20.0), ("C", 30.0)])

    def joined(x: Any, y: Any) -> Any:
        return x.join(y, "customer_id").select("customer_id", mine=x.amount, theirs=y.amount)

    assert backend.to_pyarrow(joined(left, right)).to_pylist() == [{"customer_id": "B", "mine": 2.0, "theirs": 20.0}]
    # the same shape, the tables the other way round: each in its own place
    assert backend.to_pyarrow(joined(right, left)).to_pylist() == [{"customer_id": "B", "mine": 20.0, "theirs": 2.0}]


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (lambda t: big_buyers(t, 20.0), [{"customer_id": "C", "total": 30.0}]),  # another literal
        (lambda t: big_buyers(t, 0.5).limit(1), [{"customer_id": "A", "total": 1.0}]),  # a limit
        (  # another type
            lambda t: big_buyers(t.mutate(amount=t.amount.cast("int64")), 1),
            [{"customer_id": "B", "total": 2}, {"customer_id": "C", "total": 30}],
        ),
    ],
)
def test_another_shape_is_compiled_for_itself(other: Any, expected: list[dict[str, Any]]) -> None:
    backend = connect("duckdb")
    table = sales([("A", 1.0), ("B", 2.0), ("C", 30.0)])
    assert len(backend.to_pyarrow(big_buyers(table, 1.0))) == 2
    assert backend.to_pyarrow(other(table)).to_pylist() == expected


def test_a_store_table_by_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables of a SQLite store: a second store's query of the same shape runs on its own table."""
    for name, rows in (("one.db", [("A", 15.0)]), ("two.db", [("B", 25.0), ("C", 1.0)])):
        with sqlite3.connect(tmp_path / name) as db:
            db.execute("CREATE TABLE sales (customer_id TEXT, amount REAL)")
            db.executemany("INSERT INTO sales VALUES (?, ?)", rows)
    one, two = (
        connect("sqlite", database=str(tmp_path / "one.db")),
        connect("sqlite", database=str(tmp_path / "two.db")),
    )
    assert one.to_pyarrow(big_buyers(one.table("sales"), 10.0)).to_pylist() == [{"customer_id": "A", "total": 15.0}]
    no_compiling(two, monkeypatch)
    assert two.to_pyarrow(big_buyers(two.table("sales"), 10.0)).to_pylist() == [{"customer_id": "B", "total": 25.0}]


def test_only_the_last_shapes_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_sql, "KEPT", 3)
    backend = connect("duckdb")
    table = sales([("A", 1.0)])
    for threshold in range(5):
        backend.compile(big_buyers(table, float(threshold)))
    assert len(compiled_sql._kept) == 3


def test_a_query_with_parameters_is_compiled_each_time() -> None:
    backend = connect("duckdb")
    table = sales([("A", 1.0), ("B", 30.0)])
    threshold = ibis.param("float64")
    query = big_buyers(table, 0.0).filter(lambda t: t.total > threshold)
    assert backend.to_pyarrow(query, params={threshold: 10.0}).to_pylist() == [{"customer_id": "B", "total": 30.0}]
    assert len(backend.to_pyarrow(query, params={threshold: 0.5})) == 2
    assert not compiled_sql._kept
