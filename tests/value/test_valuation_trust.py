"""The valuation a bank would accept, on demo portfolios (the figures of
issue 13): an interval that holds the estimate and stays above zero, totals
that move smoothly with the as-of date and with a small import, below the
no-churn ceiling, class C worth less than class A, no negative lifetime value,
and a one-year backtest within 15 %."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import ibis
import pytest

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.analytics.run import open_transactions
from clientfolio.demo import generate_demo
from clientfolio.store import Store
from clientfolio.value import PortfolioValue, value_portfolio

QUARTER_ENDS = 3


def _quarter_ends_before(day: dt.date, count: int) -> list[dt.date]:
    ends, year, quarter = [], day.year, (day.month - 1) // 3  # the quarter before day's
    for _ in range(count):
        if quarter == 0:
            year, quarter = year - 1, 4
        ends.append(dt.date(year, 3 * quarter, 31 if quarter in (1, 4) else 30))
        quarter -= 1
    return ends


@pytest.fixture(
    scope="module", params=[(7, dt.date(2026, 12, 3)), (5, dt.date(2025, 6, 30))], ids=["demo-seed7", "demo-seed5"]
)
def valuations(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ibis.Table, list[PortfolioValue]]]:
    """``clientfolio demo``'s portfolio (300 customers, 4 years) valued as of its
    last day and at the three quarter ends before."""
    seed, as_of = request.param
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('trust')}/demo.db")
    generate_demo(store, customers=300, years=4, seed=seed, as_of=as_of)
    reader = PortfolioReader(store, SYSTEM)
    with open_transactions(store=store, reader=reader) as (_, table):
        days = [as_of, *_quarter_ends_before(as_of, QUARTER_ENDS)]
        yield table, [value_portfolio(table, as_of=d, accounts=reader.accounts()) for d in days]


def test_interval_holds_the_estimate_above_zero(valuations: tuple[ibis.Table, list[PortfolioValue]]) -> None:
    for result in valuations[1]:
        e = result.equity
        assert e.total_cents is not None and e.low_cents is not None and e.high_cents is not None
        assert 0 <= e.low_cents <= e.total_cents <= e.high_cents, result.as_of
        assert e.high_cents / e.low_cents < 3, result.as_of


def test_totals_move_smoothly_with_the_as_of_date(valuations: tuple[ibis.Table, list[PortfolioValue]]) -> None:
    totals = [r.equity.total_cents or 0.0 for r in valuations[1]]
    assert max(totals) / min(totals) < 1.3, totals


def test_below_the_no_churn_ceiling_and_sensible_by_class(valuations: tuple[ibis.Table, list[PortfolioValue]]) -> None:
    for result in valuations[1]:
        e = result.equity
        assert e.total_cents is not None and e.ceiling_cents is not None
        assert e.total_cents < 1.2 * e.ceiling_cents, result.as_of
        assert e.by["abc"]["C"] < e.by["abc"]["A"], result.as_of
        assert all(c.clv_cents is None or c.clv_cents >= 0 for c in result.customers)


def test_the_one_year_backtest_is_within_15_percent(valuations: tuple[ibis.Table, list[PortfolioValue]]) -> None:
    e = valuations[1][0].equity
    assert e.backtest is not None and e.backtest_statement is not None
    assert abs(e.backtest["total"]["error"]) < 0.15
    assert e.backtest_statement.text.startswith("Fitted on the history up to")


def test_the_spend_model_and_why_are_said(valuations: tuple[ibis.Table, list[PortfolioValue]]) -> None:
    e = valuations[1][0].equity
    assert e.spend is not None and e.spend_model in ("gamma_gamma", "lognormal")
    diagnostics = e.parameters["spend"]["diagnostics"]
    assert [d["name"] for d in diagnostics] == ["q_above_one", "population_mean", "independence"]
    assert (e.spend_model == "gamma_gamma") == all(d["passed"] for d in diagnostics)
    assert "Gamma-Gamma" in e.spend.text and "Gamma-Gamma" in e.spend.in_language("fr")


def test_a_small_import_moves_the_total_a_little(valuations: tuple[ibis.Table, list[PortfolioValue]]) -> None:
    """1 012 EUR of new invoices the next day (the attack that moved the total by -1 M EUR)."""
    table, results = valuations
    before = results[0]
    day = before.as_of + dt.timedelta(days=1)
    buyers = sorted(c.customer_id for c in before.customers if c.clv_cents)[:3]
    extra = ibis.memtable(
        {
            "customer_id": buyers,
            "invoice_id": ["X1", "X2", "X3"],
            "date": [day] * 3,
            "amount_cents": [50_000, 41_200, 10_000],
            "product": [None] * 3,
            "segment": [None] * 3,
            "margin_cents": [15_000, 12_000, 3_000],
        }
    ).cast(table.schema())
    after = value_portfolio(table.union(extra), as_of=day)
    assert before.equity.total_cents is not None and after.equity.total_cents is not None
    assert after.equity.total_cents == pytest.approx(before.equity.total_cents, rel=0.03)
