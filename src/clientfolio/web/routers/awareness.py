"""The awareness page (``/security/awareness``): the human side of the risk to
the customer file, in the figures DOMAIN.md section 13 quotes, beside the
controls Clientfolio applies (need-to-know scopes, audit log, encryption,
backups, fingerprinted exports, idle lock, login lockout), with the settings
in force.  For every logged-in user; as JSON too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from clientfolio.i18n import N_
from clientfolio.web.deps import View, ViewDep
from clientfolio.web.pages import Reader
from clientfolio.web.render import page

__all__ = ["CONTROLS", "FIGURES", "router"]

router = APIRouter(include_in_schema=False)

FIGURES = (
    (92, N_("of employees cannot detect a phishing e-mail.")),
    (37, N_("of incidents are lost or stolen equipment.")),
    (30, N_("of incidents are user errors.")),
)
"""The figures of the protection course the app follows (DOMAIN.md section 13): percent, what."""

CONTROLS = (
    (
        "scopes",
        N_("Need-to-know partitioning"),
        N_(
            "Each user sees only the regions, segments and product lines of their scope; a contractor sees "
            "nothing until given one."
        ),
    ),
    (
        "audit",
        N_("Audit log"),
        N_(
            "Every login, read of a customer record, export, change and refusal is written to a sealed hash "
            "chain that shows any edit or deletion."
        ),
    ),
    (
        "encryption",
        N_("Encryption"),
        N_(
            "Contact persons' names, e-mails and phones and customers' addresses are encrypted in the store "
            "(AES-256-GCM); the key lives outside the database."
        ),
    ),
    (
        "backups",
        N_("Encrypted backups"),
        N_("`clientfolio backup` writes an encrypted archive of the whole store, verified before any restore."),
    ),
    (
        "exports",
        N_("Fingerprinted exports"),
        N_(
            "Every export is registered, marked, seeded with trap records and signed: a leaked copy is "
            "traced to its recipient."
        ),
    ),
    (
        "idle",
        N_("Idle lock"),
        N_("A session unused for {minutes} minutes is closed, on the server and in the browser."),
    ),
    (
        "lockout",
        N_("Login lockout"),
        N_(
            "After {failures} failed logins in a row from one address, the account is locked for {lockout} "
            "minutes from that address."
        ),
    ),
)
"""The controls the app applies: key, name, what it does (its settings as ``{fields}``)."""


def awareness_of(view: View) -> dict[str, Any]:
    """The page's data, in the view's language: the figures and the controls."""
    settings = view.state.settings
    params = {
        "minutes": settings.session_idle_minutes,
        "failures": settings.login_max_failures,
        "lockout": settings.login_lockout_minutes,
    }
    return {
        "figures": [{"percent": value, "text": view._(text)} for value, text in FIGURES],
        "controls": [
            {"control": key, "name": view._(name), "text": view._(text).format(**params)}
            for key, name, text in CONTROLS
        ],
        "settings": params,
    }


@router.get("/security/awareness")
def awareness_page(view: ViewDep, principal: Reader) -> Response:
    """The seed's figures on the human risk, beside the controls the app applies."""
    return page(view, "awareness.html", awareness_of(view))
