"""Funnel counts, conversions, time in stage, lost reasons and the backward arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.prospects.funnel import FunnelConfig, backward_funnel, funnel, stays
from tests.prospects.rows import move, prospect

AS_OF = dt.date(2025, 6, 30)
JAN = dt.date(2025, 1, 1)

PROSPECTS = [
    prospect("A", "hot", source="network", owner="ana", created_on=JAN),
    prospect("B", "won", source="network", owner="ana", created_on=JAN),
    prospect("C", "lost", source="press", owner="bob", created_on=JAN, lost_reason="Prix"),
    prospect("D", "suspect", source="press", owner="bob", created_on=dt.date(2025, 6, 20)),
    prospect("E", "warm", owner="bob", created_on=dt.date(2025, 3, 1)),  # imported as warm, no history
    prospect("F", "lost", owner="bob", created_on=JAN),  # lost, no history, no reason
]
CHANGES = [
    move("A", None, "suspect", "2025-01-01"),
    move("A", "suspect", "prospect", "2025-02-01"),
    move("A", "prospect", "cold", "2025-03-01"),
    move("A", "cold", "warm", "2025-04-01"),
    move("A", "warm", "hot", "2025-05-01"),
    move("B", None, "suspect", "2025-01-01"),
    move("B", "suspect", "prospect", "2025-01-11"),
    move("B", "prospect", "cold", "2025-01-21"),
    move("B", "cold", "warm", "2025-01-31"),
    move("B", "warm", "hot", "2025-02-10"),
    move("B", "hot", "won", "2025-03-02"),
    move("C", None, "suspect", "2025-01-01"),
    move("C", "suspect", "prospect", "2025-02-01"),
    move("C", "prospect", "cold", "2025-03-03"),
    move("C", "cold", "lost", "2025-04-02"),
]


def test_counts_reached_and_conversions() -> None:
    f = funnel(PROSPECTS, CHANGES, as_of=AS_OF)
    assert f.counts == {"suspect": 1, "prospect": 0, "cold": 0, "warm": 1, "hot": 1, "won": 1, "lost": 2}
    # Furthest stage: A hot, B won, C cold (lost from it), D suspect, E warm, F suspect.
    assert f.reached == {"suspect": 6, "prospect": 4, "cold": 4, "warm": 3, "hot": 2, "won": 1}
    assert f.conversions == pytest.approx(
        {"suspect": 4 / 6, "prospect": 1.0, "cold": 3 / 4, "warm": 2 / 3, "hot": 1 / 2}
    )
    assert f.won_last_year == 1
    assert f.lost_reasons == {"Prix": 1, "unknown": 1}
    assert f.lost_at_stage == {"cold": 1}


def test_time_in_stage_from_the_history() -> None:
    times = {t.stage: t for t in funnel(PROSPECTS, CHANGES, as_of=AS_OF).stage_times}
    # suspect: A 31 days (01-01 -> 02-01), B 10, C 31 left; D there for 10 days (06-20 -> 06-30).
    assert (times["suspect"].completed, times["suspect"].mean_days_completed) == (3, 24.0)
    assert (times["suspect"].current, times["suspect"].mean_days_current) == (1, 10.0)
    # prospect: A 28 (02-01 -> 03-01), B 10, C 30 (02-01 -> 03-03); nobody there now.
    assert times["prospect"].mean_days_completed == pytest.approx(68 / 3)
    assert times["prospect"].mean_days_current is None
    # warm: A 30, B 10 left; E there since its creation on 03-01: 121 days.
    assert (times["warm"].mean_days_completed, times["warm"].mean_days_current) == (20.0, 121.0)
    # hot: B 20 days (02-10 -> 03-02) left; A there since 05-01: 60 days.
    assert (times["hot"].mean_days_completed, times["hot"].mean_days_current) == (20.0, 60.0)
    d_stays = [s for s in stays(PROSPECTS, CHANGES) if s.prospect_code in ("D", "E", "F")]
    assert [(s.prospect_code, s.stage, s.left_on) for s in d_stays] == [("D", "suspect", None), ("E", "warm", None)]


def test_per_source_and_owner() -> None:
    f = funnel(PROSPECTS, CHANGES, as_of=AS_OF)
    assert [(g.key, g.won, g.lost, g.win_rate) for g in f.by_source] == [
        ("network", 1, 0, 1.0),
        ("press", 0, 1, 0.0),
        (None, 0, 1, 0.0),
    ]
    assert [(g.key, g.counts["hot"], g.counts["suspect"]) for g in f.by_owner] == [("ana", 1, 0), ("bob", 0, 1)]


def test_backward_funnel_with_the_seed_reference() -> None:
    f = funnel(PROSPECTS, CHANGES, as_of=AS_OF)
    reference = FunnelConfig(min_reached=1000)  # nothing observed is enough
    # 10 won <- 15 hot <- 30 warm <- 50 cold <- 80 prospects <- 100 suspects; 9.2 rounds up to 10.
    back = backward_funnel(9.2, f, reference)
    assert back.target == 10
    assert [s.needed for s in back.stages] == [100, 80, 50, 30, 15, 10]
    assert {s.rate_source for s in back.stages} == {"reference", None}
    # 4 won: hot 4 / (10/15) = 6; warm 4 / (1/3) = 12; cold 4 / (1/5) = 20; prospect 4 / (1/8) = 32;
    # suspect 4 / (1/10) = 40.
    assert [s.needed for s in backward_funnel(4, f, reference).stages] == [40, 32, 20, 12, 6, 4]


def test_backward_funnel_with_observed_rates_and_the_gap() -> None:
    f = funnel(PROSPECTS, CHANGES, as_of=AS_OF)
    back = backward_funnel(3, f, FunnelConfig(min_reached=1))
    # Rates 2/3, 1, 3/4, 2/3, 1/2: hot 3 / (1/2) = 6; warm 3 / (1/3) = 9; cold 3 / (1/4) = 12;
    # prospect 3 / (1/4) = 12; suspect 3 / (1/6) = 18.
    assert [s.needed for s in back.stages] == [18, 12, 12, 9, 6, 3]
    # Open now: suspect 1, prospect 0, cold 0, warm 1, hot 1; won in the last 12 months: 1.
    assert [s.current for s in back.stages] == [1, 0, 0, 1, 1, 1]
    assert [s.missing for s in back.stages] == [17, 12, 12, 8, 5, 2]
    # min_reached 3: hot (2 reached) falls back to the reference 10/15 = 2/3: hot 3 / (2/3) = 4.5 -> 5.
    mixed = backward_funnel(3, f, FunnelConfig(min_reached=3))
    assert [s.rate_source for s in mixed.stages] == ["observed"] * 4 + ["reference", None]
    assert mixed.stages[4].needed == 5


def test_a_step_nobody_passed_leaves_the_need_unknown() -> None:
    f = funnel(PROSPECTS[:1], CHANGES[:5], as_of=AS_OF)  # A alone: reached hot, nobody won
    back = backward_funnel(2, f, FunnelConfig(min_reached=1))
    assert [s.needed for s in back.stages] == [None] * 5 + [2]
    assert back.stages[0].missing is None


def test_reference_funnel_must_cover_every_stage() -> None:
    with pytest.raises(ValueError, match="positive count"):
        FunnelConfig(reference_funnel={"suspect": 100, "won": 10})
