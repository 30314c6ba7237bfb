"""A first look at a portfolio, year by year (DOMAIN.md section 1).

Takes ``(customer code, year, revenue cents)`` rows, as
``PortfolioReader.revenue_by_customer_year`` gives them, and returns per
calendar year: active, new and lost customers, revenue and the share of
revenue made by the top 20 % of customers.  The full measures engine (any
period, churn window, concentration indices) builds on the same reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PortfolioSummary", "YearFigures", "summarize"]


@dataclass(frozen=True)
class YearFigures:
    year: int
    active: int
    new: int
    lost: int
    revenue_cents: int
    top20_share: float  # share of the year's revenue made by its top 20 % customers

    @property
    def renewal_ratio(self) -> float | None:
        """New customers / lost customers (taux de renouvellement)."""
        return self.new / self.lost if self.lost else None


@dataclass(frozen=True)
class PortfolioSummary:
    customers: int
    years: list[YearFigures]


def _top_share(amounts: list[int], fraction: float = 0.2) -> float:
    total = sum(amounts)
    if total <= 0:
        return 0.0
    top = max(1, round(len(amounts) * fraction))
    return sum(sorted(amounts, reverse=True)[:top]) / total


def summarize(rows: Iterable[tuple[str, int, int]]) -> PortfolioSummary:
    """Year-by-year figures from (customer, year, revenue cents) rows.

    A customer is active in a year when its net revenue that year is positive;
    new when active this year and in no earlier year; lost when active the year
    before and not this year.
    """
    by_year: dict[int, dict[str, int]] = defaultdict(dict)
    for code, year, cents in rows:
        by_year[year][code] = by_year[year].get(code, 0) + cents
    seen: set[str] = set()
    previous: set[str] = set()
    years: list[YearFigures] = []
    for year in sorted(by_year):
        active = {code for code, cents in by_year[year].items() if cents > 0}
        amounts = [by_year[year][c] for c in active]
        first_year = not years
        years.append(YearFigures(
            year=year,
            active=len(active),
            new=0 if first_year else len(active - seen),
            lost=0 if first_year else len(previous - active),
            revenue_cents=sum(by_year[year].values()),
            top20_share=_top_share(amounts),
        ))
        seen |= active
        previous = active
    return PortfolioSummary(customers=len(seen), years=years)
