"""Potential estimates, crossed ABC categories, quadrants and trajectories, by hand."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clientfolio.value.categories import CategoryConfig, category, pareto_classes
from clientfolio.value.potential import Account, PotentialConfig, estimate_potentials
from clientfolio.value.strategy import QuadrantConfig, quadrants, trajectory

ACCOUNTS = [
    Account("K1", "customer", "S", "small", revenue_cents=10_000, entered_cents=50_000),
    Account("K2", "customer", "S", "small", revenue_cents=20_000, wallet_share_pct=25,
            sector_growth_pct=10, supplier_policy="multiple"),
    Account("K3", "customer", "S", "small", revenue_cents=30_000),
    Account("K4", "customer", "S", "small", revenue_cents=40_000),
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
    # peers S/small know 50 000, 80 000 (K2's raw wallet), 30 000, 40 000: upper quartile
    # 30/40/50/80 at position 0.75 x 3 = 2.25 -> 50 000 + 0.25 x 30 000 = 57 500
    assert (got["K3"].wallet_cents, got["K3"].potential_cents) == (57_500, 27_500)
    assert got["K3"].source == "peers:segment+size" and got["K3"].estimated
    assert (got["K4"].wallet_cents, got["K4"].potential_cents) == (57_500, 17_500)
    # no S/large peer: the segment S (same four values)
    assert (got["K5"].wallet_cents, got["K5"].potential_cents, got["K5"].source) == (
        57_500, 57_500, "peers:segment")
    # segment T has one customer < 3 peers: the portfolio 10/30/40/50/80 -> position 3 = 50 000
    assert (got["K6"].wallet_cents, got["K6"].source) == (50_000, "peers:portfolio")
    # a prospect of an unknown segment: portfolio 50 000 x 1.20 x 0.7 (preferred supplier)
    assert (got["P1"].wallet_cents, got["P1"].potential_cents) == (42_000, 42_000)
    assert (got["P2"].wallet_cents, got["P2"].potential_cents, got["P2"].kind) == (90_000, 90_000, "prospect")


def test_potential_never_negative_and_none_without_peers() -> None:
    over = estimate_potentials([Account("K", "customer", revenue_cents=80_000, entered_cents=50_000)])
    assert (over[0].wallet_cents, over[0].potential_cents) == (50_000, 0)
    alone = estimate_potentials([Account("K", "customer", revenue_cents=10_000)], PotentialConfig(min_peers=2))
    assert (alone[0].wallet_cents, alone[0].potential_cents, alone[0].source) == (None, 0, "none")


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


def test_quadrants_split_at_the_medians() -> None:
    # positive margins 100, 50, 10 -> median 50; positive future values 80, 10, 90, 5 -> median 45
    got = quadrants([100, 50, 10, None, -5, None], [80, 10, 90, 5, None, None])
    assert got == ["high_high", "high_low", "low_high", "low_low", "low_low", None]
    fixed = quadrants([100, 50], [80, 10], QuadrantConfig(profit_threshold_cents=60, potential_threshold_cents=5))
    assert fixed == ["high_high", "low_high"]


def test_trajectories() -> None:
    assert trajectory(None, "high_high") == "new"
    assert trajectory("high_low", "high_low") == "stable"
    assert trajectory("high_high", "high_low") == "down"  # potential fell: the seed's arrow down
    assert trajectory("high_low", "low_high") == "down"  # profitability fell, even if potential rose
    assert trajectory("low_low", "low_high") == "up"
    assert trajectory("high_high", None) is None
