"""The value of the portfolio: every customer's value, the crossed ABC, the
quadrants and trajectories, solvency, and the valuation of the customer capital.

``value_portfolio`` is what the shells call (``clientfolio value``, the web app,
the report); each part is a function of its own module.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from clientfolio.access.reader import AccountRow
from clientfolio.analytics._periods import months_before
from clientfolio.analytics.abc import AbcConfig, abc_classes
from clientfolio.analytics.engines import connect
from clientfolio.errors import ClientfolioError
from clientfolio.value.categories import CategoryConfig, category, pareto_classes
from clientfolio.value.clv import ClvConfig, FittedValues, bootstrap_samples, fit_values, margin_rates
from clientfolio.value.history import customer_history
from clientfolio.value.potential import Account, PotentialConfig, estimate_potentials
from clientfolio.value.solvency import SolvencyConfig, portfolio_solvency, solvency
from clientfolio.value.strategy import QuadrantConfig, quadrants, trajectory

__all__ = ["CustomerValue", "Equity", "PortfolioValue", "ProspectValue", "ValueConfig", "categorize",
           "value_portfolio"]


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
class Equity:
    """The valuation of the customer capital: discounted expected margin."""

    total_cents: float | None
    low_cents: float | None
    high_cents: float | None
    level: float
    horizon_years: float
    discount_rate: float
    margin_basis: str
    customers_valued: int
    method: str
    note: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    by: dict[str, dict[str, float]] = field(default_factory=dict)
    interval_method: str | None = None  # delta, bootstrap or none
    method_msg: str = ""  # ``method``'s message template, for ``clientfolio.i18n.render``
    method_params: dict[str, str | int | float] = field(default_factory=dict)


@dataclass
class PortfolioValue:
    as_of: dt.date
    customers: list[CustomerValue]
    prospects: list[ProspectValue]
    equity: Equity
    crossed: list[dict[str, Any]]
    solvency: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "equity": asdict(self.equity), "crossed_abc": self.crossed,
                "solvency": self.solvency, "customers": [asdict(c) for c in self.customers],
                "prospects": [asdict(p) for p in self.prospects]}


_METHOD = ("Sum over customers of the expected gross margin of the next {h:g} years, discounted at "
           "{d:.0%} a year: purchases expected by a BG/NBD model (Fader, Hardie & Lee 2005) times the "
           "value of a purchase expected by a Gamma-Gamma model, both fitted by maximum likelihood on "
           "the purchase histories, times each customer's margin rate.")
_METHOD_MSG = ("Sum over customers of the expected gross margin of the next {horizon} years, discounted at "
               "{discount_share} a year: purchases expected by a BG/NBD model (Fader, Hardie & Lee 2005) times "
               "the value of a purchase expected by a Gamma-Gamma model, both fitted by maximum likelihood on "
               "the purchase histories, times each customer's margin rate.")
_INTERVALS_MSG = {
    "delta": "Interval at {level_share} from the parameters' estimation uncertainty (delta method).",
    "bootstrap": "Interval at {level_share} from {samples} resamples of the customers, each refitted (bootstrap): "
                 "the models' parameters are not all determined by the data.",
    "none": "No interval: the models could not be refitted on enough resamples of the customers.",
}
"""``_METHOD`` and ``_INTERVALS`` as message templates (fields shown by ``clientfolio.i18n.render``)."""
_INTERVALS = {
    "delta": "Interval at {lvl:.0%} from the parameters' estimation uncertainty (delta method).",
    "bootstrap": "Interval at {lvl:.0%} from {n} resamples of the customers, each refitted (bootstrap): "
                 "the models' parameters are not all determined by the data.",
    "none": "No interval: the models could not be refitted on enough resamples of the customers.",
}


def _column(rows: list[dict[str, Any]], name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=np.float64)


def _fit(rows: list[dict[str, Any]], config: ClvConfig) -> tuple[FittedValues | None, str | None, str, list[int]]:
    """Fit the models on the customers of ``rows`` who made a purchase."""
    buyers = [i for i, r in enumerate(rows) if r["frequency"] is not None]
    chosen = [rows[i] for i in buyers]
    revenue = _column(chosen, "revenue_cents") + _column(chosen, "prev_revenue_cents")
    now, before = _column(chosen, "margin_cents"), _column(chosen, "prev_margin_cents")
    margin = np.where(np.isnan(now) & np.isnan(before), np.nan, np.nan_to_num(now) + np.nan_to_num(before))
    # a customer without revenue in the two windows (as of a date long after its
    # last sale) is costed on its whole history
    idle = ~(revenue > 0)
    revenue = np.where(idle, _column(chosen, "lifetime_revenue_cents"), revenue)
    margin = np.where(idle, _column(chosen, "lifetime_margin_cents"), margin)
    rates, basis = margin_rates(revenue, margin, config.assumed_margin_rate)
    if not chosen:
        return None, "no customer has made a purchase", basis, buyers
    try:
        fitted = fit_values(_column(chosen, "frequency"), _column(chosen, "recency_days"),
                            _column(chosen, "age_days"), _column(chosen, "monetary_cents"),
                            _column(chosen, "first_amount_cents"), rates, config)
    except ClientfolioError as exc:
        return None, str(exc), basis, buyers
    return fitted, None, basis, buyers


def _classify(rows: list[dict[str, Any]], classes: dict[str, str], accounts: Sequence[AccountRow],
              config: ValueConfig) -> tuple[list[CustomerValue], list[ProspectValue]]:
    """Potential, crossed ABC and category of every customer (those of the file
    and those with sales) and of the open prospects."""
    by_id = {r["customer_id"]: r for r in rows}
    known = {a.code: a for a in accounts if a.kind == "customer"}
    prospects = [a for a in accounts if a.kind == "prospect"]
    ids = sorted(set(by_id) | set(known))

    def account(code: str) -> Account:
        a, r = known.get(code), by_id.get(code)
        return Account(code, "customer", a.segment if a else (r["segment"] if r else None), a.size_band if a else None,
                       r["revenue_cents"] if r else 0, a.potential_cents if a else None,
                       a.wallet_share_pct if a else None, a.sector_growth_pct if a else None,
                       a.supplier_policy if a else None)

    potentials = estimate_potentials(
        [account(c) for c in ids] + [Account(p.code, "prospect", p.segment, p.size_band, 0, p.potential_cents,
                                             None, p.sector_growth_pct, p.supplier_policy) for p in prospects],
        config.potential)
    potential_classes = pareto_classes([p.account_id for p in potentials],
                                       [float(p.potential_cents) for p in potentials],
                                       config.categories.a, config.categories.b)
    customers = []
    for code, pot, pclass in zip(ids, potentials, potential_classes, strict=False):
        r, a = by_id.get(code), known.get(code)
        revenue = r["revenue_cents"] if r else 0
        abc = classes.get(code, "C")
        customers.append(CustomerValue(
            customer_id=code, name=a.name if a else None, segment=a.segment if a else (r["segment"] if r else None),
            region=a.region if a else None, revenue_cents=revenue, margin_cents=r["margin_cents"] if r else None,
            wallet_cents=pot.wallet_cents, potential_cents=pot.potential_cents, potential_source=pot.source,
            value_cents=max(revenue, 0) + pot.potential_cents, abc=abc, potential_class=pclass,
            category=category(abc, pclass, config.categories)))
    prospect_values = [
        ProspectValue(p.code, p.name, p.segment, p.region, pot.wallet_cents, pot.potential_cents, pot.source, pclass)
        for p, pot, pclass in zip(prospects, potentials[len(ids):], potential_classes[len(ids):], strict=True)]
    return customers, prospect_values


def _histories(transactions: ir.Table, as_of: dt.date, config: ValueConfig
               ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows = customer_history(transactions, as_of=as_of, window_months=config.window_months).to_pyarrow().to_pylist()
    classes = {r["customer_id"]: r["class"] for r in
               abc_classes(transactions, as_of=as_of, config=config.abc).to_pyarrow().to_pylist()}
    return rows, classes


def categorize(
    transactions: ir.Table, *, as_of: dt.date, accounts: Sequence[AccountRow] = (), config: ValueConfig | None = None,
) -> list[CustomerValue]:
    """Potential, crossed ABC and category of every customer, without the
    lifetime-value models (fast: what the follow-up of the VIPs needs)."""
    config = config or ValueConfig()
    rows, classes = _histories(transactions, as_of, config)
    return _classify(rows, classes, accounts, config)[0]


def value_portfolio(
    transactions: ir.Table, *, as_of: dt.date, accounts: Sequence[AccountRow] | None = None,
    receivables: ir.Table | None = None, settlements: ir.Table | None = None,
    config: ValueConfig | None = None,
) -> PortfolioValue:
    """Value every customer and the portfolio as of ``as_of``.

    ``transactions`` is the analytics' transactions table; ``accounts`` the
    customers and open prospects of the file (``PortfolioReader.accounts``,
    none for a transactions file); ``receivables`` and ``settlements`` the
    tables ``value.solvency`` takes (solvency is skipped without them).
    """
    config = config or ValueConfig()
    rows, classes = _histories(transactions, as_of, config)
    by_id = {r["customer_id"]: r for r in rows}
    customers, prospect_values = _classify(rows, classes, accounts or (), config)
    ids = [c.customer_id for c in customers]

    fitted, note, basis, buyers = _fit(rows, config.clv)
    if fitted is not None:
        position = {code: k for k, code in enumerate(ids)}
        for k, i in enumerate(buyers):
            c = customers[position[rows[i]["customer_id"]]]
            c.p_alive = float(fitted.p_alive[k])
            c.expected_purchases = float(fitted.expected_purchases[k])
            c.expected_spend_cents = float(fitted.expected_spend_cents[k])
            c.clv_cents = float(fitted.clv_cents[k])
    _place_in_quadrants(customers, transactions, as_of, by_id, basis, config)
    sol = None
    if receivables is not None and settlements is not None:
        sol = _solvency(customers, receivables, settlements, as_of, config.solvency)
    return PortfolioValue(as_of, customers, prospect_values, _equity(customers, fitted, note, basis, config.clv),
                          _crossed(customers, prospect_values), sol)


def _profit(row: dict[str, Any] | None, basis: str, margin: str, revenue: str) -> float | None:
    if row is None:
        return None
    return row[margin] if basis == "invoices" else row[revenue]


def _place_in_quadrants(customers: list[CustomerValue], transactions: ir.Table, as_of: dt.date,
                        now: dict[str, dict[str, Any]], basis: str, config: ValueConfig) -> None:
    """Quadrant, strategy and trajectory of each customer (``value.strategy``)."""
    future_now = [c.clv_cents if c.clv_cents is not None else c.potential_cents for c in customers]
    current = quadrants([_profit(now.get(c.customer_id), basis, "margin_cents", "revenue_cents")
                         for c in customers], future_now, config.quadrants)
    before = months_before(as_of, config.window_months)
    past_rows = customer_history(transactions, as_of=before, window_months=config.window_months).to_pyarrow()
    past = {r["customer_id"]: r for r in past_rows.to_pylist() if r["first_purchase"] is not None}
    fitted, _, _, buyers = _fit(list(past.values()), config.clv)
    future_past: dict[str, float] = {}
    if fitted is not None:
        codes = list(past)
        future_past = {codes[i]: float(fitted.clv_cents[k]) for k, i in enumerate(buyers)}
    known_past = [c for c in customers if c.customer_id in past]
    previous = dict(zip([c.customer_id for c in known_past], quadrants(
        [_profit(past[c.customer_id], basis, "margin_cents", "revenue_cents") for c in known_past],
        [future_past.get(c.customer_id, 0.0) if fitted is not None else float(c.potential_cents)
         for c in known_past], config.quadrants), strict=True))
    for c, quadrant in zip(customers, current, strict=True):
        c.quadrant = quadrant
        c.strategy = config.quadrants.strategies.get(quadrant) if quadrant else None
        c.previous_quadrant = previous.get(c.customer_id)
        c.trajectory = trajectory(c.previous_quadrant, quadrant) if c.customer_id in now else None


def _solvency(customers: list[CustomerValue], receivables: ir.Table, settlements: ir.Table, as_of: dt.date,
              config: SolvencyConfig) -> dict[str, Any]:
    """Solvency per customer and for the portfolio.  The invoices and payments
    (one row per document, not per line) are fetched once and computed on an
    in-memory DuckDB: the scoped store queries nest too deep for SQLite's parser."""
    con = connect("duckdb")
    try:
        docs = con.create_table("receivables", ibis.memtable(receivables.to_pyarrow()))
        paid = con.create_table("settlements", ibis.memtable(settlements.to_pyarrow()))
        per = {r["customer_id"]: r for r in
               solvency(docs, paid, as_of=as_of, config=config).to_pyarrow().to_pylist()}
        for c in customers:
            c.solvency = {k: v for k, v in per.get(c.customer_id, {}).items() if k != "customer_id"}
        return portfolio_solvency(docs, paid, as_of=as_of, config=config).as_dict()
    finally:
        con.disconnect()


def _whole(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _equity(customers: list[CustomerValue], fitted: FittedValues | None, note: str | None, basis: str,
            config: ClvConfig) -> Equity:
    method = _METHOD.format(h=config.horizon_years, d=config.discount_rate, lvl=config.interval_level)
    params: dict[str, str | int | float] = {"horizon": _whole(config.horizon_years),
                                             "discount_share": config.discount_rate}
    if fitted is None:
        return Equity(None, None, None, config.interval_level, config.horizon_years, config.discount_rate,
                      basis, 0, method, note, method_msg=_METHOD_MSG, method_params=params)
    by: dict[str, dict[str, float]] = {}
    for name, key in (("abc", "abc"), ("category", "category"), ("segment", "segment"), ("region", "region")):
        sums: dict[str, float] = defaultdict(float)
        for c in customers:
            if c.clv_cents is not None:
                sums[str(getattr(c, key) or "-")] += c.clv_cents
        by[name] = dict(sorted(sums.items()))
    low, point, high = fitted.interval
    samples = bootstrap_samples(len(fitted.clv_cents), config)
    method += " " + _INTERVALS[fitted.interval_method].format(lvl=config.interval_level, n=samples)
    params |= {"level_share": config.interval_level, "samples": samples}
    return Equity(point, low, high, config.interval_level, config.horizon_years, config.discount_rate, basis,
                  sum(c.clv_cents is not None for c in customers), method, note, fitted.parameters(), by,
                  fitted.interval_method, _METHOD_MSG + " " + _INTERVALS_MSG[fitted.interval_method], params)


def _crossed(customers: list[CustomerValue], prospects: list[ProspectValue]) -> list[dict[str, Any]]:
    """The crossed ABC matrix: rows A, B, C, P x columns A', B', C' with counts,
    revenue and potential in cents."""
    cells: dict[tuple[str, str], dict[str, Any]] = {
        (r, p): {"revenue_class": r, "potential_class": p, "customers": 0, "revenue_cents": 0,
                 "potential_cents": 0} for r in "ABCP" for p in "ABC"}
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
