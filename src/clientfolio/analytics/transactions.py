"""The transactions table every analytic takes.

Columns (one row per invoice line, credit notes negative)::

    customer_id   string    the customer's code
    invoice_id    string    the invoice or credit note number
    date          date      its issue date
    amount_cents  int64     revenue excluding tax, in cents
    product       string    product line (NULL when unknown)
    segment       string    customer segment (NULL when unknown)
    margin_cents  int64     gross margin in cents (NULL when unknown)

Money stays in integer cents so that every engine adds up to the same cent;
results convert to euros at the edge.  The store gives this table through the
access layer (``PortfolioReader.transactions``); files through ``read_transactions``.

Where files are (``--transactions``, ``parse_source``): a local file or folder
(``.parquet``, ``.csv``, ``.txt``; a folder of such files, hive-style
``month=2024-01/`` sub-folders included), a glob (``sales/*.csv``), a URI Spark
reads (``hdfs://``, ``s3a://``, ``abfss://``, ``gs://``, ``file://``; a folder
without a suffix is Parquet), or a catalog table, ``table:sales.invoices``.
DuckDB reads local data; Spark reads all of them.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend
from ibis.common.exceptions import TableNotFound

from clientfolio.errors import ClientfolioError

__all__ = ["TRANSACTION_COLUMNS", "Source", "parse_source", "read_transactions", "standardize"]

TRANSACTION_COLUMNS = ibis.schema(
    {
        "customer_id": "string",
        "invoice_id": "string",
        "date": "date",
        "amount_cents": "int64",
        "product": "string",
        "segment": "string",
        "margin_cents": "int64",
    }
)
_REQUIRED = ("customer_id", "invoice_id", "date", "amount")


def standardize(table: ir.Table) -> ir.Table:
    """A table with ``customer_id, invoice_id, date, amount`` (euros) and optional
    ``product, segment, margin`` (euros) as the transactions table."""
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise ClientfolioError(
            "transactions need the columns {columns}; missing: {missing}",
            columns=", ".join(_REQUIRED),
            missing=", ".join(missing),
        )

    def cents(column: str) -> ir.IntegerValue:
        return (table[column].cast("float64") * 100).round().cast("int64")

    def optional(column: str) -> ir.Value:
        return table[column].cast("string") if column in table.columns else ibis.null("string")

    return table.select(
        customer_id=table.customer_id.cast("string"),
        invoice_id=table.invoice_id.cast("string"),
        date=table.date.cast("date"),
        amount_cents=cents("amount"),
        product=optional("product"),
        segment=optional("segment"),
        margin_cents=cents("margin") if "margin" in table.columns else ibis.null("int64"),
    )


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SUFFIXES = {".parquet": "parquet", ".csv": "csv", ".txt": "csv"}
TABLE_PREFIX = "table:"


@dataclass(frozen=True)
class Source:
    """Where transactions are read: ``location`` (a path, glob, URI or table
    name), its ``kind`` (``parquet``, ``csv`` or ``table``) and whether it is
    on this machine (``local``: checked before the engine reads it)."""

    location: str
    kind: Literal["parquet", "csv", "table"]
    local: bool
    files: str | None = None  # a local folder's files, as a glob (DuckDB reads them so; Spark reads the folder)

    @property
    def name(self) -> str:
        """The source as errors name it: a file's name, else the whole location."""
        if self.kind == "table":
            return TABLE_PREFIX + self.location
        return Path(self.location).name if self.local and not _is_glob(self.location) else self.location


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def parse_source(source: str | Path) -> Source:
    """The ``Source`` of ``--transactions``; a local one is checked: it exists,
    and a folder holds Parquet or CSV files (one format)."""
    text = str(source)
    if text.startswith(TABLE_PREFIX):
        name = text[len(TABLE_PREFIX) :].strip()
        if not name:
            raise ClientfolioError("give a table name after table: (table:sales.invoices)")
        return Source(name, "table", local=False)
    if _SCHEME.match(text) and not text.lower().startswith("file://"):
        suffix = Path(text.rstrip("/")).suffix.lower()
        return Source(text, "csv" if _SUFFIXES.get(suffix) == "csv" else "parquet", local=False)
    path = text[len("file://") :] if text.lower().startswith("file://") else text
    if _is_glob(path):
        matches = glob.glob(path, recursive=True)
        if not matches:
            raise ClientfolioError("no such file: {path}", path=path)
        return Source(path, _kind_of(Path(path)), local=True)
    where = Path(path)
    if not where.exists():
        raise ClientfolioError("no such file: {path}", path=path)
    if where.is_dir():
        suffixes = {f.suffix.lower() for f in where.rglob("*") if f.suffix.lower() in _SUFFIXES and f.is_file()}
        if len(suffixes) != 1:
            raise ClientfolioError(
                "{folder}: a folder of transactions holds .parquet or .csv files, of one kind", folder=path
            )
        suffix = suffixes.pop()
        return Source(str(where), _kind_of(where / f"x{suffix}"), local=True, files=str(where / "**" / f"*{suffix}"))
    return Source(str(where), _kind_of(where), local=True)


def _kind_of(path: Path) -> Literal["parquet", "csv"]:
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ClientfolioError("{file}: transactions are read from .csv or .parquet files", file=path.name)
    return "parquet" if kind == "parquet" else "csv"


def read_transactions(source: str | Path | Source, con: BaseBackend) -> ir.Table:
    """Read transactions (``parse_source``) into ``con``: DuckDB reads local
    files and folders, Spark any path or URI it can reach and catalog tables."""
    where = source if isinstance(source, Source) else parse_source(source)
    spark = con.name == "pyspark"
    if not spark and not where.local:
        raise ClientfolioError(
            "{source}: remote data and catalog tables are read with --engine spark", source=where.name
        )
    location = where.location if spark or where.files is None else where.files
    try:
        if where.kind == "table":
            *database, name = location.split(".")
            raw = con.table(name, database=tuple(database) if len(database) > 1 else "".join(database) or None)
        elif where.kind == "parquet":
            raw = con.read_parquet(location)
        elif spark:  # every column as text: inferred, codes like 00042 would lose their zeros
            raw = con.read_csv(location, inferSchema=False)
        else:
            raw = con.read_csv(location)
    except TableNotFound:
        raise ClientfolioError("no such table: {table}", table=location) from None
    except Exception as exc:  # noqa: BLE001 - the engine's own error (DuckDB, Spark): said as the file's problem
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClientfolioError("{file}: the engine cannot read it ({reason})", file=where.name, reason=reason) from None
    return standardize(raw)
