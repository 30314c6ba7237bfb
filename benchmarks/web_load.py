"""Web load test: the dashboard and the customer pages under concurrent users.

    python benchmarks/web_load.py --lines 1000000 --users 50 --seconds 30

Builds a SQLite store (the demo portfolio and its users, then ``--lines``
invoice lines imported from benchmarks/data/invoices_<lines>.csv, written by
``import_throughput.write_csv`` when missing), starts ``clientfolio serve``
(``--workers``) on 127.0.0.1 in a child process (figures computed in the
background), then measures:

- cold start: from the port open to the first dashboard with its figures
  (the "computing" answers in between are counted);
- once every scope's figures are computed (the server's processes idle):
  ``--users`` simulated users (one session, httpx async) asking for the
  dashboard and a customer page in turn for ``--seconds``: p50/p95/p99;
- after an edit: accepting a suggested action, then the next dashboard;
- a restart with the figures kept by the first server (``web.figure_files``):
  the first dashboard.

``--think`` makes each user pause between pages (uniformly 0.5 to 1.5 times
it), as people do, and come in at a random moment of the first ``--think``
seconds (fifty users do not click in the same millisecond); 0 (the default)
asks for the next page at once, every user from the start.  The server's and
the load generator's CPU per request are printed with the latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
PASSWORD = "correct horse battery staple"
KEY = base64.b64encode(b"b" * 32).decode()


def build(db: str, lines: int) -> None:
    """The demo portfolio, its users' password, and ``lines`` imported invoice lines."""
    from clientfolio.demo import generate_demo
    from clientfolio.filelimits import ReadLimits, reading_limits
    from clientfolio.ingest import import_file
    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.users import list_users, set_password
    from clientfolio.settings import Settings
    from clientfolio.store import Store
    from import_throughput import write_csv

    store = Store(db)
    ring = KeyRing.load(Settings(), environ={"CLIENTFOLIO_KEY": KEY})
    generate_demo(store, customers=300, years=4, seed=7, ring=ring)
    for user in list_users(store):
        set_password(store, user.username, PASSWORD, actor="bench", chain_key=ring.subkey("audit"))
    if lines:
        csv = HERE / "data" / f"invoices_{lines}.csv"
        if not csv.exists():
            csv.parent.mkdir(exist_ok=True)
            write_csv(csv, lines)
        with reading_limits(ReadLimits(rows=1 << 40, cells=1 << 40)):
            import_file(store, str(csv))
    store.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db: str, port: int, figures_dir: str, workers: int) -> subprocess.Popen[bytes]:
    """``clientfolio serve`` on ``port``, as a user starts it."""
    code = "import sys; sys.argv[0] = 'clientfolio'; from clientfolio.cli import main; main()"
    command = [sys.executable, "-c", code, "serve", "--db", db, "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "CLIENTFOLIO_KEY": KEY, "CLIENTFOLIO_WEB_FIGURES_DIR": figures_dir}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


async def login(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    answer = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303, answer.text


async def timed(client: httpx.AsyncClient, method: str, url: str, **kw: object) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    answer = await client.request(method, url, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start, answer


async def port_open(client: httpx.AsyncClient) -> float:
    """When the server first answers (``time.perf_counter()``), polled every 50 ms."""
    while True:
        try:
            await client.get("/login")
            return time.perf_counter()
        except httpx.TransportError:
            await asyncio.sleep(0.05)


async def first_page(base: str, started: float) -> None:
    """A restart with the figures kept by the last run: the first dashboard."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as admin:
        up = await port_open(admin)
        await login(admin, "pbernard")
        took, answer = await timed(admin, "GET", "/")
        print(f"\nrestart, figures kept: process start to port open {up - started:.1f} s, ", end="")
        print(f"first dashboard {took * 1000:.0f} ms (status {answer.status_code}, {len(answer.content)} bytes)")


def server_cpu(root: int) -> float:
    """CPU seconds used so far by process ``root`` and its children (the workers)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree = {root}
    for _ in range(3):
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    return sum(times.get(pid, 0.0) for pid in tree)


async def settled(server: int, started: float) -> None:
    """Wait until the server computes nothing more (every scope's figures ready)."""
    before = server_cpu(server)
    while True:
        await asyncio.sleep(1)
        now = server_cpu(server)
        if now - before < 0.05:
            print(f"every scope's figures ready {time.perf_counter() - started:.1f} s after the process started")
            return
        before = now


async def run(base: str, users: int, seconds: float, started: float, think: float, server: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as admin:
        up = await port_open(admin)
        await login(admin, "pbernard")
        computing, first = 0, None
        while True:
            took, answer = await timed(admin, "GET", "/")
            first = first or took
            if answer.status_code == 200:
                break
            assert answer.status_code == 503, answer.status_code
            computing += 1
            await asyncio.sleep(0.5)
        ready = time.perf_counter()
        print(f"process start to port open: {up - started:.1f} s")
        print(f"cold start: first dashboard answered in {first:.2f} s ({computing} 'computing' answers), ")
        print(f"            figures ready {ready - up:.1f} s after the port opened")
        codes = [c["code"] for c in (await admin.get("/customers?format=json")).json()["items"]][:20]
        await settled(server, started)

        latencies: dict[str, list[float]] = {"dashboard": [], "customer": []}
        errors = 0

        async def user(n: int) -> None:
            nonlocal errors
            async with httpx.AsyncClient(base_url=base, timeout=120, cookies=admin.cookies) as client:
                i = n
                if think:  # users come in at random moments of the first pause, not all in the same millisecond
                    await asyncio.sleep(random.uniform(0, think))
                end = time.perf_counter() + seconds
                while time.perf_counter() < end:
                    i += 1
                    name, url = ("dashboard", "/") if i % 2 else ("customer", f"/customers/{codes[i % len(codes)]}")
                    took, answer = await timed(client, "GET", url)
                    if answer.status_code != 200:
                        errors += 1
                    latencies[name].append(took)
                    if think:
                        await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

        cpu_server, cpu_own, wall = server_cpu(server), time.process_time(), time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        cpu_server, cpu_own = server_cpu(server) - cpu_server, time.process_time() - cpu_own
        wall = time.perf_counter() - wall
        pause = f", {think:g} s between pages on average" if think else ", no pause between pages"
        print(f"\n{users} users for {seconds:.0f} s{pause} ({errors} errors):")
        count = sum(len(v) for v in latencies.values())
        print(
            f"CPU per request: server {cpu_server / count * 1000:.1f} ms,"
            f" load generator {cpu_own / count * 1000:.1f} ms;"
            f" cores busy: server {cpu_server / wall:.2f}, load generator {cpu_own / wall:.2f}"
        )
        print("| page | requests | p50 (ms) | p95 (ms) | p99 (ms) |")
        print("|---|---:|---:|---:|---:|")
        for name, values in latencies.items():
            p50, p95, p99 = percentiles(values)
            print(f"| {name} | {len(values)} | {p50 * 1000:.0f} | {p95 * 1000:.0f} | {p99 * 1000:.0f} |")

        plan = (await admin.get("/plan?format=json")).json()
        waiting = [s for s in plan["suggestions"] if not s["in_plan"]]
        html = (await admin.get("/plan")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert waiting and token
        took, answer = await timed(
            admin, "POST", "/plan/accept", data={"key": waiting[0]["key"], "csrf_token": token.group(1)}
        )
        assert answer.status_code == 303, answer.status_code
        after, page = await timed(admin, "GET", "/")
        print(f"\nafter an edit: accept an action {took * 1000:.0f} ms, next dashboard {after * 1000:.0f} ms")
        print(f"              (status {page.status_code}: the last figures, refreshed in the background)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="invoice lines imported over the demo")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--think", type=float, default=0, help="mean pause of a user between two pages, in seconds (0: none)"
    )
    parser.add_argument("--workers", type=int, default=1, help="clientfolio serve --workers")
    parser.add_argument("--db", help="a store built by an earlier run (kept; built there when missing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/load.db"
        if not args.db or not Path(db.removeprefix("sqlite:///")).exists():
            start = time.perf_counter()
            build(db, args.lines)
            print(f"store built ({args.lines} imported lines over the demo) in {time.perf_counter() - start:.1f} s")
        figures_dir = f"{tmp}/figures"
        for restart in (False, True):
            port = free_port()
            started = time.perf_counter()
            server = serve(db, port, figures_dir, args.workers)
            try:
                base = f"http://127.0.0.1:{port}"
                if restart:
                    asyncio.run(first_page(base, started))
                else:
                    asyncio.run(run(base, args.users, args.seconds, started, args.think, server.pid))
            finally:
                server.terminate()
                server.wait(30)


if __name__ == "__main__":
    main()
