"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): the CDNOW fit and predictions
against the ``lifetimes`` package, the closed forms against direct evaluation,
simulation, and the comparison with the BG/NBD.

The reference numbers below come from ``lifetimes`` 0.11.3 (not a project
dependency; run in a scratch virtual environment), on the arrays of
``cdnow_calibration()`` (lifetimes' own ``load_cdnow_summary()`` holds the same
2,357 customers in another order, with recency and T rounded to 2 decimals):

    from lifetimes import ModifiedBetaGeoFitter
    m = ModifiedBetaGeoFitter().fit(c.frequency, c.recency, c.T)
    m.params_                                   # LIFETIMES below
    -m._negative_log_likelihood(np.log(m.params_.values), f, rec, T, ones, 0) * 2357
    m.standard_errors_
    m.conditional_probability_alive(x, t_x, T)
    m.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T)
    m.expected_number_of_purchases_up_to_time(t)
"""

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

# lifetimes' ModifiedBetaGeoFitter on cdnow_calibration() (its log-likelihood: -9582.135715553766)
LIFETIMES = BetaGeoParams(
    r=0.5248429031495876, alpha=6.1830817643992075, a=0.8913595172712259, b=1.6140029311983561, modified=True
)
LIFETIMES_LL = -9582.135715553766
LIFETIMES_SE = {
    "r": 0.08326808867855634,
    "alpha": 0.6956199090361059,
    "a": 0.15478993801749238,
    "b": 0.5374947939555573,
}
# (customer id, x, t_x, T, P(alive), expected purchases in the next 39 weeks) at LIFETIMES
CUSTOMERS = [
    (4, 2, 30.428571428571427, 38.857142857142854, 0.7061384907953507, 1.2627588401713423),
    (18, 0, 0.0, 38.42857142857143, 0.39091722718000294, 0.15574360653911803),
    (21, 1, 1.7142857142857142, 38.857142857142854, 0.17095108033103731, 0.18894488774744272),
    (50, 0, 0.0, 38.857142857142854, 0.38972310430884705, 0.15396600986397851),
    (1760, 29, 37.714285714285715, 38.0, 0.9659380780611754, 18.951872399511274),
    (21871, 1, 21.428571428571427, 27.0, 0.6890369063051326, 0.9826480215029729),
    (22180, 0, 0.0, 27.0, 0.428462108088332, 0.22062346923137996),
]
# expected_number_of_purchases_up_to_time(t) at LIFETIMES
NEW_CUSTOMER = [
    (1.0, 0.0530603326526043),
    (10.0, 0.4332510114319037),
    (39.0, 1.1822798470838038),
    (78.0, 1.803630518032709),
    (200.0, 2.9329380601946418),
]


@pytest.fixture(scope="module")
def cdnow_fit() -> BetaGeoFit:
    data = cdnow_calibration()
    return fit_bgnbd(data.frequency, data.recency, data.T, modified=True)


def test_cdnow_fit_matches_lifetimes(cdnow_fit: BetaGeoFit) -> None:
    assert cdnow_fit.params.modified
    assert cdnow_fit.converged
    assert cdnow_fit.n_customers == 2357
    # measured: our parameters within 3e-7 (relative) of lifetimes', our log-likelihood
    # -9582.13571555375, higher than lifetimes' by 2e-11 (the same optimum)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(cdnow_fit.params, name) == pytest.approx(getattr(LIFETIMES, name), rel=1e-5), name
    assert cdnow_fit.log_likelihood == pytest.approx(LIFETIMES_LL, abs=1e-6)
    assert cdnow_fit.log_likelihood >= LIFETIMES_LL - 1e-9
    se = cdnow_fit.standard_errors
    assert se is not None and se.modified
    for name, reference in LIFETIMES_SE.items():  # lifetimes: Hessian by autograd; ours: differences, 1e-5 apart
        assert getattr(se, name) == pytest.approx(reference, rel=1e-3), name


def test_lifetimes_summary_rounded_to_two_decimals_gives_its_published_fit() -> None:
    # lifetimes on its own load_cdnow_summary() (recency, T rounded to 2 decimals):
    # r=0.5248377255676637, alpha=6.1829884791339715, a=0.8913562809311422, b=1.6140000256721438,
    # log-likelihood -9582.13268489992; ours on the same rounded data is within 5e-7
    data = cdnow_calibration()
    fit = fit_bgnbd(data.frequency, np.round(data.recency, 2), np.round(data.T, 2), modified=True)
    published = [0.5248377255676637, 6.1829884791339715, 0.8913562809311422, 1.6140000256721438]
    np.testing.assert_allclose(fit.params.as_array(), published, rtol=1e-5)
    assert fit.log_likelihood == pytest.approx(-9582.13268489992, abs=1e-6)


def test_p_alive_and_conditional_expectation_match_lifetimes() -> None:
    _, x, t_x, T, alive, purchases = (np.array(column, dtype=float) for column in zip(*CUSTOMERS, strict=True))
    # measured: within 3e-14 (relative)
    np.testing.assert_allclose(p_alive(LIFETIMES, x, t_x, T), alive, rtol=1e-9)
    np.testing.assert_allclose(expected_purchases(LIFETIMES, 39, x, t_x, T), purchases, rtol=1e-9)
    data = cdnow_calibration()
    for customer_id, *history, _, _ in CUSTOMERS:  # the histories are those of the CDNOW customers
        row = np.flatnonzero(data.customer_id == customer_id)[0]
        got = (data.frequency[row], data.recency[row], data.T[row])
        assert got == pytest.approx(tuple(history), abs=1e-12), customer_id


def test_unconditional_expectation_matches_lifetimes_and_the_closed_form() -> None:
    t, reference = (np.array(column) for column in zip(*NEW_CUSTOMER, strict=True))
    np.testing.assert_allclose(expected_purchases_new(LIFETIMES, t), reference, rtol=1e-9)
    r, alpha, a, b = LIFETIMES.as_array()
    t = np.array([0.0, 1.0, 39.0, 78.0, 500.0])
    direct = b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
    np.testing.assert_allclose(expected_purchases_new(LIFETIMES, t), direct, rtol=1e-10, atol=1e-15)
    # a customer just acquired (x = 0, T = 0) is a new customer: alive with probability b / (a + b)
    np.testing.assert_allclose(
        expected_purchases(LIFETIMES, t[:, None], [0], [0], [0])[:, 0], direct, rtol=1e-12, atol=1e-15
    )
    assert p_alive(LIFETIMES, [0], [0], [0])[0] == pytest.approx(b / (a + b), rel=1e-14)


@pytest.mark.parametrize(
    "params",
    [
        BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426, modified=True),
        BetaGeoParams(r=2.5, alpha=30.0, a=3.7, b=0.6, modified=True),
        BetaGeoParams(r=0.8, alpha=2.0, a=1.3, b=12.0, modified=True),
    ],
)
def test_conditional_expectation_against_the_direct_2f1_form(params: BetaGeoParams) -> None:
    # (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
    #   / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))      (Wagner & Hoppe 2008)
    r, alpha, a, b = params.as_array()
    x = np.array([0.0, 0, 1, 2, 5, 12, 30])
    t_x = np.array([0.0, 0, 5, 30.43, 20, 35, 37])
    T = np.array([0.0, 60, 20, 38.86, 38, 38, 38])
    for t in (0.5, 39.0, 150.0):
        body = (
            (a + b + x)
            / (a - 1)
            * (
                1
                - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
            )
        )
        denominator = 1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x)
        np.testing.assert_allclose(expected_purchases(params, t, x, t_x, T), body / denominator, rtol=1e-10)


def test_one_time_buyer_is_not_certainly_alive() -> None:
    T = np.linspace(1, 300, 60)
    zeros = np.zeros_like(T)
    alive = p_alive(LIFETIMES, zeros, zeros, T)
    assert np.all((alive > 0) & (alive < 1)) and np.all(np.diff(alive) < 0)
    r, alpha, a, b = LIFETIMES.as_array()
    np.testing.assert_allclose(alive, 1 / (1 + a / b * ((alpha + T) / alpha) ** r), rtol=1e-13)
    # the BG/NBD with the same numbers keeps them alive for ever
    bg = BetaGeoParams(*LIFETIMES.as_array())
    assert not bg.modified
    assert np.all(p_alive(bg, zeros, zeros, T) == 1.0)
    # and predicts more of their purchases
    assert np.all(expected_purchases(LIFETIMES, 52, zeros, zeros, T) < expected_purchases(bg, 52, zeros, zeros, T))


def test_simulated_customers_match_the_model_and_the_fit_recovers_the_parameters() -> None:
    truth = BetaGeoParams(r=0.5, alpha=6.0, a=0.8, b=2.5, modified=True)
    rng = np.random.default_rng(7)
    T = rng.uniform(20, 80, 20_000)
    frequency, recency = simulate_bgnbd(truth, T, rng)
    assert np.all(recency[frequency == 0] == 0) and np.all(recency[frequency > 0] > 0) and np.all(recency <= T)
    # P(X(T) = 0) = a/(a+b) (dropout at time 0) + b/(a+b) (alpha/(alpha+T))^r (no purchase)
    zero_share = np.mean(
        truth.a / (truth.a + truth.b) + truth.b / (truth.a + truth.b) * (truth.alpha / (truth.alpha + T)) ** truth.r
    )
    assert abs(np.mean(frequency == 0) - zero_share) < 4 * np.sqrt(zero_share * (1 - zero_share) / T.size)
    fit = fit_bgnbd(frequency, recency, T, modified=True)
    assert fit.converged and fit.params.modified
    se = fit.standard_errors
    assert se is not None
    for name in ("r", "alpha", "a", "b"):  # measured: -1.6, -1.7, 0.3, 0.6 standard errors
        estimate, true, error = getattr(fit.params, name), getattr(truth, name), getattr(se, name)
        assert abs(estimate - true) < 4 * error, name
        assert error < 0.25 * true, name


def test_log_likelihood_chooses_the_model() -> None:
    # many dropouts right after the first purchase (mean p = 0.6): measured LL MBG -16041.24 against
    # BG/NBD -16149.01, which can only explain the 64 % one-time buyers by slow buying (r = 0.13)
    truth = BetaGeoParams(r=1.0, alpha=5.0, a=3.0, b=2.0, modified=True)
    rng = np.random.default_rng(3)
    T = rng.uniform(20, 80, 5000)
    frequency, recency = simulate_bgnbd(truth, T, rng)
    modified, original = fit_bgnbd(frequency, recency, T, modified=True), fit_bgnbd(frequency, recency, T)
    assert modified.log_likelihood > original.log_likelihood + 50
    # CDNOW: measured LL MBG/NBD -9582.1357 against BG/NBD -9582.4292, the MBG/NBD slightly better
    data = cdnow_calibration()
    modified = fit_bgnbd(data.frequency, data.recency, data.T, modified=True)
    original = fit_bgnbd(data.frequency, data.recency, data.T)
    assert modified.log_likelihood == pytest.approx(-9582.1357, abs=1e-4)
    assert original.log_likelihood == pytest.approx(-9582.4292, abs=1e-4)
    assert 0.25 < modified.log_likelihood - original.log_likelihood < 0.35


def test_weights_equal_repeated_rows() -> None:
    data = cdnow_calibration()
    repeated = fit_bgnbd(*(np.concatenate([v, v[:500]]) for v in (data.frequency, data.recency, data.T)), modified=True)
    weights = np.ones(data.frequency.size)
    weights[:500] = 2
    weighted = fit_bgnbd(data.frequency, data.recency, data.T, weights=weights, modified=True)
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-6)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, abs=1e-6)


def test_params_default_to_the_bgnbd_and_errors_name_the_model() -> None:
    params = BetaGeoParams(0.243, 4.414, 0.793, 2.426)
    assert not params.modified
    assert params.as_array().tolist() == [0.243, 4.414, 0.793, 2.426]
    assert BetaGeoParams(0.243, 4.414, 0.793, 2.426, modified=True).as_array().tolist() == [0.243, 4.414, 0.793, 2.426]
    with pytest.raises(ClientfolioError, match="cannot fit the MBG/NBD model: no customer made a repeat purchase"):
        fit_bgnbd([0.0, 0.0], [0.0, 0.0], [5.0, 6.0], modified=True)


def test_expected_purchases_stay_finite_when_dropout_barely_varies() -> None:
    # a, b huge: the Euler form overflows; conditional on being alive the future is the same in
    # both models, so the value is the a, b -> infinity limit (1/p)[1 - ((1-z)/(1-(1-p)z))^(r+x)] times P(alive)
    params = BetaGeoParams(r=2.7, alpha=25.0, a=117_297.0, b=5_657_570.0, modified=True)
    x, t_x, T, t = np.array([0.0, 12.0, 54.0]), np.array([0.0, 140.0, 199.0]), np.array([10.0, 150.0, 200.0]), 156.0
    p = params.a / (params.a + params.b)
    z = t / (params.alpha + T + t)
    limit = (1 - ((1 - z) / (1 - (1 - p) * z)) ** (params.r + x)) / p
    got = expected_purchases(params, t, x, t_x, T)
    assert np.all(np.isfinite(got))
    assert got == pytest.approx(limit * p_alive(params, x, t_x, T), rel=1e-4)
