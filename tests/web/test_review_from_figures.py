"""The annual review on the web (``POST /report``) is written from the
dashboard's figures when they are those of the data as it is now: the same
review as one gathered afresh, its plan actions read again (edited in place,
they do not change the figures' data version), and gathered again once the
data changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI

from clientfolio.access import Principal
from clientfolio.plan.actions import PlanAction
from clientfolio.plan.records import add_actions, update_action
from clientfolio.report import annual
from clientfolio.report.annual import gather_review
from clientfolio.report.html import render_html
from clientfolio.report.sections import build_report
from clientfolio.store import Store
from clientfolio.web.state import WebState
from tests.web.conftest import RING, logged_in
from tests.web.pages_fixtures import token

ADMIN = Principal("pbernard", "admin")


@pytest.fixture
def gathers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The review's gatherings of the analyses, counted."""
    calls: list[object] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return gather(*args, **kwargs)

    gather = annual.gather
    monkeypatch.setattr(annual, "gather", counted)
    return calls


def review_html(store: Store, **keywords: Any) -> str:
    return render_html(build_report(gather_review(store, ADMIN, ring=RING, **keywords), "en"))


def test_the_review_reuses_the_current_figures_and_reads_the_actions_again(
    app: FastAPI, demo: Store, gathers: list[object]
) -> None:
    admin = logged_in(app, "pbernard")
    assert admin.get("/").status_code == 200  # the dashboard: the figures of the admin's scope
    state: WebState = app.state.web
    figures = state.figures.fresh(demo, ADMIN)
    assert figures is not None

    review = admin.post("/report", data={"format": "html", "lang": "en", "csrf_token": token(admin)})
    assert review.status_code == 200 and "<html" in review.text.lower()
    assert gathers == [], "the review gathered the analyses again beside the current figures"
    assert review_html(demo, inputs=figures.inputs) == review_html(demo)  # the same review as one gathered afresh
    assert len(gathers) == 1
    # the figures of another day, or of other settings, are not reused
    gather_review(demo, ADMIN, ring=RING, inputs=figures.inputs, as_of=figures.inputs.as_of - dt.timedelta(days=1))
    assert len(gathers) == 2

    year = figures.inputs.year
    (added,) = add_actions(demo, ADMIN, year, [PlanAction(None, "Call back")], planned_on=figures.inputs.as_of)
    assert state.figures.fresh(demo, ADMIN) is None  # a new action: the data changed
    assert admin.get("/").status_code == 200
    figures = state.figures.fresh(demo, ADMIN)
    assert figures is not None
    update_action(demo, ADMIN, added, ring=RING, progress=60)  # in place: the figures stay current
    assert state.figures.fresh(demo, ADMIN) is figures
    reused = gather_review(demo, ADMIN, ring=RING, inputs=figures.inputs)
    assert next(a.progress for a in reused.inputs.actions if a.id == added) == 60
    assert next(a.progress for a in figures.inputs.actions if a.id == added) == 0  # the figures themselves unchanged

    gathers.clear()
    assert admin.post("/report", data={"format": "pdf", "lang": "fr", "csrf_token": token(admin)}).status_code == 200
    assert gathers == []
