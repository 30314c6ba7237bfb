"""Running the valuation on a source, and writing its files.

``value_source`` opens the engine on the store (through the access layer, for
one principal) or on a transactions file, runs ``value_portfolio`` and closes
the engine.  ``write_value`` writes ``value.csv`` (one row per customer),
``prospects.csv`` (row P of the crossed ABC) and ``equity.json`` (the valuation,
its method and breakdowns, the crossed ABC matrix and the portfolio's
solvency); amounts in euros with two decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from clientfolio.access import PortfolioReader
from clientfolio.analytics.analysis import latest_date
from clientfolio.analytics.run import csv_euros, open_transactions
from clientfolio.errors import ClientfolioError
from clientfolio.store import Store
from clientfolio.value.portfolio import PortfolioValue, ValueConfig, categorize, value_portfolio

__all__ = ["VALUE_COLUMNS", "value_source", "vip_customers", "write_value"]

VALUE_COLUMNS = (
    "customer_id",
    "revenue",
    "potential",
    "value",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "abc",
    "potential_class",
    "category",
    "quadrant",
    "strategy",
    # after the stable columns: context
    "name",
    "segment",
    "region",
    "margin",
    "wallet",
    "potential_source",
    "previous_quadrant",
    "trajectory",
    "solvency_status",
    "avg_days_late",
    "incidents",
    "dso_days",
    "quadrant_note",
)


def value_source(
    *,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    transactions: Path | None = None,
    as_of: dt.date | None = None,
    config: ValueConfig | None = None,
) -> PortfolioValue:
    """Value the store read by ``reader`` (customers, prospects, payments), or a
    transactions file on DuckDB (purchases only); ``config`` defaults to the
    effective one (``clientfolio.config``)."""
    config = config or _effective(store)
    with open_transactions(transactions=transactions, store=store, reader=reader) as (con, table):
        day = as_of or latest_date(table)
        if day is None:
            raise ClientfolioError("no sales to value")
        if reader is None or transactions is not None:
            return value_portfolio(table, as_of=day, config=config)
        return value_portfolio(
            table,
            as_of=day,
            accounts=reader.accounts(),
            receivables=reader.receivables(con),
            settlements=reader.settlements(con),
            config=config,
        )


def vip_customers(
    store: Store, reader: PortfolioReader, *, as_of: dt.date | None = None, config: ValueConfig | None = None
) -> set[str]:
    """Codes of the VIP customers (crossed ABC) the reader may see, as of
    ``as_of`` (default: the last sale); no lifetime-value model is fitted."""
    config = config or _effective(store)
    with open_transactions(store=store, reader=reader) as (_, table):
        day = as_of or latest_date(table)
        if day is None:
            return set()
        customers = categorize(table, as_of=day, accounts=reader.accounts(), config=config)
    return {c.customer_id for c in customers if c.category == "vip"}


def _effective(store: Store | None) -> ValueConfig:
    """The valuation settings of the environment and of the settings file beside ``store``."""
    from clientfolio.config import load_domain_config

    return load_domain_config(database_url=None if store is None else store.url).value


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_value(result: PortfolioValue, out: Path) -> list[Path]:
    """Write the valuation files into ``out`` (created); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "value.csv", out / "prospects.csv", out / "equity.json"]
    with paths[0].open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(VALUE_COLUMNS)
        for c in result.customers:
            s = c.solvency
            writer.writerow(
                [
                    c.customer_id,
                    csv_euros(c.revenue_cents),
                    csv_euros(c.potential_cents),
                    csv_euros(c.value_cents),
                    _number(c.p_alive, 4),
                    _number(c.expected_purchases, 4),
                    csv_euros(c.expected_spend_cents),
                    csv_euros(c.clv_cents),
                    c.abc,
                    c.potential_class,
                    c.category or "",
                    c.quadrant or "",
                    c.strategy or "",
                    c.name or "",
                    c.segment or "",
                    c.region or "",
                    csv_euros(c.margin_cents),
                    csv_euros(c.wallet_cents),
                    c.potential_source,
                    c.previous_quadrant or "",
                    c.trajectory or "",
                    s.get("status", ""),
                    _number(s.get("avg_days_late"), 1),
                    s.get("incidents", ""),
                    _number(s.get("dso_days"), 1),
                    c.quadrant_note or "",
                ]
            )
    with paths[1].open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["prospect_id", "name", "segment", "region", "wallet", "potential", "potential_source", "potential_class"]
        )
        for p in result.prospects:
            writer.writerow(
                [
                    p.prospect_id,
                    p.name or "",
                    p.segment or "",
                    p.region or "",
                    csv_euros(p.wallet_cents),
                    csv_euros(p.potential_cents),
                    p.potential_source,
                    p.potential_class,
                ]
            )
    summary: dict[str, Any] = result.summary()
    paths[2].write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return paths
