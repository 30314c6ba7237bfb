"""Customer lifetime value on the CDNOW fits: hand-checkable cases, the
lifetimes package's monthly loop, and the discounted purchases of either
purchase model (BG/NBD, MBG/NBD) against a direct sum."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import BetaGeoFit, BetaGeoParams, expected_purchases, fit_bgnbd
from clientfolio.value.gamma_gamma import GammaGammaFit, GammaGammaParams, expected_spend, fit_gamma_gamma
from clientfolio.value.lifetime import DiscountedPurchases, customer_lifetime_value
from tests.value.cdnow import cdnow_calibration

Fits = tuple[BetaGeoFit, GammaGammaFit]
FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def fits() -> Fits:
    data = cdnow_calibration()
    return (fit_bgnbd(data.frequency, data.recency, data.T), fit_gamma_gamma(data.frequency, data.monetary_value))


def _clv(
    bg: BetaGeoParams,
    gg: GammaGammaParams,
    margin: npt.ArrayLike = 1.0,
    *,
    horizon: float = 156.0,
    discount: float = 0.1,
) -> FloatArray:
    """CLV of the CDNOW customers, in weeks (52 a year)."""
    data = cdnow_calibration()
    return customer_lifetime_value(
        bg,
        gg,
        data.frequency,
        data.recency,
        data.T,
        data.monetary_value,
        margin,
        horizon_periods=horizon,
        periods_per_year=52.0,
        discount_rate=discount,
    )


@pytest.mark.parametrize("horizon", [156.0, 50.0])  # 50 weeks: the last step is shorter
def test_undiscounted_clv_is_purchases_times_spend(fits: Fits, horizon: float) -> None:
    bg, gg = fits
    data = cdnow_calibration()
    by_hand = expected_purchases(bg.params, horizon, data.frequency, data.recency, data.T) * expected_spend(
        gg.params, data.frequency, data.monetary_value
    )
    np.testing.assert_allclose(_clv(bg.params, gg.params, horizon=horizon, discount=0.0), by_hand, rtol=1e-10)


def test_matches_lifetimes_monthly_loop(fits: Fits) -> None:
    """lifetimes discounts month k by (1 + monthly rate)^k: the same as a yearly
    rate of 1.01^12 - 1 at t_k = k months."""
    bg, gg = fits
    data = cdnow_calibration()
    customers = (data.frequency, data.recency, data.T)
    spend = expected_spend(gg.params, data.frequency, data.monetary_value)
    month = 52.0 / 12
    loop = np.zeros_like(data.frequency)
    for k in range(1, 37):
        step = expected_purchases(bg.params, k * month, *customers) - expected_purchases(
            bg.params, (k - 1) * month, *customers
        )
        loop += step * spend * 0.3 / 1.01**k
    np.testing.assert_allclose(_clv(bg.params, gg.params, 0.3, discount=1.01**12 - 1), loop, rtol=1e-10)


def test_discount_and_margin(fits: Fits) -> None:
    bg, gg = fits
    plain = _clv(bg.params, gg.params, discount=0.0)
    ten = _clv(bg.params, gg.params, discount=0.10)
    twenty = _clv(bg.params, gg.params, discount=0.20)
    assert np.all(plain > ten) and np.all(ten > twenty) and np.all(twenty > 0)
    # over 3 years at 10 %, discounting keeps between 1.1^-3 and all of the value
    ratio = ten / plain
    assert np.all((ratio > 1.1**-3) & (ratio < 1))
    margins = np.linspace(0.1, 0.5, plain.size)
    np.testing.assert_allclose(_clv(bg.params, gg.params, margins), ten * margins, rtol=1e-12)


def test_customer_almost_surely_gone_is_worth_almost_nothing() -> None:
    bg = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    gg = GammaGammaParams(p=6.25, q=3.74, v=15.44)
    clv = customer_lifetime_value(
        bg, gg, [20, 20], [5, 5], [5, 300], [40, 40], 1.0, horizon_periods=156, periods_per_year=52, discount_rate=0.1
    )
    assert clv[0] > 50
    assert clv[1] < 1e-6 * clv[0]


def test_errors(fits: Fits) -> None:
    bg, gg = fits
    with pytest.raises(ClientfolioError, match="horizon_periods"):
        _clv(bg.params, gg.params, horizon=0)
    with pytest.raises(ClientfolioError, match="discount_rate"):
        _clv(bg.params, gg.params, discount=-1)
    with pytest.raises(ClientfolioError, match="margin_rate"):
        _clv(bg.params, gg.params, [0.3, 0.4])
    with pytest.raises(ClientfolioError, match="recency must not exceed T"):
        customer_lifetime_value(
            bg.params, gg.params, [1], [3], [2], [10], 1.0, horizon_periods=52, periods_per_year=52, discount_rate=0.1
        )
    with pytest.raises(ClientfolioError, match="steps_per_year"):
        customer_lifetime_value(
            bg.params,
            gg.params,
            [1],
            [1],
            [2],
            [10],
            1.0,
            horizon_periods=52,
            periods_per_year=52,
            discount_rate=0.1,
            steps_per_year=0,
        )


@pytest.mark.parametrize("modified", [False, True])
def test_discounted_purchases_is_the_discounted_sum_of_expected_purchases(modified: bool) -> None:
    """36 monthly steps of E[X(t_k)] - E[X(t_(k-1))], each divided by 1.1^(k/12),
    for either purchase model (an MBG/NBD customer may have left after its first purchase)."""
    params = BetaGeoParams(r=0.5, alpha=6.0, a=0.9, b=1.6, modified=modified)
    x, t_x, T = np.array([0.0, 0.0, 3, 10]), np.array([0.0, 0, 20, 38]), np.array([2.0, 150, 39, 39])
    month = 52.0 / 12
    direct = sum(
        (expected_purchases(params, k * month, x, t_x, T) - expected_purchases(params, (k - 1) * month, x, t_x, T))
        / 1.1 ** (k / 12)
        for k in range(1, 37)
    )
    computed = DiscountedPurchases(x, t_x, T, horizon_periods=156.0, periods_per_year=52.0, discount_rate=0.1)(params)
    np.testing.assert_allclose(computed, direct, rtol=1e-10)
    if modified:  # the one-time buyer of 150 weeks ago is worth less than the one of 2 weeks ago
        assert computed[1] < 0.5 * computed[0]
