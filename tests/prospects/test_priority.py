"""IPA / IPO indexes and the seed's priority matrix, on hand-made prospects."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.prospects.priority import PRIORITY, PriorityConfig, matrix_counts, place
from tests.prospects.rows import prospect

AS_OF = dt.date(2025, 6, 30)

# IPA = 0.2 contact + 0.3 knowledge + 0.3 receptivity + 0.2 timing (default weights).
ACCESS = {
    "high": {"contact": "identified", "contact_knowledge": 8, "receptivity": 8, "timing": 8},  # 2+2.4+2.4+1.6 = 8.4
    "medium": {"contact": "identified", "contact_knowledge": 5, "receptivity": 5, "timing": 5},  # 2+1.5+1.5+1 = 6.0
    "low": {"contact": None, "contact_knowledge": 2, "receptivity": 2, "timing": 2},  # 0+0.6+0.6+0.4 = 1.6
}
# IPO = (0.5 potential + 0.3 project) / 0.8 without a last similar purchase; 30,000 EUR earns 10.
POTENTIAL = {
    "high": {"potential_cents": 3_000_000, "has_project": True},  # (5 + 3) / 0.8 = 10
    "medium": {"potential_cents": 1_500_000, "has_project": True},  # (2.5 + 3) / 0.8 = 6.875
    "low": {"potential_cents": 600_000, "has_project": False},  # (1 + 0) / 0.8 = 1.25
}
IPA = {"high": 8.4, "medium": 6.0, "low": 1.6}
IPO = {"high": 10.0, "medium": 6.88, "low": 1.25}  # 6.875 rounded to 0.01


@pytest.mark.parametrize(
    ("potential", "access", "priority"),
    [
        ("high", "high", 1),
        ("high", "medium", 2),
        ("high", "low", 3),
        ("medium", "high", 2),
        ("medium", "medium", 2),
        ("medium", "low", 3),
        ("low", "high", 3),
        ("low", "medium", 3),
        ("low", "low", 4),
    ],
)
def test_every_cell_of_the_seed_table(potential: str, access: str, priority: int) -> None:
    placed = place(prospect("P1", "cold", **ACCESS[access], **POTENTIAL[potential]), as_of=AS_OF)
    assert (placed.potential, placed.accessibility, placed.priority) == (potential, access, priority)
    assert placed.ipa == pytest.approx(IPA[access])
    assert placed.ipo == pytest.approx(IPO[potential])


def test_levels_start_at_their_threshold() -> None:
    # 0.2 x 10 + 0.3 x 5 + 0.3 x 5 + 0.2 x 10 = 7.0: high; with timing 9: 6.8, medium.
    at = place(prospect("P1", contact="identified", contact_knowledge=5, receptivity=5, timing=10), as_of=AS_OF)
    below = place(prospect("P2", contact="identified", contact_knowledge=5, receptivity=5, timing=9), as_of=AS_OF)
    assert (at.ipa, at.accessibility) == (7.0, "high")
    assert (below.ipa, below.accessibility) == (6.8, "medium")
    # A named contact (function or email missing) earns 5: 1 + 1.5 + 1.5 + 2 = 6.0.
    named = place(prospect("P3", contact="named", contact_knowledge=5, receptivity=5, timing=10), as_of=AS_OF)
    assert named.ipa == 6.0


def test_unknown_criteria_are_left_out_and_overall_marks_stand_in() -> None:
    # No entered IPA mark: the overall 9 stands for each: (0.2 x 0 + 0.8 x 9) / 1 = 7.2.
    # No IPO criterion: the overall 3 stands for each: 3.0.
    p = place(prospect("P1", accessibility_score=9, potential_score=3), as_of=AS_OF)
    assert (p.ipa, p.ipo, p.accessibility, p.potential, p.priority) == (7.2, 3.0, "high", "low", 3)
    # One entered mark known: the overall marks are ignored; (0 + 0.3 x 10) / (0.2 + 0.3) = 6.0.
    q = place(prospect("P2", accessibility_score=0, receptivity=10), as_of=AS_OF)
    assert q.ipa == 6.0
    # Nothing known at all: both indexes 0, priority 4.
    assert place(prospect("P3"), as_of=AS_OF).priority == 4


def test_last_similar_purchase_due_for_renewal() -> None:
    # 2022-06-30 -> 2025-06-30: 1,096 days = 36.0 months: 10 marks; 548 days = 18.0 months: 5.
    old = place(prospect("P1", last_similar_purchase_on=dt.date(2022, 6, 30)), as_of=AS_OF)
    half = place(prospect("P2", last_similar_purchase_on=dt.date(2023, 12, 30)), as_of=AS_OF)
    future = place(prospect("P3", last_similar_purchase_on=dt.date(2025, 7, 10)), as_of=AS_OF)
    assert (old.ipo, half.ipo, future.ipo) == (10.0, 5.0, 0.0)


def test_weights_and_thresholds_are_settings() -> None:
    config = PriorityConfig(
        contact_weight=0, knowledge_weight=1, receptivity_weight=0, timing_weight=0, ipa_high_from=9, ipa_medium_from=5
    )
    p = place(
        prospect("P1", contact="identified", contact_knowledge=8, receptivity=0, timing=0), as_of=AS_OF, config=config
    )
    assert (p.ipa, p.accessibility) == (8.0, "medium")
    with pytest.raises(ValueError, match="medium level"):
        PriorityConfig(ipo_high_from=3, ipo_medium_from=5)


def test_matrix_counts_every_cell() -> None:
    placed = [
        place(prospect(f"P{i}", **ACCESS[a], **POTENTIAL[p]), as_of=AS_OF)
        for i, (p, a) in enumerate([("high", "high"), ("high", "high"), ("low", "medium")])
    ]
    counts = matrix_counts(placed)
    assert list(counts) == list(PRIORITY)
    assert counts[("high", "high")] == 2 and counts[("low", "medium")] == 1 and sum(counts.values()) == 3
