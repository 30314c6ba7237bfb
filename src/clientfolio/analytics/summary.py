"""A first look at a portfolio, twelve months at a time (DOMAIN.md section 1).

A view over the portfolio measures (``analytics.measures``, the one
definition): for consecutive periods of twelve months ending at the as-of
date, back to the first sale, the active, new and lost customers, the revenue
and the share of revenue made by the top 20 % of customers (``ceil(n / 5)``
customers) of each period, as ``measures(..., period="year")`` gives them for
its period N.  The period before the last one is thus the measures' period
N-1, and every shell (``clientfolio summary``, the dashboard's trend, the
report) shows the same figures as ``analyze``.

Takes ``(customer code, date, revenue cents)`` rows, as
``PortfolioReader.revenue_by_customer_date`` gives them (``summarize``), or
the transactions table (``summarize_table``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from clientfolio.analytics.customer_totals import CustomerNeeds, Span, customer_totals
from clientfolio.analytics.measures import PERIOD_MONTHS, MeasuresConfig, measures
from clientfolio.periods import months_before

__all__ = ["PeriodFigures", "PortfolioSummary", "summarize", "summarize_table"]

_MONTHS = PERIOD_MONTHS["year"]


@dataclass(frozen=True)
class PeriodFigures:
    """One twelve-month period, ``start`` to ``end`` inclusive: its customers
    and revenue as the measures define them (``Measures.current`` and
    ``Measures.concentration`` of ``measures(as_of=end)``)."""

    start: dt.date
    end: dt.date
    complete: bool  # false when the data starts after the period's first day
    active: int
    new: int
    lost: int
    revenue_cents: int
    top20_share: float  # share of the period's revenue made by its top ceil(n / 5) customers

    @property
    def renewal_ratio(self) -> float | None:
        """New customers / lost customers (taux de renouvellement)."""
        return self.new / self.lost if self.lost else None


@dataclass(frozen=True)
class PortfolioSummary:
    customers: int  # customers active (net revenue > 0) in at least one of the periods
    periods: list[PeriodFigures]


_ROWS_SCHEMA = pa.schema([("customer_id", pa.string()), ("date", pa.date32()), ("amount_cents", pa.int64())])


def summarize(
    rows: Iterable[tuple[str, dt.date, int]], as_of: dt.date | None = None, *, config: MeasuresConfig | None = None
) -> PortfolioSummary:
    """Figures per twelve-month period ending at ``as_of`` (default: the latest
    date in ``rows``), oldest first, back to the first sale; rows after
    ``as_of`` are left out (see ``summarize_table``)."""
    rows = list(rows)
    if not rows:
        return PortfolioSummary(0, [])
    last = as_of or max(day for _, day, _ in rows)
    codes, days, cents = zip(*rows, strict=True)
    table = pa.Table.from_arrays(
        [pa.array(codes, pa.string()), pa.array(days, pa.date32()), pa.array(cents, pa.int64())], schema=_ROWS_SCHEMA
    )
    return summarize_table(ibis.memtable(table), as_of=last, config=config)


def summarize_table(
    transactions: ir.Table, *, as_of: dt.date, config: MeasuresConfig | None = None
) -> PortfolioSummary:
    """Figures per twelve-month period ending at ``as_of``, oldest first, back
    to the period holding the first line up to ``as_of``.

    Takes the columns ``customer_id``, ``date`` and ``amount_cents`` of the
    transactions table.  The last period ends at ``as_of``, each one before
    it the day before the next one starts; a period's figures are those of ``measures(transactions, as_of=end,
    period="year")``: active = net revenue > 0 in the period; new = active
    and first line ever in the period (so in the oldest period, where the data
    starts, every active customer whose first line is there); lost = active in
    the lost window before the period (by default the previous period) and not
    in it; revenue = net sum of the period's lines; top-20 % share of the
    ``ceil(n / 5)`` largest active customers.  ``complete`` is false for a
    period starting before the first line.
    """
    config = config or MeasuresConfig()
    first_value = transactions.filter(transactions.date <= as_of).date.min().to_pyarrow().as_py()
    if first_value is None:
        return PortfolioSummary(0, [])
    first = first_value.date() if isinstance(first_value, dt.datetime) else first_value
    # each period ends the day the next one's lower bound is (chained, so that
    # they tile even from a 29 February); the second is the measures' N-1
    ends = [as_of]
    while (before := months_before(ends[-1], _MONTHS)) >= first:
        ends.append(before)
    ends.reverse()
    periods: list[PeriodFigures] = []
    for end in ends:
        m = measures(transactions, as_of=end, period="year", config=config)
        n = m.current
        periods.append(
            PeriodFigures(
                start=n.start,
                end=n.end,
                complete=n.start >= first,
                active=n.active_customers,
                new=n.new_customers,
                lost=n.lost_customers,
                revenue_cents=n.revenue_cents,
                top20_share=m.concentration.top_20pct_share,
            )
        )
    return PortfolioSummary(customers=_customers(transactions, as_of, ends), periods=periods)


def _customers(transactions: ir.Table, as_of: dt.date, ends: list[dt.date]) -> int:
    """Customers active (net revenue > 0) in at least one of the periods ending at ``ends``."""
    spans = {f"p{k}": Span(months_before(end, _MONTHS), end) for k, end in enumerate(ends)}
    totals = customer_totals(transactions, as_of=as_of, needs=[CustomerNeeds(spans=spans)])
    active = ibis.or_(*(totals[name] > 0 for name in spans))
    return int(totals.filter(active).count().to_pyarrow().as_py())
