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

import json

from scope_figures import arguments, demo_store, in_each_package

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
    args = arguments(__doc__)
    store = demo_store(args.customers)
    print(f"the customer list of a {args.customers:,}-customer demo store, one request (the owner)")
    print("| package | median s | customers | first codes of page 3 (by code; by -clv) |\n|---|---:|---:|---|")
    for name, output in in_each_package(CHILD, store, args.baseline, CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES="10"):
        median, total, pages = json.loads(output)
        print(f"| {name} | {median:.3f} | {total:,} | {pages[0]}; {pages[1]} |")


if __name__ == "__main__":
    main()
