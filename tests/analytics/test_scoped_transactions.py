"""The analytics read the store through the access layer: a scoped reader's
transactions table holds exactly the invoice lines that reader may see."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.access import SYSTEM, PipelineReader, PortfolioReader, Principal, Scope
from clientfolio.analytics.engines import connect_store
from clientfolio.demo import generate_demo
from clientfolio.store import Store


def test_scoped_transactions_match_the_scoped_sales(store: Store) -> None:
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30))
    for scope in (
        Scope(),
        Scope(regions=frozenset({"IDF"})),
        Scope(segments=frozenset({"SAN", "BTP"})),
        Scope(product_lines=frozenset({"SRV"})),
    ):
        con = connect_store(store.url)  # one session per reader: on PostgreSQL its scope is bound for good
        try:
            reader = PortfolioReader(store, Principal("rep", "sales", scope))
            expected = sorted((s.customer_code, s.invoice_number, s.amount_cents) for s in reader.sales())
            table = reader.transactions(con)
            got = sorted(
                (r["customer_id"], r["invoice_id"], r["amount_cents"])
                for r in table.select("customer_id", "invoice_id", "amount_cents").to_pyarrow().to_pylist()
            )
            assert got == expected
            if scope != Scope():
                assert 0 < len(got) < len(list(PortfolioReader(store, SYSTEM).sales()))
        finally:
            con.disconnect()


def test_a_scoped_store_analysed_on_duckdb_matches_its_own_engine(store: Store) -> None:
    """On DuckDB the store is analysed from a copy of the lines the reader may
    see: the same analysis as on the store's own engine, for every scope."""
    from clientfolio.analytics.run import analyze_source

    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30))
    day = dt.date(2025, 6, 30)
    everyone = analyze_source(store=store, reader=PortfolioReader(store, SYSTEM), as_of=day)
    for scope in (Scope(regions=frozenset({"IDF"})), Scope(product_lines=frozenset({"SRV"}))):
        reader = PortfolioReader(store, Principal("rep", "sales", scope))
        own = analyze_source(store=store, reader=reader, as_of=day).as_dict()
        on_duckdb = analyze_source(store=store, reader=reader, engine="duckdb", as_of=day).as_dict()
        assert on_duckdb == own
        assert 0 < len(own["abc"]) <= len(everyone.abc)
        assert own["measures"] != everyone.as_dict()["measures"]


def test_the_readers_aggregates_are_those_of_its_own_rows(store: Store) -> None:
    """The latest sale and activity dates and the revenue per customer over a
    span, computed by the database, are those of the rows the reader sees."""
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30))
    start, end = dt.date(2025, 1, 1), dt.date(2025, 3, 31)
    for scope in (Scope(), Scope(regions=frozenset({"IDF"})), Scope(product_lines=frozenset({"SRV"}))):
        reader = PipelineReader(store, Principal("rep", "sales", scope))
        rows = reader.revenue_by_customer_date()
        revenue: dict[str, int] = {}
        for code, day, cents in rows:
            if start <= day <= end:
                revenue[code] = revenue.get(code, 0) + cents
        assert reader.revenue_by_customer(start, end) == revenue and revenue
        assert reader.latest_sale_date() == max(day for _, day, _ in rows)
        made = reader.activities()
        assert made and reader.latest_activity_date() == max(a.occurred_on for a in made)
    nobody = PipelineReader(store, Principal("rep", "sales", Scope(regions=frozenset({"nowhere"}))))
    assert (nobody.latest_sale_date(), nobody.latest_activity_date(), nobody.revenue_by_customer(start, end)) == (
        None,
        None,
        {},
    )


@pytest.mark.postgres
def test_the_analyses_plan_their_postgresql_queries_for_every_row(pg_url: str) -> None:
    """Ibis reads a result through a cursor, which PostgreSQL plans for its
    first tenth by default (nested loops that, on the statistics of a store not
    yet analysed after an import, took 300 s for the plan's revenue by customer
    and product line at 20,000 customers, against 1 s hashed); the analyses read
    every row and say so."""
    Store(pg_url).dispose()  # migrated
    con = connect_store(pg_url)
    try:
        assert con.raw_sql("SHOW cursor_tuple_fraction").fetchone()[0] == "1"
    finally:
        con.disconnect()
