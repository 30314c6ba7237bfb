"""No query the dashboard's figures send to a SQLite store scans a table once per row.

SQLite evaluates a subquery that refers to the outer row (a correlated one)
again for every row: ``settle_purchases`` written as a semi-join compiled to
``WHERE EXISTS (SELECT ... FROM <temporary table> WHERE credited = customer_id)``,
a scan of the credited customers for every invoice line, O(lines x customers):
the figures of a 20,000-customer demo store (493,000 lines) took 233 s, 213 of
them in that query; as an ``IN`` list, 24 s.  The demo's 300 customers hid it
(a fraction of a second); the query plan shows it at any size.  A correlated
subquery that searches an index is one lookup per row, and allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from clientfolio.access import SYSTEM, Principal, Scope
from clientfolio.protect.keys import KeyRing
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web.figures import compute_figures


def scans_per_row(plan: list[tuple[int, int, int, str]]) -> list[str]:
    """The correlated subqueries of an ``EXPLAIN QUERY PLAN`` (id, parent, -,
    detail) that scan a table (not search an index) for every outer row."""
    children: dict[int, list[tuple[int, str]]] = {}
    for node, parent, _, detail in plan:
        children.setdefault(parent, []).append((node, detail))

    def below(node: int) -> Iterator[str]:
        for child, detail in children.get(node, []):
            yield detail
            yield from below(child)

    return [
        detail
        for node, _, _, detail in plan
        if "CORRELATED" in detail and any(d.startswith("SCAN") for d in below(node))
    ]


def test_no_query_of_the_figures_scans_a_table_per_row(
    demo_copy: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ibis.backends.sqlite as sqlite_backend

    plans: dict[str, list[tuple[int, int, int, str]]] = {}

    def explain(connection: Any, sql: str, parameters: Any = ()) -> None:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plans[sql] = [tuple(step) for step in connection.execute("EXPLAIN QUERY PLAN " + sql, parameters)]

    raw_sql = sqlite_backend.Backend.raw_sql

    def explained(self: Any, query: Any, **kwargs: Any) -> Any:  # the analyses' queries, through Ibis
        explain(self.con, query if isinstance(query, str) else query.sql(dialect=self.name))
        return raw_sql(self, query, **kwargs)

    monkeypatch.setattr(sqlite_backend.Backend, "raw_sql", explained)
    store = Store(demo_copy())

    @event.listens_for(store.engine, "before_cursor_execute")
    def read(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not executemany:  # the access layer's reads, through SQLAlchemy
            explain(cursor.connection, statement, parameters)

    ring = KeyRing.load(Settings(database_url=store.url))
    try:
        for principal in (SYSTEM, Principal("rep", "sales", Scope(regions=frozenset({"IDF"})))):
            assert compute_figures(store, principal, ring) is not None
    finally:
        store.dispose()
    # the analysis, the valuation, the prospects and the follow-up, the credit notes settled included
    assert len(plans) >= 20 and any("exact_purchases" in sql for sql in plans)
    slow = [f"{sql[:300]}...\n  {scans_per_row(plan)}" for sql, plan in plans.items() if scans_per_row(plan)]
    assert not slow, "queries scanning a table for every row:\n" + "\n".join(slow)
