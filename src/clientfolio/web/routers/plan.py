"""The commercial action plan (``/plan``, *PAC*): its header, its actions
grouped by customer typology with every column of the seed's table, the
tracking totals (overdue actions highlighted), and the actions suggested
from the analyses, each with its reason and expected revenue, to accept one
by one or all at once; ``/plan/export.xlsx`` downloads it in the seed's layout.

The analyses come from the app's figures cache (``web.figures``) for the
logged-in principal; the plan's actions are read fresh (``plan.records``),
within the principal's scope.  Every change is audited (``plan.records``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response

from clientfolio.access import Principal
from clientfolio.access.writes import whole_company
from clientfolio.errors import ClientfolioError
from clientfolio.plan.actions import PlanAction, PlanHeader, by_typology, track
from clientfolio.plan.messages import shown
from clientfolio.plan.records import (
    add_actions,
    plan_actions,
    plan_header,
    remove_actions,
    save_header,
    swot_items,
    update_action,
)
from clientfolio.plan.run import suggestions_of
from clientfolio.plan.suggestions import SUGGESTION_KIND_NAMES, Suggestion, as_action
from clientfolio.plan.xlsx import write_plan_xlsx
from clientfolio.protect.audit import record_event
from clientfolio.protect.keys import KeyRing
from clientfolio.web.deps import CsrfChecked, RingDep, View, ViewDep
from clientfolio.web.pages import Reader, Writer, download, scratch
from clientfolio.web.render import page, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

YearQuery = Annotated[int | None, Query(ge=1900, le=2999, description="Budget year (default: the analysis year).")]
AsOfQuery = Annotated[dt.date | None, Query(description="Track the plan as of this day (default: today).")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _suggested(view: View, principal: Principal, ring: KeyRing) -> tuple[int, dt.date | None, list[Suggestion]]:
    """The analysis year and date, and the suggestions of what ``principal``
    sees (this year, no date and none without sales)."""
    figures = view.state.figures.get(view.state.store, principal, ring)
    if figures is None:
        return dt.date.today().year, None, []
    return figures.inputs.year, figures.inputs.as_of, suggestions_of(figures.inputs)


def plan_of(view: View, principal: Principal, ring: KeyRing, year: int | None, as_of: dt.date | None) -> dict[str, Any]:
    """The plan page's data: header, actions by typology with their tracking, totals, suggestions."""
    store = view.state.store
    analysis_year, _, found = _suggested(view, principal, ring)
    year = year or analysis_year
    day = as_of or dt.date.today()
    actions = plan_actions(store, principal, year, ring=ring)
    tracking = track(actions, day)
    status = {s.id: s for s in tracking.actions}
    localized = [a.localized(view.lang) for a in actions]
    planned = {a.suggestion_key for a in actions if a.suggestion_key}
    header = plan_header(store, year) or PlanHeader(year)
    return {
        "year": year,
        "as_of": day,
        "header": header.__dict__,
        "groups": [
            {
                "number": n,
                "typology": typology,
                "actions": [
                    {
                        **a.as_dict(),
                        **{k: getattr(status[a.id], k) for k in ("done", "overdue", "achievement", "budget_used")},
                    }
                    for a in group
                ],
            }
            for n, (typology, group) in enumerate(by_typology(localized), start=1)
        ],
        "tracking": tracking.as_dict(),
        "suggestions": [
            {
                **_suggestion_row(view, s),
                "steps": shown(view.lang, s.steps, s.steps_msg, s.params),
                "in_plan": s.key in planned,
            }
            for s in found
        ]
        if year == analysis_year
        else [],
    }


@router.get("/plan")
def plan_page(
    view: ViewDep, principal: Reader, ring: RingDep, year: YearQuery = None, as_of: AsOfQuery = None
) -> Response:
    """The plan of ``year`` tracked as of ``as_of``, with the suggested actions."""
    return page(view, "plan.html", plan_of(view, principal, ring, year, as_of))


def _suggestion_row(view: View, s: Suggestion) -> dict[str, Any]:
    """A suggestion as the plan's pages show it: its kind, title and reason in the reader's language."""
    return {
        **s.as_dict(),
        "kind_label": view._(SUGGESTION_KIND_NAMES.get(s.kind, s.kind)),
        "title": shown(view.lang, s.title, s.title_msg, s.params),
        "reason": shown(view.lang, s.reason, s.reason_msg, s.params),
    }


def _undo_token(ring: KeyRing, principal: Principal, year: int, ids: list[int]) -> str:
    """The signature that lets ``principal`` undo the actions ``ids`` it just added."""
    message = f"{principal.username}|{year}|{','.join(map(str, sorted(ids)))}".encode()
    return hmac.new(ring.subkey("plan-undo"), message, hashlib.sha256).hexdigest()


@router.get("/plan/accept-all")
def confirm_all(view: ViewDep, principal: Writer, ring: RingDep) -> Response:
    """The confirmation step of "Accept all": the suggested actions that would
    be added (those not in the plan yet; a scoped user's: about its customers
    and prospects), each sent with the form that adds them."""
    year, _, found = _suggested(view, principal, ring)
    planned = {a.suggestion_key for a in plan_actions(view.state.store, principal, year, ring=ring)}
    scoped = not whole_company(principal)
    chosen = [
        s
        for s in found
        if s.key not in planned and not (scoped and s.customer_code is None and s.prospect_code is None)
    ]
    return page(
        view,
        "plan_bulk.html",
        {"step": "confirm", "year": year, "suggestions": [_suggestion_row(view, s) for s in chosen]},
    )


@router.post("/plan/accept", dependencies=[CsrfChecked])
def accept(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    key: Annotated[list[str] | None, Form()] = None,
    every: Annotated[bool, Form(alias="all")] = False,
    bulk: Annotated[bool, Form()] = False,
) -> Response:
    """Put suggested actions into the plan of the analysis year: those named by
    ``key``, or all of them with ``all``; back to the plan (one action), or,
    with ``all`` or ``bulk`` (the confirmed "Accept all"), to the list of the
    actions added with the form that removes them (undo)."""
    year, day, found = _suggested(view, principal, ring)
    chosen = found if every else [s for s in found if s.key in set(key or ())]
    if day is None or not chosen:
        raise ClientfolioError("no suggestion chosen (or it is no longer suggested)")
    actions = [as_action(s, day) for s in chosen]
    if every and not whole_company(principal):  # "all" of a scoped user: the actions about its customers
        actions = [a for a in actions if a.customer_code is not None or a.prospect_code is not None]
    added = add_actions(
        view.state.store, principal, year, actions, planned_on=day, ring=ring, chain_key=ring.subkey("audit")
    )
    if wants_json(view.request):
        return page(view, "plan.html", {"year": year, "added": added})
    if not (every or bulk):
        return RedirectResponse(f"/plan?year={year}", status_code=303)
    rows = [a.localized(view.lang).as_dict() for a in plan_actions(view.state.store, principal, year, ring=ring)]
    return page(
        view,
        "plan_bulk.html",
        {
            "step": "added",
            "year": year,
            "actions": [a for a in rows if a["id"] in set(added)],
            "ids": added,
            "token": _undo_token(ring, principal, year, added),
        },
    )


@router.post("/plan/undo", dependencies=[CsrfChecked])
def undo(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    year: Annotated[int, Form(ge=1900, le=2999)],
    token: Annotated[str, Form(max_length=64)],
    ids: Annotated[list[int] | None, Form(alias="id")] = None,
) -> Response:
    """Remove the actions ``ids`` that ``principal`` just added all at once
    (``token``: the signature of the result page), those still in its plan;
    each removal is audited (``plan.action.undo``, its values ``before``)."""
    ids = sorted(set(ids or ()))
    if not ids or not hmac.compare_digest(token, _undo_token(ring, principal, year, ids)):
        raise ClientfolioError("this undo is not valid")
    removed = remove_actions(view.state.store, principal, year, ids, chain_key=ring.subkey("audit"), ring=ring)
    if wants_json(view.request):
        return page(view, "plan_bulk.html", {"year": year, "removed": removed})
    return page(view, "plan_bulk.html", {"step": "undone", "year": year, "removed": len(removed)})


@router.post("/plan/add", dependencies=[CsrfChecked])
def add_one(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    customer_code: Annotated[str, Form(min_length=1, max_length=64)],
    title: Annotated[str, Form(min_length=1, max_length=300)],
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add one action about a visible customer to the plan of the analysis year,
    due in a week, owned by the user (the "Add to plan" of the dashboard);
    audited; back to the dashboard or the Today page (``back`` ``/`` or
    ``/today``), else the plan."""
    year = _suggested(view, principal, ring)[0]
    today = dt.date.today()
    action = PlanAction(
        None,
        title.strip(),
        customer_code=customer_code.strip(),
        owner=principal.username,
        due_on=today + dt.timedelta(days=7),
        created_on=today,
    )
    added = add_actions(
        view.state.store, principal, year, [action], planned_on=today, ring=ring, chain_key=ring.subkey("audit")
    )
    if wants_json(view.request):
        return page(view, "plan.html", {"year": year, "added": added})
    return RedirectResponse(back if back in ("/", "/today") else f"/plan?year={year}", status_code=303)


@router.post("/plan/actions/{action_id}", dependencies=[CsrfChecked])
def update_one(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    action_id: int,
    year: Annotated[int, Form(ge=1900, le=2999)],
    progress: Annotated[int, Form(ge=0, le=100)],
    done: Annotated[bool, Form()] = False,
    comments: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Update an action's tracking: its progress (``done`` sets 100 %) and
    comments (left as they are when the field is not sent); audited
    (``plan.action.update``); back to the plan."""
    changes: dict[str, Any] = {"progress": 100 if done else progress}
    if comments is not None:
        changes["comments"] = comments.strip() or None
    action = update_action(view.state.store, principal, action_id, ring=ring, chain_key=ring.subkey("audit"), **changes)
    if wants_json(view.request):
        return page(view, "plan.html", {"year": year, "action": action.as_dict()})
    return RedirectResponse(f"/plan?year={year}", status_code=303)


@router.post("/plan/header", dependencies=[CsrfChecked])
def header(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    year: Annotated[int, Form(ge=1900, le=2999)],
    company: Annotated[str, Form(max_length=200)] = "",
    business_area: Annotated[str | None, Form(max_length=200)] = None,
    vision: Annotated[str | None, Form(max_length=500)] = None,
    objective: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Set the header of the plan of ``year``: company, strategic business area, vision, objective."""
    saved = save_header(
        view.state.store,
        PlanHeader(year, company.strip(), business_area or None, vision or None, objective or None),
        chain_key=ring.subkey("audit"),
        principal=principal,
    )
    if wants_json(view.request):
        return page(view, "plan.html", {"header": saved.__dict__})
    return RedirectResponse(f"/plan?year={year}", status_code=303)


@router.get("/plan/export.xlsx")
def export_xlsx(
    view: ViewDep, principal: Reader, ring: RingDep, year: YearQuery = None, as_of: AsOfQuery = None
) -> Response:
    """The plan as an XLSX workbook (PAC, tracking, EMOFF); the download is audited."""
    store = view.state.store
    year = year or _suggested(view, principal, ring)[0]
    actions = plan_actions(store, principal, year, ring=ring)
    swot: dict[str, list[str]] = {}
    for item in swot_items(store, principal, year):
        if item.accepted:
            swot.setdefault(item.quadrant, []).append(item.localized(view.lang).text)
    with scratch() as folder:
        path = write_plan_xlsx(
            folder / f"pac-{year}.xlsx",
            plan_header(store, year) or PlanHeader(year),
            actions,
            track(actions, as_of or dt.date.today()),
            swot,
            lang=view.lang,
        )
        with store.begin() as conn:
            record_event(
                conn,
                actor=principal.username,
                action="plan.download",
                target=str(year),
                details={"actions": len(actions), "format": "xlsx"},
                chain_key=ring.subkey("audit"),
            )
        return download(path, path.name, XLSX, folder=folder)
