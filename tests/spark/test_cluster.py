"""``clientfolio analyze`` and ``clientfolio value`` on a real Spark cluster
(a standalone master and two workers on localhost, ``conftest.py``), each as a
child process as a user runs it, on a partitioned Parquet dataset: the same
results as DuckDB's in this process, and the work done by the cluster's
executors (the master lists the application)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clientfolio import spark_submit as submit_module
from tests.spark.cluster import Cluster
from tests.spark.conftest import BOOTSTRAP, on_duckdb

pytestmark = pytest.mark.spark

# the [spark] table of the settings file: each executor fits a worker of 1 GB; a few shuffle partitions
# for a few thousand rows on two 1-core executors (Spark's 200 make each shuffle 200 tasks)
SETTINGS = (
    '[spark]\nconf = { "spark.executor.memory" = "512m", "spark.executor.cores" = "1", '
    '"spark.sql.shuffle.partitions" = "4" }\n'
)


def driver_env(cluster: Cluster, tmp_path: Path) -> dict[str, str]:
    settings = tmp_path / "clientfolio.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    return {**cluster.driver_env(), "CLIENTFOLIO_CONFIG": str(settings), "CLIENTFOLIO_LANG": "en"} | BOOTSTRAP


def on_cluster(cluster: Cluster, tmp_path: Path, *args: str) -> Any:
    """The JSON of ``clientfolio ARGS --engine spark --spark-master URL --json`` run as a process."""
    done = subprocess.run(
        [sys.executable, "-m", "clientfolio.spark_submit", *args, "--engine", "spark"]
        + ["--spark-master", cluster.url, "--json"],
        env=driver_env(cluster, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def ran_on(cluster: Cluster, before: int) -> list[dict[str, Any]]:
    """The applications the master ran since it had ``before`` of them."""
    return cluster.applications()[before:]


def numbers(value: Any, path: str = "") -> dict[str, float]:
    """The numbers of a JSON value by their dotted path (the fitted parameters)."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in numbers(item, f"{path}.{key}").items()}
    return {path: float(value)} if isinstance(value, int | float) and not isinstance(value, bool) else {}


def test_value_on_the_cluster_is_duckdbs(cluster: Cluster, cdnow_dataset: Path, tmp_path: Path) -> None:
    before = len(cluster.applications())
    spark = on_cluster(cluster, tmp_path, "value", "--transactions", str(cdnow_dataset))
    duckdb = on_duckdb("value", "--transactions", str(cdnow_dataset))
    fitted, expected = numbers(spark["equity"]["parameters"]), numbers(duckdb["equity"]["parameters"])
    assert fitted.keys() == expected.keys() and ".purchases.r" in fitted and ".spend.parameters.q" in fitted
    for name, value in expected.items():
        assert fitted[name] == pytest.approx(value, rel=1e-6), name
    assert spark["equity"]["customers_valued"] == duckdb["equity"]["customers_valued"] == 2357
    assert spark["equity"]["total_cents"] == pytest.approx(duckdb["equity"]["total_cents"], rel=1e-6)
    assert [a["name"] for a in ran_on(cluster, before)] == ["clientfolio"]


def test_analyze_submitted_to_the_cluster_is_duckdbs(cluster: Cluster, cdnow_dataset: Path, tmp_path: Path) -> None:
    """Launched by ``spark-submit --master URL``, the command runs on the cluster
    without naming it, with spark-submit's settings and the settings file's
    ``[spark]`` conf, and finds DuckDB's results."""
    import pyspark

    before = len(cluster.applications())
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = {**driver_env(cluster, tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        ["bash", str(submit), "--master", cluster.url, "--conf", "spark.executor.cores=1", "--name", "submitted"]
        + [str(submit_module.__file__), "analyze", "--transactions", str(cdnow_dataset), "--engine", "spark"]
        + ["--as-of", "1998-06-30", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    spark = json.loads(done.stdout)
    duckdb = on_duckdb("analyze", "--transactions", str(cdnow_dataset))  # as of the last sale: 1998-06-30
    assert spark == duckdb
    assert spark["measures"]["current"]["active_customers"] == 812  # customers who bought from 1997-07 to 1998-06
    assert len(spark["abc"]) == 812 and len(spark["rfm"]) == 2357  # the last 12 months' customers; all of them
    apps = ran_on(cluster, before)
    assert [a["name"] for a in apps] == ["clientfolio"]
    assert apps[0]["memoryperexecutor"] == 512  # the settings file's spark.* keys reached the session
