"""Fitting the lifetime-value models on a portfolio's purchase histories.

Takes the per-customer summary of ``value.history`` and gives, per customer, the
probability of being alive, the purchases expected in the next year, the
expected value of a purchase and the lifetime value (expected margin over the
horizon, discounted), with the models' parameters and the interval of the
total.  Time is counted in ``time_unit_days`` (weeks by default, as in the
published CDNOW studies); money in cents.

The margin of a purchase is its expected value times the customer's margin
rate: its own (margin / revenue over the current and previous windows) where
its invoices carry margins, else the portfolio's, else
``ClvConfig.assumed_margin_rate`` (the valuation then says it is assumed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import BetaGeoFit, expected_purchases, fit_bgnbd, p_alive
from clientfolio.value.gamma_gamma import GammaGammaFit, expected_spend, fit_gamma_gamma
from clientfolio.value.lifetime import customer_lifetime_value, values_and_equity

__all__ = ["ClvConfig", "FittedValues", "bootstrap_samples", "fit_values", "margin_rates"]

Floats = npt.NDArray[np.float64]
_DAYS_PER_YEAR = 365.25


class ClvConfig(BaseModel):
    """Horizon, discounting and units of the lifetime value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_years: float = Field(3.0, gt=0, le=20, description="Years of future margin counted.")
    discount_rate: float = Field(0.10, ge=0, lt=1, description="Yearly discount rate of future margin.")
    time_unit_days: int = Field(7, ge=1, le=31, description="Time unit of the models, in days.")
    steps_per_year: int = Field(12, ge=1, le=52, description="Discounting steps per year (12: monthly).")
    assumed_margin_rate: float = Field(
        0.30, ge=0, le=1,
        description="Gross margin rate used when no invoice carries a margin (state yours).")
    interval_level: float = Field(0.90, gt=0, lt=1, description="Confidence level of the valuation's interval.")
    bootstrap_samples: int = Field(
        60, ge=10, le=1000,
        description="Resamples of the customers for the interval when the delta method is unavailable "
                    "(fewer beyond 20,000 customers, at least 20).")
    bootstrap_seed: int = Field(0, description="Seed of the bootstrap (same data, same interval).")
    min_repeat_buyers: int = Field(
        10, ge=1, description="Fewest customers with a repeat purchase needed to fit the models.")


@dataclass(frozen=True)
class FittedValues:
    """Per-customer model outputs (arrays in the order of the input) and the fits."""

    p_alive: Floats
    expected_purchases: Floats  # in the next year
    expected_spend_cents: Floats
    clv_cents: Floats
    bgnbd: BetaGeoFit
    gamma_gamma: GammaGammaFit
    interval: tuple[float | None, float, float | None]
    interval_method: str  # delta, bootstrap or none

    def parameters(self) -> dict[str, Any]:
        p, g = self.bgnbd.params, self.gamma_gamma.params
        return {"bgnbd": {"r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b,
                          "log_likelihood": self.bgnbd.log_likelihood},
                "gamma_gamma": {"p": g.p, "q": g.q, "v": g.v}}


def margin_rates(revenue: Floats, margin: Floats, assumed: float) -> tuple[Floats, str]:
    """Each customer's margin rate and the basis (``invoices`` or ``assumed``).

    ``revenue`` and ``margin`` are per-customer sums in cents (margin NaN when
    unknown).  Rates are clipped to [-1, 1]."""
    known = ~np.isnan(margin) & (revenue > 0)
    if not known.any():
        return np.full(revenue.shape, assumed), "assumed"
    portfolio = float(margin[known].sum() / revenue[known].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(known, margin / np.where(revenue > 0, revenue, 1.0), portfolio)
    return np.clip(own, -1.0, 1.0), "invoices"


@dataclass(frozen=True)
class _Histories:
    """The model inputs of the customers who bought, in the models' units."""

    frequency: Floats
    recency: Floats
    age: Floats
    monetary: Floats  # mean repeat value, 0 without a repeat, at least 1 cent with one
    first: Floats
    margin_rate: Floats
    paying: npt.NDArray[np.bool_]  # repeat buyers whose repeats are worth something: the spend model's sample


def _fit(h: _Histories, weights: Floats | None = None) -> tuple[BetaGeoFit, GammaGammaFit]:
    bgnbd = fit_bgnbd(h.frequency, h.recency, h.age, weights=weights)
    gg = fit_gamma_gamma(h.frequency[h.paying], h.monetary[h.paying],
                         weights=None if weights is None else weights[h.paying])
    return bgnbd, gg


def _clv(h: _Histories, config: ClvConfig, bgnbd: BetaGeoFit, gg: GammaGammaFit) -> Floats:
    per_year = _DAYS_PER_YEAR / config.time_unit_days
    return customer_lifetime_value(
        bgnbd.params, gg.params, h.frequency, h.recency, h.age, h.monetary, h.margin_rate,
        horizon_periods=config.horizon_years * per_year, periods_per_year=per_year,
        discount_rate=config.discount_rate, steps_per_year=config.steps_per_year, first_value=h.first)


def bootstrap_samples(customers: int, config: ClvConfig) -> int:
    """Resamples drawn for ``customers``: ``config.bootstrap_samples`` up to
    20,000 customers, fewer beyond (at least 20) so the work stays bounded."""
    if customers <= 20_000:
        return config.bootstrap_samples
    return max(20, config.bootstrap_samples * 20_000 // customers)


def _bootstrap(h: _Histories, config: ClvConfig) -> tuple[float | None, float | None]:
    """Percentile interval of the total over samples of the customers drawn with
    replacement (each refitted: counts as weights); None when too few refits succeed."""
    rng = np.random.default_rng(config.bootstrap_seed)
    n = h.frequency.size
    samples = bootstrap_samples(n, config)
    totals = []
    for _ in range(samples):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        try:
            totals.append(float(counts @ _clv(h, config, *_fit(h, counts))))
        except ClientfolioError:
            continue
    if len(totals) < samples // 2:
        return None, None
    tail = (1 - config.interval_level) / 2
    low, high = np.quantile(totals, [tail, 1 - tail])
    return float(low), float(high)


def fit_values(frequency: Floats, recency_days: Floats, age_days: Floats, monetary_cents: Floats,
               first_cents: Floats, margin_rate: Floats, config: ClvConfig) -> FittedValues:
    """Fit BG/NBD and Gamma-Gamma on the customers' histories and value them.

    Inputs are per-customer arrays of customers who made a purchase
    (``value.history``: frequency, recency and age in days, mean repeat value
    in cents (NaN without a repeat), first purchase value in cents).  The spend
    model is fitted on the repeat buyers whose repeat purchases are worth
    something; a repeat buyer of free deliveries only is valued at 1 cent a
    purchase.  When the spend varies with a heavy tail (Gamma-Gamma q <= 1),
    one-time buyers are valued on their first purchase (``gamma_gamma.expected_spend``).

    The interval of the total comes from the parameters' covariance (delta
    method); when a fit has none (a parameter at the edge of its range: the
    data do not determine it), from a bootstrap of the customers.  Raises
    ClientfolioError when there are too few repeat buyers to fit.
    """
    repeat = frequency > 0
    if int(repeat.sum()) < config.min_repeat_buyers:
        raise ClientfolioError(
            f"{int(repeat.sum())} customer(s) made a repeat purchase: at least "
            f"{config.min_repeat_buyers} are needed to fit the lifetime-value models")
    unit = config.time_unit_days
    h = _Histories(frequency, recency_days / unit, age_days / unit,
                   np.where(repeat, np.maximum(np.nan_to_num(monetary_cents), 1.0), 0.0),
                   np.nan_to_num(first_cents), margin_rate, repeat & (np.nan_to_num(monetary_cents) > 0))
    bgnbd, gg = _fit(h)
    per_year = _DAYS_PER_YEAR / unit
    clv, (low, point, high) = values_and_equity(
        bgnbd, gg, h.frequency, h.recency, h.age, h.monetary, h.margin_rate,
        horizon_periods=config.horizon_years * per_year, periods_per_year=per_year,
        discount_rate=config.discount_rate, steps_per_year=config.steps_per_year,
        level=config.interval_level, first_value=h.first)
    method = "delta"
    if low is None or high is None:
        low, high = _bootstrap(h, config)
        method = "bootstrap" if low is not None else "none"
    return FittedValues(
        p_alive=p_alive(bgnbd.params, h.frequency, h.recency, h.age),
        expected_purchases=expected_purchases(bgnbd.params, per_year, h.frequency, h.recency, h.age),
        expected_spend_cents=expected_spend(gg.params, h.frequency, h.monetary, h.first),
        clv_cents=clv, bgnbd=bgnbd, gamma_gamma=gg, interval=(low, point, high), interval_method=method,
    )
