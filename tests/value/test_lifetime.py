"""Customer lifetime value and customer equity on the CDNOW fits: hand-checkable
cases, the lifetimes package's monthly loop, and the delta-method interval
against parameter draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import BetaGeoFit, BetaGeoParams, expected_purchases, fit_bgnbd
from clientfolio.value.gamma_gamma import GammaGammaFit, GammaGammaParams, expected_spend, fit_gamma_gamma
from clientfolio.value.lifetime import EquityInterval, customer_lifetime_value, equity_interval, values_and_equity
from tests.value.cdnow import cdnow_calibration

Fits = tuple[BetaGeoFit, GammaGammaFit]
FloatArray = npt.NDArray[np.float64]
Z90 = 1.6448536269514722


@pytest.fixture(scope="module")
def fits() -> Fits:
    data = cdnow_calibration()
    return (fit_bgnbd(data.frequency, data.recency, data.T), fit_gamma_gamma(data.frequency, data.monetary_value))


def _clv(bg: BetaGeoParams, gg: GammaGammaParams, margin: npt.ArrayLike = 1.0, *, horizon: float = 156.0,
         discount: float = 0.1) -> FloatArray:
    """CLV of the CDNOW customers, in weeks (52 a year)."""
    data = cdnow_calibration()
    return customer_lifetime_value(bg, gg, data.frequency, data.recency, data.T, data.monetary_value, margin,
                                   horizon_periods=horizon, periods_per_year=52.0, discount_rate=discount)


def _equity(bg: BetaGeoFit, gg: GammaGammaFit, margin: float = 1.0, *, level: float = 0.90) -> EquityInterval:
    """3-year equity of the CDNOW customers at 10 % a year."""
    data = cdnow_calibration()
    return equity_interval(bg, gg, data.frequency, data.recency, data.T, data.monetary_value, margin,
                           horizon_periods=156.0, periods_per_year=52.0, discount_rate=0.1, level=level)


def _standard_error(interval: EquityInterval) -> float:
    assert interval.low is not None and interval.high is not None
    return (interval.high - interval.low) / (2 * Z90)


@pytest.mark.parametrize("horizon", [156.0, 50.0])  # 50 weeks: the last step is shorter
def test_undiscounted_clv_is_purchases_times_spend(fits: Fits, horizon: float) -> None:
    bg, gg = fits
    data = cdnow_calibration()
    by_hand = (expected_purchases(bg.params, horizon, data.frequency, data.recency, data.T)
               * expected_spend(gg.params, data.frequency, data.monetary_value))
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
        step = (expected_purchases(bg.params, k * month, *customers)
                - expected_purchases(bg.params, (k - 1) * month, *customers))
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
    clv = customer_lifetime_value(bg, gg, [20, 20], [5, 5], [5, 300], [40, 40], 1.0,
                                  horizon_periods=156, periods_per_year=52, discount_rate=0.1)
    assert clv[0] > 50
    assert clv[1] < 1e-6 * clv[0]


def test_equity_interval(fits: Fits) -> None:
    bg, gg = fits
    low, point, high = _equity(bg, gg, 0.3)
    assert point == pytest.approx(_clv(bg.params, gg.params, 0.3).sum(), rel=1e-12)
    assert low is not None and high is not None
    assert low < point < high
    assert high - point == pytest.approx(point - low, rel=1e-9)
    wide = _equity(bg, gg, 0.3, level=0.99)
    assert wide.low is not None and wide.low < low

    exact_bg = dataclasses.replace(bg, log_covariance=np.zeros((4, 4)))
    exact_gg = dataclasses.replace(gg, log_covariance=np.zeros((3, 3)))
    assert _equity(exact_bg, exact_gg, 0.3) == (point, point, point)
    assert _equity(bg, dataclasses.replace(gg, log_covariance=None), 0.3) == (None, point, None)


@pytest.mark.parametrize("model", ["bgnbd", "gamma_gamma"])
def test_equity_interval_agrees_with_parameter_draws(fits: Fits, model: str) -> None:
    """Each model's share of the delta method's standard error against the spread
    of the total over its parameters drawn from the fit's (log-scale, normal)
    sampling distribution, the other model held at its estimate."""
    bg, gg = fits
    rng = np.random.default_rng(3)
    totals = []
    if model == "bgnbd":
        assert bg.log_covariance is not None
        delta_se = _standard_error(_equity(bg, dataclasses.replace(gg, log_covariance=np.zeros((3, 3)))))
        for draw in np.exp(rng.multivariate_normal(np.log(bg.params.as_array()), bg.log_covariance, 300)):
            totals.append(_clv(BetaGeoParams(*draw), gg.params).sum())
    else:
        assert gg.log_covariance is not None
        delta_se = _standard_error(_equity(dataclasses.replace(bg, log_covariance=np.zeros((4, 4))), gg))
        for draw in np.exp(rng.multivariate_normal(np.log(gg.params.as_array()), gg.log_covariance, 300)):
            totals.append(_clv(bg.params, GammaGammaParams(*draw)).sum())
    assert np.std(totals) == pytest.approx(delta_se, rel=0.15)


def test_equity_variance_adds_both_models(fits: Fits) -> None:
    bg, gg = fits
    both = _standard_error(_equity(bg, gg))
    bg_only = _standard_error(_equity(bg, dataclasses.replace(gg, log_covariance=np.zeros((3, 3)))))
    gg_only = _standard_error(_equity(dataclasses.replace(bg, log_covariance=np.zeros((4, 4))), gg))
    assert gg_only > 0 and bg_only > 0
    assert both**2 == pytest.approx(bg_only**2 + gg_only**2, rel=1e-9)


def test_errors(fits: Fits) -> None:
    bg, gg = fits
    with pytest.raises(ClientfolioError, match="horizon_periods"):
        _clv(bg.params, gg.params, horizon=0)
    with pytest.raises(ClientfolioError, match="discount_rate"):
        _clv(bg.params, gg.params, discount=-1)
    with pytest.raises(ClientfolioError, match="margin_rate"):
        _clv(bg.params, gg.params, [0.3, 0.4])
    with pytest.raises(ClientfolioError, match="level"):
        _equity(bg, gg, level=1.5)
    with pytest.raises(ClientfolioError, match="recency must not exceed T"):
        customer_lifetime_value(bg.params, gg.params, [1], [3], [2], [10], 1.0, horizon_periods=52,
                                periods_per_year=52, discount_rate=0.1)
    with pytest.raises(ClientfolioError, match="steps_per_year"):
        customer_lifetime_value(bg.params, gg.params, [1], [1], [2], [10], 1.0, horizon_periods=52,
                                periods_per_year=52, discount_rate=0.1, steps_per_year=0)


def test_values_and_equity_share_one_computation(fits: Fits) -> None:
    bg, gg = fits
    data = cdnow_calibration()
    values, interval = values_and_equity(bg, gg, data.frequency, data.recency, data.T, data.monetary_value, 0.3,
                                         horizon_periods=156.0, periods_per_year=52.0, discount_rate=0.1)
    assert values == pytest.approx(_clv(bg.params, gg.params, 0.3), rel=1e-12)
    assert interval == _equity(bg, gg, 0.3)
