"""Discounted customer lifetime value from a BG/NBD and a Gamma-Gamma model, and
the customer equity (the sum over customers) with an interval.

The CLV follows Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value
Curves for Customer Base Analysis", *Journal of Marketing Research* 42(4):
expected purchases (BG/NBD: Fader, Hardie & Lee 2005, *Marketing Science*
24(2)) times expected spend (Gamma-Gamma) times margin, discounted; spend and
purchases are independent in these models.  As in the ``lifetimes`` package's
``customer_lifetime_value``, the horizon is cut into steps (monthly by default)
and each step's expected purchases are discounted at the step's end.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import (
    BetaGeoFit,
    BetaGeoParams,
    _customers,
    _expected_alive,
    _group,
    _log_odds_dead,
)
from clientfolio.value.gamma_gamma import GammaGammaFit, GammaGammaParams, expected_spend

__all__ = ["EquityInterval", "customer_lifetime_value", "equity_interval", "values_and_equity"]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

_LOG_STEP = 1e-6  # forward-difference step on the log-parameters (relative error ~1e-6 on the gradient)


class EquityInterval(NamedTuple):
    """Customer equity (sum of the CLVs, money) and its interval; ``low`` and
    ``high`` are None when a fit has no covariance."""

    low: float | None
    point: float
    high: float | None


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
    return np.minimum(np.arange(1, count + 1) * step, horizon_periods)


class _DiscountedPurchases:
    """Per customer, sum_k [E(X(t_k)) - E(X(t_{k-1}))] * discount_k (E from eq. 10
    of the BG/NBD paper) as a function of the parameters.  The 2F1 depends on
    (x, T) only, so it is computed once per distinct pair, grouped here once."""

    def __init__(self, x: FloatArray, t_x: FloatArray, t_obs: FloatArray, times: FloatArray, discounts: FloatArray):
        (pair_x, pair_T), self._inverse = _group(x, t_obs)
        self._pair_x, self._pair_T = pair_x[:, None], pair_T[:, None]
        self._x, self._t_x, self._t_obs = x, t_x, t_obs
        self._times, self._discounts = times[None, :], discounts

    def __call__(self, params: BetaGeoParams) -> FloatArray:
        alive_purchases = _expected_alive(params, self._times, self._pair_x, self._pair_T)  # (pairs, steps)
        per_pair = np.diff(alive_purchases, axis=1, prepend=0.0) @ self._discounts
        alive = special.expit(-_log_odds_dead(params, self._x, self._t_x, self._t_obs))
        return np.asarray(per_pair[self._inverse] * alive, dtype=np.float64)


def _checked_margin(margin_rate: ArrayLike, n: int) -> FloatArray:
    try:
        margin = np.broadcast_to(np.asarray(margin_rate, dtype=np.float64), (n,))
    except ValueError:
        raise ClientfolioError(f"margin_rate must be a scalar or one value per customer ({n})") from None
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
    x, t_x, t_obs = _customers(frequency, recency, T)
    spend = expected_spend(gg, x, monetary_value, first_value)
    margin = _checked_margin(margin_rate, x.size)
    times = _step_times(horizon_periods, periods_per_year, steps_per_year)
    discounts = _discounts(times, periods_per_year, discount_rate)
    return _DiscountedPurchases(x, t_x, t_obs, times, discounts)(bgnbd) * spend * margin


def equity_interval(
    bgnbd_fit: BetaGeoFit,
    gg_fit: GammaGammaFit,
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
    level: float = 0.90,
    first_value: ArrayLike | None = None,
) -> EquityInterval:
    """Sum of the customers' CLVs (see :func:`customer_lifetime_value`, same inputs
    but the two fits) with a ``level`` interval from PARAMETER UNCERTAINTY only:
    the interval of :func:`values_and_equity`."""
    return values_and_equity(
        bgnbd_fit, gg_fit, frequency, recency, T, monetary_value, margin_rate, horizon_periods=horizon_periods,
        periods_per_year=periods_per_year, discount_rate=discount_rate, steps_per_year=steps_per_year,
        level=level, first_value=first_value)[1]


def values_and_equity(
    bgnbd_fit: BetaGeoFit,
    gg_fit: GammaGammaFit,
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
    level: float = 0.90,
    first_value: ArrayLike | None = None,
) -> tuple[FloatArray, EquityInterval]:
    """Each customer's CLV (:func:`customer_lifetime_value`, same inputs but the
    two fits) and their sum with a ``level`` interval from PARAMETER UNCERTAINTY
    only, the discounted purchases computed once for both.

    Delta method: the gradient of the total wrt the 7 log-parameters (forward
    differences) combined with the fits' log-parameter covariances, the two fits
    taken as independent; interval = point -/+ z * standard error (normal).  It
    says how precisely the models are estimated, not how much the customers'
    actual future purchases will vary around their expectation (that spread is
    not included, nor is model misspecification).

    Returns (CLVs, EquityInterval(low, point, high)) in money.  ``low`` and
    ``high`` are None when either fit has no covariance (its Hessian was
    singular or not positive definite, e.g. a parameter at its bound).
    """
    if not 0 < level < 1:
        raise ClientfolioError("level must be between 0 and 1")
    x, t_x, t_obs = _customers(frequency, recency, T)
    mbar = np.asarray(monetary_value, dtype=np.float64)
    margin = _checked_margin(margin_rate, x.size)
    times = _step_times(horizon_periods, periods_per_year, steps_per_year)
    discounts = _discounts(times, periods_per_year, discount_rate)

    discounted_purchases = _DiscountedPurchases(x, t_x, t_obs, times, discounts)

    def purchases(log_params: FloatArray) -> FloatArray:
        return discounted_purchases(BetaGeoParams(*np.exp(log_params)))

    def spend(log_params: FloatArray) -> FloatArray:
        return expected_spend(GammaGammaParams(*np.exp(log_params)), x, mbar, first_value) * margin

    bg_log = np.log(bgnbd_fit.params.as_array())
    gg_log = np.log(gg_fit.params.as_array())
    base_purchases = discounted_purchases(bgnbd_fit.params)
    base_spend = expected_spend(gg_fit.params, x, mbar, first_value) * margin
    values = base_purchases * base_spend
    point = float(base_purchases @ base_spend)
    if bgnbd_fit.log_covariance is None or gg_fit.log_covariance is None:
        return values, EquityInterval(None, point, None)

    def forward(function: Callable[[FloatArray], FloatArray], at: FloatArray, other: FloatArray) -> FloatArray:
        return np.array([(function(at + step) @ other - point) / _LOG_STEP for step in np.eye(at.size) * _LOG_STEP])

    grad_bg = forward(purchases, bg_log, base_spend)
    grad_gg = forward(spend, gg_log, base_purchases)
    variance = float(grad_bg @ bgnbd_fit.log_covariance @ grad_bg + grad_gg @ gg_fit.log_covariance @ grad_gg)
    half_width = float(stats.norm.ppf(0.5 + level / 2)) * np.sqrt(max(variance, 0.0))
    return values, EquityInterval(float(point - half_width), point, float(point + half_width))
