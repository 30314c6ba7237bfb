"""Gamma-Gamma: the published CDNOW parameters (Fader, Hardie & Lee 2005; Hardie's
note), the conditional expectation by hand, recovery from simulation, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

from clientfolio.errors import ClientfolioError
from clientfolio.value.gamma_gamma import (
    MIN_REPEAT_BUYERS,
    GammaGammaFit,
    GammaGammaParams,
    expected_spend,
    fit_gamma_gamma,
    simulate_gamma_gamma,
)
from tests.value.cdnow import cdnow_calibration

PUBLISHED = GammaGammaParams(p=6.25, q=3.74, v=15.44)


@pytest.fixture(scope="module")
def cdnow_fit() -> GammaGammaFit:
    data = cdnow_calibration()
    return fit_gamma_gamma(data.frequency, data.monetary_value)


def test_cdnow_fit_reproduces_published_parameters(cdnow_fit: GammaGammaFit) -> None:
    assert cdnow_fit.n_customers == 946
    for name in ("p", "q", "v"):
        assert getattr(cdnow_fit.params, name) == pytest.approx(getattr(PUBLISHED, name), rel=0.005), name
    assert cdnow_fit.converged
    se = cdnow_fit.standard_errors
    assert se is not None and 0 < se.q < cdnow_fit.params.q - 1  # q > 1 is well established


def _direct_log_likelihood(log_params: np.ndarray, x: np.ndarray, mbar: np.ndarray) -> float:
    """Hardie's density of mbar, written out independently of the library."""
    p, q, v = np.exp(log_params)
    return float(
        np.sum(
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(v)
            + (p * x - 1) * np.log(mbar)
            + p * x * np.log(x)
            - (p * x + q) * np.log(v + x * mbar)
        )
    )


def test_cdnow_log_likelihood_and_covariance_from_the_density(cdnow_fit: GammaGammaFit) -> None:
    """The fit's log-likelihood, optimum and covariance against the density
    evaluated directly: zero slope, and the inverse of its finite-difference Hessian."""
    data = cdnow_calibration()
    repeat = data.frequency > 0
    x, mbar = data.frequency[repeat], data.monetary_value[repeat]
    centre = np.log(cdnow_fit.params.as_array())
    assert cdnow_fit.log_likelihood == pytest.approx(_direct_log_likelihood(centre, x, mbar), abs=1e-6)

    def ll(point: np.ndarray) -> float:
        return _direct_log_likelihood(point, x, mbar)

    h = 1e-3
    steps = np.eye(3) * h
    slope = [(ll(centre + e) - ll(centre - e)) / (2 * h) for e in steps]
    assert np.max(np.abs(slope)) < 1e-3
    hessian = np.array(
        [
            [
                (ll(centre + ei + ej) - ll(centre + ei - ej) - ll(centre - ei + ej) + ll(centre - ei - ej))
                / (4 * h * h)
                for ej in steps
            ]
            for ei in steps
        ]
    )
    assert cdnow_fit.log_covariance is not None
    np.testing.assert_allclose(cdnow_fit.log_covariance, np.linalg.inv(-hessian), rtol=0.01)


def test_expected_spend_by_hand() -> None:
    p, q, v = PUBLISHED.p, PUBLISHED.q, PUBLISHED.v
    population = v * p / (q - 1)
    assert PUBLISHED.population_mean_spend == pytest.approx(population)
    x, mbar = 3.0, 50.0
    by_hand = (q - 1) / (p * x + q - 1) * population + p * x / (p * x + q - 1) * mbar
    spend = expected_spend(PUBLISHED, [0, 3, 10_000], [0, 50, 50])
    assert spend[0] == pytest.approx(population, rel=1e-14)
    assert spend[1] == pytest.approx(by_hand, rel=1e-14)
    assert spend[2] == pytest.approx(50, rel=1e-4)  # many purchases: one's own mean


def test_cdnow_fitted_mean_spend_matches_the_data(cdnow_fit: GammaGammaFit) -> None:
    data = cdnow_calibration()
    repeat = data.frequency > 0
    # the model's mean transaction value is close to the average of the repeat buyers' means
    assert cdnow_fit.params.population_mean_spend == pytest.approx(data.monetary_value[repeat].mean(), rel=0.1)


def test_fit_recovers_simulated_parameters() -> None:
    truth = GammaGammaParams(p=4.0, q=5.0, v=40.0)
    rng = np.random.default_rng(11)
    frequency = rng.integers(0, 15, 20_000).astype(float)
    fit = fit_gamma_gamma(frequency, simulate_gamma_gamma(truth, frequency, rng))
    se = fit.standard_errors
    assert fit.converged and se is not None
    for name in ("p", "q", "v"):
        assert abs(getattr(fit.params, name) - getattr(truth, name)) < 4 * getattr(se, name), name
        assert getattr(se, name) < 0.2 * getattr(truth, name), name


def test_weights_equal_repeated_rows() -> None:
    data = cdnow_calibration()
    repeated = fit_gamma_gamma(
        np.concatenate([data.frequency, data.frequency[:300]]),
        np.concatenate([data.monetary_value, data.monetary_value[:300]]),
    )
    weights = np.ones(data.frequency.size)
    weights[:300] = 2
    weighted = fit_gamma_gamma(data.frequency, data.monetary_value, weights=weights)
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-6)


def test_a_repeat_buyer_whose_repeats_came_to_nothing_keeps_the_population_share() -> None:
    """mbar <= 0 for x > 0 (free goods, credit notes: the full CDNOW file has such buyers) is left out
    of the fit, whose likelihood takes ln mbar, but a prediction values it with mbar = 0:
    v p / (p x + q - 1), by hand 15.44 x 6.25 / (6.25 x 3 + 3.74 - 1) = 96.5 / 21.49 = 4.4905 dollars."""
    got = expected_spend(PUBLISHED, [3, 3, 3], [0.0, -5.0, 10.0])
    assert got[0] == pytest.approx(15.44 * 6.25 / (6.25 * 3 + 3.74 - 1)) == pytest.approx(4.49046, rel=1e-5)
    assert got[1] == got[0]  # a negative mean counts as nothing, not less than nothing
    assert got[2] == pytest.approx((15.44 * 6.25 + 6.25 * 3 * 10.0) / (6.25 * 3 + 3.74 - 1))
    first = expected_spend(PUBLISHED, [3], [0.0], first_value=[12.0])
    assert first[0] == pytest.approx(got[0])


def test_errors() -> None:
    with pytest.raises(ClientfolioError, match="q <= 1"):
        expected_spend(GammaGammaParams(p=2.0, q=0.9, v=10.0), [1], [10])
    few = MIN_REPEAT_BUYERS - 1
    with pytest.raises(ClientfolioError, match=f"{few} customers with repeat purchases"):
        fit_gamma_gamma(np.r_[np.ones(few), np.zeros(50)], np.r_[np.full(few, 10.0), np.zeros(50)])
    with pytest.raises(ClientfolioError, match="monetary_value must be > 0"):
        fit_gamma_gamma(np.ones(20), np.r_[np.full(19, 10.0), 0.0])
    with pytest.raises(ClientfolioError, match="same length"):
        expected_spend(PUBLISHED, [1, 2], [10])
    with pytest.raises(ClientfolioError, match="whole numbers"):
        expected_spend(PUBLISHED, [-1], [10])


def test_heavy_tailed_spend_values_one_time_buyers_on_their_first_purchase() -> None:
    heavy = GammaGammaParams(p=2.0, q=0.5, v=10.0)
    # x = 0 with a first purchase of 30: (10 x 2 + 2 x 1 x 30) / (2 x 1 + 0.5 - 1) = 80 / 1.5
    # x = 2, mean 40: (20 + 2 x 2 x 40) / (4 + 0.5 - 1) = 180 / 3.5
    got = expected_spend(heavy, [0, 2], [0.0, 40.0], first_value=[30.0, 99.0])
    assert got == pytest.approx([80 / 1.5, 180 / 3.5])
    with pytest.raises(ClientfolioError, match="infinite"):
        expected_spend(heavy, [0, 2], [0.0, 40.0])
    with pytest.raises(ClientfolioError, match="undefined"):
        expected_spend(GammaGammaParams(p=0.3, q=0.5, v=10.0), [0], [0.0], first_value=[30.0])
    # with q > 1 too the first purchase is one observation: (10 x 2 + 2 x 1 x 100) / (2 + 3 - 1) = 55;
    # without it, the published method: the population mean 10 x 2 / (3 - 1) = 10
    light = GammaGammaParams(p=2.0, q=3.0, v=10.0)
    assert expected_spend(light, [0], [0.0], first_value=[100.0])[0] == pytest.approx(220 / 4)
    assert expected_spend(light, [0], [0.0])[0] == pytest.approx(10.0)


@pytest.mark.parametrize("p", [0.56, 2.0])
def test_expected_spend_is_continuous_in_q_across_one(p: float) -> None:
    """No jump at q = 1, where the population mean becomes infinite: the demo's
    fit had q = 1.0089 and valued every one-time buyer at the population mean."""
    x, mbar, first = [0, 0, 1, 5], [0.0, 0.0, 800.0, 1200.0], [50.0, 9000.0, 300.0, 700.0]
    below = expected_spend(GammaGammaParams(p=p, q=1 - 1e-6, v=1500.0), x, mbar, first_value=first)
    above = expected_spend(GammaGammaParams(p=p, q=1 + 1e-6, v=1500.0), x, mbar, first_value=first)
    np.testing.assert_allclose(above, below, rtol=0.01)
    near = expected_spend(GammaGammaParams(p=p, q=1.0089, v=1500.0), x, mbar, first_value=first)
    np.testing.assert_allclose(near, below, rtol=0.05)


def test_a_line_search_stopped_at_the_maximum_is_converged() -> None:
    """L-BFGS-B's "ABNORMAL" end (its line search could not decrease further)
    is a maximum when the gradient is already nil, as where the rounding of the
    sums stops the search (the simulated fit above, on AMD EPYC); not when the
    gradient is still large."""
    from scipy.optimize import OptimizeResult

    from clientfolio.value.mle import STATIONARY, fit_end

    def settled(result: OptimizeResult) -> tuple[bool, str]:
        return fit_end(result, at_bound=False, singular=False)

    stopped = "ABNORMAL: "
    assert settled(OptimizeResult(success=False, message=stopped, jac=np.array([6e-8, -5e-8, 5e-8])))[0]
    converged, message = settled(OptimizeResult(success=False, message=stopped, jac=np.array([0, 10 * STATIONARY])))
    assert not converged and message == stopped
    assert not settled(OptimizeResult(success=False, message="STOP: TOTAL NO. OF ITERATIONS", jac=np.zeros(3)))[0]
    assert settled(OptimizeResult(success=True, message="CONVERGENCE", jac=np.ones(3)))[0]
