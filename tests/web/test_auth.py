"""Login, sessions and their cookie, CSRF, logout, the language switch, the missing key."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from clientfolio.protect.audit import list_events
from clientfolio.store import Store
from clientfolio.web.app import ROUTERS
from tests.web.conftest import PASSWORD, RING, TOKEN_PAGE, client_of, csrf_of, logged_in, login, make_app

MONEY_FR = re.compile(r"\d{1,3}(?:\u202f\d{3})+\u00a0€")


def _cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def test_login_opens_a_session_with_a_safe_cookie(app: FastAPI) -> None:
    client = client_of(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"
    answer = login(client, "pbernard")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = _cookie(answer, "clientfolio_session")
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "path"} <= parts and "samesite=strict" in cookie.lower()  # as docs/security.md says
    assert "secure" not in parts and "max-age" not in parts and "expires" not in parts
    assert client.get("/").status_code == 200


def test_cookie_is_secure_over_https_or_by_setting(app: FastAPI, demo: Store, tmp_path: Path) -> None:
    over_https = client_of(app, base_url="https://testserver")
    assert "secure" in _cookie(login(over_https, "pbernard"), "clientfolio_session").lower()
    by_setting = client_of(make_app(demo, tmp_path, web_secure_cookies=True))
    form = by_setting.get("/login")
    assert "; secure" in _cookie(form, "clientfolio_prelogin").lower()
    token = csrf_of(form.text)  # a browser behind the TLS proxy sends the Secure cookie back:
    by_setting.cookies.set("clientfolio_prelogin", _cookie(form, "clientfolio_prelogin").split(";")[0].split("=")[1])
    answer = by_setting.post(
        "/login", data={"username": "pbernard", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert "; secure" in _cookie(answer, "clientfolio_session").lower()


def test_refusals_give_one_answer_and_are_audited(app: FastAPI, demo: Store) -> None:
    wrong = login(client_of(app), "pbernard", "not the password at all")
    unknown = login(client_of(app), "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "unknown user name or wrong password"

    def alert(html: str) -> str:
        return re.sub(r"\s+", " ", html.split('role="alert">')[1].split("</p>")[0])

    assert message in alert(wrong.text) and alert(wrong.text) == alert(unknown.text)
    reasons = {str(e.details.get("reason")) for e in list_events(demo, action="login.failure", limit=2)}
    assert reasons == {"bad password", "unknown user"}


def test_lockout_refuses_even_the_right_password(app: FastAPI) -> None:
    client = client_of(app)
    for _ in range(5):
        assert login(client, "cmorel", "not the password at all").status_code == 401
    locked = login(client, "cmorel")
    assert locked.status_code == 401
    assert "After 5 failures in a row from the same address, the account is locked for 15 minutes" in locked.text
    assert "clientfolio_session" not in locked.headers.get("set-cookie", "")


def test_every_post_needs_its_csrf_token(app: FastAPI) -> None:
    posts = sorted(
        r.path for router in ROUTERS for r in router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or ())
    )
    assert {"/lang", "/login", "/logout", "/logout-everywhere", "/prospects/stage", "/import"} <= set(posts)
    client = logged_in(app, "pbernard")
    other = logged_in(app, "pbernard")
    foreign = csrf_of(other.get("/").text)  # a token of another session
    for path in posts:
        for data in ({}, {"csrf_token": "x" * 88}, {"csrf_token": foreign}):
            answer = client.post(
                path, data={"lang": "en", "username": "pbernard", "password": PASSWORD, **data}, follow_redirects=False
            )
            assert answer.status_code == 403, (path, data)
    assert client.get("/").status_code == 200  # nothing was done: still logged in
    header = client.post(
        "/lang", data={"lang": "en"}, headers={"X-CSRF-Token": csrf_of(client.get("/").text)}, follow_redirects=False
    )
    assert header.status_code == 303


def test_logout_and_logout_everywhere(app: FastAPI) -> None:
    first, second = logged_in(app, "sgirard"), logged_in(app, "sgirard")
    token = first.cookies["clientfolio_session"]
    out = first.post("/logout", data={"csrf_token": csrf_of(first.get(TOKEN_PAGE).text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert first.get("/", follow_redirects=False).status_code == 303
    reused = client_of(app, cookies={"clientfolio_session": token})
    assert reused.get("/api/v1/me").status_code == 401
    assert second.get("/api/v1/me").status_code == 200
    third = logged_in(app, "sgirard")
    everywhere = third.post(
        "/logout-everywhere", data={"csrf_token": csrf_of(third.get(TOKEN_PAGE).text)}, follow_redirects=False
    )
    assert everywhere.status_code == 303
    assert second.get("/api/v1/me").status_code == 401 and third.get("/api/v1/me").status_code == 401


def test_language_switch_is_kept_for_the_user(app: FastAPI) -> None:
    assert "Se connecter" in client_of(app, headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get("/login").text
    assert ">Log in<" in client_of(app, headers={"Accept-Language": "en-GB,en;q=0.8,fr;q=0.5"}).get("/login").text
    client = logged_in(app, "jleroy", headers={"Accept-Language": "en"})
    page = client.get("/").text
    assert "<h1>Dashboard</h1>" in page and "€" in page and not MONEY_FR.search(page)
    switched = client.post(
        "/lang", data={"lang": "fr", "next": "/", "csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    page = client.get("/").text
    assert "<h1>Tableau de bord</h1>" in page and "Valorisation du capital client" in page
    assert "Matrice ABC croisée" in page and "Profils RFM" in page and MONEY_FR.search(page)
    again = logged_in(app, "jleroy", headers={"Accept-Language": "en"})  # another browser: the choice is kept
    assert "<h1>Tableau de bord</h1>" in again.get("/").text
    back = again.post("/lang", data={"lang": "en", "csrf_token": csrf_of(again.get("/").text)}, follow_redirects=False)
    assert back.status_code == 303 and "<h1>Dashboard</h1>" in again.get("/").text
    assert again.post("/lang", data={"lang": "de", "csrf_token": csrf_of(again.get("/").text)}).status_code == 400


def test_bearer_token_for_api_clients(app: FastAPI) -> None:
    client = client_of(app)
    token = client.get("/login?format=json").json()["csrf_token"]
    answer = client.post(
        "/login",
        data={"username": "pbernard", "password": PASSWORD, "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["role"] == "admin"
    bearer = client_of(app, headers={"Authorization": f"Bearer {answer.json()['token']}"})
    assert bearer.get("/api/v1/me").json()["username"] == "pbernard"
    assert client_of(app, headers={"Authorization": "Bearer nonsense"}).get("/api/v1/me").status_code == 401


def test_without_a_key_every_page_says_why(demo: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clientfolio.settings import Settings
    from clientfolio.web import create_app

    monkeypatch.delenv("CLIENTFOLIO_KEY", raising=False)
    app = create_app(Settings(database_url=demo.url, key_file=str(tmp_path / "none.key")), store=demo)
    client = client_of(app)
    for path in ("/login", "/"):
        answer = client.get(path, follow_redirects=False)
        if answer.status_code == 303:
            answer = client.get(answer.headers["location"])
        assert answer.status_code == 503 and "no key" in answer.text
    assert RING is not None


def test_an_attacker_address_gets_429_and_cannot_lock_the_victims_out(demo: Store, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path, login_address_max_failures=6)
    attacker = client_of(app, client=("203.0.113.66", 40000), headers={"Accept-Language": "fr"})
    for victim in ("pbernard", "pbernard", "pbernard", "pbernard", "pbernard", "nobody-at-all"):
        assert login(attacker, victim, "not the password at all").status_code == 401
    throttled = login(attacker, "pbernard")  # the right password: not even checked
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "Trop d'échecs de connexion depuis votre adresse : réessayez dans 15 minutes." in throttled.text.replace(
        "&#39;", "'"
    )
    assert "clientfolio_session" not in throttled.headers.get("set-cookie", "")
    event = list_events(demo, action="login.failure", limit=1)[0]
    assert event.details["reason"] == "address throttled" and event.details["address"] == "203.0.113.66"
    office = client_of(app, client=("198.51.100.7", 40000))  # pbernard, locked for the attacker only
    assert login(office, "pbernard").status_code == 303
    assert list_events(demo, action="login.success", limit=1)[0].details == {"address": "198.51.100.7"}
