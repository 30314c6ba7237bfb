"""UTC instants for the protection tables (a leaf: imports nothing of the domain).

SQLite gives back naive datetimes (the UTC wall clock that was written),
PostgreSQL aware ones: both are brought to aware UTC before any comparison or
hashing.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["now_utc", "utc"]


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a naive value is taken as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def now_utc(now: dt.datetime | None = None) -> dt.datetime:
    """``now`` in UTC, or the current instant when None (tests inject ``now``)."""
    return utc(now or dt.datetime.now(dt.UTC))
