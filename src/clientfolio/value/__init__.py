"""The value of the customer portfolio (DOMAIN.md sections 3, 4 and 8):
potential, crossed ABC and categories, lifetime value (BG/NBD + Gamma-Gamma),
the valuation of the customer capital, strategy quadrants and trajectories,
and solvency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.value.portfolio import (
        CustomerValue,
        Equity,
        PortfolioValue,
        ProspectValue,
        categorize,
        value_portfolio,
    )
    from clientfolio.value.rules import ValueConfig
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

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.value.portfolio": (
            "CustomerValue",
            "Equity",
            "PortfolioValue",
            "ProspectValue",
            "categorize",
            "value_portfolio",
        ),
        "clientfolio.value.rules": ("ValueConfig",),
        "clientfolio.value.run": (
            "value_source",
            "vip_customers",
            "write_value",
        ),
    },
)
