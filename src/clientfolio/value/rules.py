"""The valuation's rules (``clientfolio value``, the tables ``[value]``,
``[potential]``, ``[categories]``, ``[quadrants]``, ``[clv]`` and
``[solvency]`` of the settings file): each part's config lives beside its
computation, which imports numpy only where it computes; this module composes
them without importing the computations' engines (``clientfolio settings``
reads them at start-up).  The lifetime value's rules (``ClvConfig``, with its
``SpendConfig``) live here: its computation (``clv``, ``spend``, ``bgnbd``)
is numpy through and through."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.abc import AbcConfig
from clientfolio.value.categories import CategoryConfig
from clientfolio.value.potential import PotentialConfig
from clientfolio.value.solvency import SolvencyConfig
from clientfolio.value.strategy import QuadrantConfig

__all__ = ["ClvConfig", "SpendConfig", "ValueConfig"]


class SpendConfig(BaseModel):
    """Which spend model values a purchase, and the diagnostics that choose it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Literal["auto", "gamma_gamma", "lognormal"] = Field(
        "auto",
        description="auto: Gamma-Gamma when its diagnostics pass, else the log-normal shrinkage; "
        "or force one of the two.",
    )
    q_level: float = Field(
        0.95, gt=0, lt=1, description="Level of the profile-likelihood interval of q that must lie above 1."
    )
    max_population_ratio: float = Field(
        3.0,
        gt=1,
        description="Largest ratio of the Gamma-Gamma population mean spend to the mean of the "
        "repeat buyers' own mean spends.",
    )
    max_correlation: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Largest |Spearman correlation| between purchases and mean spend "
        "(the Gamma-Gamma model assumes none).",
    )
    correlation_p_value: float = Field(
        0.05, gt=0, lt=1, description="A correlation beyond the limit fails only when significant at this level."
    )
    cap_multiple: float = Field(
        2.0, ge=1, description="No customer's expected spend exceeds this multiple of its largest purchase."
    )
    min_segment_customers: int = Field(
        5,
        ge=1,
        description="Fewest customers for a segment's own median in the log-normal shrinkage (else the portfolio's).",
    )


class ClvConfig(BaseModel):
    """Horizon, discounting, units, models and interval of the lifetime value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_years: float = Field(3.0, gt=0, le=20, description="Years of future margin counted.")
    discount_rate: float = Field(0.10, ge=0, lt=1, description="Yearly discount rate of future margin.")
    time_unit_days: int = Field(7, ge=1, le=31, description="Time unit of the models, in days.")
    steps_per_year: int = Field(12, ge=1, le=52, description="Discounting steps per year (12: monthly).")
    assumed_margin_rate: float = Field(
        0.30, ge=0, le=1, description="Gross margin rate used when no invoice carries a margin (state yours)."
    )
    purchase_model: Literal["auto", "bgnbd", "mbgnbd"] = Field(
        "auto", description="auto: the better fit of BG/NBD and MBG/NBD on the purchases; or force one."
    )
    spend: SpendConfig = Field(default_factory=SpendConfig, description="The spend model and its diagnostics.")
    interval_level: float = Field(0.90, gt=0, lt=1, description="Confidence level of the valuation's interval.")
    bootstrap_samples: int = Field(
        100,
        ge=0,
        le=2000,
        description="Resamples of the customers for the interval (fewer beyond 20,000 customers, at least 20; "
        "0: no interval).",
    )
    bootstrap_seed: int = Field(0, description="Seed of the bootstrap (same data, same interval).")
    min_repeat_buyers: int = Field(
        10, ge=1, description="Fewest customers with a repeat purchase needed to fit the models."
    )
    fit_sample: int = Field(
        500_000,
        ge=0,
        description="Beyond this many customers who bought, the models are fitted on a sample of this many "
        "(chosen by a hash of their code: the same from run to run and on every engine), and every customer "
        "is valued with them (0: fit on all).",
    )


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
