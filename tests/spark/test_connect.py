"""``clientfolio analyze --engine spark --spark-remote sc://...``: Ibis's PySpark
back-end on a Spark Connect session gives DuckDB's results.  The Connect client
(``pip install 'pyspark[connect]'``: grpcio ...) is not in the ``spark`` extra,
so this test is skipped without it, CI included."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.spark.cluster import ConnectServer, start_connect_server
from tests.spark.conftest import BOOTSTRAP, needs_spark, on_duckdb

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectServer]:
    needs_spark()
    pytest.importorskip("grpc", reason="the Spark Connect client is not installed (pip install 'pyspark[connect]')")
    # a few shuffle partitions for a few thousand rows on two cores, as the product's local sessions
    # (Spark's 200 make each shuffle 200 tasks)
    # its JVM's options come from the tests' spark-defaults.conf (SPARK_CONF_DIR, tests/conftest.py)
    server = start_connect_server(tmp_path_factory.mktemp("spark-connect"), conf={"spark.sql.shuffle.partitions": "4"})
    try:
        yield server
    finally:
        server.stop()


def test_analyze_on_spark_connect_is_duckdbs(connect_server: ConnectServer, cdnow_dataset: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-m", "clientfolio.spark_submit", "analyze"]
        + ["--transactions", str(cdnow_dataset), "--engine", "spark", "--spark-remote", connect_server.url, "--json"],
        env={**connect_server.env, "CLIENTFOLIO_LANG": "en"} | BOOTSTRAP,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == on_duckdb("analyze", "--transactions", str(cdnow_dataset))
