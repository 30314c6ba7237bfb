"""Portfolio measures (*mesurer le portefeuille*, DOMAIN.md section 1).

``measures(transactions, as_of=..., period=...)`` takes the transactions table
(``customer_id, date, amount_cents``; see ``analytics.transactions``) and gives
a small frozen ``Measures``: customers and revenue of the period ending at
``as_of`` and of the period before, new and lost customers, churn, renewal,
evolution, concentration, and the projection of the portfolio without
prospecting.  One query runs in the engine (grouping by customer, ranking,
conditional sums) and returns one row of totals; the final ratios are computed
in Python from those integers.

Definitions (``as_of`` is the analysis date; "- k months" keeps the day of month,
clamped to the end of a shorter month; boundaries are computed in Python and
compared as literal dates, so every engine cuts at the same day):

- **Periods** are rolling: the 12, 3 or 1 months (``period`` = year, quarter,
  month) ending at ``as_of`` inclusive.  Period N is ``(as_of - m, as_of]``,
  period N-1 is ``(as_of - 2m, as_of - m]`` (the quarter ending 30 June starts
  on 31 March, since 30 June - 3 months = 30 March; the month ending 29
  February 2024 starts on 30 January).  Lines dated after ``as_of`` are
  left out of everything, first purchases included.
- **Revenue** of a period = net sum of all its lines (invoices and credit notes,
  every customer, including customers whose net is negative).
- **Active** in a span of dates: the customer's net revenue there is > 0.  A
  customer whose credit notes cancel its invoices is not active.
- **Lost window** of a period: the ``lost_window_months`` months before its
  first day, ``(start - L, start]`` in the notation above.  **Active at start**
  = active in that window.
- **Lost** = active at start and not active in the period; the revenue they took
  with them is their net revenue in the lost window.
- **New** = active in the period and whose first line ever (any line up to
  ``as_of``, credit notes included) falls in the period; their revenue is their
  net revenue in the period.  A customer whose first lines net to zero or less
  is neither active nor new.
- **Returning** = active in the period, not active at start and not new (a
  customer back after a gap longer than the lost window, or whose first
  purchases had been cancelled).
- The identity ``active = active_at_start - lost + new + returning`` always
  holds.  With the default year period and 12-month lost window, the lost window
  of N *is* period N-1, so ``active_at_start`` = customers of N-1 and the
  domain's ``customers N = customers N-1 - lost + new`` holds whenever nobody
  returns.  For a quarter or a month the lost window (12 months) is longer than
  the period, so ``active_at_start`` and the customers of N-1 differ.
- **Churn rate** = lost / active at start (None when nobody was active at start).
- **Renewal ratio** (*taux de renouvellement*) = new / lost (None when nobody
  was lost).
- **Evolution** N-1 -> N: the difference of active customers and of revenue,
  and the rate = difference / value in N-1 (a fraction: 0.25 = +25 %; None when
  the value in N-1 is not positive).

Concentration (period N, over the active customers only; shares are of their
total revenue, so they lie in 0-1):

- ``top_20pct_share``: share of the top ``ceil(n / 5)`` customers (n active
  customers): the smallest count that is at least 20 % of the customers, and at
  least one customer (10 -> 2, 11 -> 3, 4 -> 1).  Computed with integers
  (``5 * rank <= n + 4``), so every engine draws the line at the same customer.
- ``top_n_share``: share of the ``top_customers`` largest customers.
- ``hhi``: Herfindahl-Hirschman index, sum of squared revenue shares, 0-1
  (1 = a single customer; 1/n = n equal customers).
- ``gini``: Gini coefficient of the active customers' revenues, with x sorted
  ascending and i = 1..n: ``G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n``
  (equal to the mean absolute difference over twice the mean); 0 = all equal,
  tends to 1 when one customer makes everything; 0 for a single customer.
- ``largest_customer_id`` / ``largest_share``: the first customer by revenue
  (ties: the smaller code), and ``dependency_alert`` = its share >
  ``dependency_alert_share``.
- Ranks order by revenue descending then ``customer_id`` ascending (the
  engine's string order: the same everywhere for ASCII codes in one case).

Projection without prospecting (from period N):

- ``annual_churn`` c = ``1 - (1 - churn) ** (12 / m)``: the period's churn
  compounded to a year (equal to the churn for a year period).  Note that with a
  quarter or a month, "lost" compares the period with the 12 months before it,
  so the compounded figure is high for customers who do not buy every period:
  read it as an upper bound.
- ``remaining_share[k - 1]`` = ``(1 - c) ** k`` for k = 1 .. ``projection_years``:
  the share of today's customers still there after k years.
- ``years_to_half`` = ``ln 0.5 / ln(1 - c)``; None when c = 0 (never), 0.0 when
  c = 1 (the limit of the formula).
- ``new_per_year_to_hold`` = c x active customers of N: the customers lost per
  year at that churn, hence the new customers a year needed to hold the level.
- All four are None / empty when the churn is unknown (nobody active at start).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.customer_totals import CustomerNeeds, Span, customer_totals
from clientfolio.periods import months_before

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "PERIOD_MONTHS",
    "Concentration",
    "Evolution",
    "Measures",
    "MeasuresConfig",
    "Period",
    "PeriodMeasures",
    "Projection",
    "measures",
    "measures_needs",
    "measures_of_totals",
]

Period = Literal["year", "quarter", "month"]
PERIOD_MONTHS = MappingProxyType({"year": 12, "quarter": 3, "month": 1})
"""Length in months of each period."""


class MeasuresConfig(BaseModel):
    """Settings of the portfolio measures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lost_window_months: int = Field(
        12,
        ge=1,
        le=120,
        description="A customer is lost when it was active in this many months before the period "
        "and is not active in the period (default 12: bought in the last year, not since).",
    )
    dependency_alert_share: float = Field(
        0.10,
        gt=0,
        le=1,
        description="Raise the dependency alert when the largest customer makes more than this share "
        "of the period's revenue.  The seeds give no figure; 10 % is a prudent default, the "
        "level at which IFRS 8 (paragraph 34) and US GAAP (ASC 280) make a company disclose "
        "its reliance on a single customer.",
    )
    top_customers: int = Field(
        10,
        ge=1,
        description="Number of largest customers whose revenue share is given (top_n_share).",
    )
    projection_years: int = Field(
        10,
        ge=1,
        le=100,
        description="Years of the projection without prospecting (share of customers remaining).",
    )


@dataclass(frozen=True)
class PeriodMeasures:
    """Customers and revenue of one period, ``start`` to ``end`` inclusive."""

    start: dt.date
    end: dt.date
    active_customers: int
    revenue_cents: int
    active_at_start: int
    new_customers: int
    new_revenue_cents: int
    lost_customers: int
    lost_revenue_cents: int
    returning_customers: int
    churn_rate: float | None
    renewal_ratio: float | None


@dataclass(frozen=True)
class Evolution:
    """Period N-1 -> N: differences and rates (fractions of the N-1 value)."""

    customers_change: int
    customers_change_rate: float | None
    revenue_change_cents: int
    revenue_change_rate: float | None


@dataclass(frozen=True)
class Concentration:
    """How period N's revenue spreads over its active customers."""

    customers: int
    top_20pct_customers: int
    top_20pct_share: float
    top_n_customers: int
    top_n_share: float
    hhi: float
    gini: float
    largest_customer_id: str | None
    largest_share: float
    dependency_alert: bool


@dataclass(frozen=True)
class Projection:
    """The portfolio without prospecting, at the current churn."""

    annual_churn: float | None
    remaining_share: tuple[float, ...]
    years_to_half: float | None
    new_per_year_to_hold: float | None


@dataclass(frozen=True)
class Measures:
    """Result of ``measures``; ``as_dict`` gives it JSON-ready (money in cents)."""

    as_of: dt.date
    period: Period
    months: int
    current: PeriodMeasures
    previous: PeriodMeasures
    evolution: Evolution
    concentration: Concentration
    projection: Projection

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts, lists, ints, floats, strings and None; dates ISO."""
        plain: dict[str, Any] = _plain(asdict(self))
        return plain


def _plain(value: Any) -> Any:
    """``value`` with dates as ISO strings and tuples as lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class _Bounds:
    """Exclusive lower / inclusive upper date bounds of the spans of one run."""

    as_of: dt.date
    n_lo: dt.date  # period N = (n_lo, as_of]
    p_lo: dt.date  # period N-1 = (p_lo, n_lo]
    wn_lo: dt.date  # lost window of N = (wn_lo, n_lo]
    wp_lo: dt.date  # lost window of N-1 = (wp_lo, p_lo]


def _bounds(as_of: dt.date, months: int, window: int) -> _Bounds:
    return _Bounds(
        as_of=as_of,
        n_lo=months_before(as_of, months),
        p_lo=months_before(as_of, 2 * months),
        wn_lo=months_before(as_of, months + window),
        wp_lo=months_before(as_of, 2 * months + window),
    )


def measures_needs(
    as_of: dt.date, *, period: Period = "year", config: MeasuresConfig = MeasuresConfig()
) -> CustomerNeeds:  # noqa: B008 - frozen
    """What the measures need of each customer's lines (see ``customer_totals``):
    the net of period N and N-1 and of their lost windows."""
    b = _bounds(as_of, _months(period), config.lost_window_months)
    return CustomerNeeds(
        spans={
            "rev_n": Span(b.n_lo, b.as_of),
            "rev_p": Span(b.p_lo, b.n_lo),
            "win_n": Span(b.wn_lo, b.n_lo),
            "win_p": Span(b.wp_lo, b.p_lo),
        }
    )


def _months(period: Period) -> int:
    if period not in PERIOD_MONTHS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_MONTHS)}, not {period!r}")
    return PERIOD_MONTHS[period]


def _totals(per: ir.Table, b: _Bounds, top_customers: int) -> ir.Table:
    """One row of integer totals (see ``measures``), computed in the engine from
    the customer totals (``first_line``, ``rev_n``, ``rev_p``, ``win_n``, ``win_p``)."""
    import ibis

    # Ranks 1.. by revenue of N descending (the active customers come first);
    # the count of active customers on every row, for the top 20 % cut.
    per = per.mutate(
        rank=ibis.row_number().over(order_by=[per.rev_n.desc(), per.customer_id.asc()]) + 1,
        n_active=ibis.ifelse(per.rev_n > 0, 1, 0).sum().over(),
    )

    def count(condition: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(condition, 1, 0).sum()

    def total(value: ir.IntegerValue, condition: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(condition, value, 0).sum()

    active_n, active_p = per.rev_n > 0, per.rev_p > 0
    start_n, start_p = per.win_n > 0, per.win_p > 0
    first_n = (per.first_line > b.n_lo) & (per.first_line <= b.as_of)
    first_p = (per.first_line > b.p_lo) & (per.first_line <= b.n_lo)
    new_n, new_p = active_n & first_n, active_p & first_p
    lost_n, lost_p = start_n & ~active_n, start_p & ~active_p
    return per.aggregate(
        n_active=count(active_n),
        n_revenue=per.rev_n.sum(),
        n_start=count(start_n),
        n_new=count(new_n),
        n_new_revenue=total(per.rev_n, new_n),
        n_lost=count(lost_n),
        n_lost_revenue=total(per.win_n, lost_n),
        p_active=count(active_p),
        p_revenue=per.rev_p.sum(),
        p_start=count(start_p),
        p_new=count(new_p),
        p_new_revenue=total(per.rev_p, new_p),
        p_lost=count(lost_p),
        p_lost_revenue=total(per.win_p, lost_p),
        active_revenue=total(per.rev_n, active_n),
        top20_revenue=total(per.rev_n, active_n & (per.rank * 5 <= per.n_active + 4)),
        topn_revenue=total(per.rev_n, active_n & (per.rank <= top_customers)),
        rank_revenue=total(per.rank * per.rev_n, active_n),
        squares=ibis.ifelse(active_n, per.rev_n.cast("float64") * per.rev_n.cast("float64"), 0.0).sum(),
        largest_id=per.customer_id.max(where=active_n & (per.rank == 1)),
        largest_revenue=total(per.rev_n, active_n & (per.rank == 1)),
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _period(row: dict[str, Any], prefix: str, start: dt.date, end: dt.date) -> PeriodMeasures:
    def get(name: str) -> int:
        return int(row[f"{prefix}_{name}"] or 0)

    return PeriodMeasures(
        start=start,
        end=end,
        active_customers=get("active"),
        revenue_cents=get("revenue"),
        active_at_start=get("start"),
        new_customers=get("new"),
        new_revenue_cents=get("new_revenue"),
        lost_customers=get("lost"),
        lost_revenue_cents=get("lost_revenue"),
        returning_customers=get("active") - get("start") + get("lost") - get("new"),
        churn_rate=_ratio(get("lost"), get("start")),
        renewal_ratio=_ratio(get("new"), get("lost")),
    )


def _rate(change: int, before: int) -> float | None:
    return change / before if before > 0 else None


def _concentration(row: dict[str, Any], config: MeasuresConfig) -> Concentration:
    n = int(row["n_active"] or 0)
    s = int(row["active_revenue"] or 0)
    largest = int(row["largest_revenue"] or 0)
    if n == 0 or s <= 0:
        return Concentration(0, 0, 0.0, 0, 0.0, 0.0, 0.0, None, 0.0, False)
    # sum(i * x_i), i ascending = sum((n + 1 - rank) * x) with rank descending.
    ascending = (n + 1) * s - int(row["rank_revenue"])
    return Concentration(
        customers=n,
        top_20pct_customers=(n + 4) // 5,
        top_20pct_share=int(row["top20_revenue"]) / s,
        top_n_customers=min(n, config.top_customers),
        top_n_share=int(row["topn_revenue"]) / s,
        hhi=float(row["squares"]) / (s * s),
        gini=2 * ascending / (n * s) - (n + 1) / n,
        largest_customer_id=row["largest_id"],
        largest_share=largest / s,
        dependency_alert=largest / s > config.dependency_alert_share,
    )


def _projection(churn: float | None, months: int, active: int, years: int) -> Projection:
    if churn is None:
        return Projection(None, (), None, None)
    c = 1 - (1 - churn) ** (12 / months)
    if c <= 0:
        half: float | None = None
    elif c >= 1:
        half = 0.0
    else:
        half = math.log(0.5) / math.log(1 - c)
    return Projection(
        annual_churn=c,
        remaining_share=tuple((1 - c) ** k for k in range(1, years + 1)),
        years_to_half=half,
        new_per_year_to_hold=c * active,
    )


def measures(
    transactions: ir.Table,
    *,
    as_of: dt.date,
    period: Period = "year",
    config: MeasuresConfig = MeasuresConfig(),  # noqa: B008 - frozen, never mutated
) -> Measures:
    """The portfolio measures of the ``period`` ending at ``as_of`` (see the
    module docstring for every definition).

    Takes the columns ``customer_id``, ``date`` and ``amount_cents`` of the
    transactions table; gives a ``Measures`` (money in integer cents, shares and
    rates as fractions 0-1).  Runs one query and fetches one row.

    The top-20 % share (``concentration.top_20pct_share``) is the share of the
    period's revenue made by its ``ceil(n / 5)`` largest active customers: "the
    top 20 % of customers" rounded up, at least one (11 customers -> 3, 10 -> 2).
    This is the one definition: ``clientfolio summary``, ``analyze``, the
    dashboard and the annual report all read it from here.
    """
    needs = measures_needs(as_of, period=period, config=config)
    totals = customer_totals(transactions, as_of=as_of, needs=[needs])
    return measures_of_totals(totals, as_of=as_of, period=period, config=config)


def measures_of_totals(
    totals: ir.Table,
    *,
    as_of: dt.date,
    period: Period = "year",
    config: MeasuresConfig = MeasuresConfig(),  # noqa: B008 - frozen, never mutated
) -> Measures:
    """``measures`` computed from customer totals that include ``measures_needs``
    (``analyze`` computes them once for the measures, ABC and RFM)."""
    months = _months(period)
    b = _bounds(as_of, months, config.lost_window_months)
    # An aggregate without grouping always gives exactly one row.
    row: dict[str, Any] = _totals(totals, b, config.top_customers).to_pyarrow().to_pylist()[0]
    day = dt.timedelta(days=1)
    current = _period(row, "n", b.n_lo + day, as_of)
    previous = _period(row, "p", b.p_lo + day, b.n_lo)
    customers_change = current.active_customers - previous.active_customers
    revenue_change = current.revenue_cents - previous.revenue_cents
    return Measures(
        as_of=as_of,
        period=period,
        months=months,
        current=current,
        previous=previous,
        evolution=Evolution(
            customers_change=customers_change,
            customers_change_rate=_rate(customers_change, previous.active_customers),
            revenue_change_cents=revenue_change,
            revenue_change_rate=_rate(revenue_change, previous.revenue_cents),
        ),
        concentration=_concentration(row, config),
        projection=_projection(current.churn_rate, months, current.active_customers, config.projection_years),
    )
