"""The value of the portfolio: every customer's value, the crossed ABC, the
quadrants and trajectories, solvency, and the valuation of the customer capital.

``value_portfolio`` is what the shells call (``clientfolio value``, the web app,
the report); each part is a function of its own module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt

from clientfolio.analytics.engines import connect
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_
from clientfolio.periods import months_before
from clientfolio.value.backtest import compare_forecast
from clientfolio.value.categories import pareto_class_array
from clientfolio.value.clv import FittedValues, fit_sample_of, fit_values, margin_rates, model_inputs
from clientfolio.value.equity import Equity, Statement, equity_of
from clientfolio.value.history import Histories, Summary, customer_history, customer_summary, read_summary
from clientfolio.value.potential import (
    Accounts,
    Potentials,
    estimate_potential_columns,
    source_counts,
)
from clientfolio.value.refits import Refits
from clientfolio.value.rules import ClvConfig, ValueConfig
from clientfolio.value.solvency import SolvencyConfig, solvency, solvency_totals
from clientfolio.value.strategy import (
    QuadrantThresholds,
    quadrant_array,
    quadrant_thresholds,
    trajectory,
)

if TYPE_CHECKING:  # the access layer (and the store) only where a store is valued
    from clientfolio.access.reader import AccountRow

_EPOCH = dt.date(1970, 1, 1)  # ``Histories`` dates are days since then

__all__ = [
    "CustomerValue",
    "Equity",
    "PortfolioValue",
    "ProspectValue",
    "categorize",
    "population_histories",
    "value_portfolio",
]


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
    h: Histories,
    config: ClvConfig,
    *,
    interval: bool = True,
    valued: npt.NDArray[np.bool_] | None = None,
    refits: Refits | None = None,
) -> tuple[FittedValues | None, Statement | None, str, npt.NDArray[np.intp]]:
    """Fit the models on the customers of ``h`` who made a purchase (and the
    interval of their total unless ``interval`` is False), on a sample of them
    beyond ``config.fit_sample``; returns the fit, why there is none, the
    margin basis and the rows of ``h`` fitted (the buyers, in order).  With
    ``valued`` (a mask of ``h``), the total and its interval are those of
    these customers only (the others get a margin rate of 0 in the sum, so a
    lifetime value of 0: the models are fitted on every row, each refit of the
    bootstrap too)."""
    buyers = np.flatnonzero(~np.isnan(h.value("frequency")))
    chosen = h.take(buyers)
    revenue = chosen.value("revenue_cents") + chosen.value("prev_revenue_cents")
    now, before = chosen.value("margin_cents"), chosen.value("prev_margin_cents")
    margin = np.where(np.isnan(now) & np.isnan(before), np.nan, np.nan_to_num(now) + np.nan_to_num(before))
    # a customer without revenue in the two windows (as of a date long after its
    # last sale) is costed on its whole history
    idle = ~(revenue > 0)
    revenue = np.where(idle, chosen.value("lifetime_revenue_cents"), revenue)
    margin = np.where(idle, chosen.value("lifetime_margin_cents"), margin)
    rates, basis = margin_rates(revenue, margin, config.assumed_margin_rate)
    if valued is not None:
        rates = np.where(valued[buyers], rates, 0.0)
    if not buyers.size:
        return None, Statement.of(N_("no customer has made a purchase")), basis, buyers
    sample = fit_sample_of(chosen.ids, config.fit_sample)
    try:
        fitted = fit_values(model_inputs(chosen), rates, config, interval=interval, sample=sample, refits=refits)
    except ClientfolioError as exc:
        return None, Statement(str(exc), exc.template, dict(exc.params)), basis, buyers
    return fitted, None, basis, buyers


@dataclass(frozen=True)
class _Customers:
    """Every customer (those of the file and those with sales, by code) as
    columns, with the rows of ``now`` (-1 for a customer without a line)."""

    ids: npt.NDArray[np.object_]
    rows: npt.NDArray[np.intp]
    names: list[str | None]
    segments: npt.NDArray[np.object_]
    regions: list[str | None]
    revenue: npt.NDArray[np.int64]
    potentials: Potentials
    abc: npt.NDArray[np.str_]
    potential_classes: npt.NDArray[np.str_]
    categories: list[str | None]


def _classify(
    summary: Summary, accounts: Sequence[AccountRow], config: ValueConfig
) -> tuple[_Customers, list[ProspectValue]]:
    """Potential, crossed ABC and category of every customer (those of the file
    and those with sales) and of the open prospects."""
    now = summary.now
    known = {a.code: a for a in accounts if a.kind == "customer"}
    prospects = [a for a in accounts if a.kind == "prospect"]
    if known:
        ids = np.array(sorted(set(now.ids) | set(known)), dtype=object)
        position = {code: k for k, code in enumerate(now.ids)}
        rows = np.array([position.get(code, -1) for code in ids], dtype=np.intp)
    else:
        ids, rows = now.ids, np.arange(len(now), dtype=np.intp)
    revenue = _take(now.value("revenue_cents"), rows, 0).astype(np.int64)
    files = [known.get(code) for code in ids]
    segments = _take(now.segments, rows, None)
    if known:
        segments = np.array([s if a is None else a.segment for a, s in zip(files, segments, strict=True)], dtype=object)

    def field(name: str) -> list[Any]:
        return [None if a is None else getattr(a, name) for a in files] + [getattr(p, name) for p in prospects]

    def floats(name: str) -> npt.NDArray[np.float64]:
        return np.array([np.nan if v is None else v for v in field(name)], dtype=np.float64)

    every = np.concatenate([ids, np.array([p.code for p in prospects], dtype=object)])
    potentials = estimate_potential_columns(
        Accounts(
            every,
            np.array(["customer"] * ids.size + ["prospect"] * len(prospects), dtype=object),
            np.concatenate([segments, np.array([p.segment for p in prospects], dtype=object)]),
            np.array(field("size_band"), dtype=object),
            np.concatenate([revenue, np.zeros(len(prospects), dtype=np.int64)]),
            floats("potential_cents"),
            floats("wallet_share_pct"),
            floats("sector_growth_pct"),
            np.array(field("supplier_policy"), dtype=object),
        ),
        config.potential,
    )
    classes = pareto_class_array(
        every, potentials.potential_cents.astype(np.float64), config.categories.a, config.categories.b
    )
    abc = _take(summary.classes, rows, "C")
    cells = config.categories.cells
    n = ids.size
    customers = _Customers(
        ids,
        rows,
        [None if a is None else a.name for a in files],
        segments,
        [None if a is None else a.region for a in files],
        revenue,
        Potentials(potentials.wallet_cents[:n], potentials.potential_cents[:n], potentials.source[:n]),
        abc,
        classes[:n],
        [cells[r + p] for r, p in zip(abc, classes[:n], strict=True)],
    )
    prospect_values = [
        ProspectValue(
            p.code,
            p.name,
            p.segment,
            p.region,
            None if np.isnan(wallet) else int(wallet),
            int(potential),
            str(source),
            str(pclass),
        )
        for p, wallet, potential, source, pclass in zip(
            prospects,
            potentials.wallet_cents[n:],
            potentials.potential_cents[n:],
            potentials.source[n:],
            classes[n:],
            strict=True,
        )
    ]
    return customers, prospect_values


def _take(values: npt.NDArray[Any], rows: npt.NDArray[np.intp], missing: Any) -> npt.NDArray[Any]:
    """``values`` at ``rows``, ``missing`` where a row is -1 (no history)."""
    out = np.full(rows.size, missing, dtype=values.dtype)
    found = rows >= 0
    out[found] = values[rows[found]]
    return out


def _read(transactions: ir.Table, as_of: dt.date, config: ValueConfig) -> Summary:
    """The customers' histories as of ``as_of`` and one window earlier, and
    their ABC classes at both dates: one query, one row per customer back."""
    before = months_before(as_of, config.window_months)
    table = customer_summary(
        transactions, as_of=as_of, before=before, window_months=config.window_months, abc=config.abc
    )
    return read_summary(table.to_pyarrow(), config.abc)


def _values(
    c: _Customers,
    now: Histories,
    values: dict[str, npt.NDArray[np.float64]] | None = None,
    placed: _Placed | None = None,
) -> list[CustomerValue]:
    """The customers' lines (``values``: the models' outputs, NaN where none;
    ``placed``: their quadrants), built from Python lists of the columns."""
    n = c.ids.size
    margins = _take(now.value("margin_cents"), c.rows, np.nan)

    def optional(array: npt.NDArray[np.float64] | None) -> list[Any]:
        if array is None:
            return [None] * n
        cells = array.astype(object)  # Python floats
        cells[np.isnan(array)] = None
        listed: list[Any] = cells.tolist()
        return listed

    def whole(array: npt.NDArray[np.float64]) -> list[Any]:
        cells = np.nan_to_num(array).astype(np.int64).astype(object)  # Python ints
        cells[np.isnan(array)] = None
        listed: list[Any] = cells.tolist()
        return listed

    values = values or {}
    columns: tuple[list[Any], ...] = (  # in the order of CustomerValue's fields
        c.ids.tolist(),
        c.names,
        c.segments.tolist(),
        c.regions,
        c.revenue.tolist(),
        whole(margins),
        whole(c.potentials.wallet_cents),
        c.potentials.potential_cents.tolist(),
        c.potentials.source.tolist(),
        (np.maximum(c.revenue, 0) + c.potentials.potential_cents).tolist(),
        optional(values.get("p_alive")),
        optional(values.get("expected")),
        optional(values.get("spend")),
        optional(values.get("clv")),
        c.abc.tolist(),
        c.potential_classes.tolist(),
        c.categories,
    )
    if placed is not None:
        columns += (
            placed.quadrant.tolist(),
            placed.strategy,
            placed.previous.tolist(),
            placed.trajectory,
            [{} for _ in range(n)],  # solvency, set by ``_solvency``
            placed.note.tolist(),
            optional(placed.profit),
            optional(placed.future),
        )
    return [CustomerValue(*fields) for fields in zip(*columns, strict=True)]


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
    summary = _read(transactions, as_of, config)
    return _values(_classify(summary, accounts, config)[0], summary.now)


def population_histories(transactions: ir.Table, *, as_of: dt.date, window_months: int) -> Histories:
    """The histories (``value.history.customer_history``) of the customers of
    ``transactions`` as of ``as_of``, read: what ``value_portfolio`` fits the
    models on when given a ``population``."""
    return Histories.of(customer_history(transactions, as_of=as_of, window_months=window_months).to_pyarrow())


def value_portfolio(
    transactions: ir.Table,
    *,
    as_of: dt.date,
    accounts: Sequence[AccountRow] | None = None,
    receivables: ir.Table | None = None,
    settlements: ir.Table | None = None,
    config: ValueConfig | None = None,
    population: ir.Table | Histories | None = None,
    interval: bool = True,
    refits: Refits | None = None,
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
    ``transactions`` (``value_source`` passes the whole portfolio, or its
    histories as ``population_histories`` reads them).
    ``interval`` False skips the bootstrap of the total's interval (a caller
    that shows neither the interval nor the equity's method); ``refits`` keeps
    its refits for the next scope of the same portfolio (``value.refits``).

    The lines are read once (``value.history.customer_summary``, on the engine
    of ``transactions``): only one row per customer comes back, and the rest
    is computed on numpy columns.
    """
    config = config or ValueConfig()
    summary = _read(transactions, as_of, config)
    now = summary.now
    customers, prospect_values = _classify(summary, accounts or (), config)

    fit_rows, valued = now, None
    if population is not None:
        fit_rows = (
            population
            if isinstance(population, Histories)
            else population_histories(population, as_of=as_of, window_months=config.window_months)
        )
        shown_codes = set(now.ids.tolist())  # a set: numpy's isin sorts object arrays by Python comparisons
        valued = np.fromiter((code in shown_codes for code in fit_rows.ids.tolist()), bool, len(fit_rows))
    fitted, note, basis, buyers = _fit(fit_rows, config.clv, interval=interval, valued=valued, refits=refits)
    values: dict[str, npt.NDArray[np.float64]] = {}
    if fitted is not None:
        position = {code: k for k, code in enumerate(customers.ids)}
        at = np.array([position.get(code, -1) for code in fit_rows.ids[buyers]], dtype=np.intp)
        if valued is not None:
            at[~valued[buyers]] = -1  # fitted on, not shown
        shown = at >= 0
        for name, array in (
            ("p_alive", fitted.p_alive),
            ("expected", fitted.expected_purchases),
            ("spend", fitted.expected_spend_cents),
            ("clv", fitted.clv_cents),
        ):
            values[name] = np.full(customers.ids.size, np.nan)
            values[name][at[shown]] = array[shown]
    # for the trajectories and the backtest: the scope's own customers (kept in ``refits`` for its next figures)
    past_fit, _, _, _ = _fit(summary.past, config.clv, interval=False, refits=refits)
    placed = _place_in_quadrants(customers, summary, values.get("clv"), past_fit, as_of, config)
    lines = _values(customers, now, values, placed)
    sol = None
    if receivables is not None and settlements is not None:
        sol = _solvency(lines, receivables, settlements, as_of, config.solvency)
    tested = None
    if config.backtest and fitted is not None and past_fit is not None:
        tested = compare_forecast(summary, fitted=past_fit, as_of=as_of, months=config.window_months, clv=config.clv)
    return PortfolioValue(
        as_of,
        lines,
        prospect_values,
        equity_of(lines, fitted, note, basis, config.clv, tested),
        _crossed(lines, prospect_values),
        sol,
        quadrant_thresholds=placed.thresholds.as_dict(),
    )


@dataclass(frozen=True)
class _Axes:
    """The two axes of the quadrants for one window (see ``_place_in_quadrants``):
    profitability and potential of each customer (NaN: none), its note, whether
    it bought in the window, and the two bases."""

    profit: npt.NDArray[np.float64]
    future: npt.NDArray[np.float64]
    note: npt.NDArray[np.object_]
    bought: npt.NDArray[np.bool_]
    profit_basis: str
    potential_basis: str


def _axes(
    h: Histories,
    rows: npt.NDArray[np.intp],
    potential: npt.NDArray[np.int64],
    future: npt.NDArray[np.float64] | None,
    start: dt.date,
) -> _Axes:
    """The axes of the customers whose histories are the rows ``rows`` of ``h``
    (-1: none), with ``potential`` their potential revenue and ``future``
    their lifetime value (None: not fitted)."""
    revenue_all, margin_all = h.value("revenue_cents"), h.value("margin_cents")
    known = ~np.isnan(margin_all) & (revenue_all > 0)
    revenue_sum = revenue_all[known].sum()
    rate = float(margin_all[known].sum() / revenue_sum) if known.any() and revenue_sum > 0 else None
    seen = rows >= 0
    revenue = _take(revenue_all, rows, np.nan)
    margin = _take(margin_all, rows, np.nan)
    note = np.full(rows.size, None, dtype=object)
    if rate is None:
        profit = revenue
    else:
        estimated = seen & np.isnan(margin)
        profit = np.where(estimated, revenue * rate, margin)
        note[estimated] = "margin_estimated"
    note[profit < 0] = "negative_margin"
    last = _take(h.value("last_purchase"), rows, np.nan)
    bought = last > (start - _EPOCH).days
    note[~bought] = "no_purchase"
    basis = "clv" if future is not None else "potential_revenue" if rate is None else "potential_margin"
    if future is None:
        future = np.asarray(potential * (1.0 if rate is None else min(max(rate, 0.0), 1.0)), dtype=np.float64)
    return _Axes(profit, future, note, bought, "revenue" if rate is None else "margin", basis)


def _quadrants(axes: _Axes, config: ValueConfig) -> tuple[npt.NDArray[np.object_], QuadrantThresholds]:
    """Quadrant of each customer on ``axes`` (None: none), and the thresholds used."""
    thresholds = quadrant_thresholds(
        axes.profit,
        axes.future,
        config.quadrants,
        profit_basis=axes.profit_basis,
        potential_basis=axes.potential_basis,
    )
    placed = quadrant_array(axes.profit, axes.future, thresholds)
    # no purchase in the window and no future value: no quadrant (nothing to invent)
    placed[~axes.bought & np.isin(placed, ["high_low", "low_low"])] = None
    return placed, thresholds


@dataclass(frozen=True)
class _Placed:
    """Each customer's quadrant, its note, axes, strategy, previous quadrant and trajectory."""

    quadrant: npt.NDArray[np.object_]
    note: npt.NDArray[np.object_]
    profit: npt.NDArray[np.float64]
    future: npt.NDArray[np.float64]
    strategy: list[str | None]
    previous: npt.NDArray[np.object_]
    trajectory: list[str | None]
    thresholds: QuadrantThresholds


def _place_in_quadrants(
    customers: _Customers,
    summary: Summary,
    clv: npt.NDArray[np.float64] | None,
    past_fit: FittedValues | None,
    as_of: dt.date,
    config: ValueConfig,
) -> _Placed:
    """Quadrant, strategy and trajectory of each customer (``value.strategy``).

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
      models fitted on ``summary.past``, the history up to then, by
      ``value_portfolio``; today's potential without them); a customer without a
      quadrant then but with one now, having bought before, is ``up`` (it came
      back).
    """
    potential = customers.potentials.potential_cents
    future_now = None if clv is None or np.isnan(clv).all() else clv
    now = _axes(summary.now, customers.rows, potential, future_now, months_before(as_of, config.window_months))
    current, thresholds = _quadrants(now, config)
    # the customers who had bought one window earlier: the rows of ``past``, among the customers
    before = months_before(as_of, config.window_months)
    in_past = np.full(len(summary.now), -1, dtype=np.intp)
    in_past[summary.past_rows] = np.arange(summary.past_rows.size)
    past_of = _take(in_past, customers.rows, -1)
    had = past_of >= 0
    future_past = None if past_fit is None else np.asarray(past_fit.clv_cents, dtype=np.float64)
    order = past_of[had]  # rows of ``past`` in the customers' order
    then = _axes(
        summary.past,
        order,
        potential[had],
        None if future_past is None else future_past[order],
        months_before(before, config.window_months),
    )
    previous = np.full(customers.ids.size, None, dtype=object)
    previous[had] = _quadrants(then, config)[0]
    strategies = config.quadrants.strategies
    trajectories: list[str | None] = []
    for quadrant, earlier, row, back in zip(current, previous, customers.rows, had, strict=True):
        if row < 0 or quadrant is None:
            trajectories.append(None)
        elif earlier is None and back:
            trajectories.append("up")
        else:
            trajectories.append(trajectory(earlier, quadrant))
    return _Placed(
        current,
        now.note,
        now.profit,
        now.future,
        [strategies.get(q) if q else None for q in current],
        previous,
        trajectories,
        thresholds,
    )


def _solvency(
    customers: list[CustomerValue], receivables: ir.Table, settlements: ir.Table, as_of: dt.date, config: SolvencyConfig
) -> dict[str, Any]:
    """Solvency per customer and for the portfolio.  The invoices and payments
    (one row per document, not per line) are fetched once and computed on an
    in-memory DuckDB: the scoped store queries nest too deep for SQLite's parser.
    Without any payment (a file of invoices only), the customers get no solvency
    (their delays would be those of invoices never paid) and the portfolio's
    ``has_payment_data`` is False: its readers say "no payment data"."""
    con = connect("duckdb")
    try:
        docs, paid = receivables.to_pyarrow(), settlements.to_pyarrow()
        query = solvency(ibis.memtable(docs), ibis.memtable(paid), as_of=as_of, config=config)
        rows = con.to_pyarrow(query)
    finally:
        con.disconnect()
    paid_any = paid.num_rows > 0
    if paid_any:  # without any payment every invoice looks unpaid: no customer is said late
        per = {r.pop("customer_id"): r for r in rows.to_pylist()}
        for c in customers:
            c.solvency = per.get(c.customer_id, {})
    return solvency_totals(rows, as_of=as_of, has_payment_data=paid_any, config=config).as_dict()


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
