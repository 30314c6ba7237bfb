"""The whole valuation: a hand-checked small portfolio, the CDNOW sample end to
end, and the demo store read through the access layer."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import ibis
import pytest

from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
from clientfolio.access.reader import AccountRow
from clientfolio.analytics.engines import connect
from clientfolio.analytics.transactions import standardize
from clientfolio.store import Store
from clientfolio.value import ValueConfig, value_portfolio, value_source, write_value
from clientfolio.value.rules import ClvConfig
from clientfolio.value.run import VALUE_COLUMNS
from clientfolio.value.strategy import QuadrantConfig
from tests.value.cdnow import DATA as CDNOW

AS_OF = dt.date(2024, 12, 31)
SALES = [  # (customer, date, euros)
    ("A1", dt.date(2023, 6, 1), 500.0),
    ("A1", dt.date(2024, 3, 1), 300.0),
    ("A1", dt.date(2024, 9, 1), 300.0),
    ("A2", dt.date(2023, 5, 1), 300.0),
    ("A2", dt.date(2024, 5, 1), 300.0),
    ("A3", dt.date(2024, 11, 1), 100.0),
    ("A4", dt.date(2023, 2, 1), 50.0),
]


def _account(code: str, kind: str = "customer", **fields: object) -> AccountRow:
    base: dict[str, object] = {
        "kind": kind,
        "code": code,
        "name": code.lower(),
        "segment": "S",
        "region": "R",
        "size_band": "small",
        "potential_cents": None,
        "wallet_share_pct": None,
        "sector_growth_pct": None,
        "supplier_policy": None,
    }
    return AccountRow(**{**base, **fields})  # type: ignore[arg-type]


def test_small_portfolio_by_hand() -> None:
    con = connect("duckdb")
    table = standardize(
        con.create_table(
            "t",
            ibis.memtable(
                {
                    "customer_id": [s[0] for s in SALES],
                    "invoice_id": [f"F{i}" for i in range(len(SALES))],
                    "date": [s[1] for s in SALES],
                    "amount": [s[2] for s in SALES],
                }
            ),
        )
    )
    accounts = [
        _account("A1", potential_cents=70_000),
        _account("A2", wallet_share_pct=30.0),
        _account("A3"),
        _account("A4"),
        _account("P1", "prospect", potential_cents=200_000),
    ]
    result = value_portfolio(table, as_of=AS_OF, accounts=accounts)
    got = {c.customer_id: c for c in result.customers}
    # revenue 2024: A1 600, A2 300, A3 100, A4 0 -> ABC A (before 0), A (0.6), B (0.9), C
    assert [got[c].abc for c in ("A1", "A2", "A3", "A4")] == ["A", "A", "B", "C"]
    # wallets: entered 700; 300 / 30 % = 1 000; A3: two known wallets (700, 1 000) < 3 peers, so the
    # revenue of S/small, 100/300/600 -> upper quartile at 0.75 x 2 = 1.5: 300 + 0.5 x 300 = 450;
    # A4 bought nothing in 2024: no estimate from peers (it would be 450 of potential out of nothing)
    assert [(got[c].wallet_cents, got[c].potential_cents) for c in ("A1", "A2", "A3", "A4")] == [
        (70_000, 10_000),
        (100_000, 70_000),
        (45_000, 35_000),
        (None, 0),
    ]
    assert [got[c].potential_source for c in ("A1", "A2", "A3", "A4")] == [
        "entered",
        "share",
        "peers_revenue:segment+size",
        "no_revenue",
    ]
    assert result.potential_sources == {
        "customers": {"entered": 1, "share": 1, "peers_revenue:segment+size": 1, "no_revenue": 1},
        "prospects": {"entered": 1},
    }
    assert result.as_dict()["potential_sources"] == result.potential_sources
    assert [got[c].value_cents for c in ("A1", "A2", "A3", "A4")] == [70_000, 100_000, 45_000, 0]
    # potentials 2 000 (P1), 700, 350, 100, 0 of 3 150: P1 A' (0 before), A2 A' (0.635), A3 B' (0.857),
    # A1 C' (0.968), A4 C' (zero)
    assert [got[c].potential_class for c in ("A1", "A2", "A3", "A4")] == ["C", "A", "B", "C"]
    assert result.prospects[0].potential_class == "A"
    assert [got[c].category for c in ("A1", "A2", "A3", "A4")] == ["core", "vip", "core", "economy"]
    cells = {(c["revenue_class"], c["potential_class"]): c["customers"] for c in result.crossed}
    assert {k: v for k, v in cells.items() if v} == {
        ("A", "C"): 1,
        ("A", "A"): 1,
        ("B", "B"): 1,
        ("C", "C"): 1,
        ("P", "A"): 1,
    }
    # two repeat buyers: no model, and the valuation says why
    assert result.equity.total_cents is None and "2 customer(s) made a repeat purchase" in (result.equity.note or "")
    # no margins: profitability = revenue 600, 300, 100, 0; no model: potential = the potential revenue
    # 100, 700, 350, 0.  Pareto 2 %: profits 100 + 300 + 600 = 1 000, 2 % = 20 < 100 -> cut 100, the three high;
    # potentials 100 + 350 + 700 = 1 150, 2 % = 23 < 100 -> cut 100, the three high.  A4 bought nothing
    # in 2024 and has no future value: no quadrant, flagged
    assert result.quadrant_thresholds == {
        "rule": "pareto",
        "low_share": 0.02,
        "profit_cents": 10_000,
        "potential_cents": 10_000,
        "profit_basis": "revenue",
        "potential_basis": "potential_revenue",
    }
    assert [got[c].quadrant for c in ("A1", "A2", "A3", "A4")] == ["high_high", "high_high", "high_high", None]
    assert [got[c].strategy for c in ("A1", "A2", "A3", "A4")] == ["loyalty", "loyalty", "loyalty", None]
    assert [got[c].quadrant_note for c in ("A1", "A2", "A3", "A4")] == [None, None, None, "no_purchase"]
    # a year earlier: revenue 500, 300, -, 50 (cut 50: 2 % of 850 = 17); today's potential 100, 700, -, 0
    # (cut 100): A4 bought in 2023 so it keeps its quadrant then
    assert [got[c].previous_quadrant for c in ("A1", "A2", "A3", "A4")] == ["high_high", "high_high", None, "high_low"]
    assert [got[c].trajectory for c in ("A1", "A2", "A3", "A4")] == ["stable", "stable", "new", None]
    # the same with a low share of 20 %: profits 20 % of 1 000 = 200: running 100 <= 200, 400 > 200 -> cut
    # 300, A3 low; potentials 20 % of 1 150 = 230: running 100 <= 230, 450 > 230 -> cut 350, A1 low
    wide = value_portfolio(
        table, as_of=AS_OF, accounts=accounts, config=ValueConfig(quadrants=QuadrantConfig(low_share=0.2))
    )
    got = {c.customer_id: c for c in wide.customers}
    assert (wide.quadrant_thresholds["profit_cents"], wide.quadrant_thresholds["potential_cents"]) == (30_000, 35_000)
    assert [got[c].strategy for c in ("A1", "A2", "A3", "A4")] == ["retention", "loyalty", "cross_sell", None]
    # a year earlier: revenue 50, 300, 500 -> 20 % of 850 = 170: running 50, 350 > 170 -> cut 300, A4 low;
    # potentials 100, 700 -> 20 % of 800 = 160: running 100, 800 > 160 -> cut 700, A1 and A4 low
    assert [got[c].previous_quadrant for c in ("A1", "A2", "A3", "A4")] == ["high_low", "high_high", None, "low_low"]
    assert [got[c].trajectory for c in ("A1", "A2", "A3", "A4")] == ["stable", "stable", "new", None]
    con.disconnect()


def test_cdnow_end_to_end_reproduces_the_published_fit(tmp_path: Path) -> None:
    path = tmp_path / "cdnow.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "invoice_id", "date", "amount"])
        for n, line in enumerate(CDNOW.read_text().split("\n")):
            if line.strip():
                customer, _, day, _, amount = line.split()
                writer.writerow([customer, n, f"{day[:4]}-{day[4:6]}-{day[6:]}", amount])
    bgnbd = ValueConfig(clv=ClvConfig(purchase_model="bgnbd", bootstrap_samples=20))
    result = value_source(transactions=path, as_of=dt.date(1997, 9, 30), config=bgnbd)
    e = result.equity
    assert e.customers_valued == 2357 and e.margin_basis == "assumed" and e.purchase_model == "bgnbd"
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert e.parameters["purchases"][name] == pytest.approx(value, rel=0.005)
    assert e.parameters["purchases"]["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    # CDNOW's spend meets the Gamma-Gamma model's assumptions: the published fit (p 6.25, q 3.74, v 15.44)
    assert e.spend_model == "gamma_gamma" and all(d["passed"] for d in e.parameters["spend"]["diagnostics"])
    spend = e.parameters["spend"]["parameters"]  # money in cents
    assert (spend["p"], spend["q"], spend["v"] / 100) == pytest.approx((6.25, 3.74, 15.44), rel=0.01)
    assert e.low_cents is not None and e.high_cents is not None and e.total_cents is not None
    assert 0 < e.low_cents < e.total_cents < e.high_cents
    assert sum(e.by["abc"].values()) == pytest.approx(e.total_cents)
    # each group's valued customers beside its value: the many C customers' small values add up
    valued = [c for c in result.customers if c.clv_cents is not None]
    for name in ("abc", "category", "segment", "region"):
        assert sum(e.by_customers[name].values()) == e.customers_valued == len(valued)
        assert set(e.by_customers[name]) == set(e.by[name])
    assert e.by_customers["abc"] == dict(sorted(Counter(c.abc for c in valued).items()))
    assert e.by_customers["segment"] == {"-": 2357}
    written = write_value(result, tmp_path / "out")
    header = written[0].read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header) == VALUE_COLUMNS


def test_a_repeat_buyer_who_only_rebought_for_nothing_does_not_stop_the_valuation(tmp_path: Path) -> None:
    """The full CDNOW file holds repeat buyers whose repeat purchases are all at 0 dollars: the
    portfolio is valued (they are left out of the spend fit, valued with the population's share)."""
    path = tmp_path / "cdnow.csv"
    free: set[str] = set()
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "invoice_id", "date", "amount"])
        seen: set[str] = set()
        for n, line in enumerate(CDNOW.read_text().split("\n")):
            if line.strip():
                customer, _, day, _, amount = line.split()
                if customer in seen and (customer in free or len(free) < 3) and day <= "19970930":
                    free.add(customer)
                    amount = "0"  # its repeat purchases given away
                seen.add(customer)
                writer.writerow([customer, n, f"{day[:4]}-{day[4:6]}-{day[6:]}", amount])
    config = ValueConfig(clv=ClvConfig(purchase_model="bgnbd", bootstrap_samples=10))
    result = value_source(transactions=path, as_of=dt.date(1997, 9, 30), config=config)
    e = result.equity
    assert e.total_cents is not None and e.low_cents is not None and 0 < e.low_cents < e.total_cents, e.note
    valued = {c.customer_id: c.clv_cents for c in result.customers}
    assert len(free) == 3 and all(valued[c] is not None and valued[c] > 0 for c in free)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory, demo_template: Callable[..., Path]) -> Store:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(demo_template(customers=80, years=3, seed=5, as_of=dt.date(2025, 6, 30)), path)
    return Store(f"sqlite:///{path}")


def test_demo_portfolio_is_valued_with_solvency(demo_store: Store, tmp_path: Path) -> None:
    result = value_source(store=demo_store, reader=PortfolioReader(demo_store, SYSTEM))
    e = result.equity
    assert e.total_cents is not None and e.low_cents is not None and e.high_cents is not None
    assert 0 < e.low_cents < e.total_cents < e.high_cents and e.interval_method == "bootstrap"
    assert e.margin_basis == "invoices" and sum(e.by["region"].values()) == pytest.approx(e.total_cents)
    assert {c.category for c in result.customers} >= {"vip", "core", "development", "economy"}
    assert result.prospects and result.solvency is not None and result.solvency["has_payment_data"]
    assert any(c.solvency.get("incidents") for c in result.customers)
    paths = write_value(result, tmp_path)
    equity = json.loads(paths[2].read_text())
    assert equity["equity"]["total_cents"] == pytest.approx(result.equity.total_cents)


def test_value_is_read_within_the_principal_scope(demo_store: Store) -> None:
    everyone = value_source(store=demo_store, reader=PortfolioReader(demo_store, SYSTEM))
    region = sorted({c.region for c in everyone.customers if c.region})[0]
    rep = Principal("rep", "sales", Scope(regions=frozenset({region})))
    scoped = value_source(store=demo_store, reader=PortfolioReader(demo_store, rep))
    assert scoped.customers and {c.region for c in scoped.customers} == {region}
    assert {p.region for p in scoped.prospects} <= {region}
    assert len(scoped.customers) < len(everyone.customers)


def test_margins_of_an_idle_portfolio_come_from_its_invoices(demo_store: Store) -> None:
    # three years after the last sale no customer has revenue in the two windows: the
    # margin rates come from each customer's whole history, not from the assumed rate
    later = value_source(store=demo_store, reader=PortfolioReader(demo_store, SYSTEM), as_of=dt.date(2028, 6, 30))
    assert later.equity.margin_basis == "invoices"
    assert all(c.revenue_cents == 0 for c in later.customers)


def test_a_valuation_without_its_interval_runs_no_bootstrap(demo_store: Store) -> None:
    reader = PortfolioReader(demo_store, SYSTEM)
    full = value_source(store=demo_store, reader=reader).equity
    # the effective settings' bootstrap: the environment's (tests/conftest.py keeps it small)
    assert full.interval_method == "bootstrap"
    assert full.method_params["samples"] == int(os.environ["CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES"])
    bare = value_source(store=demo_store, reader=reader, interval=False).equity
    assert bare.interval_method == "none" and bare.low_cents is None and bare.high_cents is None
    assert bare.total_cents == full.total_cents and bare.backtest == full.backtest


def test_bootstrap_work_is_bounded() -> None:
    from clientfolio.value.clv import bootstrap_samples

    config = ClvConfig()  # 100 resamples up to 20,000 customers
    assert [bootstrap_samples(n, config) for n in (300, 20_000, 40_000, 100_000)] == [100, 100, 50, 20]
