"""Potential estimates, crossed ABC categories, quadrants and trajectories, by hand."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clientfolio.value.categories import CategoryConfig, category, pareto_classes
from clientfolio.value.potential import SOURCE_LABELS, Account, PotentialConfig, estimate_potentials, source_counts
from clientfolio.value.strategy import QuadrantConfig, pareto_cut, quadrant_thresholds, quadrants, trajectory

ACCOUNTS = [
    Account("K1", "customer", "S", "small", revenue_cents=10_000, entered_cents=50_000),
    Account(
        "K2",
        "customer",
        "S",
        "small",
        revenue_cents=20_000,
        wallet_share_pct=25,
        sector_growth_pct=10,
        supplier_policy="multiple",
    ),
    Account("K7", "customer", "S", "small", revenue_cents=15_000, entered_cents=60_000),
    Account("K3", "customer", "S", "small", revenue_cents=30_000),
    Account("K4", "customer", "S", "large", revenue_cents=40_000),
    Account("K5", "customer", "S", "large", revenue_cents=0),
    Account("K6", "customer", "T", "small", revenue_cents=10_000),
    Account("P1", "prospect", "U", "small", sector_growth_pct=20, supplier_policy="preferred"),
    Account("P2", "prospect", "S", "small", entered_cents=90_000),
]


def test_potential_rules() -> None:
    got = {p.account_id: p for p in estimate_potentials(ACCOUNTS)}
    # entered wallet, as it is
    assert (got["K1"].wallet_cents, got["K1"].potential_cents, got["K1"].source) == (50_000, 40_000, "entered")
    assert not got["K1"].estimated
    # 20 000 / 25 % = 80 000, x 1.10 growth x 0.5 (several suppliers) = 44 000
    assert (got["K2"].wallet_cents, got["K2"].potential_cents, got["K2"].source) == (44_000, 24_000, "share")
    # known wallets of S/small: 50 000, 60 000, 80 000 (K2's raw wallet), three: upper quartile
    # at position 0.75 x 2 = 1.5 -> 60 000 + 0.5 x 20 000 = 70 000 (K3's revenue is not a wallet)
    assert (got["K3"].wallet_cents, got["K3"].potential_cents) == (70_000, 40_000)
    assert got["K3"].source == "peers:segment+size" and got["K3"].estimated
    # no known wallet in S/large: the segment S (the same three)
    assert (got["K4"].wallet_cents, got["K4"].potential_cents, got["K4"].source) == (70_000, 30_000, "peers:segment")
    # no revenue in the window (lost): no peer-based estimate, so no potential out of nothing
    assert (got["K5"].wallet_cents, got["K5"].potential_cents, got["K5"].source) == (None, 0, "no_revenue")
    assert not got["K5"].estimated
    # segment T has no known wallet: the portfolio's known wallets (70 000)
    assert (got["K6"].wallet_cents, got["K6"].source) == (70_000, "peers:portfolio")
    # a prospect of an unknown segment: portfolio 70 000 x 1.20 x 0.7 (preferred supplier)
    assert (got["P1"].wallet_cents, got["P1"].potential_cents, got["P1"].source) == (58_800, 58_800, "peers:portfolio")
    assert (got["P2"].wallet_cents, got["P2"].potential_cents, got["P2"].kind) == (90_000, 90_000, "prospect")
    assert source_counts([(p.kind, p.source) for p in got.values()]) == {
        "customers": {
            "entered": 2,
            "share": 1,
            "peers:segment+size": 1,
            "peers:segment": 1,
            "peers:portfolio": 1,
            "no_revenue": 1,
        },
        "prospects": {"entered": 1, "peers:portfolio": 1},
    }


def test_peers_revenue_is_a_fallback_that_says_so() -> None:
    # a small FEC: no segment, no size band, no entered potential, no share: only revenue
    fec = [
        Account("F1", "customer", revenue_cents=10_000),
        Account("F2", "customer", revenue_cents=20_000),
        Account("F3", "customer", revenue_cents=40_000),
        Account("F4", "customer", revenue_cents=0),
        Account("F5", "customer", "S", revenue_cents=5_000),
    ]
    got = {p.account_id: p for p in estimate_potentials(fec)}
    # revenues 5 000, 10 000, 20 000, 40 000: upper quartile at 0.75 x 3 = 2.25 -> 20 000 + 0.25 x 20 000
    assert [(got[k].wallet_cents, got[k].potential_cents) for k in ("F1", "F2", "F3")] == [
        (25_000, 15_000),
        (25_000, 5_000),
        (25_000, 0),
    ]
    # customers without a segment are compared with the whole portfolio, and the source says revenue
    assert {got[k].source for k in ("F1", "F2", "F3")} == {"peers_revenue:portfolio"}
    assert got["F1"].estimated
    # segment S has one customer: not comparable enough, the portfolio too
    assert got["F5"].source == "peers_revenue:portfolio"
    # a lost customer is not given the portfolio's revenue as its potential
    assert (got["F4"].wallet_cents, got["F4"].potential_cents, got["F4"].source) == (None, 0, "no_revenue")
    # the rule must not trigger with three known wallets: they win over the revenue
    known = [*fec, *(Account(f"W{k}", "customer", revenue_cents=1_000, entered_cents=100_000) for k in range(3))]
    assert {p.source for p in estimate_potentials(known) if p.account_id in ("F1", "F2", "F3")} == {"peers:portfolio"}
    # every source has a label (the French catalog translates them)
    assert all(SOURCE_LABELS[p.source] for p in estimate_potentials(known))


def test_potential_never_negative_and_none_without_peers() -> None:
    over = estimate_potentials([Account("K", "customer", revenue_cents=80_000, entered_cents=50_000)])
    assert (over[0].wallet_cents, over[0].potential_cents) == (50_000, 0)
    alone = estimate_potentials([Account("K", "customer", revenue_cents=10_000)], PotentialConfig(min_peers=2))
    assert (alone[0].wallet_cents, alone[0].potential_cents, alone[0].source) == (None, 0, "none")
    # an entered potential stands for a lost customer too: the user knows it
    lost = estimate_potentials([Account("K", "customer", revenue_cents=0, entered_cents=30_000)])
    assert (lost[0].wallet_cents, lost[0].potential_cents, lost[0].source) == (30_000, 30_000, "entered")


def test_pareto_classes_follow_the_abc_rule() -> None:
    # total 100: a starts at 0 (A), b at 0.5 (A), c at 0.8 (B), d at 0.95 (C), e is zero (C)
    assert pareto_classes(list("abcde"), [50, 30, 15, 5, 0], 0.8, 0.95) == ["A", "A", "B", "C", "C"]
    # ties by id: a ranks before b; a negative value is C
    assert pareto_classes(["b", "a", "z"], [10, 10, -3], 0.5, 0.9) == ["B", "A", "C"]
    assert pareto_classes(["x"], [0], 0.8, 0.95) == ["C"]


def test_categories() -> None:
    config = CategoryConfig()
    assert category("A", "A", config) == "vip"
    assert category("A", "C", config) == "core"
    assert category("C", "A", config) == "development"
    assert category("C", "C", config) == "economy"
    assert category(None, "A", config) is None  # a prospect: row P, no category
    with pytest.raises(ValidationError):
        CategoryConfig(cells={"AA": "vip"})


def test_quadrants_cut_by_the_pareto_rule() -> None:
    # positive profits 5, 10, 40, 50, 60, 100, 500, 1000: total 1765, 2 % = 35.3; running sum from the
    # smallest: 5, 15, 55 > 35.3 -> the cut is 40 (5 and 10, together 15, are low); the median would be 55
    profits = [1000, 500, 100, 60, 50, 40, 10, 5, None, -5, 0]
    assert pareto_cut(profits, 0.02) == 40
    # positive potentials total 3509, 2 % = 70.18; running 1, 2, 3, 8, 508 > 70.18 -> cut 500 (ties are high)
    potentials = [900, 5, 800, 1, 1, 700, 1, 600, 500, None, 0]
    t = quadrant_thresholds(profits, potentials)
    assert (t.rule, t.profit_cents, t.potential_cents, t.low_share) == ("pareto", 40, 500, 0.02)
    got = quadrants(profits, potentials, thresholds=t)
    assert got == [
        "high_high",
        "high_low",
        "high_high",
        "high_low",
        "high_low",
        "high_high",
        "low_low",
        "low_high",
        "low_high",
        "low_low",
        "low_low",
    ]
    assert quadrants(profits, potentials) == got  # the thresholds of these values by default
    # four more small customers (30 each): the median would fall to 35 and flip the customer at 40 to high;
    # the pareto cut moves from 40 to 30 and the customers from 40 up stay high, those at 5 and 10 low
    more = [*profits, 30, 30, 30, 30]
    assert pareto_cut(more, 0.02) == 30
    assert pareto_cut([None, 0, -3], 0.02) is None  # no positive value: every customer is low
    assert quadrants([None, 0], [0, None]) == ["low_low", "low_low"]
    assert quadrants([None], [None]) == [None]


def test_quadrants_fixed_thresholds() -> None:
    config = QuadrantConfig(rule="fixed", profit_threshold_cents=60, potential_threshold_cents=5)
    assert quadrants([100, 50], [80, 10], config) == ["high_high", "low_high"]
    assert quadrant_thresholds([100], [80], config).as_dict() == {
        "rule": "fixed",
        "low_share": None,
        "profit_cents": 60,
        "potential_cents": 5,
        "profit_basis": "margin",
        "potential_basis": "clv",
    }
    with pytest.raises(ValidationError):  # fixed needs both thresholds
        QuadrantConfig(rule="fixed", profit_threshold_cents=60)
    with pytest.raises(ValidationError):  # thresholds in cents are the fixed rule: not silently ignored
        QuadrantConfig(profit_threshold_cents=60, potential_threshold_cents=5)
    with pytest.raises(ValidationError):
        QuadrantConfig(low_share=0)


def test_trajectories() -> None:
    assert trajectory(None, "high_high") == "new"
    assert trajectory("high_low", "high_low") == "stable"
    assert trajectory("high_high", "high_low") == "down"  # potential fell: the seed's arrow down
    assert trajectory("high_low", "low_high") == "down"  # profitability fell, even if potential rose
    assert trajectory("low_low", "low_high") == "up"
    assert trajectory("high_high", None) is None
