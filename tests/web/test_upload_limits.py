"""Uploads that cannot stop the server (issue 14): the files posted to
``/import`` and ``/trace`` are read in worker threads off the event loop, a
few at a time (503 beyond the queue), within the reading limits (413 with a
message in the user's language, nothing imported).  The bomb test runs the
app under uvicorn in a thread and measures another client's latencies while
the bombs are read."""

from __future__ import annotations

import resource
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.errors import ClientfolioError
from clientfolio.store import Store
from tests.serving import serving
from tests.web.conftest import PASSWORD, logged_in, make_app
from tests.web.pages_fixtures import token
from tests.xlsx_bombs import bomb_rows, far_row, plain_rows, random_rows, write_xlsx


def bearer(url: str, username: str) -> httpx.Client:
    """A client of ``url`` logged in as ``username`` with a bearer token (no CSRF token needed)."""
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        csrf = anonymous.get("/login?format=json").json()["csrf_token"]
        answer = anonymous.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf},
            headers={"Accept": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    return httpx.Client(
        base_url=url,
        timeout=60,
        headers={
            "Authorization": f"Bearer {answer.json()['token']}",
            "Accept": "application/json",
            "Accept-Language": "en",
        },
    )


def test_bombs_do_not_stop_the_other_users(demo: Store, tmp_path: Path) -> None:
    bomb = write_xlsx(tmp_path / "bombe.xlsx", bomb_rows(700))  # 4 MB expanding to 700 MB, like the attack's
    assert bomb.stat().st_size < 5 * 1024 * 1024
    # a few bytes declaring 16,384 columns and a million rows, which the reader pads (the /trace attack)
    wide = write_xlsx(
        tmp_path / "large.xlsx",
        [*plain_rows([["code client", "raison sociale"]]), far_row(1_048_576, ["C1", "x"])],
        dimension="A1:XFD1048576",
    )
    # an ordinary file of ~5,000 rows traced meanwhile (not imported: on SQLite an import, even a dry run,
    # holds the write lock while it reads, and every request writes its session's last use)
    ordinary = write_xlsx(tmp_path / "clients.xlsx", random_rows(2))
    app = make_app(demo, tmp_path)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with serving(app) as url, bearer(url, "pbernard") as other, bearer(url, "pbernard") as attacker:
        assert other.get("/customers").status_code == 200  # the figures computed before the clock starts

        def visit(times: list[float]) -> None:
            """One page of the customers, its latency added to ``times``."""
            started = time.perf_counter()
            assert other.get("/customers", params={"page": 1 + len(times) % 2}).status_code == 200
            times.append(time.perf_counter() - started)

        quiet: list[float] = []  # the other client's latency before the attack, on this machine as loaded now
        for _ in range(10):
            visit(quiet)
        latencies: list[float] = []
        done = threading.Event()

        def browse() -> None:
            while not done.is_set() or len(latencies) < 20:
                visit(latencies)
                time.sleep(0.02)

        answers: dict[str, httpx.Response] = {}

        def post(key: str, path: str, file: Path, **data: str) -> None:
            with file.open("rb") as f:
                answers[key] = attacker.post(path, data=data, files={"file": (file.name, f)})

        uploads = [
            threading.Thread(target=post, args=args, kwargs=kw)
            for args, kw in (
                (("bomb-import", "/import", bomb), {"dry_run": "1"}),
                (("bomb-trace", "/trace", bomb), {}),
                (("wide-trace", "/trace", wide), {}),
                (("wide-import", "/import", wide), {"dry_run": "1"}),
                (("ordinary", "/trace", ordinary), {}),
            )
        ]
        browser = threading.Thread(target=browse)
        browser.start()
        started = time.perf_counter()
        for thread in uploads:
            thread.start()
            time.sleep(0.05)  # five uploads: two workers, three waiting (the queue holds four)
        for thread in uploads:
            thread.join(60)
        uploads_took = time.perf_counter() - started
        done.set()
        browser.join(60)
    for key in ("bomb-import", "bomb-trace"):
        assert answers[key].status_code == 413, answers[key].text
        assert "bombe.xlsx: its part xl/worksheets/sheet1.xml is compressed" in answers[key].json()["detail"]
    for key in ("wide-import", "wide-trace"):
        assert answers[key].status_code == 413, answers[key].text
        assert "large.xlsx: more than 5,000,000 cells" in answers[key].json()["detail"]
    assert answers["ordinary"].status_code == 200 and answers["ordinary"].json()["result"]["rows"] > 4000
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"\nuploads {uploads_took:.2f} s; other client: {len(latencies)} requests, "
        f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms; before the attack: median {statistics.median(quiet) * 1000:.0f} ms"
    )
    # nine requests in ten under a second, or ten times the quiet latency where the machine is that busy (the
    # tests beside this one hold the cores: once one request in twenty took 1.35 s, the next slowest 0.37 s), and
    # none waiting for most of the attack, as it would behind a parse holding the server
    p90 = statistics.quantiles(latencies, n=10)[-1]
    assert p90 < max(1.0, 10 * statistics.median(quiet)), f"p90 {p90:.2f} s"
    assert max(latencies) < max(2.0, 0.75 * uploads_took), f"max {max(latencies):.2f} s"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 300, f"peak memory grew by {grown_mb:.0f} MB"


def test_the_limits_speak_the_users_language_and_nothing_is_imported(demo: Store, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path, upload_max_rows=100)
    french = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    rows = "code client;raison sociale\n" + "".join(f"ZZ{i:04};Société {i}\n" for i in range(150))
    answer = french.post(
        "/import?format=json",
        data={"csrf_token": token(french), "kind": "customers"},
        files={"file": ("clients.csv", rows.encode())},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == (
        "clients.csv : plus de 100 lignes (la limite ; ligne 101 atteinte) ; "
        "le fichier est refusé, rien n'a été importé."
    )
    assert not {c.code for c in PortfolioReader(demo, SYSTEM).customers()} & {f"ZZ{i:04}" for i in range(150)}
    page = french.post(
        "/import",
        data={"csrf_token": token(french), "dry_run": "1"},
        files={"file": ("bombe.xlsx", write_xlsx(tmp_path / "b.xlsx", bomb_rows(30)).read_bytes())},
    )
    assert page.status_code == 413 and "est compressée" in page.text and "bombe de décompression" in page.text
    english = logged_in(app, "pbernard")
    small = "code client;raison sociale\n" + "".join(f"ZY{i:04};Société {i}\n" for i in range(50))
    fine = english.post(
        "/import?format=json",
        data={"csrf_token": token(english), "dry_run": "1"},
        files={"file": ("clients.csv", small.encode())},
    )
    assert fine.status_code == 200 and fine.json()["result"]["rows_read"] == 50


def test_busy_workers_answer_503_try_again(demo: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(demo, tmp_path, upload_workers=1, upload_queue=0)
    release, running = threading.Event(), threading.Event()

    def slow_trace(*args: object, **kwargs: object) -> object:
        running.set()
        release.wait(20)
        raise ClientfolioError("stopped")  # never traced: the test only holds the worker

    monkeypatch.setattr("clientfolio.web.routers.exports.trace_file", slow_trace)
    first, second = logged_in(app, "pbernard"), logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    tokens = token(first), token(second)
    statuses: list[int] = []
    held = threading.Thread(
        target=lambda: statuses.append(
            first.post("/trace", data={"csrf_token": tokens[0]}, files={"file": ("a.csv", b"a;b\n1;2\n")}).status_code
        )
    )
    held.start()
    try:
        assert running.wait(10)
        busy = second.post(
            "/trace?format=json", data={"csrf_token": tokens[1]}, files={"file": ("b.csv", b"a;b\n1;2\n")}
        )
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "30"
        assert busy.json()["detail"] == (
            "Le serveur lit déjà d'autres fichiers : réessayez dans une minute. Rien n'a été importé."
        )
    finally:
        release.set()
        held.join(20)
    assert statuses == [400] and app.state.web.uploads.pending == 0
