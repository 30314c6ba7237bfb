"""The SWOT (``/swot``, *matrice EMOFF*): the four quadrants with their kept
items and recommendation, the items suggested from the analyses to accept
(or refuse: not suggested again), and the user's own items to add, rewrite
or delete.  Items belong to the plan of the analysis year; every change is
audited (``plan.records``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from clientfolio.access import Principal
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import localized
from clientfolio.plan.records import add_swot_item, edit_swot_item, save_swot, swot_items
from clientfolio.plan.run import swot_of
from clientfolio.plan.swot import QUADRANT_NAMES, QUADRANTS, RECOMMENDATIONS, SwotSuggestion
from clientfolio.protect.keys import KeyRing
from clientfolio.web.deps import CsrfChecked, RingDep, View, ViewDep
from clientfolio.web.pages import Reader, Writer
from clientfolio.web.render import page, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _suggested(view: View, principal: Principal, ring: KeyRing) -> tuple[int, list[SwotSuggestion]]:
    """The analysis year and the suggested items not decided yet (none without sales)."""
    store = view.state.store
    figures = view.state.figures.get(store, principal, ring)
    if figures is None:
        return dt.date.today().year, []
    year = figures.inputs.year
    decided = {i.key for i in swot_items(store, principal, year) if i.key}
    return year, [s for s in swot_of(figures.inputs, figures.assessment) if s.key not in decided]


def swot_of_view(view: View, principal: Principal, ring: KeyRing) -> dict[str, Any]:
    """The SWOT page's data: each quadrant with its recommendation, kept items and suggestions."""
    year, found = _suggested(view, principal, ring)
    kept = [i for i in swot_items(view.state.store, principal, year) if i.accepted]
    return {
        "year": year,
        "quadrants": [
            {
                "quadrant": q,
                "label": view._(QUADRANT_NAMES[q]),
                "verb": view._(RECOMMENDATIONS[q].verb),
                "recommendation": view._(RECOMMENDATIONS[q].text),
                "items": [
                    {"id": i.id, "text": i.localized(view.lang).text, "source": i.source}
                    for i in kept
                    if i.quadrant == q
                ],
                "suggested": [
                    {**s.as_dict(), "text": localized(view.lang, s.text, s.text_msg, s.params)}
                    for s in found
                    if s.quadrant == q
                ],
            }
            for q in QUADRANTS
        ],
    }


def _done(view: View, answer: dict[str, Any]) -> Response:
    if wants_json(view.request):
        return page(view, "swot.html", answer)
    return RedirectResponse("/swot", status_code=303)


@router.get("/swot")
def swot_page(view: ViewDep, principal: Reader, ring: RingDep) -> Response:
    """The four quadrants (threats, opportunities, weaknesses, strengths)."""
    return page(view, "swot.html", swot_of_view(view, principal, ring))


@router.post("/swot/decide", dependencies=[CsrfChecked])
def decide(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    key: Annotated[list[str] | None, Form()] = None,
    every: Annotated[bool, Form(alias="all")] = False,
    refuse: Annotated[bool, Form()] = False,
) -> Response:
    """Keep (or, with ``refuse``, refuse) the suggested items named by ``key``, or all of them."""
    year, found = _suggested(view, principal, ring)
    chosen = found if every else [s for s in found if s.key in set(key or ())]
    if not chosen:
        raise ClientfolioError("no suggested item chosen (or it is no longer suggested)")
    count = save_swot(view.state.store, principal, year, chosen, accepted=not refuse, chain_key=ring.subkey("audit"))
    return _done(view, {"year": year, "kept" if not refuse else "refused": count})


@router.post("/swot/items", dependencies=[CsrfChecked])
def add_item(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    quadrant: Annotated[str, Form(max_length=20)],
    text: Annotated[str, Form(max_length=500)],
) -> Response:
    """Add the user's own item to ``quadrant``."""
    year = _suggested(view, principal, ring)[0]
    item = add_swot_item(view.state.store, year, quadrant, text, chain_key=ring.subkey("audit"), principal=principal)
    return _done(view, {"year": year, "id": item})


@router.post("/swot/items/edit", dependencies=[CsrfChecked])
def edit_item(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    item_id: Annotated[int, Form()],
    text: Annotated[str | None, Form(max_length=500)] = None,
    delete: Annotated[bool, Form()] = False,
) -> Response:
    """Rewrite a kept item with ``text``, or delete it with ``delete``."""
    if not delete and text is None:
        raise ClientfolioError("give the item's new text")
    year = _suggested(view, principal, ring)[0]
    edit_swot_item(view.state.store, principal, year, item_id, None if delete else text, chain_key=ring.subkey("audit"))
    return _done(view, {"year": year, "id": item_id, "deleted": delete})
