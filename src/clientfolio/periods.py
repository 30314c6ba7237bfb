"""Calendar months: the one home of month arithmetic (a leaf: it imports
nothing of the domain, so every layer may use it, the access layer and
``protect`` included).

"k months before / after" keeps the day of month, clamped to the end of a
shorter month: 31 May - 3 months = 29 February 2024, 31 August + 6 months =
28 February 2025.  "The last twelve months" to ``as_of`` are the days after
``months_before(as_of, 12)`` up to ``as_of`` inclusive, as the portfolio
measures cut them; analytics compare dates against such literal boundaries
instead of asking each engine for date arithmetic.
"""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["add_months", "months_before"]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months (forward, or back when
    negative), the day of month clamped to the end of a shorter month.

    Always computed from ``day`` itself, never step by step, so that
    ``add_months(d, 6)`` does not depend on the clamping of ``add_months(d, 3)``.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` >= 0 calendar months (see ``add_months``)."""
    if months < 0:
        raise ValueError("months must be >= 0")
    return add_months(day, -months)
