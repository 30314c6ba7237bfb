"""Portfolio analytics: pure functions over the transactions table.

Each function takes an Ibis table (see ``analytics.transactions``) and returns an
Ibis table or a small result, on any engine (DuckDB, SQLite, PostgreSQL, Spark).
``analyze`` runs them all; ``run.analyze_source`` opens a file or the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.analytics.summary import PeriodFigures, PortfolioSummary, summarize

__all__ = ["PeriodFigures", "PortfolioSummary", "summarize"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.analytics.summary": (
            "PeriodFigures",
            "PortfolioSummary",
            "summarize",
        ),
    },
)
