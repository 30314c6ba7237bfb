"""The reading limits of imported and traced files (``clientfolio.filelimits``):
each limit triggers where it must, and an ordinary file passes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clientfolio.errors import ClientfolioError
from clientfolio.filelimits import FileLimitExceeded, ReadLimits, active_limits, check_zip, reading_limits
from clientfolio.ingest import ImportRejected, import_file
from clientfolio.ingest.sources import open_table
from clientfolio.protect.trace import read_table
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web.uploads import UploadsBusy, UploadWorkers
from tests.test_import_csv import counts
from tests.xlsx_bombs import CALC_ON_LOAD, Formula, bomb_rows, far_row, plain_rows, random_rows, write_xlsx

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def csv_field_limit() -> Iterator[None]:
    """The csv module's field limit is process-wide: put it back after each test."""
    yield
    csv.field_size_limit(131_072)


def read_all(path: Path, limits: ReadLimits | None = None) -> list[list[object]]:
    """Every row of ``path`` through ``open_table`` within ``limits`` (default: the defaults)."""
    with reading_limits(limits or ReadLimits()):
        table = open_table(path)
        try:
            return [table.header, *(row for _, row in table.rows)]
        finally:
            table.close()


def refused(path: Path, limits: ReadLimits, limit: str) -> FileLimitExceeded:
    with pytest.raises(FileLimitExceeded) as info:
        read_all(path, limits)
    assert info.value.limit == limit and info.value.file == path.name
    assert path.name in str(info.value) and "nothing was imported" in str(info.value)
    return info.value


def customers_csv(tmp_path: Path, rows: int, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    path.write_text("code client;raison sociale\n" + "".join(f"C{i:05};Société {i}\n" for i in range(rows)))
    return path


def test_ordinary_files_pass_the_default_limits(tmp_path: Path) -> None:
    xlsx = write_xlsx(
        tmp_path / "clients.xlsx", plain_rows([["code client", "raison sociale"], ["C1", "Dupont"], ["C2", 42]])
    )
    assert read_all(xlsx) == [["code client", "raison sociale"], ["C1", "Dupont"], ["C2", 42]]
    assert read_table(xlsx)[1:] == [["C1", "Dupont"], ["C2", "42"]]
    assert len(read_all(customers_csv(tmp_path, 5000))) == 5001
    assert active_limits() == ReadLimits()  # nothing left active
    assert ReadLimits.from_settings(Settings()) == ReadLimits()  # the defaults are the settings' defaults


def test_declared_size(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "gros.xlsx", random_rows(3))  # 3 MB of XML, compressing ~2.5 times
    error = refused(path, ReadLimits(expanded_bytes=2 * MB), "expanded")
    assert error.value > 3 * MB and error.maximum == 2 * MB
    assert "expand to 3.0 MB, beyond the limit of 2 MB" in str(error)
    assert "au-delà de la limite de 2 Mo" in error.message("fr")
    assert len(read_all(path, ReadLimits(expanded_bytes=4 * MB))) > 7000


def test_compression_ratio(tmp_path: Path) -> None:
    bomb = write_xlsx(tmp_path / "bombe.xlsx", bomb_rows(30))  # 30 MB of XML in a file of about 200 KB
    assert bomb.stat().st_size < MB
    error = refused(bomb, ReadLimits(), "ratio")
    assert error.value > 100 and "xl/worksheets/sheet1.xml" in str(error)
    assert "compressée" in error.message("fr")
    check_zip(bomb, bomb.name, ReadLimits(zip_ratio=1000))  # a higher limit lets it through
    small = write_xlsx(tmp_path / "petit.xlsx", bomb_rows(0.5))  # as compressed, but small: not held to it
    assert len(read_all(small)) > 500


def test_only_the_compression_methods_of_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bz.xlsx", plain_rows([["code client"], ["C1"]]), method=zipfile.ZIP_BZIP2)
    refused(path, ReadLimits(), "method")
    stored = write_xlsx(tmp_path / "stored.xlsx", plain_rows([["code client"], ["C1"]]), method=zipfile.ZIP_STORED)
    assert read_all(stored) == [["code client"], ["C1"]]


def test_bytes_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes inflated are counted as they are read, even if the directory was not checked."""
    monkeypatch.setattr("clientfolio.filelimits.check_zip", lambda *args: None)
    path = write_xlsx(tmp_path / "gros.xlsx", random_rows(3))
    refused(path, ReadLimits(expanded_bytes=2 * MB), "bytes")
    assert len(read_all(path, ReadLimits(expanded_bytes=8 * MB))) > 7000


def test_rows(tmp_path: Path) -> None:
    path = customers_csv(tmp_path, 100)  # the header and 100 rows
    error = refused(path, ReadLimits(rows=100), "rows")
    assert error.value == 101 and "more than 100 rows" in str(error)
    assert "plus de 100 lignes" in error.message("fr")
    assert len(read_all(path, ReadLimits(rows=101))) == 101
    # a sheet declaring a million rows: the reader pads them, and the padding counts
    padded = write_xlsx(tmp_path / "vide.xlsx", [*plain_rows([["code client"], ["C1"]]), far_row(100_000, ["C2"])])
    refused(padded, ReadLimits(rows=1000), "rows")
    assert len(read_table(padded)) == 100_000  # the default (1,048,576) lets it through


def test_cells(tmp_path: Path) -> None:
    wide = write_xlsx(tmp_path / "large.xlsx", plain_rows([["code client"], ["C1"], ["C2"]]), dimension="A1:XFD3")
    error = refused(wide, ReadLimits(cells=40_000), "cells")
    assert error.value == 3 * 16_384 and "cellules" in error.message("fr")
    assert len(read_all(wide, ReadLimits(cells=50_000))) == 3
    # the sheet of the /trace attack: a few bytes declaring 16,384 columns by a million rows
    huge = write_xlsx(
        tmp_path / "trace.xlsx", [*plain_rows([["a"]]), far_row(1_048_576, ["b"])], dimension="A1:XFD1048576"
    )
    started = time.monotonic()
    with pytest.raises(FileLimitExceeded, match="cells"):
        read_table(huge)
    assert time.monotonic() - started < 5


def test_csv_field_length(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("code client;raison sociale\nC1;" + "x" * 5000 + "\n")
    with pytest.raises(ImportRejected, match="a field is longer than 4,096 characters"):
        read_all(path, ReadLimits(field_chars=4096))
    with reading_limits(ReadLimits(field_chars=4096)), pytest.raises(ClientfolioError, match="field limit .4096"):
        read_table(path)
    assert len(read_all(path, ReadLimits(field_chars=8192))) == 2


def test_time_limit(tmp_path: Path) -> None:
    path = customers_csv(tmp_path, 2000)
    xlsx = write_xlsx(tmp_path / "clients.xlsx", random_rows(1))
    for file in (path, xlsx):
        with reading_limits(ReadLimits(seconds=0.05)), pytest.raises(FileLimitExceeded) as info:
            time.sleep(0.1)  # the deadline is set when the limits are made active
            table = open_table(file)
            list(table.rows)
        assert info.value.limit == "seconds" and "reading it took longer than the limit of" in str(info.value)
        assert "secondes" in info.value.message("fr")
        assert len(read_all(file, ReadLimits(seconds=60))) > 1000


def test_nothing_is_imported_beyond_a_limit(store: Store, tmp_path: Path) -> None:
    path = customers_csv(tmp_path, 300)
    before = counts(store)
    with reading_limits(ReadLimits(rows=200)), pytest.raises(FileLimitExceeded, match="more than 200 rows"):
        import_file(store, path, kind="customers", settings=Settings(import_chunk_rows=100))
    assert counts(store) == before
    assert import_file(store, path, kind="customers").created["customers"] == 300


def test_the_trace_reader_is_held_to_the_limits(tmp_path: Path) -> None:
    bomb = write_xlsx(tmp_path / "fuite.xlsx", bomb_rows(30))
    with pytest.raises(FileLimitExceeded, match="compression bomb"):
        read_table(bomb)
    with reading_limits(ReadLimits(rows=10)), pytest.raises(FileLimitExceeded, match="more than 10 rows"):
        read_table(customers_csv(tmp_path, 20))


def test_upload_workers_queue_time_limit_and_release() -> None:
    settings = Settings(upload_workers=1, upload_queue=1, upload_seconds=7)
    workers = UploadWorkers(settings)
    release = threading.Event()
    seen: list[ReadLimits] = []

    def job(n: int) -> int:
        seen.append(active_limits())
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return n

    async def scenario() -> None:
        first = asyncio.ensure_future(workers.run(job, 1))
        second = asyncio.ensure_future(workers.run(job, 2))  # waits for the one worker
        await asyncio.sleep(0.05)
        assert workers.pending == 2
        with pytest.raises(UploadsBusy):
            await workers.run(job, 3)  # the queue is full
        release.set()
        assert await asyncio.gather(first, second) == [1, 2]
        assert workers.pending == 0
        assert await workers.run(job, 4) == 4  # the slots are free again

    # a loop of its own, in a thread of its own: another test (Playwright's sync API) may have left one
    # running in this thread
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()
    workers.close()
    assert all(s.seconds == 7 and s.deadline is not None for s in seen)
    assert seen[0].cells == settings.upload_max_cells


def test_the_command_names_the_setting_of_the_limit(tmp_path: Path) -> None:
    """``clientfolio import`` beyond a limit: the message, then the setting that
    raises it, in the run's language; nothing imported."""
    from typer.testing import CliRunner

    from clientfolio import cli

    rows = "\n".join(f"C{i % 5},F{i},2025-01-{i % 28 + 1:02d},{i + 1}.50" for i in range(60))
    (tmp_path / "ventes.csv").write_text("customer_id,invoice_id,date,amount\n" + rows + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"CLIENTFOLIO_UPLOAD_MAX_CELLS": "100", "COLUMNS": "200"}
    args = ["--lang", "fr", "import", "--db", db, str(tmp_path / "ventes.csv")]
    result = CliRunner().invoke(cli.app, args, env=env)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "ventes.csv : plus de 100 cellules" in said
    assert "La limite est le réglage CLIENTFOLIO_UPLOAD_MAX_CELLS (docs/settings.md)" in said
    assert counts(Store(db))["invoice_lines"] == 0  # all or nothing


def test_a_padded_sheet_with_a_formula_far_below_is_refused_at_the_limit(tmp_path: Path) -> None:
    """The search for a formula never computed reads within the same limits as the import."""
    padded = write_xlsx(
        tmp_path / "formule.xlsx",
        [*plain_rows([["code client", "montant"], ["C1", 1]]), far_row(100_000, ["C2", Formula("B1*2")])],
        calculation=CALC_ON_LOAD,
    )
    refused(padded, ReadLimits(rows=1000), "rows")
    with pytest.raises(ImportRejected, match="never computed"):
        read_all(padded)
