"""Planned activities (the next call or visit, scheduled): no contact until
made, and a follow-up overdue once their day has passed with nothing made
since; on SQLite and PostgreSQL, inside the principal's scope."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.access import SYSTEM, PipelineReader
from clientfolio.errors import ClientfolioError
from clientfolio.prospects.activity_log import log_activity
from clientfolio.prospects.run import activity_view
from clientfolio.store import Store
from tests.prospects.test_access import NORTH, pipeline

__all__ = ["pipeline"]  # the fixture, shared

TODAY = dt.date(2025, 6, 10)


def plan(store: Store, code: str, day: dt.date, kind: str = "call", user: str = "nina") -> None:
    log_activity(store, SYSTEM, kind=kind, occurred_on=day, customer_code=code, user=user, planned=True, today=TODAY)


def made(store: Store, code: str, day: dt.date, user: str = "nina") -> None:
    log_activity(store, SYSTEM, kind="call", occurred_on=day, customer_code=code, user=user, today=TODAY)


def test_a_planned_activity_is_no_contact(pipeline: Store) -> None:
    reader = PipelineReader(pipeline, SYSTEM)
    plan(pipeline, "CN", dt.date(2025, 6, 9))  # before today: its day passed, not made
    plan(pipeline, "CS", dt.date(2025, 7, 1))  # after today: allowed, as for the web form's next activity
    assert reader.last_contacts(TODAY) == {"CN": dt.date(2025, 6, 2), "CS": dt.date(2025, 6, 4)}
    assert [a.occurred_on for a in reader.activities()] == [dt.date(2025, 6, d) for d in (2, 3, 4, 5, 6)]
    planned = reader.activities(planned=True)
    assert [(a.customer_code, a.planned) for a in planned] == [("CN", True), ("CS", True)]
    assert len(reader.activities(planned=None)) == 7
    # the default as-of date is that of the last sale or activity made, not of a planned one
    assert activity_view(pipeline, SYSTEM, today=TODAY).as_of == dt.date(2025, 6, 6)


def test_a_planned_activity_not_made_is_overdue_until_one_is_made(pipeline: Store) -> None:
    reader = PipelineReader(pipeline, SYSTEM)
    plan(pipeline, "CN", dt.date(2025, 6, 8), kind="visit")
    plan(pipeline, "CS", dt.date(2025, 6, 11), user="sam")
    due = reader.planned_due(TODAY)
    assert [(a.customer_code, a.kind, a.occurred_on, a.user) for a in due] == [
        ("CN", "visit", dt.date(2025, 6, 8), "nina")
    ]
    assert [a.customer_code for a in reader.planned_due(dt.date(2025, 6, 11))] == ["CN", "CS"]
    # the north rep sees the north customer's only
    assert [a.customer_code for a in PipelineReader(pipeline, NORTH).planned_due(dt.date(2025, 6, 11))] == ["CN"]
    view = activity_view(pipeline, SYSTEM, today=TODAY)
    assert view.as_dict()["planned_overdue"] == [
        {"customer_code": "CN", "kind": "visit", "planned_on": "2025-06-08", "user": "nina"}
    ]
    made(pipeline, "CN", dt.date(2025, 6, 9))  # a call made after it: followed up
    assert reader.planned_due(TODAY) == []
    assert reader.last_contacts(TODAY)["CN"] == dt.date(2025, 6, 9)


def test_an_activity_logged_late_about_an_earlier_day_also_follows_it(pipeline: Store) -> None:
    plan(pipeline, "CN", dt.date(2025, 6, 8))
    made(pipeline, "CN", dt.date(2025, 6, 1))  # logged after the plan, about an earlier day: the rep followed up
    assert PipelineReader(pipeline, SYSTEM).planned_due(TODAY) == []


def test_only_a_planned_activity_may_be_in_the_future(pipeline: Store) -> None:
    with pytest.raises(ClientfolioError, match=r"date 2025-06-20 is after today \(2025-06-10\).*planned") as refused:
        made(pipeline, "CN", dt.date(2025, 6, 20))
    french = refused.value.in_language("fr")
    assert french.startswith("la date de l'activité, 20 juin 2025, est après aujourd'hui (10 juin 2025)")
    plan(pipeline, "CN", dt.date(2025, 6, 20))
