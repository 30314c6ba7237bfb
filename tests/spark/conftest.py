"""A Spark standalone cluster for the session (``cluster.py``: a master and a
worker of two cores on localhost) and the CDNOW sample as a partitioned Parquet
dataset; ``started`` runs a command as a process while the test works.

Skipped when PySpark or Java is missing, except when ``CI`` is set (then it
fails).  The cluster is stopped, and what is left of it killed, at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from clientfolio import cli
from tests.spark.cluster import QUICK_JVM, Cluster, start_cluster

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow_sample.txt"
BOOTSTRAP = {"CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES": "20"}  # the interval's refits, fewer: not what is compared


def on_duckdb(*args: str) -> Any:
    """The JSON of ``clientfolio ARGS --json`` run in this process (DuckDB, the default engine)."""
    result = CliRunner().invoke(cli.app, [*args, "--json"], env={"CLIENTFOLIO_LANG": "en"} | BOOTSTRAP)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@contextmanager
def started(command: list[str], env: dict[str, str], folder: Path) -> Iterator[Callable[[], Any]]:
    """``command`` started as a process, to run while the test computes DuckDB's
    answer (its output in files under ``folder``: no pipe to fill meanwhile); the
    function given waits for it (300 s at most), checks that it succeeded and
    returns the JSON it printed.  The process is killed if the test leaves before."""
    out, err = folder / "stdout.json", folder / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)

    def result() -> Any:
        process.wait(timeout=300)
        assert process.returncode == 0, err.read_text(errors="replace")[-3000:]
        return json.loads(out.read_text(encoding="utf-8"))

    try:
        yield result
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def needs_spark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PySpark is not installed while CI is set")
        pytest.skip("PySpark not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("Java is not installed while CI is set (Spark needs it)")
        pytest.skip("Java not installed")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    needs_spark()
    # one worker of two cores: its one executor per application (spark.executor.cores = 2, test_cluster.py)
    # loads Spark's classes and warms up once, not twice as two workers of one core and their two executors
    running = start_cluster(
        tmp_path_factory.mktemp("spark-cluster"), workers=1, cores=2, memory="1g", java_options=QUICK_JVM
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def cdnow_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample as transactions (one line per purchase, amounts in
    dollars as euros), written as Parquet files under hive-style ``month=YYYY-MM/`` folders."""
    customers, invoices, dates, amounts, months = [], [], [], [], []
    for i, line in enumerate(CDNOW.read_text().splitlines()):
        if not line.strip():
            continue
        customer, _, day, _, amount = line.split()
        date = dt.datetime.strptime(day, "%Y%m%d").date()
        customers.append(customer)
        invoices.append(f"F{i:05d}")
        dates.append(date)
        amounts.append(float(amount))
        months.append(date.strftime("%Y-%m"))
    table = pa.table(
        {"customer_id": customers, "invoice_id": invoices, "date": dates, "amount": amounts, "month": months}
    )
    folder = tmp_path_factory.mktemp("cdnow") / "sales"
    ds.write_dataset(table, folder, format="parquet", partitioning=["month"], partitioning_flavor="hive")
    return folder
