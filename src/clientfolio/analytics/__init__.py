"""Portfolio analytics: pure functions over rows read through the access layer."""

from clientfolio.analytics.summary import PortfolioSummary, YearFigures, summarize

__all__ = ["PortfolioSummary", "YearFigures", "summarize"]
