"""A prospect moved today counts today: the prospects' pages are dated by the
latest of the last sale, the last activity and the last stage change, so a
prospect won after both shows in "won in the last 12 months" and in the
activity index the day it is won."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from clientfolio.access import SYSTEM
from clientfolio.access.pipeline import move_prospect
from clientfolio.prospects.run import activity_view, prospects_view
from clientfolio.store import Store
from clientfolio.store.schema import Activity, Invoice, Prospect, StageChange


def test_a_prospect_won_after_the_last_sale_and_activity_counts_that_day(demo_copy: Callable[..., str]) -> None:
    store = Store(demo_copy())
    with store.session() as s:
        days = [
            s.scalar(select(func.max(Invoice.issued_on))),
            s.scalar(select(func.max(Activity.occurred_on)).where(Activity.planned.is_(False))),
            s.scalar(select(func.max(StageChange.changed_on))),
        ]
        code = s.scalar(select(Prospect.code).where(Prospect.stage == "hot").order_by(Prospect.code))
    assert code is not None and all(isinstance(d, dt.date) for d in days)
    won_on = max(d for d in days if d is not None) + dt.timedelta(days=2)
    before = prospects_view(store, SYSTEM)
    assert before.as_of < won_on

    move_prospect(store, SYSTEM, code, "won", on=won_on)

    after = prospects_view(store, SYSTEM)
    assert after.as_of == won_on
    assert after.funnel.won_last_year == before.funnel.won_last_year + 1
    backward = {row.stage: row for row in after.backward.stages} if after.backward else {}
    assert not backward or backward["won"].current == after.funnel.won_last_year
    assert activity_view(store, SYSTEM).as_of == won_on
    store.dispose()
