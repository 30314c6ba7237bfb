"""A prospect moved today counts today: the prospects' pages are dated by the
latest of the last sale, the last activity and the last stage change, so a
prospect won after both shows in "won in the last 12 months" and in the
activity index the day it is won; an activity or a stage change dated after
today (a typo in an imported file) does not date them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, insert, select, text

from clientfolio.access import SYSTEM
from clientfolio.access.pipeline import move_prospect
from clientfolio.prospects.run import activity_view, prospects_view
from clientfolio.store import Store
from clientfolio.store.schema import Activity, Invoice, Prospect, StageChange

DATES = {
    "invoices": ("issued_on", "due_on"),
    "payments": ("paid_on",),
    "activities": ("occurred_on",),
    "prospect_stage_changes": ("changed_on",),
    "prospects": ("created_on",),
}
"""The demo's dates, moved ten days back: its last sale, activity and move before today."""


def test_a_prospect_won_after_the_last_sale_and_activity_counts_that_day(demo_copy: Callable[..., str]) -> None:
    store = Store(demo_copy())
    today = dt.date.today()
    with store.engine.begin() as conn:
        for table, columns in DATES.items():
            moved = ", ".join(f"{c} = date({c}, '-10 days')" for c in columns)
            conn.execute(text(f"UPDATE {table} SET {moved}"))  # noqa: S608 - names of this test
    with store.session() as s:
        days = [
            s.scalar(select(func.max(Invoice.issued_on))),
            s.scalar(select(func.max(Activity.occurred_on)).where(Activity.planned.is_(False))),
            s.scalar(select(func.max(StageChange.changed_on))),
        ]
        hot = s.scalars(select(Prospect).where(Prospect.stage == "hot").order_by(Prospect.code)).first()
    assert hot is not None and all(day is not None and day < today for day in days)
    before = prospects_view(store, SYSTEM)
    assert before.as_of < today

    move_prospect(store, SYSTEM, hot.code, "won", on=today)

    after = prospects_view(store, SYSTEM)
    assert after.as_of == today
    assert after.funnel.won_last_year == before.funnel.won_last_year + 1
    assert after.backward is not None
    assert {row.stage: row.current for row in after.backward.stages}["won"] == after.funnel.won_last_year
    assert activity_view(store, SYSTEM).as_of == today

    # a prospect "created" in 2062 (a typo in an imported file) and an activity then: not the pages' day
    with store.engine.begin() as conn:
        conn.execute(
            insert(StageChange).values(
                prospect_id=hot.id, from_stage="won", to_stage="lost", changed_on=dt.date(2062, 1, 1)
            )
        )
        conn.execute(
            insert(Activity).values(kind="call", occurred_on=dt.date(2062, 1, 2), prospect_id=hot.id, planned=False)
        )
    assert prospects_view(store, SYSTEM).as_of == today
    assert activity_view(store, SYSTEM).as_of == today
    store.dispose()
