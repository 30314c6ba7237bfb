"""The Gamma-Gamma model of spend per transaction.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "RFM and CLV: Using Iso-Value
Curves for Customer Base Analysis", *Journal of Marketing Research* 42(4),
415-430; Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value"
(note, brucehardie.com).

Each transaction value of a customer is Gamma(shape p, rate nu); nu varies
across customers as Gamma(shape q, rate gamma), written ``v`` here (in money,
like the values).  The model is fitted
on the customers with at least one repeat purchase, from x (their number of
repeat purchases) and mbar (the mean value of those repeat purchases); spend is
assumed independent of the purchase process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from clientfolio.errors import ClientfolioError
from clientfolio.value.mle import fit_end, float_array, hessian, inverse_if_positive_definite, one_blas_thread

__all__ = [
    "MIN_REPEAT_BUYERS",
    "GammaGammaFit",
    "GammaGammaParams",
    "expected_spend",
    "fit_gamma_gamma",
    "q_profile_interval",
    "simulate_gamma_gamma",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

MIN_REPEAT_BUYERS = 10  # fewer customers with repeat purchases: no fit
_LOG_BOUND = 25.0


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: a transaction value ~ Gamma(shape p, rate nu), with
    nu ~ Gamma(shape q, rate v) across customers (v is Hardie's gamma, in money)."""

    p: float
    q: float
    v: float

    def as_array(self) -> FloatArray:
        return np.array([self.p, self.q, self.v], dtype=np.float64)

    @property
    def population_mean_spend(self) -> float:
        """E[value of a transaction] over customers, v p / (q - 1); needs q > 1."""
        if self.q <= 1:
            raise ClientfolioError("the mean spend is infinite when q <= 1 (q = {q})", q=format(self.q, ".4g"))
        return self.v * self.p / (self.q - 1)


@dataclass(frozen=True, eq=False)
class GammaGammaFit:
    """Result of :func:`fit_gamma_gamma`.  ``log_covariance``: inverse Hessian of
    the negative log-likelihood wrt (log p, log q, log v), the covariance of the
    LOG-parameters; ``None`` when the Hessian is singular."""

    params: GammaGammaParams
    log_likelihood: float
    n_customers: float  # repeat buyers used (sum of their weights)
    log_covariance: FloatArray | None
    converged: bool
    message: str

    @property
    def standard_errors(self) -> GammaGammaParams | None:
        """Standard errors on the natural scale (delta method)."""
        if self.log_covariance is None:
            return None
        se = self.params.as_array() * np.sqrt(np.diag(self.log_covariance))
        return GammaGammaParams(*(float(v) for v in se))


def _spend_inputs(
    frequency: ArrayLike, monetary_value: ArrayLike, *, fitting: bool = True
) -> tuple[FloatArray, FloatArray]:
    """x and mbar checked; ``fitting``: the likelihood takes ln mbar, so a repeat buyer's
    mbar must be > 0 (a prediction takes any mbar, ``expected_spend``)."""
    x = float_array("frequency", frequency)
    mbar = float_array("monetary_value", monetary_value)
    if x.shape != mbar.shape:
        raise ClientfolioError(
            "frequency and monetary_value must have the same length, got {frequency}, {monetary_value}",
            frequency=x.size,
            monetary_value=mbar.size,
        )
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ClientfolioError("frequency must be whole numbers >= 0")
    if fitting and np.any((x > 0) & (mbar <= 0)):
        raise ClientfolioError("monetary_value must be > 0 for customers with repeat purchases")
    return x, mbar


class _SpendData(NamedTuple):
    """The repeat buyers' data as the likelihood reads it: what does not depend
    on the parameters computed once, not at each of the optimiser's steps."""

    x_values: FloatArray  # the distinct x
    x_weights: FloatArray  # the total weight of each
    x_mbar: FloatArray  # per customer, x mbar
    w: FloatArray  # per customer, the weight
    wx: FloatArray  # per customer, w x
    wx_log_mbar: float  # sum of w x ln mbar
    w_log_mbar: float  # sum of w ln mbar
    scratch: tuple[FloatArray, FloatArray]  # two arrays of one value per customer, written over at each step


def _spend_data(x: FloatArray, mbar: FloatArray, w: FloatArray) -> _SpendData:
    x_values, x_inverse = np.unique(x, return_inverse=True)
    x_weights = np.bincount(x_inverse, weights=w, minlength=x_values.size).astype(np.float64)
    log_mbar = np.log(mbar)
    wx = w * x
    scratch = (np.empty_like(x), np.empty_like(x))
    return _SpendData(x_values, x_weights, x * mbar, w, wx, float(wx @ log_mbar), float(w @ log_mbar), scratch)


def _log_likelihood(log_params: FloatArray, d: _SpendData) -> tuple[float, FloatArray]:
    """Weighted log density of the customers' mbar and its gradient wrt the
    log-parameters; per customer,

    ln G(px+q) - ln G(px) - ln G(q) + q ln v + px ln x + (px-1) ln mbar - (px+q) ln(v + x mbar),

    the terms in x alone computed once per distinct x, those in mbar alone once
    (``_SpendData``): per step, one logarithm and one division per customer,
    written into the same two arrays (new ones of 100,000 values cost more to
    allocate, page by page, than the logarithms).
    """
    from scipy import special

    p, q, v = np.exp(log_params)
    pu = p * d.x_values
    dig = special.digamma(pu + q)
    ll = d.x_weights @ (
        special.gammaln(pu + q) - special.gammaln(pu) - special.gammaln(q) + q * np.log(v) + pu * np.log(d.x_values)
    )
    g_p = d.x_weights @ (d.x_values * (dig - special.digamma(pu) + np.log(d.x_values)))
    g_q = d.x_weights @ (dig - special.digamma(q) + np.log(v))
    g_v = d.x_weights.sum() * q / v
    spread, work = d.scratch
    np.add(d.x_mbar, v, out=spread)
    log_spread = np.log(spread, out=work)
    wx_log_spread, w_log_spread = float(d.wx @ log_spread), float(d.w @ log_spread)
    inverse = np.divide(1.0, spread, out=work)
    ll += p * d.wx_log_mbar - d.w_log_mbar - p * wx_log_spread - q * w_log_spread
    g_p += d.wx_log_mbar - wx_log_spread
    g_q -= w_log_spread
    g_v -= p * float(d.wx @ inverse) + q * float(d.w @ inverse)
    return float(ll), np.array([g_p * p, g_q * q, g_v * v])


@one_blas_thread
def fit_gamma_gamma(
    frequency: ArrayLike, monetary_value: ArrayLike, *, weights: ArrayLike | None = None
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the customers with frequency > 0.

    Inputs (1-D arrays, one entry per customer): ``frequency`` x, whole number
    of repeat purchases; ``monetary_value``, mean value of those repeat
    purchases (money; any finite value where x = 0, ignored); optional ``weights`` (counts of
    identical customers).  Returns a :class:`GammaGammaFit`.

    Raises ClientfolioError on bad input or with fewer than MIN_REPEAT_BUYERS
    repeat buyers.
    """
    from scipy import optimize

    x, mbar = _spend_inputs(frequency, monetary_value)
    w = np.ones_like(x) if weights is None else float_array("weights", weights)
    if w.shape != x.shape or np.any(w < 0):
        raise ClientfolioError("weights must be >= 0, one per customer")
    keep = (x > 0) & (w > 0)
    x, mbar, w = x[keep], mbar[keep], w[keep]
    if np.count_nonzero(keep) < MIN_REPEAT_BUYERS:
        raise ClientfolioError(
            "cannot fit the Gamma-Gamma model: {repeat} customers with repeat purchases, at least {needed} needed",
            repeat=int(np.count_nonzero(keep)),
            needed=MIN_REPEAT_BUYERS,
        )
    total = float(w.sum())
    data = _spend_data(x, mbar, w)

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        ll, grad = _log_likelihood(log_params, data)
        return -ll / total, -grad / total

    mean_spend = float(mbar @ w) / total
    start = np.log([1.0, 3.0, 2.0 * mean_spend])  # p v / (q - 1) = the observed mean
    result = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3,
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000},
    )
    log_params = np.asarray(result.x, dtype=np.float64)
    at_bound = bool(np.any(np.abs(log_params) >= _LOG_BOUND - 1e-6))
    hess = hessian(lambda point: -_log_likelihood(point, data)[1], log_params)
    covariance = inverse_if_positive_definite(hess)
    converged, message = fit_end(result, at_bound=at_bound, singular=covariance is None)
    p, q, v = (float(value) for value in np.exp(log_params))
    return GammaGammaFit(
        params=GammaGammaParams(p, q, v),
        log_likelihood=-float(result.fun) * total,
        n_customers=total,
        log_covariance=covariance,
        converged=converged,
        message=message,
    )


def expected_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike, first_value: ArrayLike | None = None
) -> FloatArray:
    """Conditional expected value of a customer's future transactions (money):

        (q-1)/(px+q-1) * v p/(q-1) + px/(px+q-1) * mbar  =  (v p + p x mbar) / (p x + q - 1),

    the population mean v p / (q - 1) for x = 0 (as in the papers and the
    lifetimes package).  Inputs: 1-D arrays x (repeat purchases) and mbar (mean
    repeat purchase value).

    With ``first_value`` (each customer's first purchase), customers without a
    repeat purchase count their one purchase as an observation (the same
    formula with x = 1, mbar = first value) instead of taking the population
    mean: the value is then finite and continuous in q on both sides of 1,
    where the population mean becomes infinite (spend with a heavy tail, common
    in B2B).  A repeat buyer whose repeat purchases came to nothing (mbar <= 0:
    free goods, credit notes; left out of the fit, whose likelihood takes ln mbar)
    counts mbar = 0: the population's share of the formula only.  Raises
    ClientfolioError when q <= 1 and ``first_value`` is not given, or when
    p x + q - 1 <= 0.
    """
    x, mbar = _spend_inputs(frequency, monetary_value, fitting=False)
    mbar = np.maximum(mbar, 0.0)
    if first_value is None:
        if params.q <= 1:
            raise ClientfolioError(
                "the mean spend is infinite when q <= 1 (q = {q}): give the first purchase values",
                q=format(params.q, ".4g"),
            )
        population = params.population_mean_spend
        px = params.p * x
        weight = px / (px + params.q - 1)
        return np.asarray((1 - weight) * population + weight * np.where(x > 0, mbar, 0.0), dtype=np.float64)
    first = float_array("first_value", first_value)
    if first.shape != x.shape:
        raise ClientfolioError(
            "first_value must have one entry per customer ({customers}), got {values}",
            customers=x.size,
            values=first.size,
        )
    once = x == 0
    x_seen = np.where(once, 1.0, x)
    denominator = params.p * x_seen + params.q - 1
    if np.any(denominator <= 0):
        raise ClientfolioError(
            "the expected spend is undefined for p = {p}, q = {q} (p x + q - 1 <= 0)",
            p=format(params.p, ".4g"),
            q=format(params.q, ".4g"),
        )
    mean = np.where(once, np.maximum(first, 0.0), mbar)
    return np.asarray((params.v * params.p + params.p * x_seen * mean) / denominator, dtype=np.float64)


@one_blas_thread
def q_profile_interval(
    fit: GammaGammaFit,
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    *,
    level: float = 0.95,
    weights: ArrayLike | None = None,
) -> tuple[float, float]:
    """Profile-likelihood interval of q at ``level``: the q whose likelihood,
    maximised over p and v, is within chi2(1, level) / 2 of the maximum.

    Inputs: the fit and the data it was fitted on (repeat buyers' x and mbar,
    optional weights).  Returns (low, high); low is 0 and high inf where the
    likelihood stays within the bound (the data do not limit q on that side:
    for a fit with q near 1, the interval holds 1 and the population mean spend
    is not determined)."""
    from scipy import optimize, special  # where used: importing scipy costs about a second

    x, mbar = _spend_inputs(frequency, monetary_value)
    w = np.ones_like(x) if weights is None else float_array("weights", weights)
    keep = (x > 0) & (w > 0)
    x, mbar, w = x[keep], mbar[keep], w[keep]
    data = _spend_data(x, mbar, w)
    total = float(w.sum())
    best = fit.log_likelihood
    bound = float(special.chdtri(1, 1 - level)) / 2  # the chi2(1) quantile, without scipy.stats
    solved = {float(np.log(fit.params.q)): np.log([fit.params.p, fit.params.v])}  # log q -> its best log (p, v)

    def profile(log_q: float) -> float:
        def objective(pv: FloatArray) -> tuple[float, FloatArray]:
            ll, grad = _log_likelihood(np.array([pv[0], log_q, pv[1]]), data)
            return -ll / total, -grad[[0, 2]] / total

        nearest = min(solved, key=lambda known: abs(known - log_q))  # a warm start: a few steps, not a dozen
        result = optimize.minimize(
            objective,
            solved[nearest],
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 2,
            options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 1000},
        )
        solved[log_q] = result.x
        return best - (-float(result.fun) * total) - bound  # < 0 inside the interval

    centre = float(np.log(fit.params.q))

    def edge(direction: float) -> float:
        inside = centre
        for step in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
            outside = centre + direction * step
            if abs(outside) >= _LOG_BOUND:
                break
            if profile(outside) > 0:
                # q to 1e-4 of itself: the interval is shown with three figures
                return float(np.exp(optimize.brentq(profile, min(inside, outside), max(inside, outside), xtol=1e-4)))
            inside = outside
        return 0.0 if direction < 0 else float("inf")

    return edge(-1.0), edge(1.0)


def simulate_gamma_gamma(params: GammaGammaParams, frequency: ArrayLike, rng: np.random.Generator) -> FloatArray:
    """Draw each customer's mean repeat purchase value from the Gamma-Gamma model
    (for checks and benchmarks): nu ~ Gamma(q, rate v), and the mean of x values
    Gamma(p, rate nu) is Gamma(p x, rate x nu).  Returns 0 where x = 0."""
    x = float_array("frequency", frequency)
    rate = rng.gamma(params.q, 1.0 / params.v, size=x.shape)
    repeat = x > 0
    safe_x = np.where(repeat, x, 1.0)
    return np.where(repeat, rng.gamma(params.p * safe_x, 1.0 / (safe_x * rate)), 0.0)
