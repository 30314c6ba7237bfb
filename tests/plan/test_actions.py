"""The PAC's horizons, grouping and tracking."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.plan.actions import PlanAction, add_months, by_typology, horizon, track

AS_OF = dt.date(2025, 6, 30)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),
        (dt.date(2023, 8, 31), 6, dt.date(2024, 2, 29)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 1, 15), 24, dt.date(2027, 1, 15)),
        (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 31)),
        (dt.date(2025, 3, 31), 0, dt.date(2025, 3, 31)),
    ],
)
def test_add_months_clamps_the_day(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (None, None),
        (dt.date(2025, 1, 1), "short"),  # already past: short
        (dt.date(2025, 12, 30), "short"),  # 6 months exactly
        (dt.date(2025, 12, 31), "medium"),
        (dt.date(2027, 6, 30), "medium"),  # 24 months exactly
        (dt.date(2027, 7, 1), "long"),
    ],
)
def test_horizon_from_the_end_date(due: dt.date | None, expected: str | None) -> None:
    assert horizon(due, AS_OF) == expected


def action(id: int, **fields: object) -> PlanAction:
    return PlanAction(id=id, title=f"action {id}", **fields)  # type: ignore[arg-type]


def test_tracking_per_action_and_in_total() -> None:
    actions = [
        action(
            1,
            progress=100,
            due_on=AS_OF - 30 * DAY,
            budget_cents=1000,
            spent_cents=800,
            target_revenue_cents=5000,
            result_revenue_cents=6000,
        ),
        action(
            2,
            progress=40,
            due_on=AS_OF - DAY,
            budget_cents=2000,
            spent_cents=500,
            current_revenue_cents=3000,
            target_revenue_cents=10000,
            result_revenue_cents=2000,
        ),
        action(3, progress=0, due_on=AS_OF, target_revenue_cents=4000),
        action(4, progress=0, spent_cents=100),
    ]
    t = track(actions, AS_OF)
    assert [(s.id, s.done, s.overdue, s.achievement, s.budget_used) for s in t.actions] == [
        (1, True, False, 1.2, 0.8),
        (2, False, True, 0.2, 0.25),
        (3, False, False, None, None),
        (4, False, False, None, None),
    ]
    assert (t.count, t.done, t.overdue, t.mean_progress) == (4, 1, 1, 35.0)
    assert (t.budget_cents, t.spent_cents, t.budget_used) == (3000, 1400, pytest.approx(1400 / 3000))
    assert (t.current_revenue_cents, t.target_revenue_cents, t.result_revenue_cents) == (3000, 19000, 8000)
    assert t.achievement == pytest.approx(8000 / 15000)  # action 3 has no result yet: left out
    empty = track([], AS_OF)
    assert (empty.count, empty.mean_progress, empty.budget_used, empty.achievement) == (0, None, None, None)


def test_actions_grouped_by_typology() -> None:
    actions = [
        action(1, typology="VIP customers", priority=2, due_on=AS_OF),
        action(2, priority=1),
        action(3, typology="Prospects", priority=1),
        action(4, typology="VIP customers", priority=1, due_on=AS_OF + DAY),
        action(5, typology="VIP customers", priority=1, due_on=AS_OF),
    ]
    assert [(k, [a.id for a in v]) for k, v in by_typology(actions)] == [
        ("VIP customers", [5, 4, 1]),
        ("Prospects", [3]),
        ("Other", [2]),
    ]
    assert [k for k, _ in by_typology(actions[2:])] == ["Prospects", "VIP customers"]
    assert by_typology([]) == []
