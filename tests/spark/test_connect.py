"""``clientfolio analyze --engine spark --spark-remote sc://...``: Ibis's PySpark
back-end on a Spark Connect session gives DuckDB's results.  The Connect client
(``pip install 'pyspark[connect]'``: grpcio ...) is not in the ``spark`` extra,
so this test is skipped without it, CI included."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.spark.cluster import ConnectServer, start_connect_server
from tests.spark.conftest import BOOTSTRAP, needs_spark, on_duckdb, started

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectServer]:
    needs_spark()
    pytest.importorskip("grpc", reason="the Spark Connect client is not installed (pip install 'pyspark[connect]')")
    # a few shuffle partitions for a few thousand rows on two cores, and no web UI, as the product's local
    # sessions (Spark's 200 make each shuffle 200 tasks)
    # its JVM's options come from the tests' spark-defaults.conf (SPARK_CONF_DIR, tests/conftest.py)
    conf = {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"}
    server = start_connect_server(tmp_path_factory.mktemp("spark-connect"), conf=conf)
    try:
        yield server
    finally:
        server.stop()


def test_analyze_on_spark_connect_is_duckdbs(
    connect_server: ConnectServer, cdnow_dataset: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-W", "error::UserWarning", "-m", "clientfolio.spark_submit", "analyze"]
    command += ["--transactions", str(cdnow_dataset), "--engine", "spark"]
    command += ["--spark-remote", connect_server.url, "--json"]
    env = {**connect_server.env, "CLIENTFOLIO_LANG": "en"} | BOOTSTRAP
    with started(command, env, tmp_path) as on_connect:
        duckdb = on_duckdb("analyze", "--transactions", str(cdnow_dataset))
        assert on_connect() == duckdb
