"""Whole-process speed of ``clientfolio value`` on a generated history.

    python benchmarks/value_speed.py [--lines 2000000] [--repeat 3] [--baseline SRC]
    python benchmarks/value_speed.py --samples 20000 50000

Uses ``benchmarks/data/transactions_<lines>.parquet`` (written first by
``gen_transactions.py`` when missing; 2M lines are some 100,000 customers)
and runs ``clientfolio value --transactions F --out DIR`` ``--repeat`` times
as fresh processes, imports, the models, the bootstrap of the interval and
the files included.  ``--baseline SRC`` also times it with the package at
``SRC`` first on ``PYTHONPATH`` (a copy of an earlier ``src/``, e.g.
``git archive HEAD src | tar -x -C /tmp/before``), in turn with the current
one.  Prints the medians of wall time, CPU time (user + system) and peak
resident memory (``os.wait4``), and the valuation's total and interval.

``--samples N ...`` instead values the file in this process with the models
fitted on all the customers and on samples of N of them
(``ClvConfig.fit_sample``), and prints the fitted parameters, the total and
its interval, each with its gap to the fit on all.
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


def timed(command: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak memory (MiB) of ``command`` as a child process (in ``cwd``)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
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
    parser.add_argument("--samples", type=int, nargs="+", help="fit on samples of these many customers")
    args = parser.parse_args()
    data = HERE / "data" / f"transactions_{args.lines}.parquet"
    if not data.exists():
        generate(data, args.lines)
    if args.samples:
        compare_samples(data, args.samples)
        return
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


def compare_samples(data: Path, sizes: list[int]) -> None:
    """The parameters, total and interval fitted on all the customers and on samples of ``sizes``."""
    from clientfolio.value import ValueConfig, value_source
    from clientfolio.value.clv import ClvConfig

    rows: dict[int, dict[str, float]] = {}
    for size in [0, *sizes]:
        start = time.perf_counter()
        equity = value_source(transactions=data, config=ValueConfig(clv=ClvConfig(fit_sample=size))).equity
        purchases, spend = equity.parameters["purchases"], equity.parameters["spend"]["parameters"]
        rows[size] = {k: purchases[k] for k in ("r", "alpha", "a", "b")} | {
            k: v for k, v in spend.items() if isinstance(v, float)
        }
        rows[size] |= {
            "total": equity.total_cents / 100,
            "low": equity.low_cents / 100,
            "high": equity.high_cents / 100,
        }
        rows[size]["seconds"] = time.perf_counter() - start
        print(f"fit_sample {size or 'all'}: {purchases['model']}, {equity.spend_model}", flush=True)
    names = list(rows[0])
    print("| fitted on | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for size, row in rows.items():
        shown = {n: f"{row[n]:,.0f}" if n in ("total", "low", "high") else f"{row[n]:.4g}" for n in names}
        cells = [
            shown[n] if size == 0 or n == "seconds" else f"{shown[n]} ({row[n] / rows[0][n] - 1:+.2%})" for n in names
        ]
        print(f"| {size or 'all'} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
