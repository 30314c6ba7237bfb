"""The value of the customer portfolio (DOMAIN.md sections 3, 4 and 8):
potential, crossed ABC and categories, lifetime value (BG/NBD + Gamma-Gamma),
the valuation of the customer capital, strategy quadrants and trajectories,
and solvency."""

from clientfolio.value.portfolio import (
    CustomerValue,
    Equity,
    PortfolioValue,
    ProspectValue,
    ValueConfig,
    categorize,
    value_portfolio,
)
from clientfolio.value.run import value_source, vip_customers, write_value

__all__ = [
    "CustomerValue",
    "Equity",
    "PortfolioValue",
    "ProspectValue",
    "ValueConfig",
    "categorize",
    "value_portfolio",
    "value_source",
    "vip_customers",
    "write_value",
]
