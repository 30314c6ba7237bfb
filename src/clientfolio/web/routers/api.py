"""The REST API under ``/api/v1``: the same data, access rules and audit as
the pages, typed for the OpenAPI schema (``/api/v1/openapi.json``).

Authentication: the session cookie, or ``Authorization: Bearer <token>``
with the token that ``POST /login`` answers as JSON.  Every route reads
through the access layer for the session's principal.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from clientfolio.web.deps import CurrentUser, LangDep, PrincipalDep, RingDep, StateDep
from clientfolio.web.models import CustomerDetail, CustomerList, Dashboard, TodayPage
from clientfolio.web.routers.customers import ListQueryDep, customer_page_of, list_of
from clientfolio.web.routers.dashboard import PageDep, dashboard_of, today_of

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    responses={
        401: {"description": "Not logged in: no session cookie nor bearer token, or the session ended."},
        403: {"description": "The user's role may not do this."},
    },
)


@router.get("/me")
def me(user: CurrentUser, principal: PrincipalDep) -> dict[str, Any]:
    """The logged-in user: name, role and need-to-know scope (None: unrestricted)."""
    scope = principal.scope
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "scope": {
            "regions": None if scope.regions is None else sorted(scope.regions),
            "segments": None if scope.segments is None else sorted(scope.segments),
            "product_lines": None if scope.product_lines is None else sorted(scope.product_lines),
        },
    }


@router.get("/dashboard")
def dashboard(state: StateDep, principal: PrincipalDep, ring: RingDep, lang: LangDep) -> Dashboard:
    """The dashboard's figures: valuation, measures and trend, ABC, crossed ABC,
    RFM profiles, segment x product matrix, quadrants, funnel, self-assessment."""
    return dashboard_of(state, principal, ring, lang)[0]


@router.get("/today")
def today(
    state: StateDep, principal: PrincipalDep, ring: RingDep, lang: LangDep, page_number: PageDep = 1
) -> TodayPage:
    """The whole lists of the dashboard's Today block, paged: customers at risk
    and overdue follow-ups by value at stake, plan actions due."""
    return today_of(state, principal, ring, lang, page_number)


@router.get("/customers")
def customers(
    state: StateDep, principal: PrincipalDep, ring: RingDep, lang: LangDep, query: ListQueryDep
) -> CustomerList:
    """A page of the customers the user may see, filtered and sorted."""
    return list_of(state, principal, ring, query, lang)


@router.get("/customers/{code}", responses={404: {"description": "Unknown, or outside the user's scope."}})
def customer(state: StateDep, principal: PrincipalDep, ring: RingDep, lang: LangDep, code: str) -> CustomerDetail:
    """One customer (the read is written to the audit log)."""
    return customer_page_of(state, principal, ring, code, lang)
