"""The legal kit (``/security/legal``): the legal side of DOMAIN.md section
13 in the app, beside docs/legal.md (which holds the model clauses' text):
the clauses to adapt, the checklist when a leak is suspected, whom to contact
and what for, the CNIL's 72 hours, and the departure checklist with the
exports a user made over the last days (from the export registry).  For the
users who may audit; as JSON too."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from clientfolio.i18n import N_
from clientfolio.protect.alerts import ALERT_NAMES
from clientfolio.protect.exports import list_exports
from clientfolio.web.deps import View, ViewDep
from clientfolio.web.pages import Auditor
from clientfolio.web.render import page

__all__ = ["CLAUSES", "CONTACTS", "DEPARTURE", "LEAK_STEPS", "legal_of", "router"]

router = APIRouter(include_in_schema=False)

CLAUSES = (
    (N_("Confidentiality"), N_("The customer file, prices and terms are confidential, during and after the contract.")),
    (
        N_("Non-compete"),
        N_("Limited in time, place and activity, with financial compensation, or it is void."),
    ),
    (
        N_("Return of documents"),
        N_("On leaving, every document and copy is returned or destroyed, with a signed certificate."),
    ),
)
"""The model clauses (their text to adapt is in docs/legal.md): name, what it says."""

LEAK_STEPS = (
    N_("Preserve: keep the leaked file as found, and note where, when and by whom it was found."),
    N_("Trace it: clientfolio trace FILE --evidence DIR (or the trace page's evidence pack)."),
    N_("Note the audit log's head (clientfolio audit verify) so that later entries cannot be denied."),
    N_("Have a bailiff record what is online or what a competitor sends to your customers."),
    N_("Call your lawyer before anyone else: the route (criminal complaint, civil action) is theirs to choose."),
)
"""The checklist when a leak is suspected, in order."""

CONTACTS = (
    ("DGSI", N_("Economic security: targeted leaks, interference, economic espionage.")),
    ("Gendarmerie", N_("Receives the criminal complaint; its economic-intelligence officers advise companies.")),
    ("ANSSI", N_("Cybersecurity incidents (intrusion, hacked account); for SMEs: cybermalveillance.gouv.fr.")),
    ("CNIL", N_("Personal data breaches: notification within 72 hours.")),
    ("INPI", N_("Protects know-how: e-Soleau envelopes date and prove what was yours.")),
)
"""The bodies of DOMAIN.md section 13 and their role in a leak of the customer file."""

DEPARTURE = (
    N_("Remind the leaver in writing of the confidentiality, non-compete and return clauses."),
    N_("On the day: disable the account (clientfolio user disable NAME) and every other access."),
    N_("Review the exports they made over the last days (the list below)."),
    N_("Get back the devices and documents, with the signed certificate of return."),
)
"""The departure checklist of an employee or a contractor."""


def legal_of(view: View, user: str | None, days: int) -> dict[str, Any]:
    """The page's data in the view's language; with ``user``, the exports that
    user made over the last ``days`` days (newest first)."""
    _ = view._
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    exports = []
    if user:
        for e in list_exports(view.state.store):
            made = e.created_at if e.created_at.tzinfo else e.created_at.replace(tzinfo=dt.UTC)
            if e.username == user.strip().lower() and made >= since:
                exports.append(
                    {
                        "export_uid": e.export_uid,
                        "created_at": made,
                        "recipient": e.recipient,
                        "purpose": e.purpose,
                        "rows": e.row_count,
                        "alerts": [a.kind for a in e.alerts],
                        "alert_names": [_(ALERT_NAMES.get(a.kind, a.kind)) for a in e.alerts],
                    }
                )
    return {
        "clauses": [{"name": _(name), "text": _(text)} for name, text in CLAUSES],
        "leak_steps": [_(step) for step in LEAK_STEPS],
        "contacts": [{"body": body, "role": _(role)} for body, role in CONTACTS],
        "departure": [_(step) for step in DEPARTURE],
        "user": user,
        "days": days,
        "exports": sorted(exports, key=lambda e: e["created_at"], reverse=True),
    }


@router.get("/security/legal")
def legal_page(
    view: ViewDep,
    principal: Auditor,
    user: Annotated[str | None, Query(max_length=100, description="The leaver's user name.")] = None,
    days: Annotated[int, Query(ge=1, le=3650, description="Days of exports reviewed.")] = 90,
) -> Response:
    """The legal kit, with the exports of a leaver over the last days."""
    return page(view, "legal.html", legal_of(view, user, days))
