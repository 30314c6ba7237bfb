"""Logging a sales activity from the web (``POST /customers/{code}/activities``):
a call, visit, meeting, e-mail or quote about a customer, with its date
(default today), a note, and optionally the date of the next activity.

The next activity is stored as a planned activity of the same type dated
that day (``log_activity`` with ``planned``: no contact until made; the
timeline marks it planned).
``log_activity`` enforces the scope (a rep logs only on their customers, one
refusal for out of scope and unknown) and audits the write (``activity.log``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from clientfolio.errors import ClientfolioError
from clientfolio.prospects.activity_log import log_activity
from clientfolio.web.deps import CsrfChecked, RingDep, ViewDep
from clientfolio.web.pages import Writer
from clientfolio.web.render import page, wants_json

__all__ = ["KINDS", "router"]

router = APIRouter(include_in_schema=False)

KINDS = ("call", "visit", "meeting", "email", "quote")
"""The activity types the form offers (``ingest.activities`` codes)."""

_BACK = ("/", "/today", "/plan")


@router.post("/customers/{code}/activities", dependencies=[CsrfChecked])
def log(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    code: str,
    kind: Annotated[str, Form(pattern="^(call|visit|meeting|email|quote)$")] = "call",
    occurred_on: Annotated[dt.date | None, Form()] = None,
    note: Annotated[str, Form(max_length=300)] = "",
    next_on: Annotated[dt.date | None, Form()] = None,
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Log an activity about customer ``code`` (and the next one, planned);
    back to the customer page (or to the dashboard or the Today page: ``back``
    ``/`` or ``/today``)."""
    today = dt.date.today()
    day = occurred_on or today
    if next_on is not None and next_on <= day:
        raise ClientfolioError("the next activity comes after this one")
    audit = ring.subkey("audit")
    logged = [
        log_activity(
            view.state.store,
            principal,
            kind=kind,
            occurred_on=day,
            customer_code=code,
            subject=note.strip() or None,
            ring=ring,
            chain_key=audit,
            today=today,
        )
    ]
    if next_on is not None:
        logged.append(
            log_activity(
                view.state.store,
                principal,
                kind=kind,
                occurred_on=next_on,
                customer_code=code,
                subject=note.strip() or None,
                ring=ring,
                chain_key=audit,
                planned=True,
            )
        )
    if wants_json(view.request):
        return page(view, "customer.html", {"logged": [a.as_dict() for a in logged]})
    target = back if back in _BACK else f"/customers/{code}"
    return RedirectResponse(target, status_code=303)
