"""``clientfolio serve``: the web application; and the demo's way in.

Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
The demo users are created without a password:
``demo_logins`` gives them one random password, printed once by
``clientfolio demo`` (docs/web.md).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from clientfolio.cli._common import actor, lang, settings_for, stdout, tr
from clientfolio.errors import ClientfolioError, PasswordRejected
from clientfolio.i18n import gettext_for

if TYPE_CHECKING:
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

__all__ = ["demo_logins", "demo_users", "open_hint", "serve_command"]


def open_hint(host: str = "127.0.0.1", port: int = 8000) -> str:
    """How to open the web app once the store holds a portfolio."""
    url = f"http://{host}:{port}"
    return tr("Open the web app: run `clientfolio serve`, then go to {url}", url=url)


def demo_logins(store: Store, ring: KeyRing, usernames: list[str], *, actor: str) -> str:
    """Give the demo users ``usernames`` one new random password (16
    characters, ~96 bits; the policy is checked) and return it, to print once.
    Audited as ``user.password`` by ``actor``."""
    from clientfolio.protect.users import set_password

    for _ in range(10):
        password = secrets.token_urlsafe(12)
        try:
            for name in usernames:
                set_password(store, name, password, actor=actor, chain_key=ring.subkey("audit"))
        except PasswordRejected:  # a draw that looks like a word or a pattern: draw again
            continue
        return password
    raise ClientfolioError("could not draw a demo password that the policy accepts")


def demo_users(store: Store, ring: KeyRing) -> None:
    """Give the demo's users their password and print them with it, once."""
    from clientfolio.demo.catalog import USERS

    password = demo_logins(store, ring, [u[0] for u in USERS], actor=actor())
    _ = gettext_for(lang())
    users = ", ".join(
        f"{name} ({_(role)}{' ' + '+'.join(regions) if regions else ''})" for name, _name, role, regions in USERS
    )
    stdout().print(tr("Demo users: {users}", users=users))
    shown = f"[bold]{password}[/]"
    stdout().print(tr("Their password (shown only this once): {password}", password=shown), markup=True)


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: CLIENTFOLIO_DATABASE_URL, else ./clientfolio.db)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes answering the requests (one per core; they share the figures they compute).",
        ),
    ] = 1,
) -> None:
    """Start the web application: the pages and the REST API under /api/v1."""
    import os

    import uvicorn

    settings = settings_for(db)
    url = f"http://{host}:{port}"
    stdout().print(
        tr("Clientfolio on {url} (Ctrl+C to stop); the API's schema is at {url}/api/v1/openapi.json", url=url)
    )
    if workers == 1:
        from clientfolio.web import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)
        return
    # the worker processes read their settings there and build the app themselves (this one only watches them)
    os.environ["CLIENTFOLIO_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "clientfolio.web:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
    )
