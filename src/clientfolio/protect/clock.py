"""UTC instants for the protection tables: ``clientfolio.clock`` (a leaf below
the access layer), kept here as protect's public name."""

from __future__ import annotations

from clientfolio.clock import now_utc, utc

__all__ = ["now_utc", "utc"]
