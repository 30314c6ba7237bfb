"""Calendar arithmetic done in Python, so that analytics compare dates against
literal boundaries instead of asking each engine for date arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["months_before"]


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` calendar months, the day of month clamped to
    the end of a shorter month (31 May - 3 months = 29 February 2024).

    Always computed from ``day`` itself, never step by step, so that
    ``months_before(d, 6)`` does not depend on the clamping of ``months_before(d, 3)``.
    """
    if months < 0:
        raise ValueError("months must be >= 0")
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
