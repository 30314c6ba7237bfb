"""Administration (``/admin``, the admin role only): the users with their
role, scope and status, to add (the password policy's refusals shown),
disable or scope; the audit log, newest first and paged, with the
verification of its chain on demand; the export alerts and the requests
awaiting approval (approve: an admin other than the requester); a backup
made now and downloaded; the domain settings (``/admin/settings``: every key
of ``clientfolio.toml`` with its value, default, source and help, changed or
reset one at a time, audited ``settings.change``).  Every change goes through
``clientfolio.protect`` (the settings: ``clientfolio.config``), audited with
the admin as actor.  The changes are the whole company's
(a user created without scope, a scope lifted, a whole-store backup): an admin
limited to a scope may look but not change (403, ``access.writes``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response

from clientfolio.access import Principal, Scope
from clientfolio.access.writes import require_whole_company
from clientfolio.config import ConfigError, ConfigProblem, config_file, load_domain_config, reset_setting, write_setting
from clientfolio.errors import ClientfolioError, PasswordRejected
from clientfolio.i18n import N_, gettext_for
from clientfolio.protect.alerts import ALERT_NAMES, Alert
from clientfolio.protect.audit import AuditEvent, AuditReport, list_events, record_event, verify_log
from clientfolio.protect.backup import backup
from clientfolio.protect.exports import approve_export, list_approvals, list_exports
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.passwords import reasons_in
from clientfolio.protect.users import UserRecord, account_refusal, create_user, disable_user, list_users, set_scopes
from clientfolio.store.schema import ROLES
from clientfolio.web.audit_text import action_text, detail_pairs, target_text
from clientfolio.web.deps import CsrfChecked, RingDep, View, ViewDep
from clientfolio.web.pages import Admin, download, scratch
from clientfolio.web.render import page, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

AUDIT_PAGE = 50
SCOPE_FIELDS = {"regions": "region", "segments": "segment", "product_lines": "product_line"}
ACTOR_NAMES = {"anonymous": N_("anonymous visitor"), "system": N_("system (local command line)")}
"""The English names of the actors that are not users (``web.refused`` before
login, ``access.SYSTEM``), shown through the catalogs."""


def _status(user: UserRecord, now: dt.datetime) -> str:
    refusal = account_refusal(user.is_active, user.left_on, user.expires_on, now.date())
    if refusal:
        return refusal
    return "locked" if user.locked_until is not None and user.locked_until > now else "active"


def _entry(event: AuditEvent, full: bool) -> dict[str, Any]:
    """An audit entry as shown; without ``full``, its target and details (record codes) are left out."""
    shown = dict(event.__dict__)
    if not full:
        shown.update(target=None, details=None)
    return shown


def _verified(report: AuditReport, lang: str) -> dict[str, Any]:
    """The chain check, its detail also said in the page's language (``detail_shown``)."""
    return {**report.as_dict(), "detail_shown": report.detail_in(lang)}


def admin_of(view: View, principal: Principal, ring: KeyRing, audit_page: int, verify: bool) -> dict[str, Any]:
    """The admin page's data: users, a page of the audit log (and its
    verification when asked), export alerts and pending approvals.  The
    entries' targets and details name records: an admin with a need-to-know
    scope sees them left out."""
    store = view.state.store
    now = dt.datetime.now(dt.UTC)
    full = principal.scope == Scope()
    events = list_events(store, limit=audit_page * AUDIT_PAGE + 1)[(audit_page - 1) * AUDIT_PAGE :]
    return {
        "roles": list(ROLES),
        "users": [{**u.as_dict(), "status": _status(u, now)} for u in list_users(store)],
        "audit": {
            "page": audit_page,
            "more": len(events) > AUDIT_PAGE,
            "events": [_entry(e, full) for e in events[:AUDIT_PAGE]],
            "full": full,
            "verified": _verified(verify_log(store, ring), view.lang) if verify else None,
        },
        "alerts": [
            {
                "export_uid": e.export_uid,
                "created_at": e.created_at,
                "username": e.username,
                "recipient": e.recipient,
                "rows": e.row_count,
                "alerts": [a.__dict__ for a in e.alerts],
            }
            for e in reversed(list_exports(store))
            if e.alerts
        ][:AUDIT_PAGE],
        "pending": [a.__dict__ for a in list_approvals(store, status="pending")],
        "error": None,
    }


def _admin_page(
    view: View,
    principal: Principal,
    ring: KeyRing,
    *,
    error: str | None = None,
    audit_page: int = 1,
    verify: bool = False,
) -> Response:
    data = admin_of(view, principal, ring, audit_page, verify)
    data["error"] = error
    return page(view, "admin.html", data, status_code=400 if error else 200, html=_shown(view, data))


def _shown(view: View, data: dict[str, Any]) -> dict[str, Any]:
    """The page's names of the codes (actions, actors, alert kinds), the audit
    entries' details, its timestamps and the export alerts, in the page's
    language (the JSON keeps the codes, the records and the English alerts)."""

    def action_name(code: str) -> str:
        return action_text(code, view.lang)

    def details_shown(event: dict[str, Any]) -> list[tuple[str, str]]:
        return detail_pairs(event["action"], event["details"], view.lang)

    def target_shown(target: str | None) -> str:
        return target_text(target, view.lang)

    def actor_name(actor: str) -> str:
        return view._(ACTOR_NAMES[actor]) if actor in ACTOR_NAMES else actor

    def at(when: dt.datetime) -> str:
        return f"{view.fmt.date(when)} {when:%H:%M:%S}"

    alerts = {
        e["export_uid"]: [
            (
                a["kind"],
                view._(ALERT_NAMES.get(a["kind"], a["kind"])),
                Alert(a["kind"], a["message"], a.get("template", ""), a.get("params", {})).in_language(view.lang),
            )
            for a in e["alerts"]
        ]
        for e in data["alerts"]
    }
    return {
        "action_name": action_name,
        "actor_name": actor_name,
        "details_shown": details_shown,
        "target_shown": target_shown,
        "at": at,
        "alert_texts": alerts,
    }


def _done(view: View, answer: dict[str, Any]) -> Response:
    if wants_json(view.request):
        return page(view, "admin.html", answer)
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin")
def admin_page(
    view: ViewDep,
    principal: Admin,
    ring: RingDep,
    audit_page: Annotated[int, Query(alias="page", ge=1)] = 1,
    verify: bool = False,
) -> Response:
    """Users, audit log (``?page=``; ``?verify=1`` checks the chain), alerts, approvals, backups."""
    return _admin_page(view, principal, ring, audit_page=audit_page, verify=verify)


@router.post("/admin/users", dependencies=[CsrfChecked])
def add_user(
    view: ViewDep,
    principal: Admin,
    ring: RingDep,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
    password: Annotated[str, Form(max_length=1024)],
    display_name: Annotated[str | None, Form(max_length=200)] = None,
    email: Annotated[str | None, Form(max_length=200)] = None,
    expires_on: Annotated[dt.date | None, Form()] = None,
) -> Response:
    """Create a user; a refusal (password policy, unknown role ...) is shown on the page (400)."""
    require_whole_company(principal)
    try:
        user_id = create_user(
            view.state.store,
            username,
            password,
            role,
            display_name=display_name or None,
            email=email or None,
            expires_on=expires_on,
            actor=principal.username,
            chain_key=ring.subkey("audit"),
        )
    except PasswordRejected as exc:  # the policy's reasons in the admin's language
        return _admin_page(view, principal, ring, error=reasons_in(exc.reasons, view.lang))
    except ClientfolioError as exc:
        return _admin_page(view, principal, ring, error=exc.in_language(view.lang))
    return _done(view, {"created": username.strip().lower(), "id": user_id})


def _own(principal: Principal, username: str) -> None:
    if username.strip().lower() == principal.username:
        raise ClientfolioError("you cannot change your own account here: ask another admin")


@router.post("/admin/users/disable", dependencies=[CsrfChecked])
def disable(view: ViewDep, principal: Admin, ring: RingDep, username: Annotated[str, Form(max_length=100)]) -> Response:
    """Disable a user: no more logins, its sessions end at once."""
    require_whole_company(principal)
    _own(principal, username)
    ended = disable_user(view.state.store, username, actor=principal.username, chain_key=ring.subkey("audit"))
    return _done(view, {"disabled": username, "sessions_ended": ended})


def _codes(text: str | None) -> list[str] | None:
    """None (unchanged) for a missing field; the codes of a comma-separated list ([] lifts the restriction)."""
    if text is None:
        return None
    return [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]


@router.post("/admin/users/scopes", dependencies=[CsrfChecked])
def scopes(
    view: ViewDep,
    principal: Admin,
    ring: RingDep,
    username: Annotated[str, Form(max_length=100)],
    regions: Annotated[str | None, Form(max_length=500)] = None,
    segments: Annotated[str | None, Form(max_length=500)] = None,
    product_lines: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Set a user's need-to-know scope: codes separated by commas per dimension (empty: all)."""
    require_whole_company(principal)
    _own(principal, username)
    new = set_scopes(
        view.state.store,
        username,
        _codes(regions),
        _codes(segments),
        _codes(product_lines),
        actor=principal.username,
        chain_key=ring.subkey("audit"),
    )
    return _done(view, {"user": username, "scopes": {k: list(v) for k, v in new.items()}})


@router.post("/admin/approvals/approve", dependencies=[CsrfChecked])
def approve(
    view: ViewDep,
    principal: Admin,
    ring: RingDep,
    request_id: Annotated[int, Form()],
    password: Annotated[str, Form(max_length=1024)] = "",
    totp: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Approve an export request above the hard limit (not one's own), the
    approving admin confirming with its own password (and code)."""
    require_whole_company(principal)
    approval = approve_export(
        view.state.store, request_id, principal, password=password, totp=totp or None, chain_key=ring.subkey("audit")
    )
    return _done(view, {"approved": approval.id, "requester": approval.username})


@router.post("/admin/backup", dependencies=[CsrfChecked])
def make_backup(view: ViewDep, principal: Admin, ring: RingDep) -> Response:
    """An encrypted backup of the whole store, made now and downloaded (audited)."""
    require_whole_company(principal)
    store = view.state.store
    name = f"clientfolio-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.cfbackup"
    with scratch() as folder:
        backup(store, ring, folder / name, actor=principal.username)  # audited by the library
        return download(folder / name, name, "application/octet-stream", folder=folder)


# --- the domain settings ------------------------------------------------------------------------------------------


def problem_text(problem: ConfigProblem, lang: str) -> str:
    """A problem of the settings in the page's language: the table, the key, the value and the reason."""
    gettext = gettext_for(lang)
    reason = problem.reason_in(lang)
    if problem.table is None:
        return str(gettext("{source}: {reason}")).format(source=problem.source, reason=reason)
    if problem.key is None:
        return str(gettext("Table {table}: {reason}")).format(table=problem.table, reason=reason)
    value = "" if problem.value is None else json.dumps(problem.value, ensure_ascii=False, default=str)
    return str(gettext("{table}.{key} = {value}: {reason}")).format(
        table=problem.table, key=problem.key, value=value, reason=reason
    )


def _text(value: Any) -> str:
    """A value as the form takes it: text as is, a list or a table as JSON
    (a list of tables one per line), the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n]"
    return json.dumps(value, ensure_ascii=False)


def settings_of(view: View) -> dict[str, Any]:
    """The settings page's data: the file (where a change is written) and
    every key with its value, default, source (default, file, env) and help;
    ``text`` and ``default_text``, the value and the default as the page
    shows them (the catalogs' texts in its language: ``DomainConfig.rows``)."""
    state = view.state
    file = config_file(state.settings, database_url=state.store.url)[0]
    try:
        domain = load_domain_config(state.settings, database_url=state.store.url)
        rows = [
            {
                **row.as_dict(),
                "text": _text(shown.value),
                "default_text": json.dumps(shown.default) if isinstance(shown.default, str) else _text(shown.default),
            }
            for row, shown in zip(domain.rows(), domain.rows(view.lang), strict=True)
        ]
        error = None
    except ConfigError as exc:
        rows, error = [], "\n".join(problem_text(p, view.lang) for p in exc.problems)
    return {"file": str(file), "rows": rows, "error": error}


def _settings_page(view: View, *, error: str | None = None) -> Response:
    data = settings_of(view)
    if error:
        data["error"] = error
    return page(view, "settings.html", data, status_code=422 if error else 200)


@router.get("/admin/settings")
def settings_page(view: ViewDep, principal: Admin) -> Response:
    """The domain settings: value, default, source and help of every key; a form per key."""
    return _settings_page(view)


@router.post("/admin/settings", dependencies=[CsrfChecked])
def change_setting(
    view: ViewDep,
    principal: Admin,
    ring: RingDep,
    section: Annotated[str, Form(max_length=40)],
    key: Annotated[str, Form(max_length=100)],
    value: Annotated[str, Form(max_length=10_000)] = "",
    reset: Annotated[bool, Form()] = False,
) -> Response:
    """Change a setting in the file (``reset``: remove it, back to its default);
    a refusal (bad value, a key the environment sets) is shown on the page
    (422) and nothing is written.  Audited ``settings.change``."""
    require_whole_company(principal)
    state = view.state
    try:
        with state.store.begin() as conn:  # the entry rolls back when the file cannot be written
            if reset:
                change = reset_setting(state.settings, section, key, database_url=state.store.url)
            else:
                change = write_setting(
                    state.settings, section, key, value, database_url=state.store.url, lang=view.lang
                )
            record_event(
                conn,
                actor=principal.username,
                action="settings.change",
                target=f"{section}.{key}",
                details={
                    "old": change.old,
                    "new": change.new,
                    "old_source": change.old_source,
                    "new_source": change.new_source,
                    "reset": reset,
                },
                chain_key=ring.subkey("audit"),
            )
    except ConfigError as exc:
        return _settings_page(view, error="\n".join(problem_text(p, view.lang) for p in exc.problems))
    state.figures.clear()  # the next figures are computed with the new setting
    if wants_json(view.request):
        return page(view, "settings.html", {"changed": change.as_dict()})
    return RedirectResponse("/admin/settings", status_code=303)
