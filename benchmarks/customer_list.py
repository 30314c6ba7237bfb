"""The customer list of the web app (``/customers``, its JSON and ``/api/v1/customers``:
``web.routers.customers.list_of``), once the figures are computed, as each request
builds it: the visible accounts read, a row per customer with its figures, filtered,
sorted and cut to a page.

    python benchmarks/customer_list.py [--customers 20000] [--baseline SRC]

Uses ``benchmarks/data/demo_<customers>.db`` (as ``scope_figures.py``).  Each package
(the current ``src/``, and ``--baseline SRC``, an earlier ``src/``) runs in a child
process of its own; prints the median wall time of 9 requests (after a first one),
sorted by code and by lifetime value in turn, as the owner, and the page's first codes
(the same in both packages when only speed changed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from scope_figures import demo_store

HERE = Path(__file__).parent

CHILD = """
import json, statistics, sys, time
from types import SimpleNamespace
from clientfolio.access import SYSTEM
from clientfolio.store import Store
from clientfolio.web.figures import FigureCache
from clientfolio.web.routers.customers import ListQuery, list_of

store = Store(sys.argv[1])
state = SimpleNamespace(store=store, figures=FigureCache(600))
state.figures.get(store, SYSTEM, None)  # the figures computed first, as the web app does at start-up
times, pages = [], []
for i in range(10):
    query = ListQuery(sort=("code", "-clv")[i % 2], page=3)
    start = time.perf_counter()
    page = list_of(state, SYSTEM, None, query, "fr")
    times.append(time.perf_counter() - start)
    pages.append([row.code for row in page.items[:3]])
print(json.dumps([statistics.median(times[1:]), page.total, pages[:2]]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--baseline", type=Path, help="an earlier src/ to time beside the current one")
    args = parser.parse_args()
    store = demo_store(args.customers)
    packages = {"current": HERE.parent / "src"} | ({"baseline": args.baseline} if args.baseline else {})
    print(f"the customer list of a {args.customers:,}-customer demo store, one request (the owner)")
    print("| package | median s | customers | first codes of page 3 (by code; by -clv) |\n|---|---:|---:|---|")
    for name, src in packages.items():
        env = os.environ | {"PYTHONPATH": str(src.resolve()), "CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES": "10"}
        done = subprocess.run(
            [sys.executable, "-c", CHILD, f"sqlite:///{store}"], env=env, check=True, capture_output=True, text=True
        )
        median, total, pages = json.loads(done.stdout)
        print(f"| {name} | {median:.3f} | {total:,} | {pages[0]}; {pages[1]} |")


if __name__ == "__main__":
    main()
