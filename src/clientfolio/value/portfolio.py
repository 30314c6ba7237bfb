"""The value of the portfolio: every customer's value, the crossed ABC, the
quadrants and trajectories, solvency, and the valuation of the customer capital.

``value_portfolio`` is what the shells call (``clientfolio value``, the web app,
the report); each part is a function of its own module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from clientfolio.access.reader import AccountRow
from clientfolio.analytics.abc import AbcConfig, abc_classes
from clientfolio.analytics.engines import connect
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_
from clientfolio.periods import months_before
from clientfolio.value.backtest import compare_forecast
from clientfolio.value.categories import CategoryConfig, category, pareto_classes
from clientfolio.value.clv import ClvConfig, FittedValues, fit_values, margin_rates, model_inputs
from clientfolio.value.equity import Equity, Statement, equity_of
from clientfolio.value.history import column, customer_history
from clientfolio.value.potential import Account, PotentialConfig, estimate_potentials, source_counts
from clientfolio.value.solvency import SolvencyConfig, portfolio_solvency, solvency
from clientfolio.value.strategy import (
    QuadrantConfig,
    QuadrantThresholds,
    quadrant_thresholds,
    quadrants,
    trajectory,
)

__all__ = ["CustomerValue", "Equity", "PortfolioValue", "ProspectValue", "ValueConfig", "categorize", "value_portfolio"]


class ValueConfig(BaseModel):
    """Every rule of the valuation, with its documented default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_months: int = Field(12, ge=1, le=60, description="Months of the current revenue and margin.")
    abc: AbcConfig = Field(default_factory=AbcConfig, description="ABC classes on revenue.")
    potential: PotentialConfig = Field(default_factory=PotentialConfig, description="Potential estimates.")
    categories: CategoryConfig = Field(default_factory=CategoryConfig, description="Crossed ABC categories.")
    quadrants: QuadrantConfig = Field(default_factory=QuadrantConfig, description="Strategy quadrants.")
    clv: ClvConfig = Field(default_factory=ClvConfig, description="Lifetime value and valuation.")
    solvency: SolvencyConfig = Field(default_factory=SolvencyConfig, description="Payment behaviour.")
    backtest: bool = Field(
        True,
        description="Backtest the lifetime-value models with the valuation: fitted one window earlier, "
        "their forecast of the last window against what happened.",
    )


@dataclass
class CustomerValue:
    """One customer's line of ``value.csv`` (money in cents)."""

    customer_id: str
    name: str | None
    segment: str | None
    region: str | None
    revenue_cents: int
    margin_cents: int | None
    wallet_cents: int | None
    potential_cents: int
    potential_source: str
    value_cents: int
    p_alive: float | None = None
    expected_purchases: float | None = None
    expected_spend_cents: float | None = None
    clv_cents: float | None = None
    abc: str = "C"
    potential_class: str = "C"
    category: str | None = None
    quadrant: str | None = None
    strategy: str | None = None
    previous_quadrant: str | None = None
    trajectory: str | None = None
    solvency: dict[str, Any] = field(default_factory=dict)
    quadrant_note: str | None = None  # a key of strategy.QUADRANT_NOTES
    profitability_cents: float | None = None  # the quadrant's profitability axis
    future_cents: float | None = None  # the quadrant's potential axis


@dataclass
class ProspectValue:
    """A prospect in the crossed ABC (row P)."""

    prospect_id: str
    name: str | None
    segment: str | None
    region: str | None
    wallet_cents: int | None
    potential_cents: int
    potential_source: str
    potential_class: str


@dataclass
class PortfolioValue:
    as_of: dt.date
    customers: list[CustomerValue]
    prospects: list[ProspectValue]
    equity: Equity
    crossed: list[dict[str, Any]]
    solvency: dict[str, Any] | None
    quadrant_thresholds: dict[str, Any] = field(default_factory=dict)
    """Where the quadrants' axes are cut (``QuadrantThresholds.as_dict``): rule, cuts in cents, bases."""
    potential_sources: dict[str, dict[str, int]] = field(init=False)
    """How many customers and prospects have each potential source (``potential.source_counts``)."""

    def __post_init__(self) -> None:
        self.potential_sources = source_counts(
            [("customer", c.potential_source) for c in self.customers]
            + [("prospect", p.potential_source) for p in self.prospects]
        )

    def summary(self) -> dict[str, Any]:
        """``as_dict`` without the customers and prospects (``equity.json``)."""
        return {
            "as_of": self.as_of.isoformat(),
            "equity": asdict(self.equity),
            "crossed_abc": self.crossed,
            "potential_sources": self.potential_sources,
            "quadrant_thresholds": self.quadrant_thresholds,
            "solvency": self.solvency,
        }

    def as_dict(self) -> dict[str, Any]:
        return self.summary() | {
            "customers": [asdict(c) for c in self.customers],
            "prospects": [asdict(p) for p in self.prospects],
        }


def _fit(
    rows: list[dict[str, Any]], config: ClvConfig, *, interval: bool = True, valued: set[str] | None = None
) -> tuple[FittedValues | None, Statement | None, str, list[int]]:
    """Fit the models on the customers of ``rows`` who made a purchase (and
    the interval of their total unless ``interval`` is False).  With
    ``valued``, the total and its interval are those of these customers only
    (the others get a margin rate of 0 in the sum, so a lifetime value of 0:
    the models are fitted on every row, each refit of the bootstrap too)."""
    buyers = [i for i, r in enumerate(rows) if r["frequency"] is not None]
    chosen = [rows[i] for i in buyers]
    revenue = column(chosen, "revenue_cents") + column(chosen, "prev_revenue_cents")
    now, before = column(chosen, "margin_cents"), column(chosen, "prev_margin_cents")
    margin = np.where(np.isnan(now) & np.isnan(before), np.nan, np.nan_to_num(now) + np.nan_to_num(before))
    # a customer without revenue in the two windows (as of a date long after its
    # last sale) is costed on its whole history
    idle = ~(revenue > 0)
    revenue = np.where(idle, column(chosen, "lifetime_revenue_cents"), revenue)
    margin = np.where(idle, column(chosen, "lifetime_margin_cents"), margin)
    rates, basis = margin_rates(revenue, margin, config.assumed_margin_rate)
    if valued is not None:
        rates = np.where([r["customer_id"] in valued for r in chosen], rates, 0.0)
    if not chosen:
        return None, Statement.of(N_("no customer has made a purchase")), basis, buyers
    try:
        fitted = fit_values(model_inputs(chosen), rates, config, interval=interval)
    except ClientfolioError as exc:
        return None, Statement(str(exc), exc.template, dict(exc.params)), basis, buyers
    return fitted, None, basis, buyers


def _classify(
    rows: list[dict[str, Any]], classes: dict[str, str], accounts: Sequence[AccountRow], config: ValueConfig
) -> tuple[list[CustomerValue], list[ProspectValue]]:
    """Potential, crossed ABC and category of every customer (those of the file
    and those with sales) and of the open prospects."""
    by_id = {r["customer_id"]: r for r in rows}
    known = {a.code: a for a in accounts if a.kind == "customer"}
    prospects = [a for a in accounts if a.kind == "prospect"]
    ids = sorted(set(by_id) | set(known))

    def account(code: str) -> Account:
        a, r = known.get(code), by_id.get(code)
        return Account(
            code,
            "customer",
            a.segment if a else (r["segment"] if r else None),
            a.size_band if a else None,
            r["revenue_cents"] if r else 0,
            a.potential_cents if a else None,
            a.wallet_share_pct if a else None,
            a.sector_growth_pct if a else None,
            a.supplier_policy if a else None,
        )

    potentials = estimate_potentials(
        [account(c) for c in ids]
        + [
            Account(
                p.code,
                "prospect",
                p.segment,
                p.size_band,
                0,
                p.potential_cents,
                None,
                p.sector_growth_pct,
                p.supplier_policy,
            )
            for p in prospects
        ],
        config.potential,
    )
    potential_classes = pareto_classes(
        [p.account_id for p in potentials],
        [float(p.potential_cents) for p in potentials],
        config.categories.a,
        config.categories.b,
    )
    customers = []
    for code, pot, pclass in zip(ids, potentials, potential_classes, strict=False):
        r, a = by_id.get(code), known.get(code)
        revenue = r["revenue_cents"] if r else 0
        abc = classes.get(code, "C")
        customers.append(
            CustomerValue(
                customer_id=code,
                name=a.name if a else None,
                segment=a.segment if a else (r["segment"] if r else None),
                region=a.region if a else None,
                revenue_cents=revenue,
                margin_cents=r["margin_cents"] if r else None,
                wallet_cents=pot.wallet_cents,
                potential_cents=pot.potential_cents,
                potential_source=pot.source,
                value_cents=max(revenue, 0) + pot.potential_cents,
                abc=abc,
                potential_class=pclass,
                category=category(abc, pclass, config.categories),
            )
        )
    prospect_values = [
        ProspectValue(p.code, p.name, p.segment, p.region, pot.wallet_cents, pot.potential_cents, pot.source, pclass)
        for p, pot, pclass in zip(prospects, potentials[len(ids) :], potential_classes[len(ids) :], strict=True)
    ]
    return customers, prospect_values


def _histories(
    transactions: ir.Table, as_of: dt.date, config: ValueConfig
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows = customer_history(transactions, as_of=as_of, window_months=config.window_months).to_pyarrow().to_pylist()
    classes = {
        r["customer_id"]: r["class"]
        for r in abc_classes(transactions, as_of=as_of, config=config.abc).to_pyarrow().to_pylist()
    }
    return rows, classes


def categorize(
    transactions: ir.Table,
    *,
    as_of: dt.date,
    accounts: Sequence[AccountRow] = (),
    config: ValueConfig | None = None,
) -> list[CustomerValue]:
    """Potential, crossed ABC and category of every customer, without the
    lifetime-value models (fast: what the follow-up of the VIPs needs)."""
    config = config or ValueConfig()
    rows, classes = _histories(transactions, as_of, config)
    return _classify(rows, classes, accounts, config)[0]


def value_portfolio(
    transactions: ir.Table,
    *,
    as_of: dt.date,
    accounts: Sequence[AccountRow] | None = None,
    receivables: ir.Table | None = None,
    settlements: ir.Table | None = None,
    config: ValueConfig | None = None,
    population: ir.Table | None = None,
    interval: bool = True,
) -> PortfolioValue:
    """Value every customer and the portfolio as of ``as_of``.

    ``transactions`` is the analytics' transactions table; ``accounts`` the
    customers and open prospects of the file (``PortfolioReader.accounts``,
    none for a transactions file); ``receivables`` and ``settlements`` the
    tables ``value.solvency`` takes (solvency is skipped without them).
    ``population``: the transactions the lifetime-value models are fitted on
    when ``transactions`` is a part of them (a scope of the portfolio): a
    customer's lifetime value is then the same whoever looks, and the
    valuation's total and interval are those of the customers of
    ``transactions`` (``value_source`` passes the whole portfolio).
    ``interval`` False skips the bootstrap of the total's interval (a caller
    that shows neither the interval nor the equity's method).
    """
    config = config or ValueConfig()
    rows, classes = _histories(transactions, as_of, config)
    by_id = {r["customer_id"]: r for r in rows}
    customers, prospect_values = _classify(rows, classes, accounts or (), config)
    ids = [c.customer_id for c in customers]

    fit_rows, valued = rows, None
    if population is not None:
        fit_rows = (
            customer_history(population, as_of=as_of, window_months=config.window_months).to_pyarrow().to_pylist()
        )
        valued = set(by_id)
    fitted, note, basis, buyers = _fit(fit_rows, config.clv, interval=interval, valued=valued)
    if fitted is not None:
        position = {code: k for k, code in enumerate(ids)}
        for k, i in enumerate(buyers):
            if (at := position.get(fit_rows[i]["customer_id"])) is None or fit_rows[i]["customer_id"] not in by_id:
                continue  # fitted on, not shown
            c = customers[at]
            c.p_alive = float(fitted.p_alive[k])
            c.expected_purchases = float(fitted.expected_purchases[k])
            c.expected_spend_cents = float(fitted.expected_spend_cents[k])
            c.clv_cents = float(fitted.clv_cents[k])
    before = months_before(as_of, config.window_months)
    past = [
        r
        for r in customer_history(transactions, as_of=before, window_months=config.window_months)
        .to_pyarrow()
        .to_pylist()
        if r["first_purchase"] is not None
    ]
    past_fit, _, _, _ = _fit(past, config.clv, interval=False)  # for the trajectories and the backtest
    thresholds = _place_in_quadrants(customers, as_of, by_id, past, past_fit, config)
    sol = None
    if receivables is not None and settlements is not None:
        sol = _solvency(customers, receivables, settlements, as_of, config.solvency)
    tested = None
    if config.backtest and fitted is not None and past_fit is not None:
        tested = compare_forecast(
            transactions,
            past=past,
            now=rows,
            fitted=past_fit,
            as_of=as_of,
            months=config.window_months,
            clv=config.clv,
            abc=config.abc,
        )
    return PortfolioValue(
        as_of,
        customers,
        prospect_values,
        equity_of(customers, fitted, note, basis, config.clv, tested),
        _crossed(customers, prospect_values),
        sol,
        quadrant_thresholds=thresholds.as_dict(),
    )


def _axes(
    customers: Sequence[CustomerValue], rows: dict[str, dict[str, Any]], future: dict[str, float] | None, start: dt.date
) -> tuple[list[float | None], list[float | None], list[str | None], list[bool], str, str]:
    """The two axes of the quadrants for one window (see ``_place_in_quadrants``):
    profitability and potential of each customer, its note, whether it bought
    in the window, and the two bases."""
    known = [r for r in rows.values() if r["margin_cents"] is not None and r["revenue_cents"] > 0]
    revenue = sum(r["revenue_cents"] for r in known)
    rate = sum(r["margin_cents"] for r in known) / revenue if known and revenue > 0 else None
    profits: list[float | None] = []
    potentials: list[float | None] = []
    notes: list[str | None] = []
    bought: list[bool] = []
    for c in customers:
        row = rows.get(c.customer_id)
        note = None
        if row is None:
            profit = None
        elif rate is None:
            profit = float(row["revenue_cents"])
        elif row["margin_cents"] is None:
            profit, note = row["revenue_cents"] * rate, "margin_estimated"
        else:
            profit = float(row["margin_cents"])
        if profit is not None and profit < 0:
            note = "negative_margin"
        active = row is not None and row["last_purchase"] is not None and row["last_purchase"] > start
        if not active:
            note = "no_purchase"
        profits.append(profit)
        potentials.append(
            future.get(c.customer_id)
            if future is not None
            else c.potential_cents * (1.0 if rate is None else min(max(rate, 0.0), 1.0))
        )
        notes.append(note)
        bought.append(active)
    potential_basis = "clv" if future is not None else "potential_revenue" if rate is None else "potential_margin"
    return profits, potentials, notes, bought, "revenue" if rate is None else "margin", potential_basis


def _quadrants(
    customers: Sequence[CustomerValue],
    rows: dict[str, dict[str, Any]],
    future: dict[str, float] | None,
    end: dt.date,
    config: ValueConfig,
) -> tuple[list[str | None], list[str | None], list[float | None], list[float | None], QuadrantThresholds]:
    """Quadrant and note of each customer in the window ending ``end``, the
    axes' values and the thresholds used."""
    profits, potentials, notes, bought, profit_basis, potential_basis = _axes(
        customers, rows, future, months_before(end, config.window_months)
    )
    thresholds = quadrant_thresholds(
        profits, potentials, config.quadrants, profit_basis=profit_basis, potential_basis=potential_basis
    )
    placed = quadrants(profits, potentials, thresholds=thresholds)
    # no purchase in the window and no future value: no quadrant (nothing to invent)
    placed = [
        None if not active and q is not None and q.endswith("_low") else q
        for q, active in zip(placed, bought, strict=True)
    ]
    return placed, notes, profits, potentials, thresholds


def _place_in_quadrants(
    customers: list[CustomerValue],
    as_of: dt.date,
    now: dict[str, dict[str, Any]],
    past_rows: list[dict[str, Any]],
    past_fit: FittedValues | None,
    config: ValueConfig,
) -> QuadrantThresholds:
    """Quadrant, strategy and trajectory of each customer (``value.strategy``);
    returns the thresholds of today's quadrants.

    - **Profitability** = the margin of the window; a customer whose margin is
      negative is low, flagged ``negative_margin``; a customer without margin
      on its invoices while others have some gets its revenue times the
      portfolio's margin rate (sum of margins / sum of revenue of the customers
      with margins), flagged ``margin_estimated``; when no invoice of the window
      carries a margin, profitability is the revenue (basis ``revenue``).
    - **Potential** = the lifetime value when the models are fitted (basis
      ``clv``; a customer that never bought has none), else the potential
      revenue times the portfolio's margin rate (``potential_margin``; the
      potential revenue itself without margins: ``potential_revenue``).
    - A customer **without a purchase in the window** is flagged
      ``no_purchase``: it keeps a quadrant (``low_high``) only when its future
      value is high, else it has none (no strategy, no trajectory): nothing
      to keep or end, it has stopped buying.
    - **Trajectory**: the same rules one window earlier (``past_fit``: the
      models fitted on ``past_rows``, the history up to then, by
      ``value_portfolio``; today's potential without them); a customer without a
      quadrant then but with one now, having bought before, is ``up`` (it came
      back).
    """
    future_now = (
        None
        if all(c.clv_cents is None for c in customers)
        else {c.customer_id: c.clv_cents for c in customers if c.clv_cents is not None}
    )
    current, notes, profits, futures, thresholds = _quadrants(customers, now, future_now, as_of, config)
    before = months_before(as_of, config.window_months)
    past = {r["customer_id"]: r for r in past_rows}
    future_past: dict[str, float] | None = None
    if past_fit is not None:  # every past row bought: one CLV each, in order
        future_past = {code: float(v) for code, v in zip(past, past_fit.clv_cents, strict=True)}
    known_past = [c for c in customers if c.customer_id in past]
    previous = dict(
        zip(
            [c.customer_id for c in known_past],
            _quadrants(known_past, past, future_past, before, config)[0],
            strict=True,
        )
    )
    for c, quadrant, note, profit, future in zip(customers, current, notes, profits, futures, strict=True):
        c.quadrant, c.quadrant_note, c.profitability_cents, c.future_cents = quadrant, note, profit, future
        c.strategy = config.quadrants.strategies.get(quadrant) if quadrant else None
        c.previous_quadrant = previous.get(c.customer_id)
        if c.customer_id not in now or quadrant is None:
            c.trajectory = None
        elif c.previous_quadrant is None and c.customer_id in past:
            c.trajectory = "up"
        else:
            c.trajectory = trajectory(c.previous_quadrant, quadrant)
    return thresholds


def _solvency(
    customers: list[CustomerValue], receivables: ir.Table, settlements: ir.Table, as_of: dt.date, config: SolvencyConfig
) -> dict[str, Any]:
    """Solvency per customer and for the portfolio.  The invoices and payments
    (one row per document, not per line) are fetched once and computed on an
    in-memory DuckDB: the scoped store queries nest too deep for SQLite's parser."""
    con = connect("duckdb")
    try:
        docs = con.create_table("receivables", ibis.memtable(receivables.to_pyarrow()))
        paid = con.create_table("settlements", ibis.memtable(settlements.to_pyarrow()))
        per = {r["customer_id"]: r for r in solvency(docs, paid, as_of=as_of, config=config).to_pyarrow().to_pylist()}
        for c in customers:
            c.solvency = {k: v for k, v in per.get(c.customer_id, {}).items() if k != "customer_id"}
        return portfolio_solvency(docs, paid, as_of=as_of, config=config).as_dict()
    finally:
        con.disconnect()


def _crossed(customers: list[CustomerValue], prospects: list[ProspectValue]) -> list[dict[str, Any]]:
    """The crossed ABC matrix: rows A, B, C, P x columns A', B', C' with counts,
    revenue and potential in cents."""
    cells: dict[tuple[str, str], dict[str, Any]] = {
        (r, p): {"revenue_class": r, "potential_class": p, "customers": 0, "revenue_cents": 0, "potential_cents": 0}
        for r in "ABCP"
        for p in "ABC"
    }
    for c in customers:
        cell = cells[(c.abc, c.potential_class)]
        cell["customers"] += 1
        cell["revenue_cents"] += c.revenue_cents
        cell["potential_cents"] += c.potential_cents
    for p in prospects:
        cell = cells[("P", p.potential_class)]
        cell["customers"] += 1
        cell["potential_cents"] += p.potential_cents
    return list(cells.values())
