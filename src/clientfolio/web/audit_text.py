"""The audit log's entries as people read them: an entry's details (the sealed
record's JSON, English keys and codes) as labelled values in the reader's
language, for the admin page and ``clientfolio audit list``.

The record itself is never changed (its seal covers it): this is a reading.
Keys are named by ``DETAIL_NAMES``; code values by the names the rest of the
product shows (stages, quadrants, roles, alert kinds ...); texts the code wrote
from a message of the catalogs with its template beside it (``title`` and
``title_msg``, ``reason`` and ``reason_msg`` with ``params`` / ``reason_params``)
are rendered again in the reader's language; amounts (``*_cents``), numbers,
days and times in its conventions.  A key or a code this version does not know
(an entry written by another version) shows as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from clientfolio.audit_log import ACTION_NAMES
from clientfolio.i18n import N_, formatter, gettext_for, localized
from clientfolio.plan.assessment import THEME_INFO
from clientfolio.plan.records import COMMENT_CHANGED
from clientfolio.plan.suggestions import SUGGESTION_KIND_NAMES
from clientfolio.plan.swot import QUADRANT_NAMES
from clientfolio.prospects.stages import STAGE_NAMES
from clientfolio.protect.alerts import ALERT_NAMES
from clientfolio.report.export import DEFAULT_PURPOSE, DEFAULT_RECIPIENT

__all__ = ["DETAIL_NAMES", "action_text", "detail_pairs", "details_text", "target_text"]

DETAIL_NAMES: Mapping[str, str] = {
    "accepted": N_("accepted"),
    "accepted_before": N_("accepted before"),
    "accounts": N_("accounts"),
    "action": N_("action"),
    "actions": N_("actions"),
    "activities_cleared": N_("activities cleared"),
    "address": N_("address"),
    "after": N_("after"),
    "alerts": N_("alerts"),
    "already_imported": N_("already imported"),
    "answers": N_("answers"),
    "approval": N_("approval"),
    "as_of": N_("as of"),
    "before": N_("before"),
    "budget_cents": N_("budget"),
    "comments": N_("comments"),
    "company": N_("company"),
    "contacts": N_("contact persons"),
    "created": N_("created"),
    "created_at": N_("created at"),
    "current_revenue_cents": N_("current revenue"),
    "customer_code": N_("customer"),
    "customers": N_("customers"),
    "day": N_("day"),
    "display_name": N_("name"),
    "due_on": N_("due on"),
    "duration_minutes": N_("duration (minutes)"),
    "email": N_("e-mail"),
    "enabled": N_("enabled"),
    "evidence": N_("evidence"),
    "expires_on": N_("expires on"),
    "export_uid": N_("export number"),
    "exports": N_("exports"),
    "fact_mark": N_("mark from the facts"),
    "failures": N_("failures"),
    "field": N_("field"),
    "file": N_("file"),
    "file_sha256": N_("file's SHA-256"),
    "files": N_("files"),
    "fingerprint": N_("fingerprint"),
    "format": N_("format"),
    "horizon": N_("horizon"),
    "id": N_("number"),
    "implicated": N_("exports implicated"),
    "import_id": N_("import"),
    "invoice_lines": N_("invoice lines"),
    "invoices": N_("invoices"),
    "is_active": N_("active"),
    "items": N_("items"),
    "k": N_("quarters (k)"),
    "key": N_("key"),
    "key_id": N_("key"),
    "kind": N_("kind"),
    "label": N_("profile"),
    "left_on": N_("left on"),
    "locked_until": N_("locked until"),
    "n": N_("count"),
    "new": N_("new value"),
    "new_source": N_("new source"),
    "occurred_on": N_("Date"),
    "old": N_("old value"),
    "old_key_ids": N_("old keys"),
    "old_source": N_("old source"),
    "on": N_("Date"),
    "outcome": N_("outcome recorded"),
    "owner": N_("owner"),
    "pack_manifest_sha256": N_("pack manifest's SHA-256"),
    "participants": N_("participants"),
    "payments": N_("payments"),
    "planned": N_("planned"),
    "priority": N_("priority"),
    "product_line": N_("product lines"),
    "product_lines": N_("product lines"),
    "products": N_("products"),
    "profile": N_("profile code"),
    "progress": N_("progress (%)"),
    "prospect_code": N_("prospect"),
    "purpose": N_("stated purpose"),
    "quadrant": N_("quadrant"),
    "reason": N_("reason"),
    "recipient": N_("recipient"),
    "region": N_("regions"),
    "regions": N_("regions"),
    "rejected": N_("rows rejected"),
    "replaced_rows": N_("rows replaced"),
    "request": N_("request"),
    "requester": N_("requester"),
    "reset": N_("reset to the default"),
    "respondent": N_("respondent"),
    "result": N_("result"),
    "result_revenue_cents": N_("revenue obtained"),
    "resumed": N_("resumed"),
    "retry_after_minutes": N_("retry after (minutes)"),
    "role": N_("role"),
    "rows": N_("rows"),
    "rows_read": N_("rows read"),
    "scopes": N_("scope"),
    "segment": N_("segments"),
    "segments": N_("segments"),
    "sessions_ended": N_("sessions ended"),
    "sha256": N_("SHA-256"),
    "spent_cents": N_("spent"),
    "stage": N_("stage"),
    "steps": N_("steps"),
    "suggestion_key": N_("suggestion"),
    "tampered": N_("marks altered"),
    "target_revenue_cents": N_("target revenue"),
    "text": N_("text"),
    "theme": N_("theme"),
    "title": N_("title"),
    "totp": N_("second factor"),
    "traps": N_("trap records"),
    "typology": N_("typology"),
    "unchanged": N_("unchanged"),
    "updated": N_("updated"),
    "user": N_("user"),
    "username": N_("user name"),
    "values": N_("values"),
    "verdict": N_("verdict"),
    "visible": N_("in scope"),
    "vision": N_("vision"),
    "when": N_("condition"),
    "year": N_("year"),
}
"""The English name of each key the code writes in an entry's details (translated by the catalogs)."""

_CODES: Mapping[str, Mapping[str, str]] = {
    "stage": STAGE_NAMES,
    "quadrant": QUADRANT_NAMES,
    "alerts": ALERT_NAMES,
    "role": {
        "admin": N_("admin"),
        "manager": N_("manager"),
        "sales": N_("sales"),
        "auditor": N_("auditor"),
        "contractor": N_("contractor"),
    },
    "kind": {
        "customers": N_("customers"),
        "invoices": N_("invoices"),
        "prospects": N_("prospects"),
        "payments": N_("payments"),
        "products": N_("products"),
        "contacts": N_("contact persons"),
        "mailing": N_("Mailing (contact persons)"),
        "report": N_("report"),
        "commercial": N_("Commercial"),
        "internal": N_("Internal"),
        "call": N_("call"),
        "visit": N_("visit"),
        "meeting": N_("meeting"),
        "email": N_("e-mail"),
        "quote": N_("quote"),
    },
    "horizon": {
        "short": N_("Short term (0-6 months)"),
        "medium": N_("Medium term (6-24 months)"),
        "long": N_("Long term (over 24 months)"),
    },
    "evidence": {"fingerprint": N_("fingerprint"), "trap": N_("trap records")},
    "verdict": {"match": N_("match"), "no match": N_("no match")},
    "source": {"default": N_("default"), "file": N_("file"), "env": N_("environment")},
    "field": {"name": N_("name"), "function": N_("function"), "email": N_("e-mail"), "phone": N_("phone")},
    "theme": {key: theme.label for key, theme in THEME_INFO.items()},
    "reason": {  # the login refusals and the scope refusal, written as codes
        "bad password": N_("bad password"),
        "bad code": N_("bad second-factor code"),
        "no password": N_("no password set"),
        "unknown user": N_("unknown user"),
        "locked": N_("account locked"),
        "disabled": N_("account disabled"),
        "expired": N_("account expired"),
        "left": N_("user has left"),
        "address throttled": N_("too many failures from this address"),
        "not in scope or unknown": N_("not in scope or unknown"),
    },
}
"""The English names of the codes a value may be, by the key that holds it."""

_CODE_KEYS = {"before": "stage", "after": "stage", "new_source": "source", "old_source": "source"}
"""Keys whose values are codes of another key's kind (a stage's before and after)."""

_TRANSLATED = frozenset({"label", "action", "reason", "typology"})
"""Keys whose values may be messages of the catalogs as they are (the default RFM profiles, plan texts)."""

_MESSAGES = frozenset({COMMENT_CHANGED, DEFAULT_PURPOSE, DEFAULT_RECIPIENT})
"""Values the code writes as messages of the catalogs under any key (a report's default recipient and
purpose as an English run wrote them, a sealed comment's mark): translated; other texts are the users'."""

_TEMPLATES = {"title": "title_msg", "steps": "steps_msg", "reason": "reason_msg"}
"""A text and the key of its English template, whose fields are in ``params`` or ``<text>_params``."""

_HIDDEN = frozenset({*_TEMPLATES.values(), "params", "reason_params", "key"})
"""Keys not shown: the templates and their parameters (rendered in their text), the SWOT items' internal keys."""

_PLAIN = frozenset({"year", "id", "request", "approval", "import_id", "key_id"})
"""Numbers that are names (a year, a record's number): shown without grouping."""


def action_text(action: str, lang: str) -> str:
    """The name of an entry's action (``export.refused``) in ``lang``; the code when unnamed."""
    return gettext_for(lang)(ACTION_NAMES[action]) if action in ACTION_NAMES else action


def target_text(target: str | None, lang: str) -> str:
    """An entry's target as shown in ``lang``: a day (an assessment's) in the reader's
    format, anything else (a user, a file, ``GET /admin``) as written."""
    if not target:
        return ""
    day = _moment(target)
    return formatter(lang).date(day) if type(day) is dt.date else target


def detail_pairs(action: str, details: Mapping[str, Any] | None, lang: str) -> list[tuple[str, str]]:
    """An entry's details as (name, value) pairs shown in ``lang``, in the record's order."""
    reading = _Reading(action, lang)
    return reading.pairs(details or {})


def details_text(action: str, details: Mapping[str, Any] | None, lang: str) -> str:
    """An entry's details on one line: ``name : value ; ...`` in ``lang``."""
    reading = _Reading(action, lang)
    return " ; ".join(f"{name}{reading.colon}{value}" for name, value in reading.pairs(details or {}))


class _Reading:
    """The rendering of one entry's details in one language."""

    def __init__(self, action: str, lang: str) -> None:
        self.stages = action.startswith("prospect.stage")
        self.scopes = action == "user.scope"  # its before and after are scopes
        self.lang = lang
        self._: Callable[[str], str] = gettext_for(lang)
        self.fmt = formatter(lang)
        self.colon = "\u00a0: " if lang == "fr" else ": "

    def pairs(self, details: Mapping[str, Any]) -> list[tuple[str, str]]:
        shown = []
        for key, value in details.items():
            if key in _HIDDEN or (value is None and key not in {"before", "after"}):
                continue
            text = self.templated(key, value, details)
            shown.append((self.name(key, value), text if text is not None else self.value(key, value)))
        return shown

    def name(self, key: str, value: Any) -> str:
        if key == "created" and isinstance(value, bool):  # a plan's header written for the first time
            return self._("first written")
        return self._(DETAIL_NAMES[key]) if key in DETAIL_NAMES else key

    def templated(self, key: str, value: Any, record: Mapping[str, Any]) -> str | None:
        """``value`` rendered again from its template in the record, when it has one."""
        template = record.get(_TEMPLATES.get(key, ""))
        if not isinstance(template, str) or not isinstance(value, str):
            return None
        params = record.get(f"{key}_params", record.get("params"))
        if isinstance(params, str):  # the plan's actions keep their parameters as JSON text
            try:
                params = json.loads(params)
            except ValueError:
                return None
        if params is not None and not isinstance(params, dict):
            return None
        try:
            return localized(self.lang, value, template, params or None)
        except (KeyError, IndexError, ValueError):
            return None

    def value(self, key: str, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self._("yes") if value else self._("no")
        if isinstance(value, dict):
            inner = self.pairs(value)
            if not inner and (key == "scopes" or self.scopes):
                return self._("all")  # a need-to-know scope without restriction
            return "(" + " ; ".join(f"{n}{self.colon}{v}" for n, v in inner) + ")" if inner else "—"
        if isinstance(value, list):
            return ", ".join(self.value(key, item) for item in value) if value else "—"
        if isinstance(value, int) and key in _PLAIN:
            return str(value)
        if isinstance(value, int):
            return self.fmt.money(value, decimals=False) if key.endswith("_cents") else self.fmt.number(value)
        if isinstance(value, float):
            if key.endswith("_cents"):
                return self.fmt.money(value, decimals=False)
            return self.fmt.number(value, 0 if value.is_integer() else 1)
        return self.text(key, str(value))

    def text(self, key: str, value: str) -> str:
        kind = key if key in {"before", "after"} and not self.stages else _CODE_KEYS.get(key, key)
        names = _CODES.get(kind)
        if names is not None and value in names:
            return self._(names[value])
        if key in _TRANSLATED or value in _MESSAGES:
            return self._(value)
        if key == "suggestion_key" and value.partition(":")[0] in SUGGESTION_KIND_NAMES:
            kind, _, about = value.partition(":")
            return f"{self._(SUGGESTION_KIND_NAMES[kind])} ({about})" if about else self._(SUGGESTION_KIND_NAMES[kind])
        when = _moment(value)
        if isinstance(when, dt.datetime):
            return f"{self.fmt.date(when.date())} {when:%H:%M:%S}"
        if isinstance(when, dt.date):
            return self.fmt.date(when)
        return value


def _moment(text: str) -> dt.date | dt.datetime | None:
    """A day (``2026-12-07``) or a moment (ISO, with its offset, shown in UTC) written as text."""
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    if 19 <= len(text) <= 32 and text[4:5] == "-" and text[10:11] == "T":
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment
    return None
