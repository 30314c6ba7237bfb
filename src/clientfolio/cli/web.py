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

from clientfolio.cli._common import actor, settings_for, stdout
from clientfolio.errors import ClientfolioError, PasswordRejected

if TYPE_CHECKING:
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

__all__ = ["demo_logins", "demo_users", "open_hint", "serve_command"]


def open_hint(host: str = "127.0.0.1", port: int = 8000) -> str:
    """How to open the web app once the store holds a portfolio."""
    return f"Open the web app: run `clientfolio serve`, then go to http://{host}:{port}"


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
    stdout().print(
        "Demo users: "
        + ", ".join(f"{name} ({role}{' ' + '+'.join(regions) if regions else ''})" for name, _, role, regions in USERS)
    )
    stdout().print(f"Their password (shown only this once): [bold]{password}[/]")


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: CLIENTFOLIO_DATABASE_URL, else ./clientfolio.db)."),
    ] = None,
) -> None:
    """Start the web application: the pages and the REST API under /api/v1."""
    import uvicorn

    from clientfolio.web import create_app

    app = create_app(settings_for(db))
    stdout().print(
        f"Clientfolio on http://{host}:{port} (Ctrl+C to stop); the API's schema is at "
        f"http://{host}:{port}/api/v1/openapi.json"
    )
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
