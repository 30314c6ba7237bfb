"""``clientfolio analyze`` and ``clientfolio value`` on a real Spark cluster
(a standalone master and a worker of two cores on localhost, ``conftest.py``),
each as a child process as a user runs it, on a partitioned Parquet dataset: the
same results as DuckDB's in this process (computed while the child runs), and the
work done by the cluster's executor (the master lists the application)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from clientfolio import spark_submit as submit_module
from tests.spark.cluster import Cluster
from tests.spark.conftest import BOOTSTRAP, on_duckdb, started

pytestmark = pytest.mark.spark

# the [spark] table of the settings file: one executor of the worker's two cores, in its 1 GB; a few
# shuffle partitions for a few thousand rows on two cores (Spark's 200 make each shuffle 200 tasks); no
# web UI for the driver (its Jetty started for nobody)
SETTINGS = (
    '[spark]\nconf = { "spark.executor.memory" = "512m", "spark.executor.cores" = "2", '
    '"spark.sql.shuffle.partitions" = "4", "spark.ui.enabled" = "false" }\n'
)


def driver_env(cluster: Cluster, tmp_path: Path) -> dict[str, str]:
    settings = tmp_path / "clientfolio.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    return {**cluster.driver_env(), "CLIENTFOLIO_CONFIG": str(settings), "CLIENTFOLIO_LANG": "en"} | BOOTSTRAP


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
    command = [sys.executable, "-m", "clientfolio.spark_submit", "value", "--transactions", str(cdnow_dataset)]
    command += ["--engine", "spark", "--spark-master", cluster.url, "--json"]
    with started(command, driver_env(cluster, tmp_path), tmp_path) as on_cluster:
        duckdb = on_duckdb("value", "--transactions", str(cdnow_dataset))
        spark = on_cluster()
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
    command = ["bash", str(submit), "--master", cluster.url, "--conf", "spark.executor.cores=2", "--name", "submitted"]
    command += [str(submit_module.__file__), "analyze", "--transactions", str(cdnow_dataset), "--engine", "spark"]
    command += ["--as-of", "1998-06-30", "--json"]
    with started(command, env, tmp_path) as on_cluster:
        duckdb = on_duckdb("analyze", "--transactions", str(cdnow_dataset))  # as of the last sale: 1998-06-30
        spark = on_cluster()
    assert spark == duckdb
    assert spark["measures"]["current"]["active_customers"] == 812  # customers who bought from 1997-07 to 1998-06
    assert len(spark["abc"]) == 812 and len(spark["rfm"]) == 2357  # the last 12 months' customers; all of them
    apps = ran_on(cluster, before)
    assert [a["name"] for a in apps] == ["clientfolio"]
    assert apps[0]["memoryperexecutor"] == 512  # the settings file's spark.* keys reached the session
