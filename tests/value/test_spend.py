"""The spend model: each Gamma-Gamma diagnostic on data where it must trigger
and where it must not, the log-normal shrinkage by hand, the cap, and the choice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clientfolio.value.gamma_gamma import (
    GammaGammaParams,
    fit_gamma_gamma,
    q_profile_interval,
    simulate_gamma_gamma,
)
from clientfolio.value.rules import SpendConfig
from clientfolio.value.spend import SpendHistories, fit_spend, spearman, spend_diagnostics
from tests.value.cdnow import cdnow_calibration


def _histories(purchases: list[list[float]], segments: list[str] | None = None) -> SpendHistories:
    """Histories from each customer's purchase amounts (the first one first)."""
    x = np.array([len(p) - 1 for p in purchases], dtype=float)
    repeat = np.array([np.mean(p[1:]) if len(p) > 1 else 0.0 for p in purchases])
    logs = [np.log(p) for p in purchases]
    return SpendHistories(
        x,
        repeat,
        np.array([p[0] for p in purchases]),
        np.array([max(p) for p in purchases]),
        np.array([len(p) for p in purchases], dtype=float),
        np.array([v.sum() for v in logs]),
        np.array([(v * v).sum() for v in logs]),
        np.array(segments or ["S"] * len(purchases), dtype=np.str_),
    )


def _from_summary(x: np.ndarray, mbar: np.ndarray) -> SpendHistories:
    """Histories known only by (x, mbar): every purchase taken at the customer's mean."""
    mean = np.where(x > 0, mbar, 10.0)
    n = x + 1
    return SpendHistories(
        x,
        np.where(x > 0, mbar, 0.0),
        mean,
        mean,
        n,
        n * np.log(mean),
        n * np.log(mean) ** 2,
        np.full(x.size, "S", dtype=np.str_),
    )


def _heavy_tailed(q: float, customers: int = 600, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 12, customers).astype(float)
    return x, simulate_gamma_gamma(GammaGammaParams(p=0.6, q=q, v=1500.0), x, rng)


def test_q_diagnostic_triggers_when_the_interval_of_q_holds_one() -> None:
    x, mbar = _heavy_tailed(q=1.0)  # the demo's case: q about 1, infinite mean spend
    fit = fit_gamma_gamma(x, mbar)
    low, high = q_profile_interval(fit, x, mbar)
    assert low < 1 < high
    checks = {d.name: d for d in spend_diagnostics(_from_summary(x, mbar), fit, SpendConfig())}
    assert not checks["q_above_one"].passed and checks["q_above_one"].value == pytest.approx(low)


def test_q_diagnostic_passes_on_cdnow() -> None:
    data = cdnow_calibration()
    repeat = data.frequency > 0
    fit = fit_gamma_gamma(data.frequency, data.monetary_value)
    low, high = q_profile_interval(fit, data.frequency[repeat], data.monetary_value[repeat])
    assert 1 < low < fit.params.q < high  # published q = 3.74
    # a regular likelihood: close to the Wald interval of log q from the fit's covariance
    assert fit.log_covariance is not None
    half = 1.959964 * math.sqrt(fit.log_covariance[1, 1])
    assert (low, high) == pytest.approx((fit.params.q * math.exp(-half), fit.params.q * math.exp(half)), rel=0.05)
    checks = spend_diagnostics(_from_summary(data.frequency, data.monetary_value), fit, SpendConfig())
    assert all(d.passed for d in checks), checks


def test_population_mean_diagnostic() -> None:
    data = cdnow_calibration()
    fit = fit_gamma_gamma(data.frequency, data.monetary_value)
    h = _from_summary(data.frequency, data.monetary_value)
    # the ratio by hand: v p / (q - 1) over the mean of the repeat buyers' means
    g = fit.params
    ratio = g.v * g.p / (g.q - 1) / data.monetary_value[data.frequency > 0].mean()
    check = {d.name: d for d in spend_diagnostics(h, fit, SpendConfig())}["population_mean"]
    assert check.passed and check.value == pytest.approx(ratio) and 0.9 < ratio < 1.1
    strict = {d.name: d for d in spend_diagnostics(h, fit, SpendConfig(max_population_ratio=1 + (ratio - 1) / 2))}
    assert strict["population_mean"].passed == (ratio <= 1)
    x, mbar = _heavy_tailed(q=0.8)  # q below 1: the mean is infinite, the check fails without a ratio
    check = {d.name: d for d in spend_diagnostics(_from_summary(x, mbar), fit_gamma_gamma(x, mbar), SpendConfig())}[
        "population_mean"
    ]
    assert not check.passed and check.value is None


def _lognormal_customers(spread: float, customers: int) -> tuple[np.ndarray, np.ndarray]:
    """Customers whose levels are log-normal across customers (``spread`` on the log
    scale, the B2B case) and whose purchases vary by 0.5 around their level."""
    rng = np.random.default_rng(2)
    x = rng.integers(1, 20, customers).astype(float)
    level = rng.normal(np.log(1000), spread, customers)
    return x, np.array([np.exp(rng.normal(m, 0.5, int(k))).mean() for m, k in zip(level, x, strict=True)])


@pytest.mark.parametrize(("spread", "passes"), [(1.0, True), (1.25, False)])
def test_population_mean_diagnostic_on_log_normal_customers(spread: float, passes: bool) -> None:
    """Spread 1.25 (as the 1M-line benchmark): q = 1.08 is clear of 1 (interval from 1.05) yet the
    model's mean purchase is 4.0 times the customers' mean; spread 1.0: q = 1.48, ratio 1.4."""
    x, mbar = _lognormal_customers(spread, 20_000)
    checks = {d.name: d for d in spend_diagnostics(_from_summary(x, mbar), fit_gamma_gamma(x, mbar), SpendConfig())}
    assert checks["q_above_one"].passed
    assert checks["population_mean"].passed is passes
    assert (checks["population_mean"].value or 0) == pytest.approx(1.4 if passes else 4.0, abs=0.15)


def test_independence_diagnostic() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(1, 30, 400).astype(float)
    independent = rng.gamma(6.0, 10.0, 400)
    checks = {
        d.name: d
        for d in spend_diagnostics(_from_summary(x, independent), fit_gamma_gamma(x, independent), SpendConfig())
    }
    assert checks["independence"].passed and abs(checks["independence"].value or 0) < 0.15
    tied = independent * x  # those who buy more often also buy more each time
    checks = {d.name: d for d in spend_diagnostics(_from_summary(x, tied), fit_gamma_gamma(x, tied), SpendConfig())}
    assert not checks["independence"].passed and (checks["independence"].value or 0) > 0.5


@pytest.mark.parametrize("n", [3, 7, 200])
@pytest.mark.parametrize("tied", [False, True])
def test_spearman_is_scipys(n: int, tied: bool) -> None:
    # the independence check's correlation and p-value, computed without scipy.stats: the same numbers
    from scipy import stats

    rng = np.random.default_rng(n)
    x = rng.integers(1, 5, n).astype(float) if tied else rng.normal(size=n)
    x[:2] = (1.0, 4.0)  # never constant
    y = np.round(x + rng.normal(size=n), 0 if tied else 6)
    y[:2] = (0.0, 9.0)
    expected = stats.spearmanr(x, y)
    assert spearman(x, y) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-9, abs=1e-300)
    assert spearman(x, x) == pytest.approx((1.0, 0.0), abs=1e-12)
    assert spearman(x, -x) == pytest.approx((-1.0, 0.0), abs=1e-12)
    # by hand: ranks (1, 2, 3.5, 3.5) and (1, 3, 2, 4), centred (-1.5, -0.5, 1, 1) and (-1.5, 0.5, -0.5, 1.5):
    # rho = 3 / sqrt(4.5 * 5) = 0.632
    rho, _ = spearman(np.array([1.0, 2.0, 3.0, 3.0]), np.array([1.0, 3.0, 2.0, 4.0]))
    assert rho == pytest.approx(3 / math.sqrt(4.5 * 5))


def test_lognormal_shrinkage_by_hand() -> None:
    e = math.exp
    h = _histories([[e(4), e(6)], [e(5)], [e(7), e(7)]])
    model = fit_spend(h, SpendConfig(model="lognormal", min_segment_customers=1, cap_multiple=100))
    # within customers: deviations of ln(purchase) -1, +1 for the first, none for the others:
    # sigma2 = (1 + 1 + 0 + 0) / ((2-1) + (1-1) + (2-1)) = 1
    assert model.parameters["sigma2"] == pytest.approx(1.0)
    ln_m = [math.log((e(4) + e(6)) / 2), 5.0, 7.0]  # ln of each customer's mean: 5.4338, 5, 7
    mu = ln_m[0]  # their median
    # tau2 = mean squared deviation from the median - mean(sigma2 / n) = (0 + 0.4338^2 + 1.5662^2) / 3 - 2/3
    tau2 = sum((v - mu) ** 2 for v in ln_m) / 3 - (1 / 2 + 1 / 1 + 1 / 2) / 3
    assert tau2 == pytest.approx(0.2137, abs=1e-4) and model.parameters["tau2"] == pytest.approx(tau2)
    weights = [tau2 / (tau2 + 1 / n) for n in (2, 1, 2)]  # 0.2995, 0.1761, 0.2995
    expected = [e(w * v + (1 - w) * mu) for w, v in zip(weights, ln_m, strict=True)]
    np.testing.assert_allclose(model.expected, expected, rtol=1e-10)
    # each lies between its own mean and the median: the one-time buyer is drawn the most
    assert e(5) < model.expected[1] < e(mu) and e(mu) < model.expected[2] < e(7)


def test_cap_and_segments() -> None:
    big = [[50_000.0, 200_000.0]] * 50  # a segment of large buyers whose purchases vary a lot
    h = _histories(big + [[20.0]] + [[300.0, 500.0]] * 5, ["big"] * 51 + ["small"] * 5)
    model = fit_spend(h, SpendConfig(model="lognormal"))
    assert set(model.parameters["segment_median_cents"]) == {"big", "small"}
    # the one-time buyer of 20 in the big segment is drawn toward 125,000 (hundreds of euros) but
    # capped at 2 x 20
    uncapped = fit_spend(h, SpendConfig(model="lognormal", cap_multiple=1e9))
    assert uncapped.expected[50] > 500 and model.expected[50] == pytest.approx(40.0)
    assert np.all(model.expected <= 2 * h.largest)


def test_the_choice_and_its_reason() -> None:
    data = cdnow_calibration()
    cdnow = fit_spend(_from_summary(data.frequency, data.monetary_value), SpendConfig())
    assert cdnow.name == "gamma_gamma" and cdnow.gamma_gamma is not None
    x, mbar = _heavy_tailed(q=1.0)
    heavy = fit_spend(_from_summary(x, mbar), SpendConfig())
    assert heavy.name == "lognormal" and "q_above_one" in heavy.reason
    assert heavy.parameters["gamma_gamma"]["q"] < 1.5
    forced = fit_spend(_from_summary(x, mbar), SpendConfig(model="gamma_gamma"))
    assert forced.name == "gamma_gamma" and not forced.diagnostics
