"""The dashboard (``/``): the "Today" block (customers at risk, overdue
follow-ups, plan actions due, each with a next step and one-click forms),
the valuation of the customer capital, the portfolio measures and their
trend, the ABC Pareto curve, the crossed ABC matrix, the RFM profiles, the
segment x product matrix, the value strategy quadrants, the prospecting
funnel and the self-assessment mark."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import Response

from clientfolio.access import PortfolioReader, Principal
from clientfolio.plan.records import plan_actions
from clientfolio.protect.keys import KeyRing
from clientfolio.web.build import dashboard, today_block
from clientfolio.web.charts import dashboard_charts
from clientfolio.web.deps import PrincipalDep, RingDep, ViewDep
from clientfolio.web.figures import Figures, code_names
from clientfolio.web.models import Dashboard
from clientfolio.web.render import page, wants_json
from clientfolio.web.state import WebState

__all__ = ["dashboard_of", "router"]

router = APIRouter(include_in_schema=False)


def dashboard_of(state: WebState, principal: Principal, ring: KeyRing, lang: str) -> tuple[Dashboard, Figures | None]:
    """The dashboard of what ``principal`` sees (figures from the app's cache)."""
    figures = state.figures.get(state.store, principal, ring)
    if figures is not None:
        count = len(figures.inputs.value.customers)
    else:
        count = sum(a.kind == "customer" for a in PortfolioReader(state.store, principal).accounts())
    data = dashboard(figures, count, lang, code_names(state.store, principal))
    if figures is not None:
        reader = PortfolioReader(state.store, principal)
        purchases = [(code, day) for code, day, cents in reader.revenue_by_customer_date() if cents > 0]
        actions = plan_actions(state.store, principal, figures.inputs.year, ring=ring)
        data = data.model_copy(update={"today": today_block(figures, purchases, actions, dt.date.today(), lang)})
    return data, figures


@router.get("/")
def dashboard_page(view: ViewDep, principal: PrincipalDep, ring: RingDep) -> Response:
    """The dashboard page (its data as JSON when asked)."""
    data, figures = dashboard_of(view.state, principal, ring, view.lang)
    charts = (
        {}
        if figures is None or wants_json(view.request)
        else dashboard_charts(data, figures, view._, view.fmt, view.lang)
    )
    return page(view, "dashboard.html", data, html={"charts": charts})
