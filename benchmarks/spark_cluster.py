"""``clientfolio analyze`` on a local Spark standalone cluster against DuckDB in one process.

    python benchmarks/spark_cluster.py [--lines 200000] [--repeat 1] [--workers 2] [--memory 2g]

Starts the cluster of the tests (``tests/spark/cluster.py``, imported by path:
a master and ``--workers`` workers of one core and ``--memory`` each, from the
``pyspark`` package's own scripts), then times as whole processes, with
``/usr/bin/time -f "%e %U %S %M"``, in turn and ``--repeat`` times each:

duckdb   ``clientfolio analyze --transactions F --out DIR``
spark    ``clientfolio analyze --transactions F --engine spark --spark-master spark://... --out DIR``
         (the executors' memory from a settings file's ``[spark]`` table)

on ``benchmarks/data/transactions_<lines>.parquet`` (written first by
``gen_transactions.py`` when missing), and checks both ``measures.json`` are
the same.  Wall seconds, and the driver's user and system CPU seconds and peak
memory: the executors' work is in the workers' JVMs, not in those columns.
The cluster is stopped at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from gen_transactions import generate  # beside this script, so on sys.path when it runs

HERE = Path(__file__).parent
CLIENTFOLIO = Path(sys.executable).with_name("clientfolio")
CLUSTER = HERE.parent / "tests" / "spark" / "cluster.py"


def cluster_module() -> ModuleType:
    """``tests/spark/cluster.py``, loaded by its path (the tests are not a package of the install)."""
    spec = importlib.util.spec_from_file_location("spark_cluster_helper", CLUSTER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``command`` under ``/usr/bin/time``: wall, user and system seconds, peak RSS (MB)."""
    with tempfile.NamedTemporaryFile("r") as report:
        done = subprocess.run(
            ["/usr/bin/time", "-o", report.name, "-f", "%e %U %S %M", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[:3000]}")
        wall, user, system, peak = report.read().split()[-4:]
    return {"wall": float(wall), "user": float(user), "sys": float(system), "peak_mb": int(peak) / 1024}


def close(a: object, b: object, tol: float) -> bool:
    """The same results, floats to ``tol`` relative (a sum of squares, the HHI, is added up in
    another order; the models' parameters are fitted by an optimiser from sums in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="2g", help="memory of each worker (its executor takes all but 512m)")
    parser.add_argument(
        "--driver-memory",
        default="2g",
        help="the driver's JVM (the command's process): the per-customer results come back to it",
    )
    parser.add_argument("--engines", default="duckdb,spark", help="which runs, in this order")
    parser.add_argument("--command", default="analyze", choices=["analyze", "value"], help="the command timed")
    parser.add_argument("--customers", type=int, help="customers of a generated file (default: lines / 20)")
    args = parser.parse_args()
    name = f"transactions_{args.lines}" + (f"_{args.customers}c" if args.customers else "")
    data = HERE / "data" / f"{name}.parquet"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        print(f"writing {data} ({generate(data, args.lines, customers=args.customers):.1f} s)", flush=True)
    helper = cluster_module()
    work = Path(tempfile.mkdtemp(prefix="clientfolio-spark-bench-"))
    worker_mb = int(args.memory.rstrip("gGmM")) * (1024 if args.memory[-1] in "gG" else 1)
    settings = work / "clientfolio.toml"
    settings.write_text(
        f'[spark]\nconf = {{ "spark.executor.memory" = "{max(worker_mb - 512, 512)}m", '
        f'"spark.driver.memory" = "{args.driver_memory}", '
        f'"spark.sql.shuffle.partitions" = "{2 * args.workers}" }}\n',
        encoding="utf-8",
    )
    cluster = helper.start_cluster(work / "cluster", workers=args.workers, memory=args.memory)
    try:
        env = {**cluster.driver_env(), "CLIENTFOLIO_CONFIG": str(settings)}
        runs: dict[str, list[dict[str, float]]] = {"duckdb": [], "spark": []}
        spark = ["--engine", "spark", "--spark-master", cluster.url]
        for i in range(args.repeat):
            for name, extra in [(e, spark if e == "spark" else []) for e in args.engines.split(",")]:
                out = work / f"{name}-{i}"
                runs[name].append(
                    timed([str(CLIENTFOLIO), args.command, "--transactions", str(data), *extra, "--out", str(out)], env)
                )
                print(name, runs[name][-1], flush=True)
        result = "measures.json" if args.command == "analyze" else "equity.json"
        tol = 1e-9 if args.command == "analyze" else 1e-6
        both = [work / f"{engine}-0" / result for engine in ("duckdb", "spark")]
        same = all(p.exists() for p in both) and close(
            json.loads(both[0].read_text()), json.loads(both[1].read_text()), tol
        )
    finally:
        cluster.stop()
    print(f"\n{args.lines:,} lines, {args.workers} workers of 1 core and {args.memory}; medians of {args.repeat}:")
    print(f"{'engine':8} {'wall s':>8} {'user s':>8} {'sys s':>8} {'peak MB':>8}")
    for name, measured in runs.items():
        if not measured:
            continue
        m = {k: statistics.median(r[k] for r in measured) for k in measured[0]}
        print(f"{name:8} {m['wall']:8.1f} {m['user']:8.1f} {m['sys']:8.1f} {m['peak_mb']:8.0f}")
    if not all(runs.values()):
        return
    print(f"{result}: " + (f"the same on both (floats to {tol:g})" if same else "DIFFERENT"))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
