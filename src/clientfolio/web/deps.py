"""The dependencies of the routes, as ``Annotated`` aliases.

- ``StateDep``, ``SettingsDep``, ``StoreDep``, ``RingDep`` (the key ring;
  ``KeyMissing`` -> the 503 page when the app has none);
- ``SessionDep`` (the open session, or ``LoginRequired``), ``CurrentUser``,
  ``PrincipalDep`` (who reads, with the need-to-know scope);
- ``LangDep`` (the user's language) and ``ViewDep`` (what every page renders
  with: request, language, messages, formats, session, CSRF token);
- ``CsrfChecked``: a dependency of every state-changing route.

Sessions: the cookie ``clientfolio_session`` holds the token of
``protect.sessions.open_session`` (only its SHA-256 is stored), or an API
client sends it as ``Authorization: Bearer <token>``.  CSRF: a token of
``protect.csrf`` bound to the session (form field ``csrf_token`` or header
``X-CSRF-Token``); before login, it is bound to the random pre-session cookie
``clientfolio_prelogin`` instead (a signed double submit).  Bearer requests
carry no ambient credential and need no CSRF token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import Depends, Request

from clientfolio.access import Principal
from clientfolio.errors import AccessDenied, ClientfolioError, KeyMissing
from clientfolio.i18n import LANGS, Formatter, formatter, gettext_for
from clientfolio.protect.csrf import csrf_token, verify_csrf
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.sessions import session_user
from clientfolio.protect.users import UserRecord, principal_for
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web.prefs import browser_language, user_language
from clientfolio.web.state import WebState

__all__ = [
    "LANG_COOKIE",
    "PRELOGIN_COOKIE",
    "SESSION_COOKIE",
    "CsrfChecked",
    "CsrfRefused",
    "CurrentUser",
    "LangDep",
    "LoginRequired",
    "PrincipalDep",
    "RingDep",
    "SessionDep",
    "SettingsDep",
    "StateDep",
    "StoreDep",
    "View",
    "ViewDep",
    "WebSession",
    "secure_cookies",
]

SESSION_COOKIE = "clientfolio_session"
PRELOGIN_COOKIE = "clientfolio_prelogin"
LANG_COOKIE = "clientfolio_lang"


class LoginRequired(ClientfolioError):
    """No open session: the page redirects to the login, the API answers 401."""


class CsrfRefused(AccessDenied):
    """A state-changing request without the CSRF token of its session."""


def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


StateDep = Annotated[WebState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


def get_store(state: StateDep) -> Store:
    return state.store


def get_ring(state: StateDep) -> KeyRing:
    """The key ring; ``KeyMissing`` (the 503 page) when the app has none."""
    if state.ring is None:
        raise KeyMissing(state.key_error or "no key")
    return state.ring


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
RingDep = Annotated[KeyRing, Depends(get_ring)]


@dataclass(frozen=True)
class WebSession:
    """An open session: its token, how it came (cookie or bearer), its user,
    and the language the user chose (None: not chosen)."""

    token: str
    via: Literal["cookie", "bearer"]
    user: UserRecord
    language: str | None


def _presented_token(request: Request) -> tuple[str, Literal["cookie", "bearer"]] | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip(), "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, "cookie") if cookie else None


def optional_session(request: Request, state: StateDep) -> WebSession | None:
    """The open session of the request, None without one (looked up once per request)."""
    presented = _presented_token(request)
    if presented is None:
        return None
    user = session_user(state.store, presented[0], settings=state.settings)
    if user is None:
        return None
    return WebSession(presented[0], presented[1], user, user_language(state.store, user.id))


OptionalSession = Annotated[WebSession | None, Depends(optional_session)]


def current_session(session: OptionalSession) -> WebSession:
    if session is None:
        raise LoginRequired("log in first")
    return session


SessionDep = Annotated[WebSession, Depends(current_session)]


def current_user(session: SessionDep) -> UserRecord:
    return session.user


CurrentUser = Annotated[UserRecord, Depends(current_user)]


def get_principal(session: SessionDep, store: StoreDep) -> Principal:
    """The principal of the session's user (``AccessDenied`` when it may no longer work)."""
    return principal_for(store, session.user.username)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_lang(request: Request, session: OptionalSession) -> str:
    """The user's chosen language, else the language cookie (chosen before
    login), else the browser's ``Accept-Language``, else French."""
    if session is not None and session.language in LANGS:
        return session.language
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    return browser_language(request.headers.get("accept-language", ""))


LangDep = Annotated[str, Depends(get_lang)]


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Whether cookies get ``Secure``: the setting, or a request over https."""
    return settings.web_secure_cookies or request.url.scheme == "https"


@dataclass
class View:
    """What a page renders with: the request, the language with its messages
    (``_``) and formats (``fmt``), the session (None before login) and the
    CSRF binding (the session token, else the pre-session nonce, new when
    ``new_prelogin`` is set: ``render.page`` then sets its cookie)."""

    request: Request
    state: WebState
    lang: str
    session: WebSession | None
    binding: str
    new_prelogin: bool = False
    _: Callable[[str], str] = field(init=False)
    fmt: Formatter = field(init=False)

    def __post_init__(self) -> None:
        self._ = gettext_for(self.lang)
        self.fmt = formatter(self.lang)

    def csrf_token(self) -> str:
        """A fresh masked CSRF token for the forms of this page ('' without a key)."""
        ring = self.state.ring
        return "" if ring is None else csrf_token(self.binding, ring.subkey("csrf"))


def build_view(request: Request, state: WebState, lang: str, session: WebSession | None) -> View:
    """The view of ``request``; kept on ``request.state`` for the error pages."""
    nonce = request.cookies.get(PRELOGIN_COOKIE)
    new = session is None and not nonce
    binding = session.token if session is not None else nonce or secrets.token_urlsafe(32)
    view = View(request, state, lang, session, binding, new)
    request.state.view = view
    return view


def get_view(request: Request, state: StateDep, lang: LangDep, session: OptionalSession) -> View:
    return build_view(request, state, lang, session)


ViewDep = Annotated[View, Depends(get_view)]


async def check_csrf(request: Request, state: StateDep, session: OptionalSession) -> None:
    """Refuse (``CsrfRefused``, 403) a POST whose CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``) is not bound to its session
    cookie, or, without a session, to its pre-session cookie."""
    if session is not None and session.via == "bearer":
        return
    binding = session.token if session is not None else request.cookies.get(PRELOGIN_COOKIE, "")
    candidate = request.headers.get("x-csrf-token")
    if candidate is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        candidate = value if isinstance(value, str) else None
    if state.ring is None or not verify_csrf(binding, candidate, state.ring.subkey("csrf")):
        raise CsrfRefused("the form has expired or did not come from this site: reload the page and try again")


CsrfChecked = Depends(check_csrf)
