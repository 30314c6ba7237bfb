"""The analytics read the store through the access layer: a scoped reader's
transactions table holds exactly the invoice lines that reader may see."""

from __future__ import annotations

import datetime as dt

from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
from clientfolio.analytics.engines import connect_store
from clientfolio.demo import generate_demo
from clientfolio.store import Store


def test_scoped_transactions_match_the_scoped_sales(store: Store) -> None:
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30))
    con = connect_store(store.url)
    try:
        for scope in (Scope(), Scope(regions=frozenset({"IDF"})), Scope(segments=frozenset({"SAN", "BTP"})),
                      Scope(product_lines=frozenset({"SRV"}))):
            reader = PortfolioReader(store, Principal("rep", "sales", scope))
            expected = sorted((s.customer_code, s.invoice_number, s.amount_cents) for s in reader.sales())
            table = reader.transactions(con)
            got = sorted((r["customer_id"], r["invoice_id"], r["amount_cents"])
                         for r in table.select("customer_id", "invoice_id", "amount_cents").to_pyarrow().to_pylist())
            assert got == expected
            if scope != Scope():
                assert 0 < len(got) < len(list(PortfolioReader(store, SYSTEM).sales()))
    finally:
        con.disconnect()
