"""Whole-process speed of ``clientfolio value`` on a generated history.

    python benchmarks/value_speed.py [--lines 2000000] [--repeat 3] [--baseline SRC]

Uses ``benchmarks/data/transactions_<lines>.parquet`` (written first by
``gen_transactions.py`` when missing; 2M lines are some 100,000 customers)
and runs ``clientfolio value --transactions F --out DIR`` ``--repeat`` times
as fresh processes, imports, the models, the bootstrap of the interval and
the files included.  ``--baseline SRC`` also times it with the package at
``SRC`` first on ``PYTHONPATH`` (a copy of an earlier ``src/``, e.g.
``git archive HEAD src | tar -x -C /tmp/before``), in turn with the current
one.  Prints the medians of wall time, CPU time (user + system) and peak
resident memory (``os.wait4``), and the valuation's total and interval.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen_transactions import generate  # beside this script, so on sys.path when it runs

HERE = Path(__file__).parent
CLIENTFOLIO = Path(sys.executable).with_name("clientfolio")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak memory (MiB) of ``command`` as a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an earlier src/ to time beside the current one")
    args = parser.parse_args()
    data = HERE / "data" / f"transactions_{args.lines}.parquet"
    if not data.exists():
        generate(data, args.lines)
    runs: dict[str, list[tuple[float, float, float]]] = {}
    packages = {"current": HERE.parent / "src"} | ({"baseline": args.baseline} if args.baseline else {})
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, src in packages.items():
                env = os.environ | {"PYTHONPATH": str(src.resolve())}
                out = Path(tmp) / name
                command = [str(CLIENTFOLIO), "value", "--transactions", str(data), "--out", str(out)]
                runs.setdefault(name, []).append(timed(command, env))
        equity = json.loads((Path(tmp) / "current" / "equity.json").read_text(encoding="utf-8"))["equity"]
    print(f"clientfolio value --transactions {data.name} --out DIR, {args.repeat} runs, medians")
    print("| package | wall s | CPU s | peak MiB |\n|---|---|---|---|")
    for name, measures in runs.items():
        wall, cpu, peak = (statistics.median(m[i] for m in measures) for i in range(3))
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {peak:.0f} |")
    print(
        f"total {equity['total_cents'] / 100:,.0f} EUR, interval {equity['low_cents'] / 100:,.0f} "
        f"to {equity['high_cents'] / 100:,.0f} ({equity['interval_method']})"
    )


if __name__ == "__main__":
    main()
