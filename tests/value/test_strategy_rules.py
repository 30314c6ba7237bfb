"""The profitability x potential quadrants of a small portfolio with margins, by
hand: negative margin, estimated margin, no purchase in the window (with and
without future value), a customer back from dormancy, and the chart drawn at
the thresholds of the assignment."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from clientfolio.access.reader import AccountRow
from clientfolio.analytics.engines import connect
from clientfolio.analytics.transactions import standardize
from clientfolio.report.charts import quadrant_chart
from clientfolio.value import PortfolioValue, value_portfolio
from clientfolio.value.strategy import quadrant_points

AS_OF = dt.date(2024, 12, 31)  # window: 2024; the window before: 2023
LINES = [  # (customer, date, euros, margin euros or None)
    ("B1", dt.date(2024, 6, 1), 1000.0, 400.0),
    ("B2", dt.date(2024, 7, 1), 500.0, -100.0),  # sold at a loss
    ("B3", dt.date(2024, 8, 1), 800.0, None),  # its invoices carry no margin
    ("B4", dt.date(2023, 3, 1), 700.0, 200.0),  # nothing in 2024, a large entered potential
    ("B5", dt.date(2023, 4, 1), 20.0, 5.0),  # nothing in 2024, no potential: nothing to invent
    ("B6", dt.date(2024, 9, 1), 50.0, 10.0),  # small and without prospects
    ("B7", dt.date(2022, 1, 15), 30.0, 5.0),  # dormant in 2023 ...
    ("B7", dt.date(2024, 10, 1), 300.0, 60.0),  # ... back in 2024
]
POTENTIALS = {"B1": 300_000, "B2": 200_000, "B3": 100_000, "B4": 150_000, "B5": 0, "B6": 6_000, "B7": 0}


def _account(code: str) -> AccountRow:
    return AccountRow(
        kind="customer",
        code=code,
        name=code.lower(),
        segment="S",
        region="R",
        size_band="small",
        potential_cents=POTENTIALS[code],
        wallet_share_pct=None,
        sector_growth_pct=None,
        supplier_policy=None,
    )


@pytest.fixture(scope="module")
def result() -> PortfolioValue:
    con = connect("duckdb")
    table = standardize(
        con.create_table(
            "t",
            ibis.memtable(
                {
                    "customer_id": [r[0] for r in LINES],
                    "invoice_id": [f"F{i}" for i in range(len(LINES))],
                    "date": [r[1] for r in LINES],
                    "amount": [r[2] for r in LINES],
                    "margin": [r[3] for r in LINES],
                }
            ),
        )
    )
    value = value_portfolio(table, as_of=AS_OF, accounts=[_account(c) for c in POTENTIALS])
    con.disconnect()
    return value


def test_each_rule_by_hand(result: PortfolioValue) -> None:
    got = {c.customer_id: c for c in result.customers}
    # the portfolio's margin rate over 2024, customers with margins: (400 - 100 + 10 + 60) / (1000 + 500 + 50
    # + 300) = 370 / 1850 = 20 %
    # profitability: B1 400, B2 -100 (negative: low, flagged), B3 800 x 20 % = 160 (estimated, flagged),
    # B4 and B5 0 (no purchase in 2024), B6 10, B7 60
    profits = {c: got[c].profitability_cents for c in POTENTIALS}
    assert profits == pytest.approx(
        {"B1": 40_000, "B2": -10_000, "B3": 16_000, "B4": 0, "B5": 0, "B6": 1_000, "B7": 6_000}
    )
    # potential (no model: too few repeat buyers) = (wallet - revenue) x 20 %: B1 (3000 - 1000) -> 400,
    # B2 (2000 - 500) -> 300, B3 (1000 - 800) -> 40, B4 1500 -> 300, B5 0, B6 (60 - 50) -> 2, B7 0
    futures = {c: got[c].future_cents for c in POTENTIALS}
    assert futures == pytest.approx(
        {"B1": 40_000, "B2": 30_000, "B3": 4_000, "B4": 30_000, "B5": 0, "B6": 200, "B7": 0}
    )
    # pareto 2 %: profits 10 + 60 + 160 + 400 = 630, 2 % = 12.6: running 10, 70 > 12.6 -> cut 60 (B6 low);
    # potentials 2 + 40 + 300 + 300 + 400 = 1042, 2 % = 20.84: running 2, 42 > 20.84 -> cut 40 (B6 low)
    t = result.quadrant_thresholds
    assert (t["rule"], t["profit_basis"], t["potential_basis"]) == ("pareto", "margin", "potential_margin")
    assert (t["profit_cents"], t["potential_cents"]) == pytest.approx((6_000, 4_000))
    assert {c: (got[c].quadrant, got[c].strategy, got[c].quadrant_note) for c in POTENTIALS} == {
        "B1": ("high_high", "loyalty", None),  # no rule triggers
        "B2": ("low_high", "cross_sell", "negative_margin"),
        "B3": ("high_high", "loyalty", "margin_estimated"),  # at the cut of potential: high
        "B4": ("low_high", "cross_sell", "no_purchase"),  # no purchase but a future value: kept, flagged
        "B5": (None, None, "no_purchase"),  # no purchase, no future value: no quadrant
        "B6": ("low_low", "termination", None),  # the genuinely weak customer
        "B7": ("high_low", "retention", None),  # at the cut of profitability: high
    }
    # 2023: B4 700 (margin 200), B5 20 (5), B7 bought nothing (dormant); rate 205 / 720; profits 200, 5
    # -> 2 % of 205 = 4.1 < 5: cut 5, both high; potentials (today's) 1500 x 205/720 = 427.08, 0 -> B4 high
    assert {c: got[c].previous_quadrant for c in POTENTIALS} == {
        "B1": None,
        "B2": None,
        "B3": None,
        "B4": "high_high",
        "B5": "high_low",
        "B6": None,
        "B7": None,
    }
    assert {c: got[c].trajectory for c in POTENTIALS} == {
        "B1": "new",
        "B2": "new",
        "B3": "new",
        "B4": "down",
        "B5": None,
        "B6": "new",
        "B7": "up",
    }  # back from dormancy: up, not new


def test_the_chart_is_drawn_at_the_thresholds_of_the_assignment(result: PortfolioValue) -> None:
    q = quadrant_points(result.customers, result.quadrant_thresholds)
    t = result.quadrant_thresholds
    assert (q.x_cut, q.y_cut) == (t["profit_cents"], t["potential_cents"])
    assert {c.customer_id for c, _, _ in q.points} == {c.customer_id for c in result.customers if c.quadrant}
    for c, x, y in q.points:
        assert c.quadrant is not None
        assert (x >= q.x_cut) == c.quadrant.startswith("high_"), c.customer_id
        assert (y >= q.y_cut) == c.quadrant.endswith("_high"), c.customer_id
    assert (q.x_label, q.y_label) == (
        "Profitability: margin of the last twelve months (€)",
        "Potential: potential revenue x margin rate (€)",
    )
    svg = quadrant_chart(
        [(c.customer_id, x / 100, y / 100) for c, x, y in q.points],
        x_threshold=q.x_cut / 100,
        y_threshold=q.y_cut / 100,
        x_label="x",
        y_label="y",
        quadrant_labels=("lh", "hh", "ll", "hl"),
        title="t",
        log=True,
    )
    # the chart counts its points by side of its lines: the quadrants of the assignment
    assert "lh: 2; hh: 2; ll: 1; hl: 1" in svg


def test_the_command_prints_the_sources_and_the_strategies(result: PortfolioValue) -> None:
    from clientfolio.cli.value import value_tables

    lines = [r for r in value_tables(result) if isinstance(r, str)]
    assert "Potential sources of the customers: entered (7)." in lines
    strategies = next(line for line in lines if line.startswith("Strategies: "))
    assert strategies.startswith(
        "Strategies: Loyalty 2, Cross-selling 2, Retention 1, Termination / cheaper channel 1; no quadrant (no "
        "purchase in the window, no future value): 1."
    )
    assert (
        "High (Pareto rule, 2%): profitability (margin) from €60, potential (potential revenue x margin rate) from €40."
        in strategies
    )
    assert result.as_dict()["quadrant_thresholds"] == result.quadrant_thresholds
