"""Fixtures of the web tests: a small demo portfolio, users with passwords,
the app built on it, and a way to log in.  Everything runs in-process.  The
stores are built once per session (per worker) and copied for each module
(``filled_demo``, ``staffed_templates``); the passwords are hashed at argon2's
smallest cost, as in every test (``tests/conftest.py``, ``QUICK_HASHER``)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clientfolio.demo import generate_demo
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import set_password
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web import create_app
from tests.browser.staff import staffed_store
from tests.conftest import PG_ADMIN_URL, _pg_admin, copy_sqlite

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RING = KeyRing.for_tests(b"w" * 32)
PASSWORD = "correct horse battery staple"
USERS = ("pbernard", "jleroy", "cmorel", "sgirard")
TOKEN_PAGE = "/security/awareness"
"""A page every role may read that computes no figures, for a CSRF token when
the test needs nothing else from the page: the token is the session's, the same
in the header of every page."""
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


@pytest.fixture(scope="session")
def filled_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding ``fill_demo``'s portfolio, built once per session
    (per worker): copy it (``demo_store``), never open it."""
    path = tmp_path_factory.mktemp("filled") / "demo.db"
    fill_demo(Store(f"sqlite:///{path}")).dispose()
    return path


def demo_store(filled_demo: Path, folder: Path) -> Store:
    """A store of its own in ``folder`` holding ``fill_demo``'s portfolio (a
    copy of ``filled_demo``: neither migrated nor generated again)."""
    copy_sqlite(filled_demo, folder / "demo.db")
    return Store(f"sqlite:///{folder}/demo.db")


@pytest.fixture(scope="module")
def demo(filled_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = demo_store(filled_demo, tmp_path_factory.mktemp("web"))
    yield store
    store.dispose()


STAFFED_CUSTOMERS = 40
"""The customers of the staffed portfolio of the access matrix and its neighbours."""


def _pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


class StaffedTemplates:
    """``tests.browser.staff.staffed_store`` (``STAFFED_CUSTOMERS``) built once
    per session (per worker) on each engine, then copied for each module that
    changes it: a SQLite file copied, a PostgreSQL database created from it as
    a template (``CREATE DATABASE ... TEMPLATE``: neither migrated nor
    generated again)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file: Path | None = None
        self.database: str | None = None

    @contextmanager
    def copy(self, engine: str, folder: Path) -> Iterator[Store]:
        """A store of its own holding the staffed portfolio: a file in
        ``folder``, or a new database of the local server dropped on exit."""
        if engine == "sqlite":
            if self.file is None:
                path = self.folder / "staffed.db"
                staffed_store(f"sqlite:///{path}", customers=STAFFED_CUSTOMERS).dispose()
                self.file = path
            copy_sqlite(self.file, folder / "demo.db")
            store = Store(f"sqlite:///{folder}/demo.db")
            try:
                yield store
            finally:
                store.dispose()
            return
        admin, name = _pg_admin(), f"clientfolio_matrix_{uuid.uuid4().hex[:12]}"
        try:
            if self.database is None:
                template = f"clientfolio_staffed_{uuid.uuid4().hex[:12]}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{template}"'))
                try:
                    staffed_store(_pg_url(template), customers=STAFFED_CUSTOMERS).dispose()  # no connection left
                except BaseException:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                    raise
                self.database = template
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.database}"'))
            store = Store(_pg_url(name))
            try:
                yield store
            finally:
                store.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def close(self) -> None:
        if self.database is not None:
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
            finally:
                admin.dispose()


@pytest.fixture(scope="session")
def staffed_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffedTemplates]:
    templates = StaffedTemplates(tmp_path_factory.mktemp("staffed"))
    yield templates
    templates.close()


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
