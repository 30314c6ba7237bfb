"""The dashboard (``/``): the valuation of the customer capital, the portfolio
measures and their trend, the ABC Pareto curve, the crossed ABC matrix, the
RFM profiles, the segment x product matrix, the value strategy quadrants,
the prospecting funnel and the self-assessment mark."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientfolio.access import PortfolioReader, Principal
from clientfolio.protect.keys import KeyRing
from clientfolio.web.build import dashboard
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
    return dashboard(figures, count, lang, code_names(state.store, principal)), figures


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
