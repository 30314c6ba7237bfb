"""The sales activity index per rep and team, and its what-if, computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.prospects.activity import activity_index, what_if
from tests.prospects.rows import activity, move

START, END = dt.date(2025, 6, 1), dt.date(2025, 6, 30)

ACTIVITIES = (
    [activity("2025-06-02", "ana", customer="C1")] * 8  # A customer: priority target
    + [activity("2025-06-03", "ana", prospect="P1")] * 4  # priority 1-2 prospect: target
    + [activity("2025-06-04", "ana", customer="C2")] * 8  # neither
    + [activity("2025-06-05", "bob", prospect="P1")] * 40
    + [activity("2025-06-06", None, customer="C1")]  # no user: left out
    + [activity("2025-05-31", "ana", customer="C1")]  # before the period: left out
)
CHANGES = [
    move("P1", "cold", "warm", "2025-06-10", "ana"),
    move("P1", "warm", "hot", "2025-06-20", "ana"),
    move("P2", "hot", "lost", "2025-06-21", "ana"),  # a loss is no conversion
    move("P3", "suspect", "prospect", "2025-05-20", "ana"),  # before the period
    move("P4", None, "suspect", "2025-06-22", "ana"),  # an entry is no conversion
]
REVENUE = {"C1": 1_200_000, "C2": 600_000, "C9": 5_000_000}  # C9 never contacted


def test_index_per_rep_and_team() -> None:
    report = activity_index(
        ACTIVITIES,
        CHANGES,
        REVENUE,
        start=START,
        end=END,
        months=1,
        priority_customers={"C1"},
        priority_prospects={"P1"},
    )
    ana, bob = report.reps
    # ana: 20 activities of 40 a month: Q = 5; 12 on targets: O = 10 x 12/20 = 6;
    # 2 moves / 20 = 0.1 of 0.25: 0.4; revenue (1,200,000 + 600,000) / 20 = 90,000 of 300,000: 0.3;
    # E = 10 x (0.5 x 0.4 + 0.5 x 0.3) = 3.5; index 5 x 6 x 3.5 = 105.
    assert (ana.who, ana.activities, ana.on_priority_targets, ana.conversions, ana.revenue_cents) == (
        "ana",
        20,
        12,
        2,
        1_800_000,
    )
    assert (ana.quantity, ana.orientation, ana.efficiency, ana.index) == pytest.approx((5, 6, 3.5, 105))
    # bob: 40 of 40: Q = 10; all on P1: O = 10; no move, no customer: E = 0; index 0.
    assert (bob.quantity, bob.orientation, bob.efficiency, bob.index) == pytest.approx((10, 10, 0, 0))
    # team: 2 reps, 60 activities of 80: Q = 7.5; 52 on targets: O = 26/3; 2 moves / 60 of 0.25: 2/15;
    # revenue 1,800,000 / 60 = 30,000 of 300,000: 0.1; E = 10 x (1/15 + 0.05) = 7/6; index 65 x 7/6.
    team = report.team
    assert (team.who, team.reps, team.activities, team.conversions) == (None, 2, 60, 2)
    assert (team.quantity, team.orientation, team.efficiency) == pytest.approx((7.5, 26 / 3, 7 / 6))
    assert team.index == pytest.approx(75.8333, abs=1e-4)


def test_what_if_shows_the_lever_to_act_on_first() -> None:
    report = activity_index(
        ACTIVITIES,
        CHANGES,
        REVENUE,
        start=START,
        end=END,
        months=1,
        priority_customers={"C1"},
        priority_prospects={"P1"},
    )
    # ana 5 x 6 x 3.5 = 105, one point more: E 5 x 6 x 4.5 = 135 (+30), Q 6 x 6 x 3.5 = 126 (+21),
    # O 5 x 7 x 3.5 = 122.5 (+17.5).
    levers = report.reps[0].levers
    assert [lever.factor for lever in levers] == ["efficiency", "quantity", "orientation"]
    assert [(lever.index, lever.gain) for lever in levers] == [
        pytest.approx((135, 30)),
        pytest.approx((126, 21)),
        pytest.approx((122.5, 17.5)),
    ]
    assert levers[0].gain_rate == pytest.approx(30 / 105)


def test_the_seed_example_computed_not_copied() -> None:
    # 7 x 6 x 5 = 210; two points on the 5: 7 x 6 x 7 = 294, +40 % (the seed writes 336, +60 %).
    levers = what_if(7, 6, 5, step=2)
    assert [(lever.factor, lever.index, lever.gain) for lever in levers] == [
        ("efficiency", 294, 84),
        ("orientation", 280, 70),
        ("quantity", 270, 60),
    ]
    assert levers[0].gain_rate == pytest.approx(0.40)
    # A factor is capped at 10: 9.5 + 2 -> 10, 10 x 6 x 5 = 300, +15.
    capped = {lever.factor: lever for lever in what_if(9.5, 6, 5, step=2)}
    assert (capped["quantity"].raised_to, capped["quantity"].gain) == pytest.approx((10, 15))


def test_no_activity_scores_zero() -> None:
    report = activity_index(
        [], [], {}, start=START, end=END, months=3, priority_customers=set(), priority_prospects=set()
    )
    assert report.reps == [] and report.team.index == 0 and report.team.levers[0].gain_rate is None
