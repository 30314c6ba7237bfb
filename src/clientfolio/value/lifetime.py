"""Discounted customer lifetime value: expected purchases from a BG/NBD (or
MBG/NBD) model times the expected value of a purchase times the margin.

The CLV follows Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value
Curves for Customer Base Analysis", *Journal of Marketing Research* 42(4):
expected purchases (BG/NBD: Fader, Hardie & Lee 2005, *Marketing Science*
24(2)) times expected spend (Gamma-Gamma) times margin, discounted; spend and
purchases are independent in these models.  As in the ``lifetimes`` package's
``customer_lifetime_value``, the horizon is cut into steps (monthly by default)
and each step's expected purchases are discounted at the step's end.
"""

from __future__ import annotations

from math import ceil

import numpy as np
import numpy.typing as npt

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import (
    BetaGeoParams,
    checked_histories,
    expected_purchases_if_alive,
    group_rows,
    log_odds_dead,
)
from clientfolio.value.gamma_gamma import GammaGammaParams, expected_spend

__all__ = ["DiscountedPurchases", "checked_margin", "customer_lifetime_value", "discount_factor"]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def _step_times(horizon_periods: float, periods_per_year: float, steps_per_year: int) -> FloatArray:
    """Ends of the steps t_1 .. t_K (the last one clipped to the horizon)."""
    if not horizon_periods > 0 or not np.isfinite(horizon_periods):
        raise ClientfolioError("horizon_periods must be a positive number")
    if not periods_per_year > 0 or not np.isfinite(periods_per_year):
        raise ClientfolioError("periods_per_year must be a positive number")
    if steps_per_year < 1:
        raise ClientfolioError("steps_per_year must be >= 1")
    step = periods_per_year / steps_per_year
    count = ceil(horizon_periods / step - 1e-9)
    times: FloatArray = np.minimum(np.arange(1, count + 1) * step, horizon_periods)
    return times


class DiscountedPurchases:
    """Per customer, sum_k [E(X(t_k)) - E(X(t_{k-1}))] / (1 + discount_rate)^(t_k / periods_per_year)
    (E from eq. 10 of the BG/NBD paper), t_k every 1/steps_per_year year up to
    the horizon, as a function of the purchase model's parameters: built once
    for a set of customers (``frequency``, ``recency``, ``T`` in the model's
    time unit), called for each parameter set (the bootstrap's refits).  The
    2F1 depends on (x, T) only, so it is computed once per distinct pair."""

    def __init__(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        *,
        horizon_periods: float,
        periods_per_year: float,
        discount_rate: float,
        steps_per_year: int = 12,
    ):
        x, t_x, t_obs = checked_histories(frequency, recency, T)
        times = _step_times(horizon_periods, periods_per_year, steps_per_year)
        (pair_x, pair_T), self._inverse = group_rows(x, t_obs)
        self._pair_x, self._pair_T = pair_x[:, None], pair_T[:, None]
        self._x, self._t_x, self._t_obs = x, t_x, t_obs
        self._times, self._discounts = times[None, :], _discounts(times, periods_per_year, discount_rate)

    def __call__(self, params: BetaGeoParams) -> FloatArray:
        from scipy import special

        alive_purchases = expected_purchases_if_alive(params, self._times, self._pair_x, self._pair_T)
        per_pair = np.diff(alive_purchases, axis=1, prepend=0.0) @ self._discounts  # (pairs, steps) -> pairs
        alive = special.expit(-log_odds_dead(params, self._x, self._t_x, self._t_obs))
        return np.asarray(per_pair[self._inverse] * alive, dtype=np.float64)


def checked_margin(margin_rate: ArrayLike, n: int) -> FloatArray:
    """``margin_rate`` (a scalar or one per customer) as one finite rate per customer."""
    try:
        margin = np.broadcast_to(np.asarray(margin_rate, dtype=np.float64), (n,))
    except ValueError:
        raise ClientfolioError(
            "margin_rate must be a scalar or one value per customer ({customers})", customers=n
        ) from None
    if not np.all(np.isfinite(margin)):
        raise ClientfolioError("margin_rate must be finite")
    return np.asarray(margin, dtype=np.float64)


def _discounts(times: FloatArray, periods_per_year: float, discount_rate: float) -> FloatArray:
    if not discount_rate > -1 or not np.isfinite(discount_rate):
        raise ClientfolioError("discount_rate must be a finite yearly rate > -1 (0.1 for 10 %)")
    return np.asarray((1.0 + discount_rate) ** (-times / periods_per_year), dtype=np.float64)


def customer_lifetime_value(
    bgnbd: BetaGeoParams,
    gg: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    margin_rate: ArrayLike,
    *,
    horizon_periods: float,
    periods_per_year: float,
    discount_rate: float,
    steps_per_year: int = 12,
    first_value: ArrayLike | None = None,
) -> FloatArray:
    """Discounted margin expected from each customer over the next ``horizon_periods``.

    Inputs: 1-D arrays ``frequency`` x (repeat purchases), ``recency`` t_x and ``T``
    in the BG/NBD time unit ("periods", e.g. weeks), ``monetary_value`` (mean repeat
    purchase value, money); ``margin_rate`` a scalar or one per customer (share
    of the spend kept, 1 for revenue); ``periods_per_year`` (52 for weeks);
    ``discount_rate`` a yearly rate (0.1 = 10 %).

    CLV = sum over k = 1..K of [E(X(t_k)) - E(X(t_{k-1}))] * expected spend * margin
    / (1 + discount_rate)^(t_k / periods_per_year), with t_k every 1/steps_per_year
    year (the last step ends at the horizon).  ``first_value`` (each customer's
    first purchase value) is needed when the spend model has q <= 1: see
    :func:`~clientfolio.value.gamma_gamma.expected_spend`.  Output: one value per
    customer (money).
    """
    x, _, _ = checked_histories(frequency, recency, T)
    spend = expected_spend(gg, x, monetary_value, first_value)
    margin = checked_margin(margin_rate, x.size)
    purchases = DiscountedPurchases(
        frequency,
        recency,
        T,
        horizon_periods=horizon_periods,
        periods_per_year=periods_per_year,
        discount_rate=discount_rate,
        steps_per_year=steps_per_year,
    )
    return purchases(bgnbd) * spend * margin


def discount_factor(horizon_years: float, discount_rate: float, steps_per_year: int = 12) -> float:
    """The present value of 1 a year paid over ``horizon_years``, step by step as
    the CLV discounts it: sum over the steps of (step length in years) /
    (1 + discount_rate)^(t_k in years) (2.49 for 3 years at 10 %, monthly)."""
    times = _step_times(horizon_years, 1.0, steps_per_year)
    return float(np.diff(times, prepend=0.0) @ _discounts(times, 1.0, discount_rate))
