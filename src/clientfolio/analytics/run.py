"""Running the analysis on a source, and writing its files.

``analyze_source`` opens the engine, takes the transactions from a file or from
the store (through the access layer, for one principal), runs ``analyze`` and
closes the engine.  The store is analysed on its own engine, or on DuckDB or
Spark from a copy of the lines the principal may see, written to a private
temporary directory (mode 0700) and deleted afterwards.  ``write_analysis``
writes the files other tools read: ``measures.json``, ``abc.csv``,
``rfm.csv`` and ``segment_product.csv`` (amounts in euros with two decimals).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from clientfolio.access import PortfolioReader
from clientfolio.analytics.analysis import (
    Analysis,
    AnalyticsConfig,
    analyze,
    latest_date,
)
from clientfolio.analytics.engines import connect, connect_store
from clientfolio.analytics.transactions import TRANSACTION_COLUMNS, read_transactions
from clientfolio.errors import ClientfolioError
from clientfolio.store import Store

__all__ = ["analyze_source", "copy_store_lines", "csv_euros", "open_transactions", "write_analysis"]

_STORE_ENGINES = {"sqlite": "sqlite", "postgresql": "postgres"}


@contextmanager
def open_transactions(
    *,
    transactions: Path | None = None,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    engine: str | None = None,
) -> Iterator[tuple[BaseBackend, ir.Table]]:
    """The engine and the transactions table of a file (on ``engine``, DuckDB by
    default, or Spark) or of the store read by ``reader`` (on the store's own
    engine by default, or on DuckDB or Spark from a private copy of the lines
    the reader may see); the engine is closed on exit."""
    with ExitStack() as stack:
        if transactions is not None:
            if engine not in (None, "duckdb", "spark"):
                raise ClientfolioError("files are analysed with --engine duckdb or spark")
            con = connect(engine or "duckdb")
            stack.callback(_close, con, engine)
            table = read_transactions(transactions, con)
        elif store is not None and reader is not None:
            own = _STORE_ENGINES.get(store.dialect)
            if engine in (None, own):
                con = connect_store(store.url)
                stack.callback(_close, con, engine)
                table = reader.transactions(con)
            elif engine in ("duckdb", "spark"):
                private = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clientfolio-lines-")))
                path = copy_store_lines(store, reader, private / "transactions.parquet")
                con = connect(engine)
                stack.callback(_close, con, engine)  # closed before the copy is deleted
                table = con.read_parquet(str(path)).select(*TRANSACTION_COLUMNS.names)
            else:
                raise ClientfolioError(f"the store is {store.dialect}: analyse it with --engine {own}, duckdb or spark")
        else:
            raise ClientfolioError("give a transactions file or a store to analyse")
        yield con, table


def copy_store_lines(store: Store, reader: PortfolioReader, path: Path) -> Path:
    """Write the invoice lines ``reader`` may see (the transactions table, read
    through the access layer) to the Parquet file ``path``, in batches."""
    con = connect_store(store.url)
    try:
        batches = reader.transactions(con).cast(TRANSACTION_COLUMNS).to_pyarrow_batches()
        with pq.ParquetWriter(path, batches.schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
    finally:
        con.disconnect()
    return path


def _close(con: BaseBackend, engine: str | None) -> None:
    if engine != "spark":  # the Spark session is shared by the process
        con.disconnect()


def analyze_source(
    *,
    transactions: Path | None = None,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    engine: str | None = None,
    as_of: dt.date | None = None,
    config: AnalyticsConfig | None = None,
) -> Analysis:
    """Analyse a transactions file (on ``engine``, DuckDB by default) or the
    store read by ``reader`` (on the store's own engine); ``config`` defaults
    to the effective one (``clientfolio.config``: environment, settings file
    beside the store, defaults)."""
    if config is None:
        from clientfolio.config import load_domain_config

        config = load_domain_config(database_url=None if store is None else store.url).analytics
    with open_transactions(transactions=transactions, store=store, reader=reader, engine=engine) as (_, table):
        day = as_of or latest_date(table)
        if day is None:
            raise ClientfolioError("no sales to analyse")
        return analyze(table, as_of=day, config=config)


def csv_euros(cents: Any) -> str:
    """An amount of the CSV files written by the analyses and the valuation: euros
    with two decimals and a dot, empty for None (a file format, as ``plan.xlsx``'s
    cells and ``demo.fec``'s amounts; shown to a reader, an amount goes through
    ``clientfolio.i18n``)."""
    return "" if cents is None else f"{cents / 100:.2f}"


def write_analysis(analysis: Analysis, out: Path) -> list[Path]:
    """Write the analysis files into ``out`` (created); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in ("measures.json", "abc.csv", "rfm.csv", "segment_product.csv")]
    paths[0].write_text(
        json.dumps({"as_of": analysis.as_of.isoformat(), **analysis.measures.as_dict()}, indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    _write_csv(
        paths[1],
        ["customer_id", "revenue", "share", "cumulative_share", "class"],
        (
            [
                r["customer_id"],
                csv_euros(r["value_cents"]),
                f"{r['share']:.6f}",
                f"{r['cumulative_share']:.6f}",
                r["class"],
            ]
            for r in analysis.abc.to_pylist()
        ),
    )
    _write_csv(
        paths[2],
        ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "quarters", "profile"],
        (
            [
                r["customer_id"],
                r["recency_days"],
                r["frequency"],
                csv_euros(r["monetary_cents"]),
                r["r"],
                r["f"],
                r["m"],
                r["quarters"],
                r["profile"],
            ]
            for r in analysis.rfm.to_pylist()
        ),
    )
    grid = analysis.matrix.as_rows()
    _write_csv(
        paths[3], list(grid[0]), ([csv_euros(v) if isinstance(v, int) else v for v in row.values()] for row in grid)
    )
    return paths


def _write_csv(path: Path, header: list[str], rows: Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
