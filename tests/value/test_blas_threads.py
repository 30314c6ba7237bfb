"""The fits run with one BLAS thread (``value.mle.one_blas_thread``): their
linear algebra is vectors of the customers' size, which OpenBLAS's threads
only slow down (the profile interval of q, 100,000 customers on 2 cores:
0.97 s with them, 0.05 s without); the count the caller had comes back after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from clientfolio.value import bgnbd, gamma_gamma
from clientfolio.value.mle import _blas, one_blas_thread
from tests.value.cdnow import cdnow_calibration


def _threads() -> list[int]:
    return [int(library["num_threads"]) for library in _blas().info() if library["user_api"] == "blas"]


@pytest.fixture
def two_threads() -> Iterator[None]:
    """Two BLAS threads meanwhile, whatever the machine's cores (one core would give one already)."""
    with _blas().limit(limits=2, user_api="blas"):
        assert set(_threads()) == {2}
        yield


def _seen_by(module: Any, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The BLAS thread counts seen at each evaluation of ``module``'s likelihood."""
    seen: list[list[int]] = []
    likelihood: Callable[..., Any] = module._log_likelihood

    def watched(*args: Any) -> Any:
        seen.append(_threads())
        return likelihood(*args)

    monkeypatch.setattr(module, "_log_likelihood", watched)
    return seen


def test_a_wrapped_function_runs_on_one_thread_and_gives_the_count_back(two_threads: None) -> None:
    assert one_blas_thread(_threads)() and set(one_blas_thread(_threads)()) == {1}
    assert set(_threads()) == {2}
    with pytest.raises(ZeroDivisionError):  # given back when the function fails too
        one_blas_thread(lambda: 1 / 0)()
    assert set(_threads()) == {2}


def test_the_fits_run_on_one_thread(two_threads: None, monkeypatch: pytest.MonkeyPatch) -> None:
    data = cdnow_calibration()
    spend = _seen_by(gamma_gamma, monkeypatch)
    fit = gamma_gamma.fit_gamma_gamma(data.frequency, data.monetary_value)
    repeat = data.frequency > 0
    gamma_gamma.q_profile_interval(fit, data.frequency[repeat], data.monetary_value[repeat])
    purchases = _seen_by(bgnbd, monkeypatch)
    bgnbd.fit_bgnbd(data.frequency, data.recency, data.T)
    assert spend and purchases
    assert {n for counts in spend + purchases for n in counts} == {1}
    assert set(_threads()) == {2}


def test_the_gradient_of_the_spend_likelihood_is_its_slope() -> None:
    """The Gamma-Gamma log-likelihood's analytic gradient (its terms in mbar summed
    once, ``_spend_data``) against central differences of its value, weighted."""
    rng = np.random.default_rng(3)
    x = rng.integers(1, 9, 300).astype(float)
    mbar = rng.gamma(2.0, 30.0, 300)
    w = rng.integers(1, 4, 300).astype(float)
    data = gamma_gamma._spend_data(x, mbar, w)
    for point in (np.log([6.25, 3.74, 15.44]), np.log([0.5, 1.2, 900.0])):
        _, gradient = gamma_gamma._log_likelihood(point, data)
        steps = np.eye(3) * 1e-6
        slope = [
            (gamma_gamma._log_likelihood(point + e, data)[0] - gamma_gamma._log_likelihood(point - e, data)[0]) / 2e-6
            for e in steps
        ]
        np.testing.assert_allclose(gradient, slope, rtol=1e-5, atol=1e-4)
    # the weights count customers: a weight of 2 is the customer twice
    twice = gamma_gamma._spend_data(np.repeat(x, w.astype(int)), np.repeat(mbar, w.astype(int)), np.ones(int(w.sum())))
    point = np.log([2.0, 3.0, 50.0])
    weighted, unweighted = gamma_gamma._log_likelihood(point, data), gamma_gamma._log_likelihood(point, twice)
    assert weighted[0] == pytest.approx(unweighted[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], unweighted[1], rtol=1e-10)
