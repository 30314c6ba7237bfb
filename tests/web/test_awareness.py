"""The awareness page (``/security/awareness``) in French and as JSON, and the
idle lock: the server refuses an idle session, the page carries the lock script."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import update

from clientfolio.protect.sessions import token_hash
from clientfolio.store import Store
from clientfolio.store.schema import LoginSession
from tests.web.conftest import IDLE_LOCK, client_of, logged_in


def test_the_page_states_the_figures_and_the_controls_in_french(app: FastAPI) -> None:
    page = logged_in(app, "sgirard", headers={"Accept-Language": "fr"}).get("/security/awareness")
    assert page.status_code == 200
    text = page.text.replace("\u202f", " ").replace("\xa0", " ")
    for figure in ("92 %", "37 %", "30 %"):
        assert figure in text
    assert "hameçonnage" in text and "Verrouillage après inactivité" in text and "30 minutes" in text
    assert 'href="/security/awareness"' in text  # in the navigation of every user


def test_the_page_as_json(app: FastAPI) -> None:
    answer = logged_in(app, "jleroy").get("/security/awareness", headers={"Accept": "application/json"})
    data = answer.json()
    assert [f["percent"] for f in data["figures"]] == [92, 37, 30]
    assert {c["control"] for c in data["controls"]} == {
        "scopes",
        "audit",
        "encryption",
        "backups",
        "exports",
        "idle",
        "lockout",
    }
    assert data["settings"]["minutes"] == 30
    assert client_of(app).get("/security/awareness", follow_redirects=False).status_code == 303  # logged in only


def test_an_idle_session_is_refused_and_the_login_says_it_was_locked(app: FastAPI, demo: Store) -> None:
    client = logged_in(app, "sgirard", headers={"Accept-Language": "fr"})
    page = client.get("/customers")
    assert IDLE_LOCK in page.text
    assert client.get("/static/idle.js").status_code == 200
    idle = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    with demo.begin() as conn:  # this session unused for 31 minutes
        mine = LoginSession.token_hash == token_hash(client.cookies["clientfolio_session"])
        conn.execute(update(LoginSession).where(mine).values(last_seen_at=idle))
    refused = client.get("/customers", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401
    locked = client.get("/login?locked=1&next=/customers")
    assert "Votre session a été verrouillée après 30 minutes sans activité" in locked.text
    assert "data-idle-minutes" not in locked.text
