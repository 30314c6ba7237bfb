"""Answering a page as HTML or as JSON, and the error pages.

``page(view, template, data)`` renders ``template`` with ``data`` (a model of
``web.models`` or a dict) — or, when the client asks for JSON
(``?format=json`` or an ``Accept`` header preferring ``application/json``),
answers ``data`` itself as JSON.  Template-only values (the SVG charts) go in
``html``, never in the JSON.

Errors are converted here, at the edge: ``LoginRequired`` -> a redirect to
the login page (401 for JSON and the API); ``AuthenticationFailed`` -> 401;
``AccessDenied`` (``CsrfRefused`` included) -> 403, written to the audit log
(``web.refused``: who, the method and path, why); ``KeyMissing`` -> 503;
``FileLimitExceeded`` (an upload beyond its reading limits) -> 413 with its
message in the page's language; ``UploadsBusy`` -> 503 with ``Retry-After``;
another ``ClientfolioError`` -> 400 with its message; an HTTP error (404 ...)
-> the same error page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from clientfolio.errors import AccessDenied, AuthenticationFailed, ClientfolioError, KeyMissing
from clientfolio.filelimits import FileLimitExceeded
from clientfolio.i18n import gettext_for
from clientfolio.protect.audit import record_event, refusal
from clientfolio.protect.users import ROLE_PERMISSIONS
from clientfolio.web.build import TERMS
from clientfolio.web.deps import (
    PRELOGIN_COOKIE,
    LoginRequired,
    View,
    build_view,
    get_lang,
    optional_session,
    secure_cookies,
)
from clientfolio.web.state import WebState
from clientfolio.web.uploads import UploadsBusy, busy_message

__all__ = ["error_page", "fragment", "install_error_handlers", "page", "wants_json"]


def wants_json(request: Request) -> bool:
    """Whether the client asks for JSON: ``?format=json``, an ``/api/`` path,
    or an ``Accept`` header naming ``application/json`` and not ``text/html``."""
    if request.query_params.get("format") == "json" or request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def page(
    view: View,
    template: str,
    data: BaseModel | dict[str, Any],
    *,
    status_code: int = 200,
    html: dict[str, Any] | None = None,
) -> Response:
    """``data`` as JSON when asked, else ``template`` rendered with ``data``,
    the view (``_``, ``fmt``, the session, ``csrf_token()``), the navigation
    and ``html``."""
    response = (
        JSONResponse(jsonable_encoder(data), status_code=status_code)
        if wants_json(view.request)
        else _html(view, template, data, status_code, html)
    )
    if view.new_prelogin:
        response.set_cookie(
            PRELOGIN_COOKIE,
            view.binding,
            httponly=True,
            samesite="strict",
            path="/",
            secure=secure_cookies(view.request, view.state.settings),
        )
    return response


def fragment(view: View, template: str, data: BaseModel | dict[str, Any], html: dict[str, Any] | None = None) -> Markup:
    """``template`` rendered with the page's context, as a piece of HTML that
    a page includes as is (what the dashboard keeps between requests)."""
    return Markup(view.state.templates.get_template(template).render(_context(view, data, html)))


def _html(
    view: View, template: str, data: BaseModel | dict[str, Any], status_code: int, html: dict[str, Any] | None
) -> Response:
    return view.state.templates.TemplateResponse(
        view.request, template, _context(view, data, html), status_code=status_code
    )


def _context(view: View, data: BaseModel | dict[str, Any], html: dict[str, Any] | None) -> dict[str, Any]:
    """What every template gets: the view, ``data``, the translation and the
    formats of the view's language, the navigation of the user's role, and ``html``."""

    def term(code: str | None) -> str:
        return "-" if code is None else view._(TERMS.get(code, code))

    def query_with(**changes: object) -> str:
        """The request's query string with ``changes`` (``format`` left out)."""
        params = {k: v for k, v in view.request.query_params.items() if k != "format"}
        params.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in params.items() if v != ""})

    role = None if view.session is None else view.session.user.role
    nav = [
        (path, label)
        for path, label, permission in view.state.nav
        if permission in ROLE_PERMISSIONS.get(role or "", frozenset())
    ]
    return {
        "view": view,
        "data": data,
        "_": view._,
        "fmt": view.fmt,
        "nav": nav,
        "term": term,
        "colon": "\u00a0: " if view.lang == "fr" else ": ",  # French puts a space before a colon
        "query_with": query_with,
        "user": None if view.session is None else view.session.user,
        **(html or {}),
    }


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The error page (or ``{"detail": message}`` as JSON) with ``status_code``."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    view = getattr(request.state, "view", None)
    if not isinstance(view, View):
        state: WebState = request.app.state.web
        view = build_view(request, state, get_lang(request, None), None)
    return page(view, "error.html", {"status": status_code, "message": view._(message)}, status_code=status_code)


def _lang_of(request: Request) -> str:
    """The language of the request's page (its view's, else the cookie's or the browser's)."""
    view = getattr(request.state, "view", None)
    return view.lang if isinstance(view, View) else get_lang(request, None)


def _message(request: Request, exc: Exception) -> str:
    """The message of ``exc`` in the page's language (a domain error's
    template rendered with its parameters; another error as it reads)."""
    if isinstance(exc, ClientfolioError):
        return exc.in_language(_lang_of(request))
    return str(exc)


def _audit_refusal(request: Request, exc: Exception) -> None:
    """Write a refused request to the audit log: the user (``anonymous``
    before login), ``METHOD /path`` and the reason (nothing without a key)."""
    state: WebState = request.app.state.web
    if state.ring is None:
        return
    view = getattr(request.state, "view", None)
    session = view.session if isinstance(view, View) else optional_session(request, state)
    with state.store.begin() as conn:
        record_event(
            conn,
            actor="anonymous" if session is None else session.user.username,
            action="web.refused",
            target=f"{request.method} {request.url.path}",
            details=refusal(exc),
            chain_key=state.ring.subkey("audit"),
        )


def _login_redirect(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    """Turn the domain errors and HTTP errors into pages (or JSON) on ``app``."""

    async def login(request: Request, exc: Exception) -> Response:
        return _login_redirect(request, exc)

    async def unauthorized(request: Request, exc: Exception) -> Response:
        return error_page(request, 401, _message(request, exc))

    async def forbidden(request: Request, exc: Exception) -> Response:
        await run_in_threadpool(_audit_refusal, request, exc)
        return error_page(request, 403, _message(request, exc))

    async def no_key(request: Request, exc: Exception) -> Response:
        return error_page(request, 503, _message(request, exc))

    async def refused(request: Request, exc: Exception) -> Response:
        return error_page(request, 400, _message(request, exc))

    async def beyond_limits(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FileLimitExceeded)
        return error_page(request, 413, exc.message(_lang_of(request)))

    async def busy(request: Request, exc: Exception) -> Response:
        response = error_page(request, 503, busy_message(gettext_for(_lang_of(request))))
        response.headers["Retry-After"] = "30"
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_page(request, exc.status_code, str(exc.detail))

    app.add_exception_handler(LoginRequired, login)
    app.add_exception_handler(AuthenticationFailed, unauthorized)
    app.add_exception_handler(AccessDenied, forbidden)
    app.add_exception_handler(KeyMissing, no_key)
    app.add_exception_handler(FileLimitExceeded, beyond_limits)
    app.add_exception_handler(UploadsBusy, busy)
    app.add_exception_handler(ClientfolioError, refused)
    app.add_exception_handler(HTTPException, http_error)
