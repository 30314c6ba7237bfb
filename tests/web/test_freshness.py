"""Fast after every change (issue 18): in the background mode of
``clientfolio serve`` the figures are computed in a thread, never in the
request of the next visitor (the last ones are served meanwhile, "computing"
when there are none yet, every user's scope computed at start-up); the
prospects board is paged by stage and its "Move to" has no default; "Accept
all" is confirmed first and can be undone."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from clientfolio.protect.audit import list_events
from clientfolio.protect.users import principal_for
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web import create_app, figures
from clientfolio.web.routers import prospects
from clientfolio.web.state import WebState
from tests.web.conftest import RING, client_of, demo_store, logged_in
from tests.web.pages_fixtures import TestClient, token


@pytest.fixture(scope="module")
def own(filled_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A demo store of this module's own: the tests below change it."""
    store = demo_store(filled_demo, tmp_path_factory.mktemp("fresh"))
    yield store
    store.dispose()


def background_app(store: Store, tmp: Path) -> FastAPI:
    config = Settings(
        database_url=store.url,  # type: ignore[arg-type]
        key_file=str(tmp / "absent.key"),
        web_figures_dir=str(tmp / "figures"),
    )
    return create_app(config, store=store, ring=RING, background_figures=True)


class Gate:
    """``compute_figures`` held until ``open``: a slow computation, on demand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = threading.Event()
        self.calls = 0
        real = figures.compute_figures

        def gated(*args: object) -> figures.Figures | None:
            self.calls += 1
            assert self.opened.wait(30), "the gate was never opened"
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(figures, "compute_figures", gated)


def cache_of(app: FastAPI) -> figures.FigureCache:
    state: WebState = app.state.web
    return state.figures


def test_the_first_page_says_computing_then_an_edit_does_not_block(
    own: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = background_app(own, tmp_path)
    cache = cache_of(app)
    cache.wait = 0.1
    gate = Gate(monkeypatch)
    admin = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    first = admin.get("/")
    assert first.status_code == 503 and first.headers["Retry-After"] == "3" and first.headers["Refresh"] == "3"
    assert "Calcul des chiffres en cours" in first.text
    assert admin.get("/plan?format=json").status_code == 503  # every page of the figures, one computation
    assert gate.calls == 1
    gate.opened.set()
    assert cache.idle(30)
    plan = admin.get("/plan?format=json").json()
    assert plan["suggestions"] and admin.get("/").status_code == 200
    before = figures.data_version(own)

    gate.opened.clear()  # the next computation is slow: the requests must not wait for it
    chosen = next(s for s in plan["suggestions"] if not s["in_plan"])
    started = time.perf_counter()
    accepted = admin.post(
        "/plan/accept", data={"key": chosen["key"], "csrf_token": token(admin)}, follow_redirects=False
    )
    dashboard = admin.get("/")
    elapsed = time.perf_counter() - started
    assert accepted.status_code == 303 and dashboard.status_code == 200 and elapsed < 3
    assert figures.data_version(own) != before
    assert cache.computing(principal_for(own, "pbernard"))
    after = admin.get("/plan?format=json").json()  # stale figures, fresh plan rows
    assert next(s for s in after["suggestions"] if s["key"] == chosen["key"])["in_plan"]
    assert gate.calls == 2  # one computation for the new version, however many requests
    gate.opened.set()
    assert cache.idle(30)
    [(version, _, _)] = cache._entries.values()
    assert version == figures.data_version(own)  # refreshed for the new data


@pytest.fixture(scope="module")
def warm_start(own: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Path]]:
    """A background app on ``own`` and its folder, once its lifespan has computed
    (and kept) the figures of every scope: the start-up test looks at it, the
    restart test restarts it (one start-up's computations for the two)."""
    tmp = tmp_path_factory.mktemp("started")
    app = background_app(own, tmp)
    with client_of(app):  # the lifespan: the computation starts
        assert cache_of(app).idle(60)
        yield app, tmp


def test_start_up_computes_every_scope(warm_start: tuple[FastAPI, Path]) -> None:
    app, _ = warm_start
    cache = cache_of(app)
    scopes = set(cache._entries)
    assert len(scopes) >= 2  # the whole company and the scoped reps
    rep = logged_in(app, "jleroy")
    assert rep.get("/").status_code == 200


def test_after_a_restart_the_kept_figures_are_served_at_once(
    own: Store, warm_start: tuple[FastAPI, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, folder = warm_start
    kept = sorted((folder / "figures").glob("figures-*.bin"))
    assert len(kept) >= 2 and all(p.stat().st_mode & 0o777 == 0o600 for p in kept)
    expected = logged_in(first, "jleroy").get("/?format=json").json()

    gate = Gate(monkeypatch)  # the new process computes slowly: its first page must not wait
    restarted = background_app(own, folder)
    cache_of(restarted).wait = 0.1
    rep = logged_in(restarted, "jleroy")
    started = time.perf_counter()
    answer = rep.get("/?format=json")
    assert answer.status_code == 200 and time.perf_counter() - started < 2
    assert answer.json() == expected  # the kept figures of the rep's scope
    deadline = time.monotonic() + 10  # the recomputation's thread reaches the computation a moment later
    while gate.calls == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.calls == 1  # and recomputed once in the background
    gate.opened.set()
    assert cache_of(restarted).idle(30)


def test_kept_figures_open_only_with_their_key_store_and_scope(own: Store, tmp_path: Path) -> None:
    from clientfolio.access import Scope
    from clientfolio.web.figure_files import FigureFiles

    files = FigureFiles(tmp_path, RING.subkey("figures"), own.safe_url)
    north = Scope(regions=frozenset({"NORD", "EST"}))
    files.save(north, (1, 2), None)
    assert files.load(Scope(regions=frozenset({"EST", "NORD"}))) == ((1, 2), None)  # the same scope
    assert files.load(Scope(regions=frozenset({"NORD"}))) is None
    assert FigureFiles(tmp_path, b"k" * 32, own.safe_url).load(north) is None  # another key
    assert FigureFiles(tmp_path, RING.subkey("figures"), "sqlite:///other.db").load(north) is None
    [path] = tmp_path.glob("figures-*.bin")
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1  # a changed byte: never unpickled
    path.write_bytes(bytes(raw))
    assert files.load(north) is None


def test_the_processes_of_an_app_compute_a_scope_once(
    own: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientfolio.web.figure_files import FigureFiles

    calls = []
    real = figures.compute_figures
    monkeypatch.setattr(figures, "compute_figures", lambda *args: calls.append(1) or real(*args))
    files = FigureFiles(tmp_path, RING.subkey("figures"), own.safe_url)
    one, two = (figures.FigureCache(600, background=True, files=files) for _ in range(2))  # two workers
    admin = principal_for(own, "pbernard")
    assert one.refresh(own, admin, RING).wait(60) and two.refresh(own, admin, RING).wait(60)
    assert len(calls) == 1  # the second took what the first kept
    assert two._entries[admin.scope][2] is not None
    later = figures.FigureCache(600, background=True, files=files)  # a new start: the code may have changed
    assert later.refresh(own, admin, RING).wait(60) and len(calls) == 2


def test_serve_with_two_workers(own: Store, tmp_path: Path) -> None:
    import base64
    import os
    import socket
    import subprocess
    import sys

    import httpx

    from tests.web.conftest import PASSWORD

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "CLIENTFOLIO_KEY": base64.b64encode(b"w" * 32).decode(),  # RING's
        "CLIENTFOLIO_WEB_FIGURES_DIR": str(tmp_path / "figures"),
    }
    cli = [sys.executable, "-c", "import sys; sys.argv[0] = 'clientfolio'; from clientfolio.cli import main; main()"]
    command = [*cli, "serve", "--db", own.url, "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None and time.monotonic() < deadline, "clientfolio serve did not start"
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf
            logged = client.post(
                "/login", data={"username": "pbernard", "password": PASSWORD, "csrf_token": csrf.group(1)}
            )
            assert logged.status_code in (200, 303)
            while (answer := client.get("/?format=json")).status_code == 503:  # computing, in one of the workers
                assert time.monotonic() < deadline, "the figures were never computed"
                time.sleep(0.1)
            assert answer.status_code == 200 and answer.json()["as_of"] and answer.json()["customers"] > 0
            assert all(client.get("/?format=json").status_code == 200 for _ in range(6))  # whichever worker answers
        assert list((tmp_path / "figures").glob("figures-*.bin"))
    finally:
        server.terminate()
        server.wait(30)


def test_the_test_apps_compute_in_the_request(app: FastAPI) -> None:
    assert not cache_of(app).background


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> TestClient:
    return logged_in(app, "pbernard")


def test_move_to_has_no_default_nor_the_current_stage(admin: TestClient) -> None:
    html = admin.get("/prospects").text
    forms = re.findall(
        r'<input type="hidden" name="code" value="([^"]+)">.*?<select name="stage" required>(.*?)</select>', html, re.S
    )
    assert forms
    board = admin.get("/prospects?format=json").json()["board"]
    stage_of = {p["code"]: c["stage"] for c in board for p in c["prospects"]}
    for code, options in forms:
        assert options.startswith('<option value="" selected disabled>')
        assert f'value="{stage_of[code]}"' not in options
        assert options.count("selected") == 1
    refused = admin.post("/prospects/stage", data={"code": forms[0][0], "stage": "", "csrf_token": token(admin)})
    assert refused.status_code >= 400


def test_the_board_is_paged_by_stage(admin: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prospects, "PER_PAGE", 2)
    board = admin.get("/prospects?format=json").json()["board"]
    big = next(c for c in board if c["total"] > 2)
    assert len(big["prospects"]) == 2 and big["pages"] == -(-big["total"] // 2) and big["page"] == 1
    second = admin.get(f"/prospects?format=json&stage={big['stage']}&page=2").json()["board"]
    column = next(c for c in second if c["stage"] == big["stage"])
    assert column["page"] == 2 and {p["code"] for p in column["prospects"]}.isdisjoint(
        p["code"] for p in big["prospects"]
    )
    html = admin.get("/prospects").text
    assert f'href="/prospects?stage={big["stage"]}&amp;page=2#stage-{big["stage"]}"' in html
    assert f"<small>{big['total']}</small>" in html


def test_accept_all_is_confirmed_and_can_be_undone(admin: TestClient, demo: Store) -> None:
    plan = admin.get("/plan").text
    assert 'action="/plan/accept-all"' in plan and 'name="all"' not in plan  # no longer one click
    before = admin.get("/plan?format=json").json()
    waiting = [s for s in before["suggestions"] if not s["in_plan"]]
    confirm = admin.get("/plan/accept-all").text
    keys = re.findall(r'name="key" value="([^"]+)"', confirm)
    assert sorted(keys) == sorted(s["key"] for s in waiting) and "Add these" in confirm
    assert admin.get("/plan?format=json").json()["tracking"]["count"] == before["tracking"]["count"]  # nothing yet

    added = admin.post("/plan/accept", data={"key": keys, "bulk": "1", "csrf_token": token(admin)})
    assert added.status_code == 200 and "Undo: remove these actions" in added.text
    plan_after = admin.get("/plan?format=json").json()
    assert plan_after["tracking"]["count"] == before["tracking"]["count"] + len(keys)
    ids = re.findall(r'name="id" value="(\d+)"', added.text)
    undo_token = re.search(r'name="token" value="([0-9a-f]+)"', added.text)
    assert len(ids) == len(keys) and undo_token

    forged = admin.post(
        "/plan/undo",
        data={"year": plan_after["year"], "id": ids[:1], "token": undo_token.group(1), "csrf_token": token(admin)},
    )
    assert forged.status_code >= 400  # another set of ids than the one signed
    undone = admin.post(
        "/plan/undo",
        data={"year": plan_after["year"], "id": ids, "token": undo_token.group(1), "csrf_token": token(admin)},
    )
    assert undone.status_code == 200 and f"{len(ids)} actions removed from the plan" in undone.text
    final = admin.get("/plan?format=json").json()
    assert final["tracking"]["count"] == before["tracking"]["count"]
    events = list_events(demo, action="plan.action.undo", limit=1000)
    assert sorted(e.target for e in events) == sorted(ids) and {e.actor for e in events} == {"pbernard"}
