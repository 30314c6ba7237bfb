"""Fixtures of the web tests: a small demo portfolio, users with passwords,
the app built on it, and a way to log in.  Everything runs in-process."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from clientfolio.demo import generate_demo
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import set_password
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web import create_app

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RING = KeyRing.for_tests(b"w" * 32)
PASSWORD = "correct horse battery staple"
USERS = ("pbernard", "jleroy", "cmorel", "sgirard")
IDLE_LOCK = '<script src="http://testserver/static/idle.js" data-idle-minutes="30" defer>'
"""The one script of a logged-in page: our own idle lock (``static/idle.js``), no outside asset."""


def fill_demo(store: Store) -> Store:
    """``store`` filled with the small demo portfolio, its users given ``PASSWORD``."""
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30), ring=RING)
    for name in USERS:
        set_password(store, name, PASSWORD, actor="test", chain_key=RING.subkey("audit"))
    return store


def make_app(store: Store, tmp: Path, **settings: object) -> FastAPI:
    config = Settings(database_url=store.url, key_file=str(tmp / "absent.key"), **settings)  # type: ignore[arg-type]
    return create_app(config, store=store, ring=RING)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = fill_demo(Store(f"sqlite:///{tmp_path_factory.mktemp('web')}/demo.db"))
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def app(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One app per module, so that its figures' cache serves the module's tests."""
    return make_app(demo, tmp_path_factory.mktemp("app"))


def client_of(app: FastAPI, **kwargs: object) -> TestClient:
    """A client of ``app`` (a browser in English unless ``headers`` say otherwise)."""
    kwargs["headers"] = {"Accept-Language": "en", **kwargs.get("headers", {})}  # type: ignore[dict-item]
    return TestClient(app, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return client_of(app)


def csrf_of(html: str) -> str:
    """The first CSRF token of a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    """Log in through the form (its pre-session CSRF token first); the response."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )


def logged_in(app: FastAPI, username: str, **kwargs: object) -> TestClient:
    client = client_of(app, **kwargs)
    assert login(client, username).status_code == 303
    return client
