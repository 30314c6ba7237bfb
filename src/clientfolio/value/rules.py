"""The valuation's rules (``clientfolio value``, the tables ``[value]``,
``[potential]``, ``[categories]``, ``[quadrants]``, ``[clv]`` and
``[solvency]`` of the settings file): each part's config lives beside its
computation; this module composes them without importing the computations'
engines (``clientfolio settings`` reads them at start-up)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.abc import AbcConfig
from clientfolio.value.categories import CategoryConfig
from clientfolio.value.clv import ClvConfig
from clientfolio.value.potential import PotentialConfig
from clientfolio.value.solvency import SolvencyConfig
from clientfolio.value.strategy import QuadrantConfig

__all__ = ["ValueConfig"]


class ValueConfig(BaseModel):
    """Every rule of the valuation, with its documented default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_months: int = Field(12, ge=1, le=60, description="Months of the current revenue and margin.")
    abc: AbcConfig = Field(default_factory=AbcConfig, description="ABC classes on revenue.")
    potential: PotentialConfig = Field(default_factory=PotentialConfig, description="Potential estimates.")
    categories: CategoryConfig = Field(default_factory=CategoryConfig, description="Crossed ABC categories.")
    quadrants: QuadrantConfig = Field(default_factory=QuadrantConfig, description="Strategy quadrants.")
    clv: ClvConfig = Field(default_factory=ClvConfig, description="Lifetime value and valuation.")
    solvency: SolvencyConfig = Field(default_factory=SolvencyConfig, description="Payment behaviour.")
    backtest: bool = Field(
        True,
        description="Backtest the lifetime-value models with the valuation: fitted one window earlier, "
        "their forecast of the last window against what happened.",
    )
