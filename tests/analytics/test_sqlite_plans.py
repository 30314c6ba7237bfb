"""No query the figures send to a SQLite store runs a subquery once per row.

SQLite evaluates a subquery that refers to the outer row (a correlated one)
again for every row: ``settle_purchases`` written as a semi-join compiled to
``WHERE EXISTS (SELECT ... FROM <temporary table> WHERE credited = customer_id)``,
a scan of the credited customers for every invoice line, O(lines x customers):
the figures of a 20,000-customer demo store (493,000 lines) took 233 s, 213 of
them in that query; as an ``IN`` list, 24 s.  The demo's 300 customers hid it
(a fraction of a second); the query plan shows it at any size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clientfolio.access import SYSTEM
from clientfolio.plan.run import gather
from clientfolio.store import Store


def test_no_query_of_the_figures_runs_a_correlated_subquery(
    demo_copy: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ibis.backends.sqlite as sqlite_backend

    plans: dict[str, list[str]] = {}
    raw_sql = sqlite_backend.Backend.raw_sql

    def explained(self: Any, query: Any, **kwargs: Any) -> Any:
        sql = query if isinstance(query, str) else query.sql(dialect=self.name)
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plans[sql] = [str(step[3]) for step in self.con.execute("EXPLAIN QUERY PLAN " + sql)]
        return raw_sql(self, query, **kwargs)

    monkeypatch.setattr(sqlite_backend.Backend, "raw_sql", explained)
    store = Store(demo_copy())
    try:
        gather(store, SYSTEM, interval=False)
    finally:
        store.dispose()
    # the analysis, the valuation, the prospects and the follow-up, the credit notes settled included
    assert len(plans) >= 10 and any("exact_purchases" in sql for sql in plans)
    correlated = [f"{sql[:300]}...\n  {plan}" for sql, plan in plans.items() if any("CORRELATED" in s for s in plan)]
    assert not correlated, "queries running a subquery per row:\n" + "\n".join(correlated)
