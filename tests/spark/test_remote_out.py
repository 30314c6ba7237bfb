"""``analyze --out URI`` and ``value --out URI`` with ``--engine spark``: the
files are copied to the cluster's storage through the session's Hadoop file
systems, the same names and bytes as a local ``--out`` (``file://`` in local
mode here; ``hdfs://``, ``s3a://`` ... take the same path), and a URI the run
cannot write stops it before the analysis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.analytics.engines import SparkOptions
from clientfolio.analytics.remote_out import write_out
from clientfolio.errors import ClientfolioError
from tests.analytics.conftest import spark_backend  # noqa: F401
from tests.spark.conftest import BOOTSTRAP
from tests.value.cdnow import DATA as CDNOW
from tests.value.cdnow import write_transactions

ANALYSIS = ["abc.csv", "measures.json", "rfm.csv", "segment_product.csv"]
VALUATION = ["equity.json", "prospects.csv", "value.csv"]


@pytest.fixture(scope="module")
def cdnow_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample as one transactions file (6,919 purchases of 2,357 customers)."""
    return write_transactions(tmp_path_factory.mktemp("cdnow") / "cdnow.parquet")


def run(*args: str, lang: str = "en") -> Any:
    return CliRunner().invoke(cli.app, list(args), env={"CLIENTFOLIO_LANG": lang} | BOOTSTRAP)


def same_files(local: Path, remote: Path, names: list[str]) -> None:
    """``remote`` holds exactly ``names`` (no ``.crc``, no ``_SUCCESS``), byte for byte those of ``local``."""
    assert sorted(p.name for p in remote.iterdir()) == names
    for name in names:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name


@pytest.mark.spark
def test_analyze_out_uri_writes_a_local_runs_files(
    spark_backend: Any,  # noqa: F811
    cdnow_parquet: Path,
    tmp_path: Path,
) -> None:
    local = run("analyze", "--transactions", str(cdnow_parquet), "--out", str(tmp_path / "local"))
    assert local.exit_code == 0, local.output
    uri = (tmp_path / "remote" / "2026-12").as_uri()  # a folder to create, two levels down
    remote = run("analyze", "--transactions", str(cdnow_parquet), "--engine", "spark", "--out", uri)
    assert remote.exit_code == 0, remote.output
    assert f"{uri}/measures.json" in remote.stdout.replace("\n", "")
    same_files(tmp_path / "local", tmp_path / "remote" / "2026-12", ANALYSIS)  # DuckDB's, byte for byte
    # the last year's revenue, summed from the sample by hand: 97,963.70
    measures = json.loads((tmp_path / "remote" / "2026-12" / "measures.json").read_text())
    rows = [line.split() for line in CDNOW.read_text().splitlines() if line.strip()]
    last_year = sum(round(float(r[4]) * 100) for r in rows if "19970701" <= r[2] <= "19980630")
    assert measures["current"]["revenue_cents"] == last_year == 9796370


@pytest.mark.spark
def test_value_out_uri_writes_a_local_runs_files(
    spark_backend: Any,  # noqa: F811
    cdnow_parquet: Path,
    tmp_path: Path,
) -> None:
    common = ["value", "--transactions", str(cdnow_parquet), "--engine", "spark", "--headers", "labels"]
    local = run(*common, "--out", str(tmp_path / "local"), lang="fr")
    assert local.exit_code == 0, local.output
    (tmp_path / "remote").mkdir()
    (tmp_path / "remote" / "value.csv").write_text("an older file\n")  # replaced, as a local --out does
    remote = run(*common, "--out", (tmp_path / "remote").as_uri() + "/", lang="fr")
    assert remote.exit_code == 0, remote.output
    same_files(tmp_path / "local", tmp_path / "remote", VALUATION)
    value_csv = (tmp_path / "remote" / "value.csv").read_bytes()
    assert value_csv.startswith("\ufeffCode client;".encode()) and value_csv.count(b"\r\n") == 2357 + 1


@pytest.mark.spark
def test_a_failed_copy_is_one_line(spark_backend: Any, tmp_path: Path) -> None:  # noqa: F811
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")

    def write(folder: Path) -> list[Path]:
        (folder / "x.csv").write_text("a\n")
        return [folder / "x.csv"]

    with pytest.raises(ClientfolioError) as caught:
        write_out(blocker.as_uri() + "/out", write, SparkOptions())
    said = caught.value.in_language("en")
    assert said.startswith(f"--out {blocker.as_uri()}/out: cannot write the files (") and "\n" not in said


@pytest.mark.parametrize(
    ("options", "lang", "expected"),
    [
        ([], "en", "--out hdfs://nn:8020/analyses: a URI is written through Spark; add --engine spark"),
        ([], "fr", "--out hdfs://nn:8020/analyses : une URI s'écrit par Spark ; ajoutez --engine spark"),
        (["--engine", "duckdb"], "en", "a URI is written through Spark; add --engine spark"),
        (
            ["--engine", "spark", "--spark-remote", "sc://localhost:15002"],
            "en",
            "--out hdfs://nn:8020/analyses: Spark Connect cannot write files to the cluster's storage; "
            "give a local folder",
        ),
    ],
)
@pytest.mark.parametrize("command", ["analyze", "value"])
def test_a_uri_the_run_cannot_write_stops_it_first(command: str, options: list[str], lang: str, expected: str) -> None:
    # the transactions do not exist: the --out error comes before anything is read
    args = [command, "--transactions", "/nowhere/sales.parquet", *options, "--out", "hdfs://nn:8020/analyses"]
    result = run(*args, lang=lang)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert expected in said, said
    assert len(result.output.strip().splitlines()) <= 2  # one message (wrapped at most once by the console)
