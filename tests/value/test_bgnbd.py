"""BG/NBD: the published CDNOW results (Fader, Hardie & Lee 2005), the closed
forms against direct evaluation and simulation, and input errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import (
    BetaGeoFit,
    BetaGeoParams,
    expected_purchases,
    expected_purchases_new,
    fit_bgnbd,
    p_alive,
    simulate_bgnbd,
)
from tests.value.cdnow import cdnow_calibration

PUBLISHED = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def cdnow_fit() -> BetaGeoFit:
    data = cdnow_calibration()
    return fit_bgnbd(data.frequency, data.recency, data.T)


def test_cdnow_summary_matches_hardies_file() -> None:
    data = cdnow_calibration()
    assert data.frequency.size == 2357
    assert int(np.count_nonzero(data.frequency)) == 946
    first = data.customer_id == 4  # the paper's worked example
    assert data.frequency[first][0] == 2
    assert data.recency[first][0] == pytest.approx(30.43, abs=0.005)
    assert data.T[first][0] == pytest.approx(38.86, abs=0.005)
    assert data.T.max() == pytest.approx(38.86, abs=0.005) and data.T.min() == pytest.approx(27.0)


def test_cdnow_fit_reproduces_published_parameters(cdnow_fit: BetaGeoFit) -> None:
    for name in ("r", "alpha", "a", "b"):
        assert getattr(cdnow_fit.params, name) == pytest.approx(getattr(PUBLISHED, name), rel=0.005), name
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert cdnow_fit.converged
    assert cdnow_fit.n_customers == 2357


def test_cdnow_standard_errors_match_lifetimes(cdnow_fit: BetaGeoFit) -> None:
    """The lifetimes package's BetaGeoFitter on the same data (its documented
    summary: se(coef) 0.012557, 0.378221, 0.185719, 0.705345; Hessian by autograd)."""
    se = cdnow_fit.standard_errors
    assert se is not None
    assert cdnow_fit.log_covariance is not None
    assert np.all(np.linalg.eigvalsh(cdnow_fit.log_covariance) > 0)
    for name, reference in (("r", 0.012557), ("alpha", 0.378221), ("a", 0.185719), ("b", 0.705345)):
        assert getattr(se, name) == pytest.approx(reference, rel=0.01), name


def test_published_conditional_expectation(cdnow_fit: BetaGeoFit) -> None:
    expected = expected_purchases(cdnow_fit.params, 39, [2], [30.43], [38.86])
    assert round(float(expected[0]), 3) == 1.226


def test_conditional_expectation_against_equation_10_evaluated_directly() -> None:
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    x = np.array([0.0, 1, 2, 5, 12])
    t_x = np.array([0.0, 5, 30.43, 20, 35])
    T = np.array([10.0, 20, 38.86, 38, 38])
    t = 39.0
    body = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
    )
    denominator = 1 + (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    np.testing.assert_allclose(expected_purchases(PUBLISHED, t, x, t_x, T), body / denominator, rtol=1e-10)


def test_unconditional_expectation_against_equation_7_and_x0_customer() -> None:
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    t = np.array([0.0, 1.0, 39.0, 78.0, 500.0])
    direct = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    np.testing.assert_allclose(expected_purchases_new(PUBLISHED, t), direct, rtol=1e-10, atol=1e-15)
    # a customer just acquired (x = 0, T = 0) is a new customer
    np.testing.assert_allclose(expected_purchases(PUBLISHED, t[:, None], [0], [0], [0])[:, 0], direct, rtol=1e-12)


@pytest.mark.parametrize(
    "params",
    [PUBLISHED, BetaGeoParams(r=0.5248, alpha=6.1831, a=0.8914, b=1.6140, modified=True)],
    ids=["bgnbd", "mbgnbd"],
)
def test_unconditional_expectation_matches_simulated_customers(params: BetaGeoParams) -> None:
    rng = np.random.default_rng(20050101)
    for t in (39.0, 78.0):
        frequency, _ = simulate_bgnbd(params, np.full(200_000, t), rng)
        standard_error = frequency.std() / np.sqrt(frequency.size)
        assert abs(frequency.mean() - expected_purchases_new(params, t)) < 4 * standard_error


def test_fit_recovers_simulated_parameters() -> None:
    truth = BetaGeoParams(r=0.5, alpha=6.0, a=0.8, b=2.5)
    rng = np.random.default_rng(7)
    T = rng.uniform(20, 80, 20_000)
    frequency, recency = simulate_bgnbd(truth, T, rng)
    fit = fit_bgnbd(frequency, recency, T)
    assert fit.converged
    se = fit.standard_errors
    assert se is not None
    for name in ("r", "alpha", "a", "b"):
        estimate, true, error = getattr(fit.params, name), getattr(truth, name), getattr(se, name)
        assert abs(estimate - true) < 4 * error, name
        assert error < 0.25 * true, name


def test_weights_equal_repeated_rows() -> None:
    data = cdnow_calibration()
    repeated = fit_bgnbd(*(np.concatenate([v, v[:500]]) for v in (data.frequency, data.recency, data.T)))
    weights = np.ones(data.frequency.size)
    weights[:500] = 2
    weighted = fit_bgnbd(data.frequency, data.recency, data.T, weights=weights)
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-6)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, abs=1e-6)
    assert weighted.n_customers == repeated.n_customers == 2857


def test_p_alive_properties(cdnow_fit: BetaGeoFit) -> None:
    params = cdnow_fit.params
    assert np.all(p_alive(params, [0, 0], [0, 0], [5, 500]) == 1.0)
    T = np.linspace(30, 300, 50)
    alive = p_alive(params, np.full(50, 3.0), np.full(50, 30.0), T)
    assert np.all(np.diff(alive) < 0) and np.all((alive > 0) & (alive < 1))
    # by hand: 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    by_hand = 1 / (1 + a / (b + 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert p_alive(params, [2], [30.43], [38.86])[0] == pytest.approx(by_hand, rel=1e-12)
    # a long-silent frequent buyer is almost surely gone, without overflow
    assert p_alive(params, [400], [1], [1000])[0] < 1e-100


def test_expected_purchases_broadcasts_over_horizons(cdnow_fit: BetaGeoFit) -> None:
    data = cdnow_calibration()
    customers = (data.frequency[:5], data.recency[:5], data.T[:5])
    horizons = np.array([[13.0], [26.0], [52.0]])
    grid = expected_purchases(cdnow_fit.params, horizons, *customers)
    assert grid.shape == (3, 5)
    for row, t in zip(grid, horizons[:, 0], strict=True):
        np.testing.assert_allclose(row, expected_purchases(cdnow_fit.params, t, *customers), rtol=1e-14)
    assert np.all(np.diff(grid, axis=0) > 0)


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, -1], [1, 0], [2, 2], ">= 0"),
        ([1, 1], [3, 1], [2, 2], "must not exceed T"),
        ([], [], [], "no customers"),
        ([0, 0, 0], [0, 0, 0], [5, 6, 7], "no customer made a repeat purchase"),
        ([1, 2], [1], [2, 2], "same length"),
        ([1.5, 2], [1, 1], [2, 2], "whole numbers"),
        ([0, 2], [1, 1], [2, 2], "recency must be 0"),
        ([np.nan, 2], [1, 1], [2, 2], "NaN"),
    ],
)
def test_bad_input_is_refused(frequency: list[float], recency: list[float], T: list[float], message: str) -> None:
    with pytest.raises(ClientfolioError, match=message):
        fit_bgnbd(np.array(frequency, dtype=float), np.array(recency, dtype=float), np.array(T, dtype=float))


def test_bad_weights_and_horizons_are_refused() -> None:
    with pytest.raises(ClientfolioError, match="weights must be >= 0"):
        fit_bgnbd([1, 2], [1, 1], [2, 2], weights=[1, -1])
    with pytest.raises(ClientfolioError, match="one entry per customer"):
        fit_bgnbd([1, 2], [1, 1], [2, 2], weights=[1])
    with pytest.raises(ClientfolioError, match="t must be"):
        expected_purchases(PUBLISHED, -1, [1], [1], [2])


def test_expected_purchases_stay_finite_when_dropout_barely_varies() -> None:
    # a, b huge (a fit on regular B2B buyers): the Euler form overflows; the value must
    # match the a, b -> infinity limit (1/p)[1 - ((1-z)/(1-(1-p)z))^(r+x)], p = a/(a+b)
    params = BetaGeoParams(r=2.7, alpha=25.0, a=117_297.0, b=5_657_570.0)
    x, t_x, T, t = np.array([0.0, 12.0, 54.0]), np.array([0.0, 140.0, 199.0]), np.array([10.0, 150.0, 200.0]), 156.0
    p = params.a / (params.a + params.b)
    z = t / (params.alpha + T + t)
    limit = (1 - ((1 - z) / (1 - (1 - p) * z)) ** (params.r + x)) / p
    alive = p_alive(params, x, t_x, T)
    got = expected_purchases(params, t, x, t_x, T)
    assert np.all(np.isfinite(got))
    assert got == pytest.approx(limit * alive, rel=1e-4)
