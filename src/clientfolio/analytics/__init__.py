"""Portfolio analytics: pure functions over rows read through the access layer."""

from clientfolio.analytics.summary import PeriodFigures, PortfolioSummary, summarize

__all__ = ["PeriodFigures", "PortfolioSummary", "summarize"]
