"""Whole-process speed of the commands on a store of the demo's shape, at scale.

    python benchmarks/store_commands.py [--customers 20000] [--repeat 1] [--baseline SRC]

The demo's portfolio is what a real file holds and a generated history does
not: credit notes, prospects and their funnel, activities, several regions.
Builds ``benchmarks/data/store_<customers>.db`` with ``clientfolio demo
--customers N`` when missing (20,000 customers are some 490,000 invoice lines
and 12,000 prospects), then runs, as fresh processes on a copy of it
(imports, the analyses and the output included), the commands people run on
their store: ``analyze``, ``value``, ``plan suggest`` and ``report --format
html`` (every figure of the annual review).  ``--baseline SRC`` also times
them with the package at ``SRC`` first on ``PYTHONPATH`` (an earlier ``src/``:
``git archive REV src | tar -x -C /tmp/before``), in turn with the current one.
Prints the medians of wall time, CPU time and peak memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from value_speed import timed  # beside this script, so on sys.path when it runs

HERE = Path(__file__).parent
CLIENTFOLIO = Path(sys.executable).with_name("clientfolio")
COMMANDS = {
    "analyze": ["analyze"],
    "value": ["value"],
    "plan suggest": ["plan", "suggest"],
    "report --format html": ["report", "--format", "html", "--out", "{tmp}/review.html"],
}


def build(store: Path, customers: int) -> None:
    """The demo portfolio of ``customers`` customers in ``store`` (its key beside it)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(CLIENTFOLIO), "demo", "--customers", str(customers)], cwd=tmp, check=True)
        shutil.copy(Path(tmp) / "clientfolio.db", store)
        shutil.copy(Path(tmp) / "clientfolio.key", store.with_suffix(".key"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (default 1); medians shown")
    parser.add_argument("--baseline", type=Path, metavar="SRC", help="also time the commands with the package at SRC")
    args = parser.parse_args()
    store = HERE / "data" / f"store_{args.customers}.db"
    if not store.exists():
        build(store, args.customers)
    packages = {"current": HERE.parent / "src"} | ({"baseline": args.baseline} if args.baseline else {})
    runs: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(args.repeat):
        for command, words in COMMANDS.items():
            for name, src in packages.items():
                with tempfile.TemporaryDirectory() as tmp:
                    shutil.copy(store, Path(tmp) / "clientfolio.db")
                    shutil.copy(store.with_suffix(".key"), Path(tmp) / "clientfolio.key")
                    env = os.environ | {"PYTHONPATH": str(src.resolve())}
                    argv = [str(CLIENTFOLIO), *(w.format(tmp=tmp) for w in words)]
                    print(f"  {command} ({name}) ...", file=sys.stderr, flush=True)
                    runs.setdefault((command, name), []).append(timed(argv, env, cwd=Path(tmp)))
    print(f"{store.name} ({args.customers:,} customers), medians of {args.repeat} run(s)")
    print("| command | package | wall s | CPU s | peak MiB |\n|---|---|---:|---:|---:|")
    for (command, name), measures in runs.items():
        wall, cpu, peak = (statistics.median(m[i] for m in measures) for i in range(3))
        print(f"| `clientfolio {command}` | {name} | {wall:.1f} | {cpu:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
