from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from pydantic import ValidationError

from clientfolio.analytics.engines import SparkOptions, connect
from clientfolio.analytics.transactions import Source, parse_source, read_transactions
from clientfolio.cli._common import spark_options
from clientfolio.errors import ClientfolioError
from tests.analytics.conftest import Load, as_rows


def test_standard_transactions_on_every_engine(load: Load) -> None:
    table = load(
        [
            {
                "customer_id": "C1",
                "invoice_id": "F1",
                "date": dt.date(2024, 1, 5),
                "amount": 1234.56,
                "product": "P1",
                "segment": "S1",
                "margin": 200.1,
            },
            {"customer_id": "C2", "invoice_id": "AV1", "date": dt.date(2024, 2, 1), "amount": -10.0},
        ]
    )
    assert as_rows(table, ["invoice_id"]) == [
        {
            "customer_id": "C2",
            "invoice_id": "AV1",
            "date": dt.date(2024, 2, 1),
            "amount_cents": -1000,
            "product": None,
            "segment": None,
            "margin_cents": None,
        },
        {
            "customer_id": "C1",
            "invoice_id": "F1",
            "date": dt.date(2024, 1, 5),
            "amount_cents": 123456,
            "product": "P1",
            "segment": "S1",
            "margin_cents": 20010,
        },
    ]


# --- where transactions are read (analytics.transactions.parse_source) -----------------------------------------


def sales(tmp_path: Path) -> Path:
    """Three lines in two hive-style month folders, as Parquet."""
    table = pa.table(
        {
            "customer_id": ["C1", "C2", "C1"],
            "invoice_id": ["F1", "F2", "F3"],
            "date": [dt.date(2024, 1, 5), dt.date(2024, 1, 9), dt.date(2024, 2, 1)],
            "amount": [10.0, 20.5, -2.25],
            "month": ["2024-01", "2024-01", "2024-02"],
        }
    )
    folder = tmp_path / "sales"
    ds.write_dataset(table, folder, format="parquet", partitioning=["month"], partitioning_flavor="hive")
    return folder


def test_a_partitioned_folder_is_read_whole_on_duckdb(tmp_path: Path) -> None:
    folder = sales(tmp_path)
    assert parse_source(folder) == Source(str(folder), "parquet", True, str(folder / "**" / "*.parquet"))
    con = connect("duckdb")
    try:
        rows = as_rows(read_transactions(str(folder), con), ["invoice_id"])
    finally:
        con.disconnect()
    assert [(r["customer_id"], r["date"], r["amount_cents"]) for r in rows] == [
        ("C1", dt.date(2024, 1, 5), 1000),
        ("C2", dt.date(2024, 1, 9), 2050),
        ("C1", dt.date(2024, 2, 1), -225),
    ]


def test_a_folder_or_a_glob_of_csv_files(tmp_path: Path) -> None:
    for month, line in (("01", "C1,F1,2024-01-05,10.00"), ("02", "C2,F2,2024-02-01,3.50")):
        (tmp_path / f"2024-{month}.csv").write_text(f"customer_id,invoice_id,date,amount\n{line}\n", encoding="utf-8")
    con = connect("duckdb")
    try:
        for source in (str(tmp_path), str(tmp_path / "*.csv")):
            table = read_transactions(source, con)
            assert table.amount_cents.sum().execute() == 1350, source
    finally:
        con.disconnect()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hdfs://nn:8020/ventes/", Source("hdfs://nn:8020/ventes/", "parquet", False)),
        ("s3a://bucket/ventes/*.csv", Source("s3a://bucket/ventes/*.csv", "csv", False)),
        (
            "abfss://c@a.dfs.core.windows.net/v.parquet",
            Source("abfss://c@a.dfs.core.windows.net/v.parquet", "parquet", False),
        ),
        ("table:sales.invoices", Source("sales.invoices", "table", False)),
    ],
)
def test_remote_data_and_catalog_tables_are_left_to_spark(text: str, expected: Source) -> None:
    assert parse_source(text) == expected
    con = connect("duckdb")
    try:
        with pytest.raises(ClientfolioError, match="read with --engine spark"):
            read_transactions(text, con)
    finally:
        con.disconnect()


def test_local_sources_are_checked_before_an_engine_starts(tmp_path: Path) -> None:
    with pytest.raises(ClientfolioError, match="no such file"):
        parse_source(tmp_path / "missing.parquet")
    with pytest.raises(ClientfolioError, match="no such file"):
        parse_source(f"file://{tmp_path}/missing/*.parquet")
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "b.parquet").write_bytes(b"")
    with pytest.raises(ClientfolioError, match="of one kind"):
        parse_source(tmp_path)
    (tmp_path / "c.xlsx").write_bytes(b"")
    with pytest.raises(ClientfolioError, match=r"read from \.csv or \.parquet"):
        parse_source(tmp_path / "c.xlsx")


# --- the Spark engine's options (analytics.engines.SparkOptions, cli._common.spark_options) --------------------


def test_spark_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="not both"):
        SparkOptions(master="spark://h:7077", remote="sc://h:15002")
    with pytest.raises(ValidationError, match="sc://"):
        SparkOptions(remote="h:15002")
    with pytest.raises(ValidationError, match="start with spark."):
        SparkOptions(conf={"executor.memory": "4g"})


def test_the_command_line_wins_over_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "clientfolio.toml"
    settings.write_text('[spark]\nmaster = "yarn"\nconf = { "spark.executor.memory" = "4g" }\n', encoding="utf-8")
    monkeypatch.setenv("CLIENTFOLIO_CONFIG", str(settings))
    assert spark_options(None, None) == SparkOptions(master="yarn", conf={"spark.executor.memory": "4g"})
    assert spark_options("spark://h:7077", None).master == "spark://h:7077"
    remote = spark_options(None, "sc://h:15002")
    assert (remote.master, remote.remote, remote.conf) == ("", "sc://h:15002", {"spark.executor.memory": "4g"})
    with pytest.raises(ClientfolioError, match="not both"):
        spark_options("yarn", "sc://h:15002")


# --- what is missing, said in one line (a child process, as a user meets it) ----------------------------------


def analyze_on_spark(tmp_path: Path, prelude: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder = sales(tmp_path)
    code = f"import sys\n{prelude}\nfrom clientfolio.cli import main\nmain()"
    return subprocess.run(
        [sys.executable, "-c", code, "analyze", "--transactions", str(folder), "--engine", "spark"],
        env={k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PYSPARK_GATEWAY_PORT")}
        | {"COLUMNS": "300"}
        | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("lang", "said"), [("en", "needs PySpark"), ("fr", "nécessite PySpark")])
def test_without_pyspark_one_line_says_what_to_install(tmp_path: Path, lang: str, said: str) -> None:
    done = analyze_on_spark(tmp_path, "sys.modules['pyspark'] = None  # not installed", {"CLIENTFOLIO_LANG": lang})
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert said in done.stderr and "pip install 'clientfolio[spark]'" in done.stderr


@pytest.mark.parametrize(("lang", "said"), [("en", "needs Java 17"), ("fr", "nécessite Java 17")])
def test_without_java_one_line_says_what_to_install(tmp_path: Path, lang: str, said: str) -> None:
    pytest.importorskip("pyspark")
    empty = tmp_path / "bin"
    empty.mkdir()
    done = analyze_on_spark(tmp_path, "", {"CLIENTFOLIO_LANG": lang, "PATH": str(empty)})
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert said in done.stderr and "apt install default-jre-headless" in done.stderr


@pytest.mark.spark
def test_a_catalog_table_and_a_partitioned_folder_on_spark(spark_backend: Any, tmp_path: Path) -> None:
    folder = sales(tmp_path)
    session = spark_backend._session
    session.sql("CREATE DATABASE IF NOT EXISTS ventes")
    session.read.parquet(str(folder)).write.mode("overwrite").saveAsTable("ventes.factures")
    for source in ("table:ventes.factures", str(folder), f"file://{folder}"):
        rows = as_rows(read_transactions(source, spark_backend), ["invoice_id"])
        assert [(r["customer_id"], r["date"], r["amount_cents"]) for r in rows] == [
            ("C1", dt.date(2024, 1, 5), 1000),
            ("C2", dt.date(2024, 1, 9), 2050),
            ("C1", dt.date(2024, 2, 1), -225),
        ], source
    with pytest.raises(ClientfolioError, match="no such table: ventes.absente"):
        read_transactions("table:ventes.absente", spark_backend)


def test_a_failure_of_spark_while_querying_is_one_line(tmp_path: Path) -> None:
    """A Spark job that fails (an executor lost, the driver out of memory) is
    said in one line, its cause, not as a Java stack; other errors pass as
    they are."""
    from clientfolio.analytics.run import open_transactions

    path = tmp_path / "lines.csv"
    path.write_text("customer_id,invoice_id,date,amount\nC1,F1,2025-01-02,10\n", encoding="utf-8")
    java = type("Py4JJavaError", (Exception,), {"__module__": "py4j.protocol"})
    stack = (
        "An error occurred while calling o51.collectToPython.\n"
        ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 3 failed 4 times\n"
        "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2898)\n"
    )
    with pytest.raises(ClientfolioError) as failed, open_transactions(transactions=path):
        raise java(stack)
    assert str(failed.value) == (
        "the Spark engine failed (org.apache.spark.SparkException: Job aborted due to stage failure: "
        "Task 3 failed 4 times)"
    )
    assert failed.value.in_language("fr").startswith("le moteur Spark a échoué (org.apache.spark.SparkException")
    with pytest.raises(KeyError), open_transactions(transactions=path):
        raise KeyError("not the engine's")


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_codes_of_a_csv_keep_their_leading_zeros(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Customer and invoice codes written as digits (00042) are codes, not numbers, on every engine."""
    path = tmp_path / "ventes.csv"
    path.write_text(
        "customer_id,invoice_id,date,amount,margin\n00042,000123,2025-01-02,10.5,2.25\n00007,000124,2025-01-03,4,\n",
        encoding="utf-8",
    )
    con = request.getfixturevalue("spark_backend") if engine == "spark" else connect("duckdb")
    rows = as_rows(read_transactions(str(path), con), ["invoice_id"])
    assert [(r["customer_id"], r["invoice_id"], r["date"], r["amount_cents"], r["margin_cents"]) for r in rows] == [
        ("00042", "000123", dt.date(2025, 1, 2), 1050, 225),
        ("00007", "000124", dt.date(2025, 1, 3), 400, None),
    ]


def test_duckdb_prints_no_progress_bar_into_the_output() -> None:
    """DuckDB prints a progress bar on standard output for a query over 2 s
    (its default, in a command): at 10M lines on a busy machine it landed in
    ``clientfolio analyze``'s output (and would make a ``--json`` document invalid)."""
    from clientfolio.analytics.engines import duckdb_connection

    setting = "SELECT current_setting('enable_progress_bar')"
    analysis = connect("duckdb")
    bulk = duckdb_connection()
    try:
        assert analysis.raw_sql(setting).fetchone() == (False,)
        assert bulk.execute(setting).fetchone() == (False,)
    finally:
        analysis.disconnect()
        bulk.close()
