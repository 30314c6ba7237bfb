"""The figures of every need-to-know scope of a store, computed one after the
other in one process, as the web app computes them at start-up and after an
import (``web.figures.FigureCache``: ``compute_figures``, that is
``plan.run.gather`` and the self-assessment, per scope).

    python benchmarks/scope_figures.py [--customers 20000] [--baseline SRC]

Uses ``benchmarks/data/demo_<customers>.db`` (``clientfolio demo --customers N``,
written first when missing; its users: an admin, a manager, an auditor and
four sales reps of one region each).  Each package (the current ``src/``, and
``--baseline SRC``, an earlier ``src/``, e.g. ``git archive HEAD~1 src | tar -x
-C /tmp/before``) runs in a child process of its own, in turn; prints, per
scope in the order computed, the CPU and wall seconds of its figures, and the
valuation's total and interval (the same in both packages when only speed
changed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).parent
CLIENTFOLIO = Path(sys.executable).with_name("clientfolio")

CHILD = """
import json, sys, time
from sqlalchemy import select
from clientfolio.protect.users import principal_for
from clientfolio.store import Store
from clientfolio.store.schema import User
from clientfolio.web.figures import FigureCache

store = Store(sys.argv[1])
with store.engine.connect() as conn:
    users = [name for (name,) in conn.execute(select(User.username).order_by(User.id))]
cache, seen, rows = FigureCache(600), set(), []
for name in users:
    principal = principal_for(store, name)
    if principal.scope in seen:
        continue
    seen.add(principal.scope)
    cpu, wall = time.process_time(), time.perf_counter()
    equity = cache.get(store, principal, None).inputs.value.equity
    rows.append([name, time.process_time() - cpu, time.perf_counter() - wall,
                 [equity.total_cents, equity.low_cents, equity.high_cents]])
print(json.dumps(rows))
"""


def demo_store(customers: int) -> Path:
    """``benchmarks/data/demo_<customers>.db``, generated first when missing."""
    path = HERE / "data" / f"demo_{customers}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            command = [str(CLIENTFOLIO), "demo", "--customers", str(customers)]
            subprocess.run(command, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
            shutil.move(Path(tmp) / "clientfolio.db", path)
    return path


def arguments(doc: str | None) -> argparse.Namespace:
    """``--customers N`` (20,000 by default) and ``--baseline SRC``."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--baseline", type=Path, help="an earlier src/ to time beside the current one")
    return parser.parse_args()


def in_each_package(child: str, store: Path, baseline: Path | None, **env: str) -> Iterator[tuple[str, str]]:
    """``(package, output)`` of the Python code ``child`` run on ``store`` (its first argument)
    in a child process for the current ``src/``, then for ``baseline``, with ``env`` added."""
    packages = {"current": HERE.parent / "src"} | ({"baseline": baseline} if baseline else {})
    for name, src in packages.items():
        done = subprocess.run(
            [sys.executable, "-c", child, f"sqlite:///{store}"],
            env=os.environ | {"PYTHONPATH": str(src.resolve())} | env,
            check=True,
            capture_output=True,
            text=True,
        )
        yield name, done.stdout


def main() -> None:
    args = arguments(__doc__)
    store = demo_store(args.customers)
    print(f"the figures of every scope of a {args.customers:,}-customer demo store, one process")
    print("| package | scope (first user) | CPU s | wall s | total, interval (EUR) |\n|---|---|---|---|---|")
    for name, output in in_each_package(CHILD, store, args.baseline):
        rows = json.loads(output)
        for user, cpu, wall, (total, low, high) in rows:
            money = f"{total / 100:,.0f} [{low / 100:,.0f}; {high / 100:,.0f}]"
            print(f"| {name} | {user} | {cpu:.1f} | {wall:.1f} | {money} |")
        print(f"| {name} | **all scopes** | **{sum(r[1] for r in rows):.1f}** | **{sum(r[2] for r in rows):.1f}** | |")


if __name__ == "__main__":
    main()
