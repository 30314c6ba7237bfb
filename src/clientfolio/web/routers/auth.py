"""Login, logout, logout everywhere, and the language switch.

``POST /login`` checks the pre-session CSRF token, then ``authenticate``
(one answer for every refusal; the cause goes to the audit log; 429 with
``Retry-After`` when the client's address has too many failures), opens a
session and sets its cookie: ``HttpOnly``, ``SameSite=Strict``, ``Path=/``, no
``Max-Age`` (gone with the browser), ``Secure`` over https or with
``CLIENTFOLIO_WEB_SECURE_COOKIES``.  Asked for JSON, it answers the token
instead of redirecting, for API clients (``Authorization: Bearer``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from clientfolio.errors import AuthenticationFailed, LoginThrottled
from clientfolio.i18n import LANGS
from clientfolio.protect.sessions import close_all_sessions, close_session, open_session
from clientfolio.protect.users import LOGIN_THROTTLED, authenticate
from clientfolio.web.deps import (
    LANG_COOKIE,
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    RingDep,
    SessionDep,
    ViewDep,
    get_ring,
    secure_cookies,
)
from clientfolio.web.prefs import save_language
from clientfolio.web.render import page, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_ring)])  # no key, no login: 503

_ONE_YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """A local path to go to after login (``/`` for anything else: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_page(
    view: ViewDep,
    target: str,
    *,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
    throttled: bool = False,
) -> Response:
    settings = view.state.settings
    return page(
        view,
        "login.html",
        {
            "next": target,
            "error": error,
            "username": username,
            "csrf_token": view.csrf_token(),
            "max_failures": settings.login_max_failures,
            "lockout_minutes": settings.login_lockout_minutes,
            "throttled": throttled,
        },
        status_code=status_code,
    )


@router.get("/login")
def login_form(view: ViewDep, next: Annotated[str | None, Query()] = None) -> Response:  # noqa: A002
    """The login page (the dashboard when already logged in); as JSON, its CSRF token."""
    target = safe_next(next)
    if view.session is not None and not wants_json(view.request):
        return RedirectResponse(target, status_code=303)
    return _login_page(view, target)


@router.post("/login", dependencies=[CsrfChecked])
def login(
    view: ViewDep,
    ring: RingDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    totp: Annotated[str | None, Form(max_length=10)] = None,
    next: Annotated[str | None, Form()] = None,  # noqa: A002
) -> Response:
    """Log in: open a session and go to ``next`` (401 and the login page on any refusal)."""
    state, target = view.state, safe_next(next)
    client = view.request.client  # the connection's address (X-Forwarded-For only from a trusted proxy)
    try:
        user = authenticate(
            state.store,
            username,
            password,
            totp=totp or None,
            chain_key=ring.subkey("audit"),
            settings=state.settings,
            address=client.host if client else None,
        )
    except LoginThrottled as exc:  # too many failures from this address: the password was not checked
        throttled = _login_page(
            view,
            target,
            error=view._(LOGIN_THROTTLED).format(minutes=exc.minutes),
            username=username,
            status_code=429,
            throttled=True,
        )
        throttled.headers["Retry-After"] = str(exc.minutes * 60)
        return throttled
    except AuthenticationFailed as exc:
        return _login_page(view, target, error=str(exc), username=username, status_code=401)
    token = open_session(
        state.store, user.id, user_agent=view.request.headers.get("user-agent"), settings=state.settings
    )
    response: Response
    if wants_json(view.request):
        response = JSONResponse({"username": user.username, "role": user.role, "token": token})
    else:
        response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=secure_cookies(view.request, state.settings),
    )
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    return response


def _logged_out() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(view: ViewDep, session: SessionDep) -> Response:
    """End this session."""
    close_session(view.state.store, session.token)
    return _logged_out()


@router.post("/logout-everywhere", dependencies=[CsrfChecked])
def logout_everywhere(view: ViewDep, session: SessionDep) -> Response:
    """End every session of the user (other browsers and devices too)."""
    close_all_sessions(view.state.store, session.user.username)
    return _logged_out()


@router.post("/lang", dependencies=[CsrfChecked])
def switch_language(
    view: ViewDep,
    lang: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,  # noqa: A002
) -> Response:
    """Switch the interface to ``lang`` (fr or en): kept for the user, and in a
    cookie before login; back to ``next``."""
    if lang not in LANGS:
        return page(view, "error.html", {"status": 400, "message": view._("Unknown language.")}, status_code=400)
    if view.session is not None:
        save_language(view.state.store, view.session.user.id, lang)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=_ONE_YEAR,
        httponly=True,
        samesite="lax",
        path="/",
        secure=secure_cookies(view.request, view.state.settings),
    )
    return response
