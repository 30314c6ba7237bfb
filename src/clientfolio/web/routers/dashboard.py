"""The dashboard (``/``): the "Today" block (customers at risk, overdue
follow-ups, plan actions due, each with a next step and one-click forms),
the valuation of the customer capital, the portfolio measures and their
trend, the ABC Pareto curve, the crossed ABC matrix, the RFM profiles, the
segment x product matrix, the value strategy quadrants, the prospecting
funnel and the self-assessment mark; and ``/today``, the whole lists of the
Today block, paged."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from markupsafe import Markup

from clientfolio.access import PortfolioReader, Principal
from clientfolio.i18n import LANGS
from clientfolio.plan.records import plan_actions
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.web.build import TodayLists, dashboard, today_block, today_lists
from clientfolio.web.charts import dashboard_charts
from clientfolio.web.deps import PrincipalDep, RingDep, ViewDep
from clientfolio.web.figures import Figures, code_names
from clientfolio.web.models import Dashboard, TodayOut, TodayPage
from clientfolio.web.render import fragment, page, wants_json
from clientfolio.web.state import WebState

__all__ = ["TODAY_PAGE", "TODAY_ROWS", "dashboard_of", "prepare_dashboard", "router", "today_of"]

TODAY_ROWS = 10
"""Customers of each Today list on the dashboard (the first by value at stake)."""
TODAY_PAGE = 50
"""Customers of each Today list per page of ``/today``."""

PageDep = Annotated[int, Query(alias="page", ge=1, le=100_000, description="Page number, from 1.")]

router = APIRouter(include_in_schema=False)


def dashboard_of(state: WebState, principal: Principal, ring: KeyRing, lang: str) -> tuple[Dashboard, Figures | None]:
    """The dashboard of what ``principal`` sees: its figures' part kept with the
    figures (built by the first request after they are computed), its Today
    block read per request (the plan actions, edited in place)."""
    figures = state.figures.get(state.store, principal, ring)
    if figures is None:
        count = sum(a.kind == "customer" for a in PortfolioReader(state.store, principal).accounts())
        return dashboard(None, count, lang, code_names(state.store, principal)), None
    data = figures.view(
        ("dashboard", lang),
        lambda: dashboard(figures, len(figures.inputs.value.customers), lang, code_names(state.store, principal)),
    )
    today = _today(state, principal, ring, figures, _lists(figures, lang), lang, 0, TODAY_ROWS)
    return data.model_copy(update={"today": today}), figures


def prepare_dashboard(store: Store, principal: Principal, figures: Figures) -> None:
    """Derive the dashboard's figures part and Today lists of new ``figures``
    in every language, and the customers' names (``FigureCache.prepare``: in
    the background, so that the first pages after a computation do not build
    them)."""
    names = figures.view(("names",), partial(code_names, store, principal))  # the customer pages' too
    count = len(figures.inputs.value.customers)
    for lang in LANGS:
        figures.view(("dashboard", lang), partial(dashboard, figures, count, lang, names))
        _lists(figures, lang)


def _lists(figures: Figures, lang: str) -> TodayLists:
    """The customers of the Today block (kept with the figures)."""
    return figures.view(("today", lang), lambda: today_lists(figures, lang))


def _today(
    state: WebState,
    principal: Principal,
    ring: KeyRing,
    figures: Figures,
    lists: TodayLists,
    lang: str,
    start: int,
    limit: int,
) -> TodayOut:
    """The Today block: ``limit`` customers of ``lists`` from ``start``, the
    plan actions due read now (they are edited in place)."""
    actions = plan_actions(state.store, principal, figures.inputs.year, ring=ring)
    return today_block(lists, actions, dt.date.today(), lang, start=start, limit=limit)


def today_of(state: WebState, principal: Principal, ring: KeyRing, lang: str, page_number: int) -> TodayPage:
    """Page ``page_number`` of the Today lists of what ``principal`` sees
    (``TODAY_PAGE`` customers of each list per page)."""
    figures = state.figures.get(state.store, principal, ring)
    if figures is None:
        return TodayPage(as_of=None, page=1, pages=1)
    lists = _lists(figures, lang)
    pages = max(1, -(-max(len(lists.at_risk), len(lists.follow_ups)) // TODAY_PAGE))
    number = min(page_number, pages)
    today = _today(state, principal, ring, figures, lists, lang, (number - 1) * TODAY_PAGE, TODAY_PAGE)
    return TodayPage(as_of=figures.inputs.as_of, page=number, pages=pages, today=today)


@router.get("/")
def dashboard_page(view: ViewDep, principal: PrincipalDep, ring: RingDep) -> Response:
    """The dashboard page (its data as JSON when asked)."""
    data, figures = dashboard_of(view.state, principal, ring, view.lang)
    if figures is None or wants_json(view.request):
        return page(view, "dashboard.html", data)

    def figures_html() -> Markup:
        charts = dashboard_charts(data, figures, view._, view.fmt, view.lang)
        return fragment(view, "_dashboard_figures.html", data, {"charts": charts})

    return page(view, "dashboard.html", data, html={"figures_html": figures.view(("html", view.lang), figures_html)})


@router.get("/today")
def today_page(view: ViewDep, principal: PrincipalDep, ring: RingDep, page_number: PageDep = 1) -> Response:
    """The whole Today lists (customers at risk, overdue follow-ups), paged."""
    return page(view, "today.html", today_of(view.state, principal, ring, view.lang, page_number))
