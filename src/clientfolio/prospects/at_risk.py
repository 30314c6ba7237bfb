"""Customers gone quiet against their own rhythm: an important (A or VIP)
customer whose days since the last purchase exceed ``quiet_factor`` times
their mean interval between purchases (``FollowUpConfig``).

The rule is data (like ``analytics.rfm``'s rules): the factor and the fewest
purchases that make a rhythm are settings, the function is pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from clientfolio.prospects.followup import FollowUpConfig

__all__ = ["QuietCustomer", "quiet_customers"]


@dataclass(frozen=True)
class QuietCustomer:
    """An important customer gone quiet: its last purchase, its mean interval
    between purchases and the days since the last one."""

    customer_code: str
    reasons: tuple[str, ...]
    last_purchase: dt.date
    mean_interval_days: float
    days_since: int


def quiet_customers(
    purchases: Iterable[tuple[str, dt.date]],
    important: Mapping[str, tuple[str, ...]],
    *,
    as_of: dt.date,
    config: FollowUpConfig = FollowUpConfig(),  # noqa: B008 - frozen, never mutated
) -> list[QuietCustomer]:
    """Takes the purchases table as rows ``(customer_code, day)`` (one row per
    invoice line or per day alike: days are counted once) and the important
    customers (``followup.important_customers``); returns the important
    customers with at least ``config.quiet_min_purchases`` purchase days whose
    days since the last purchase (up to ``as_of``) exceed
    ``config.quiet_factor`` times their mean interval between purchase days,
    the most overdue against their rhythm first."""
    days: dict[str, set[dt.date]] = {}
    for code, day in purchases:
        if code in important and day <= as_of:
            days.setdefault(code, set()).add(day)
    rows = []
    for code, seen in days.items():
        if len(seen) < max(2, config.quiet_min_purchases):
            continue
        first, last = min(seen), max(seen)
        mean = (last - first).days / (len(seen) - 1)
        since = (as_of - last).days
        if mean > 0 and since > config.quiet_factor * mean:
            rows.append(QuietCustomer(code, important[code], last, mean, since))
    rows.sort(key=lambda r: (-r.days_since / r.mean_interval_days, r.customer_code))
    return rows
