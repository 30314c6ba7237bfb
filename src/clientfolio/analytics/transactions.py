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
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from clientfolio.errors import ClientfolioError

__all__ = ["TRANSACTION_COLUMNS", "read_transactions", "standardize"]

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


def read_transactions(path: Path, con: BaseBackend) -> ir.Table:
    """Read a CSV or Parquet file of transactions into ``con`` (DuckDB or Spark)."""
    if not path.exists():
        raise ClientfolioError("no such file: {path}", path=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".txt"):
        raise ClientfolioError("{file}: transactions are read from .csv or .parquet files", file=path.name)
    try:
        raw = con.read_parquet(str(path)) if suffix == ".parquet" else con.read_csv(str(path))
    except Exception as exc:  # noqa: BLE001 - the engine's own error (DuckDB, Spark): said as the file's problem
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClientfolioError("{file}: the engine cannot read it ({reason})", file=path.name, reason=reason) from None
    return standardize(raw)
