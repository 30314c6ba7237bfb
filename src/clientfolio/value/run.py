"""Running the valuation on a source, and writing its files.

``value_source`` opens the engine on the store (through the access layer, for
one principal) or on a transactions file, runs ``value_portfolio`` and closes
the engine.  ``write_value`` writes ``value.csv`` (one row per customer),
``prospects.csv`` (row P of the crossed ABC) and ``equity.json`` (the valuation,
its method and breakdowns, the crossed ABC matrix and the portfolio's
solvency); amounts in euros with two decimals.  With ``labels`` headers
(``analytics.run.CsvStyle``), the CSV files name their columns in a language
(``VALUE_COLUMN_NAMES``, ``PROSPECT_COLUMN_NAMES``) and their coded values by
their names (categories, quadrants, strategies, trajectories, potential
sources, solvency statuses, quadrant notes; segments and regions by their
names in the store), in French with ``;`` and decimal commas.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clientfolio.analytics.analysis import latest_date
from clientfolio.analytics.run import CsvStyle, open_transactions
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_
from clientfolio.value.categories import CATEGORY_NAMES
from clientfolio.value.history import Histories
from clientfolio.value.portfolio import PortfolioValue, categorize, population_histories, value_portfolio
from clientfolio.value.potential import SOURCE_LABELS
from clientfolio.value.refits import Refits
from clientfolio.value.rules import ValueConfig
from clientfolio.value.solvency import STATUS_NAMES
from clientfolio.value.strategy import QUADRANT_NAMES, QUADRANT_NOTES, STRATEGY_NAMES, TRAJECTORY_NAMES

if TYPE_CHECKING:  # imported where a store is valued: a file's valuation does without them
    import ibis.expr.types as ir

    from clientfolio.access import PortfolioReader
    from clientfolio.analytics.engines import SparkOptions
    from clientfolio.store import Store

__all__ = [
    "PROSPECT_COLUMNS",
    "PROSPECT_COLUMN_NAMES",
    "VALUE_COLUMNS",
    "VALUE_COLUMN_NAMES",
    "value_source",
    "vip_customers",
    "write_value",
]

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
VALUE_COLUMN_NAMES = {
    "customer_id": N_("Customer code"),
    "revenue": N_("Revenue excl. tax (€)"),
    "potential": N_("Potential revenue (€)"),
    "value": N_("Value: revenue + potential (€)"),
    "p_alive": N_("P(alive)"),
    "expected_purchases": N_("Expected purchases"),
    "expected_spend": N_("Expected spend per purchase (€)"),
    "clv": N_("Lifetime value (€)"),
    "abc": N_("ABC class"),
    "potential_class": N_("Potential class"),
    "category": N_("Category"),
    "quadrant": N_("Quadrant"),
    "strategy": N_("Strategy"),
    "name": N_("Company name"),
    "segment": N_("Segment"),
    "region": N_("Region"),
    "margin": N_("Margin (€)"),
    "wallet": N_("Wallet: revenue as sole supplier (€)"),
    "potential_source": N_("Potential source"),
    "previous_quadrant": N_("Previous quadrant"),
    "trajectory": N_("Trajectory"),
    "solvency_status": N_("Solvency"),
    "avg_days_late": N_("Average days late"),
    "incidents": N_("Payment incidents"),
    "dso_days": N_("DSO (days)"),
    "quadrant_note": N_("Quadrant note"),
}
"""The English name of each column of ``value.csv`` (its header with ``labels``, translated by the catalogs)."""
PROSPECT_COLUMNS = (
    "prospect_id",
    "name",
    "segment",
    "region",
    "wallet",
    "potential",
    "potential_source",
    "potential_class",
)
PROSPECT_COLUMN_NAMES = {
    "prospect_id": N_("Prospect code"),
    **{c: VALUE_COLUMN_NAMES[c] for c in PROSPECT_COLUMNS[1:]},
}
"""The English name of each column of ``prospects.csv`` (its header with ``labels``)."""


def value_source(
    *,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    transactions: Path | str | None = None,
    as_of: dt.date | None = None,
    config: ValueConfig | None = None,
    interval: bool = True,
    engine: str | None = None,
    spark: SparkOptions | None = None,
    refits: Refits | None = None,
) -> PortfolioValue:
    """Value the store read by ``reader`` (customers, prospects, payments), or
    transactions files (purchases only: a path, folder or URI, see
    ``analytics.run.open_transactions``); ``config`` defaults to the effective
    one (``clientfolio.config``); ``interval`` False: no bootstrap of the
    total's interval (see ``value_portfolio``); ``refits``: the bootstrap's
    refits kept for the next scope of the same portfolio (``value.refits``).

    ``engine`` (DuckDB by default for files, the store's own for a store; or
    ``spark``, with ``spark``'s ``analytics.engines.SparkOptions``) is where
    the lines are read and summed per customer: only one row per customer
    comes back to this process, whatever the number of lines.  A store's
    invoices and payments (solvency) and, for a scoped reader, the lines the
    models are fitted on are read on the store's own engine."""
    config = config or _effective(store)
    if as_of is None and store is not None and reader is not None and transactions is None:
        as_of = reader.scoped_day()
    source = open_transactions(transactions=transactions, store=store, reader=reader, engine=engine, spark=spark)
    with source as (con, table):
        day = as_of or latest_date(table)
        if day is None:
            raise ClientfolioError("no sales to value")
        if reader is None or transactions is not None:
            return value_portfolio(table, as_of=day, config=config, interval=interval)
        with ExitStack() as stack:
            own = con if engine is None else stack.enter_context(open_transactions(store=store, reader=reader))[0]
            population: ir.Table | Histories | None = None
            whole = reader.every_customer()
            if whole is not None:  # a scope: the models are fitted on the whole portfolio
                population = _population(whole, day, config.window_months, refits, stack)
            return value_portfolio(
                table,
                as_of=day,
                accounts=reader.accounts(),
                receivables=reader.receivables(own),
                settlements=reader.settlements(own),
                config=config,
                population=population,
                interval=interval,
                refits=refits,
            )


def _population(
    whole: PortfolioReader, day: dt.date, window_months: int, refits: Refits | None, stack: ExitStack
) -> ir.Table | Histories:
    """The whole portfolio a scope's models are fitted on: its transactions
    table, or, where ``refits`` is a view of one version of the data (the web
    app's figures of every scope), its histories read once for every scope."""
    if refits is None or refits.data is None:
        return stack.enter_context(open_transactions(store=whole.store, reader=whole))[1]

    def read() -> Histories:
        with open_transactions(store=whole.store, reader=whole) as (_, table):
            histories = population_histories(table, as_of=day, window_months=window_months)
        for array in (histories.ids, histories.segments, *histories.values.values()):
            array.flags.writeable = False  # read by every scope
        return histories

    key = ("population", whole.store.url, whole.principal.scope, day, window_months)
    return refits.read_once(key, read, lambda h: len(h) * (len(h.values) + 2))


def vip_customers(
    store: Store, reader: PortfolioReader, *, as_of: dt.date | None = None, config: ValueConfig | None = None
) -> set[str]:
    """Codes of the VIP customers (crossed ABC) the reader may see, as of
    ``as_of`` (default: the last sale, ``PortfolioReader.scoped_day``); no lifetime-value model is fitted."""
    config = config or _effective(store)
    as_of = as_of or reader.scoped_day()
    with open_transactions(store=store, reader=reader) as (_, table):
        day = as_of or latest_date(table)
        if day is None:
            return set()
        customers = categorize(table, as_of=day, accounts=reader.accounts(), config=config)
    return {c.customer_id for c in customers if c.category == "vip"}


def _effective(store: Store | None) -> ValueConfig:
    """The valuation settings of the environment and of the settings file beside ``store``."""
    from clientfolio.config import VALUE_SECTIONS, load_domain_config

    return load_domain_config(database_url=None if store is None else store.url, sections=VALUE_SECTIONS).value


def write_value(
    result: PortfolioValue,
    out: Path,
    *,
    style: CsvStyle | None = None,
    segments: Mapping[str, str] | None = None,
    regions: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the valuation files into ``out`` (created); returns their paths.
    ``style`` (default: codes) names the columns and coded values with labels,
    the segments and regions by ``segments`` and ``regions`` (by code; a code
    without a name as it is)."""
    style = style or CsvStyle()
    segments, regions = segments or {}, regions or {}
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "value.csv", out / "prospects.csv", out / "equity.json"]

    def named(code: str | None, messages: Mapping[str, str]) -> str:
        return "" if code is None else style.text(style.name(code, messages))

    def stored(code: str | None, names: Mapping[str, str]) -> str:
        return "" if code is None else style.text(style.stored(code, names))

    style.write(
        paths[0],
        [style.name(c, VALUE_COLUMN_NAMES) for c in VALUE_COLUMNS],
        (
            [
                style.text(c.customer_id),
                style.euros(c.revenue_cents),
                style.euros(c.potential_cents),
                style.euros(c.value_cents),
                style.number(c.p_alive, 4),
                style.number(c.expected_purchases, 4),
                style.euros(c.expected_spend_cents),
                style.euros(c.clv_cents),
                c.abc,
                c.potential_class,
                named(c.category, CATEGORY_NAMES),
                named(c.quadrant, QUADRANT_NAMES),
                named(c.strategy, STRATEGY_NAMES),
                style.text(c.name or ""),
                stored(c.segment, segments),
                stored(c.region, regions),
                style.euros(c.margin_cents),
                style.euros(c.wallet_cents),
                named(c.potential_source, SOURCE_LABELS),
                named(c.previous_quadrant, QUADRANT_NAMES),
                named(c.trajectory, TRAJECTORY_NAMES),
                named(c.solvency.get("status"), STATUS_NAMES),
                style.number(c.solvency.get("avg_days_late"), 1),
                c.solvency.get("incidents", ""),
                style.number(c.solvency.get("dso_days"), 1),
                named(c.quadrant_note, QUADRANT_NOTES),
            ]
            for c in result.customers
        ),
    )
    style.write(
        paths[1],
        [style.name(c, PROSPECT_COLUMN_NAMES) for c in PROSPECT_COLUMNS],
        (
            [
                style.text(p.prospect_id),
                style.text(p.name or ""),
                stored(p.segment, segments),
                stored(p.region, regions),
                style.euros(p.wallet_cents),
                style.euros(p.potential_cents),
                named(p.potential_source, SOURCE_LABELS),
                p.potential_class,
            ]
            for p in result.prospects
        ),
    )
    summary: dict[str, Any] = result.summary()
    paths[2].write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return paths
