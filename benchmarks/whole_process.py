"""Whole-process speed of ``clientfolio analyze`` against a hand-written DuckDB script.

    python benchmarks/whole_process.py [--lines 10000000] [--repeat 3] [--baseline SRC]

Uses ``benchmarks/data/transactions_<lines>.parquet`` (written first by
``gen_transactions.py`` when missing) and runs, in turn and ``--repeat`` times
each, as fresh processes, imports and output included:

analyze         ``clientfolio analyze --transactions F`` (tables to a file)
analyze --out   ``clientfolio analyze --transactions F --out DIR``
analyze --json  ``clientfolio analyze --transactions F --json`` (the JSON to a file;
                its ratio to ``analyze`` is the cost of ``--json``)
script          ``analyses.sql`` run by the duckdb Python module, the same
                analyses, small results printed
script --out    the same, writing its tables to DIR (COPY, CSV and JSON)

``--baseline SRC`` also times the three commands with the package at ``SRC``
first on ``PYTHONPATH`` (a copy of an earlier ``src/``, e.g. ``git archive
HEAD src | tar -x -C /tmp/before``): before and after side by side, on a
shared machine.  The table gives the medians of wall time, CPU time (user +
system) and peak resident memory (``os.wait4``), and each wall median over the
script's, and each CPU median over the script's (``--out`` over ``script
--out``: on a busy machine the CPU ratio is the steadier one); then whether clientfolio's
``measures.json`` and the script's agree on active, new and lost customers
and revenue.
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
SQL = HERE / "analyses.sql"
CLIENTFOLIO = Path(sys.executable).with_name("clientfolio")
AGREE = {  # clientfolio's measures.json -> the script's measures table
    ("current", "active_customers"): "active_customers",
    ("current", "revenue_cents"): "revenue_cents",
    ("current", "new_customers"): "new_customers",
    ("current", "lost_customers"): "lost_customers",
    ("previous", "active_customers"): "previous_active_customers",
    ("previous", "new_customers"): "previous_new_customers",
    ("previous", "lost_customers"): "previous_lost_customers",
}


def run_script(path: Path, out: Path | None) -> None:
    """The child: ``analyses.sql`` on ``path``; its tables to ``out``, or the small ones printed."""
    import duckdb

    text = SQL.read_text().replace("{file}", str(path)).replace("{out}", str(out))
    body, copies = text.split("-- --out only")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(body)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        con.execute(copies)
        return
    for query in (
        "SELECT * FROM measures",
        "SELECT class, count(*) AS customers, sum(value_cents) AS value_cents FROM abc GROUP BY ALL ORDER BY 1",
        "SELECT profile, count(*) AS customers FROM rfm GROUP BY ALL ORDER BY 1",
        "SELECT * FROM segment_product",
    ):
        print(con.sql(query))


def timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``command`` (stdout to a temporary file); its wall and CPU seconds and peak RSS."""
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def agreement(clientfolio_out: Path, script_out: Path) -> list[str]:
    """Where clientfolio's ``measures.json`` and the script's differ (empty: they agree)."""
    ours = json.loads((clientfolio_out / "measures.json").read_text())
    theirs = json.loads((script_out / "measures.json").read_text().splitlines()[0])
    return [
        f"{part}.{name}: {ours[part][name]} vs {theirs[column]}"
        for (part, name), column in AGREE.items()
        if int(ours[part][name]) != int(theirs[column])
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3); medians shown")
    parser.add_argument("--baseline", type=Path, metavar="SRC", help="also time the commands with the package at SRC")
    parser.add_argument("--script-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.script_child:
        run_script(args.script_child, args.out)
        return

    path = HERE / "data" / f"transactions_{args.lines}.parquet"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        generate(path, args.lines)
    work = Path(tempfile.mkdtemp(prefix="clientfolio-whole-"))
    versions: dict[str, dict[str, str] | None] = {"": None}
    if args.baseline:
        versions[" (baseline)"] = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    for suffix, env in versions.items():
        analyze = [str(CLIENTFOLIO), "analyze", "--transactions", str(path)]
        commands["analyze" + suffix] = (analyze, env)
        commands["analyze --out" + suffix] = ([*analyze, "--out", str(work / f"cf{suffix.strip()}")], env)
        commands["analyze --json" + suffix] = ([*analyze, "--json"], env)
    script = [sys.executable, __file__, "--script-child", str(path)]
    commands["script"] = (script, None)
    commands["script --out"] = ([*script, "--out", str(work / "script")], None)

    runs: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for k in range(args.repeat):
        for name, (command, env) in commands.items():
            print(f"  run {k + 1}/{args.repeat}: {name} ...", file=sys.stderr, flush=True)
            runs[name].append(timed(command, env))

    medians = {name: {key: statistics.median(r[key] for r in rs) for key in rs[0]} for name, rs in runs.items()}
    print(f"\n{args.lines:,} lines, {path.name}; medians of {args.repeat} runs, {os.cpu_count()} CPUs")
    print(f"{'command':<26} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9} {'wall / script':>14} {'CPU / script':>13}")
    for name, m in medians.items():
        reference = medians["script --out" if "--out" in name else "script"]
        print(
            f"{name:<26} {m['wall']:>7.2f} {m['cpu']:>7.2f} {m['peak_mb']:>9.0f} "
            f"{m['wall'] / reference['wall']:>13.2f}x {m['cpu'] / reference['cpu']:>12.2f}x"
        )
    for suffix in versions:
        as_json, plain = medians["analyze --json" + suffix], medians["analyze" + suffix]
        print(
            f"analyze --json / analyze{suffix}: {as_json['wall'] / plain['wall']:.2f}x wall, "
            f"{as_json['cpu'] / plain['cpu']:.2f}x CPU, peak {as_json['peak_mb']:.0f} MiB"
        )
    for suffix in versions:
        differences = agreement(work / f"cf{suffix.strip()}", work / "script")
        verdict = "agree" if not differences else "DIFFER: " + "; ".join(differences)
        print(f"clientfolio{suffix} and the script on active, revenue, new and lost: {verdict}")


if __name__ == "__main__":
    main()
