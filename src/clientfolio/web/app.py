"""The web application's factory: ``create_app(settings)``.

The app is built here and only here, never at import time: the settings, the
store, the key ring, the templates, the static files, the error handlers and
the routers.  Extension points for the pages still to come (see docs/web.md):

- ``ROUTERS``: every router, registered in one place (a page router per
  resource, the REST API under ``/api/v1``);
- ``NAV``: the navigation list of the base template, ``(path, English label, permission)``;
- ``clientfolio.web.render.page``: answer a page as HTML or as JSON;
- ``clientfolio.web.deps``: the ``Annotated`` dependencies (session, principal,
  language, CSRF check).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from clientfolio.access import Principal, Scope
from clientfolio.errors import ClientfolioError, KeyMissing
from clientfolio.i18n import LANGS, formatter, gettext_for, translations
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import list_users, principal_for
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web.deps import get_lang, optional_session
from clientfolio.web.figure_files import FigureFiles
from clientfolio.web.figures import FigureCache, FiguresPending
from clientfolio.web.pages import UPLOAD_PATHS, too_large_message
from clientfolio.web.render import error_page, install_error_handlers
from clientfolio.web.routers import (
    activities,
    admin,
    api,
    assessment,
    auth,
    awareness,
    customers,
    dashboard,
    exports,
    imports,
    legal,
    plan,
    prospects,
    report,
    swot,
)
from clientfolio.web.state import WebState
from clientfolio.web.uploads import UploadWorkers

__all__ = ["NAV", "ROUTERS", "create_app"]

_HERE = Path(__file__).parent

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    dashboard.router,
    customers.router,
    activities.router,  # issue 18: logging an activity from a customer page
    api.router,
    prospects.router,
    plan.router,
    swot.router,
    assessment.router,
    imports.router,
    exports.router,
    admin.router,
    report.router,
    awareness.router,
    legal.router,
)
"""Every router of the app; a new resource adds its router here."""

NAV: tuple[tuple[str, str, str], ...] = (
    ("/", "Dashboard", "read"),
    ("/customers", "Customers", "read"),
    ("/prospects", "Prospects", "read"),
    ("/plan", "Action plan", "read"),
    ("/swot", "SWOT", "read"),
    ("/assessment", "Self-assessment", "read"),
    ("/import", "Import", "write"),
    ("/export", "Export", "export"),
    ("/trace", "Trace", "audit"),
    ("/report", "Annual review", "export"),
    ("/admin", "Admin", "admin"),
    ("/security/awareness", "Security", "read"),
    ("/security/legal", "Legal kit", "audit"),
)
"""The navigation list of every page: (path, English label translated in the
template, the permission it needs: a user sees only the links it may follow)."""

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


COMPUTING = "The figures are being computed: this page will refresh itself in a few seconds."
"""The answer (503, ``Retry-After``) of a page whose figures are not computed yet."""


def _principals(store: Store) -> list[Principal]:
    """The principals of the users who may work (whose figures to compute at
    start-up), those who see the whole company first."""
    found = []
    for user in list_users(store):
        try:
            found.append(principal_for(store, user.username))
        except ClientfolioError:  # disabled, departed, expired
            continue
    return sorted(found, key=lambda p: p.scope != Scope())


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    ring: KeyRing | None = None,
    background_figures: bool | None = None,
) -> FastAPI:
    """The web application for ``settings`` (default: from the environment).
    ``store`` and ``ring`` may be given (tests); otherwise the store is opened
    (and migrated) at ``settings.database_url`` and the key ring loaded with
    ``KeyRing.load(settings, create=False)``: when there is no key, every page
    answers 503 with the reason, since the audit log and the encrypted fields
    need it.

    ``background_figures`` (default: when the app opens its own store, as
    ``clientfolio serve`` does; not when a store is given, as the tests do):
    the figures are computed in the background, never in a request
    (``web.figures.FigureCache``), those of every user's scope from the
    app's start-up on; otherwise the request that needs them computes them."""
    settings = settings or Settings()
    if background_figures is None:
        background_figures = store is None
    key_error = None
    if ring is None:
        try:
            ring = KeyRing.load(settings, create=False)
        except KeyMissing as exc:
            key_error = str(exc)
    the_store = store or Store(settings.database_url)
    files = None
    if background_figures and ring is not None and settings.web_figures_dir:
        files = FigureFiles(Path(settings.web_figures_dir), ring.subkey("figures"), the_store.safe_url)
    figures = FigureCache(
        settings.web_cache_seconds, background=background_figures, files=files, prepare=dashboard.prepare_dashboard
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """When serving (background mode), before the first request: read the
        catalogs and compile the templates (the first pages would otherwise
        do it all at once, each waiting for the others), then start computing
        the figures of every user's scope."""
        state: WebState = app.state.web
        if figures.background:
            for lang in LANGS:
                translations(lang)
                formatter(lang)
            state.templates.env.auto_reload = False  # no stat of the template files on every page
            for name in state.templates.env.list_templates(extensions=["html"]):
                state.templates.env.get_template(name)
        if figures.background and state.ring is not None:
            figures.warm(state.store, _principals(state.store), state.ring)
        yield

    app = FastAPI(
        title="Clientfolio",
        lifespan=lifespan,
        summary="Measure, develop and protect your customer portfolio.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,  # the docs UIs load CDN scripts
    )
    templates = Jinja2Templates(directory=_HERE / "templates")
    templates.env.autoescape = True
    app.state.web = WebState(
        settings,
        the_store,
        ring,
        key_error,
        templates,
        figures,
        NAV,
        UploadWorkers(settings),
    )
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)

    @app.exception_handler(FiguresPending)
    async def figures_pending(request: Request, exc: FiguresPending) -> Response:
        """The figures are not there yet: "computing", and come back in a few seconds."""
        response = error_page(request, 503, COMPUTING)
        response.headers["Retry-After"] = "3"
        response.headers["Refresh"] = "3"  # the browser reloads the page
        return response

    @app.middleware("http")
    async def upload_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Refuse (413) an upload whose announced length is beyond the limit
        before its body is read; the pages check the bytes too (no length,
        or a false one)."""
        if request.method == "POST" and request.url.path in UPLOAD_PATHS:
            megabytes = settings.web_max_upload_mb
            length = request.headers.get("content-length", "")
            # the form's other fields and the multipart framing: 64 KiB at most
            if length.isdigit() and int(length) > megabytes * 1024 * 1024 + 65536:
                session = optional_session(request, request.app.state.web)
                message = too_large_message(gettext_for(get_lang(request, session)), megabytes)
                return error_page(request, 413, message)
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")  # pages hold customer data
        return response

    return app
