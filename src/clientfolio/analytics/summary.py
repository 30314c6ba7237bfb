"""A first look at a portfolio, twelve months at a time (DOMAIN.md section 1).

Takes ``(customer code, date, revenue cents)`` rows, as
``PortfolioReader.revenue_by_customer_date`` gives them, and returns, for
consecutive periods of twelve months ending at the as-of date: active, new and
lost customers, revenue and the share of revenue made by the top 20 % of
customers.  Rolling periods compare like with like whatever the day; the full
measures engine (any period length, churn window, concentration indices) builds
on the same reads.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PeriodFigures", "PortfolioSummary", "summarize"]


@dataclass(frozen=True)
class PeriodFigures:
    start: dt.date
    end: dt.date
    complete: bool  # false when the data starts after the period's first day
    active: int
    new: int
    lost: int
    revenue_cents: int
    top20_share: float  # share of the period's revenue made by its top 20 % customers

    @property
    def renewal_ratio(self) -> float | None:
        """New customers / lost customers (taux de renouvellement)."""
        return self.new / self.lost if self.lost else None


@dataclass(frozen=True)
class PortfolioSummary:
    customers: int
    periods: list[PeriodFigures]


def _top_share(amounts: list[int], fraction: float = 0.2) -> float:
    total = sum(amounts)
    if total <= 0:
        return 0.0
    top = max(1, round(len(amounts) * fraction))
    return sum(sorted(amounts, reverse=True)[:top]) / total


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def summarize(rows: Iterable[tuple[str, dt.date, int]], as_of: dt.date | None = None) -> PortfolioSummary:
    """Figures per twelve-month period ending at ``as_of`` (default: the latest
    date in ``rows``), oldest first, back to the first sale.

    A customer is active in a period when its net revenue there is positive;
    new when active and active in no earlier period; lost when active in the
    period before and not in this one.  Rows after ``as_of`` are left out.
    """
    rows = list(rows)
    if not rows:
        return PortfolioSummary(0, [])
    last = as_of or max(day for _, day, _ in rows)
    first = min(day for _, day, _ in rows)
    ends = [last]
    while (start := _years_before(ends[-1], 1) + dt.timedelta(days=1)) > first:
        ends.append(start - dt.timedelta(days=1))
    ends.reverse()
    by_period: list[dict[str, int]] = [defaultdict(int) for _ in ends]
    for code, day, cents in rows:
        if first <= day <= last:
            index = next(i for i, end in enumerate(ends) if day <= end)
            by_period[index][code] += cents
    seen: set[str] = set()
    previous: set[str] = set()
    periods: list[PeriodFigures] = []
    for index, (end, revenue) in enumerate(zip(ends, by_period, strict=True)):
        start = _years_before(end, 1) + dt.timedelta(days=1)
        active = {code for code, cents in revenue.items() if cents > 0}
        periods.append(PeriodFigures(
            start=start,
            end=end,
            complete=start >= first,
            active=len(active),
            new=len(active - seen) if index else 0,
            lost=len(previous - active) if index else 0,
            revenue_cents=sum(revenue.values()),
            top20_share=_top_share([revenue[c] for c in active]),
        ))
        seen |= active
        previous = active
    return PortfolioSummary(customers=len(seen), periods=periods)
