"""The BG/NBD model of repeat buying (beta-geometric / negative binomial).

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting Your Customers'
the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science*
24(2), 275-284.  Equation numbers below are the paper's.

While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each
repeat purchase they drop out with probability p ~ Beta(a, b).  A customer is
summarised by ``frequency`` x (number of REPEAT purchases), ``recency`` t_x (time
of the last purchase since the first) and ``T`` (time since the first purchase),
all three in the same time unit (weeks in the paper).

Fitting is maximum likelihood over the log-parameters (L-BFGS-B with the
analytic gradient); identical (x, t_x, T) rows are merged and weighted, so the
cost depends on the number of distinct histories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from clientfolio.errors import ClientfolioError

__all__ = [
    "BetaGeoFit",
    "BetaGeoParams",
    "expected_purchases",
    "expected_purchases_new",
    "fit_bgnbd",
    "p_alive",
    "simulate_bgnbd",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

_LOG_BOUND = 25.0  # log-parameters are kept within +-25 (e^25 = 7e10)


@dataclass(frozen=True)
class BetaGeoParams:
    """BG/NBD parameters: purchase rate ~ Gamma(shape r, rate alpha), in purchases
    per time unit; dropout probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class BetaGeoFit:
    """Result of :func:`fit_bgnbd`.

    ``log_covariance`` is the inverse Hessian of the negative log-likelihood with
    respect to (log r, log alpha, log a, log b), i.e. the asymptotic covariance
    of the LOG-parameters; ``None`` when the Hessian is singular or not positive
    definite (then no standard errors or intervals can be derived).
    """

    params: BetaGeoParams
    log_likelihood: float
    n_customers: float  # sum of the weights
    log_covariance: FloatArray | None
    converged: bool
    message: str

    @property
    def standard_errors(self) -> BetaGeoParams | None:
        """Standard errors on the natural scale (delta method: param x SE of its log)."""
        if self.log_covariance is None:
            return None
        se = self.params.as_array() * np.sqrt(np.diag(self.log_covariance))
        return BetaGeoParams(*(float(v) for v in se))


def _float_array(name: str, values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ClientfolioError(f"{name} must be a one-dimensional array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ClientfolioError(f"{name} contains NaN or infinite values")
    return array


def _customers(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Checked (x, t_x, T) arrays of one shape."""
    x = _float_array("frequency", frequency)
    t_x = _float_array("recency", recency)
    t_obs = _float_array("T", T)
    if not x.shape == t_x.shape == t_obs.shape:
        raise ClientfolioError(
            f"frequency, recency and T must have the same length, got {x.size}, {t_x.size}, {t_obs.size}"
        )
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_obs < 0):
        raise ClientfolioError("frequency, recency and T must be >= 0")
    if np.any(x != np.floor(x)):
        raise ClientfolioError("frequency must be whole numbers (counts of repeat purchases)")
    if np.any(t_x > t_obs):
        raise ClientfolioError("recency must not exceed T (the last purchase is within the observation)")
    if np.any((x == 0) & (t_x != 0)):
        raise ClientfolioError("recency must be 0 for customers with no repeat purchase (frequency 0)")
    return x, t_x, t_obs


def _group(*columns: FloatArray) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
    """Distinct rows of the given columns (sorted) and, per input row, the index
    of its distinct row (a lexsort: faster than ``np.unique(axis=0)``)."""
    order = np.lexsort(columns[::-1])
    ordered = [column[order] for column in columns]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = np.any([np.diff(column) != 0 for column in ordered], axis=0)
    group_of_sorted = np.cumsum(starts) - 1
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = group_of_sorted
    return [column[starts] for column in ordered], inverse


@dataclass(frozen=True)
class _Histories:
    """Distinct (x, t_x, T) rows with summed weights, split into customers without
    (x = 0) and with repeat purchases, plus the total weight of each distinct x."""

    zero_T: FloatArray
    zero_w: FloatArray
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    w: FloatArray
    x_values: FloatArray
    x_weights: FloatArray

    @classmethod
    def build(cls, x: FloatArray, t_x: FloatArray, t_obs: FloatArray, w: FloatArray) -> _Histories:
        (gx, gtx, gT), inverse = _group(x, t_x, t_obs)
        gw = np.bincount(inverse, weights=w, minlength=gx.size).astype(np.float64)
        x_values, x_inverse = np.unique(gx, return_inverse=True)
        x_weights = np.bincount(x_inverse, weights=gw, minlength=x_values.size).astype(np.float64)
        repeat = gx > 0
        return cls(gT[~repeat], gw[~repeat], gx[repeat], gtx[repeat], gT[repeat], gw[repeat], x_values, x_weights)


def _log_likelihood(log_params: FloatArray, h: _Histories) -> tuple[float, FloatArray]:
    """Weighted BG/NBD log-likelihood (eq. 6) and its gradient wrt the log-parameters.

    Per customer, LL = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b) + L,
    where L = D2 for x = 0 and L = logaddexp(D2, D3) for x > 0, with
    D2 = -(r+x) ln(alpha+T) and D3 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x).
    The terms in x alone are computed once per distinct x.
    """
    r, alpha, a, b = np.exp(log_params)
    u, wu = h.x_values, h.x_weights
    dig_ab, dig_abu = special.digamma(a + b), special.digamma(a + b + u)
    ll = wu @ (special.gammaln(r + u) - special.gammaln(r) + r * np.log(alpha)
               + special.betaln(a, b + u) - special.betaln(a, b))
    g_r = wu @ (special.digamma(r + u) - special.digamma(r) + np.log(alpha))
    g_alpha = wu.sum() * r / alpha
    g_a = wu @ (dig_ab - dig_abu)
    g_b = wu @ (special.digamma(b + u) - dig_abu - special.digamma(b) + dig_ab)

    log_at0 = np.log(alpha + h.zero_T)  # x = 0: L = -r ln(alpha+T)
    ll -= r * (h.zero_w @ log_at0)
    g_r -= h.zero_w @ log_at0
    g_alpha -= r * (h.zero_w @ (1.0 / (alpha + h.zero_T)))

    x, w = h.x, h.w  # x > 0
    log_at, log_atx = np.log(alpha + h.T), np.log(alpha + h.t_x)
    d2 = -(r + x) * log_at
    d3 = np.log(a) - np.log(b + x - 1) - (r + x) * log_atx
    tail = np.logaddexp(d2, d3)
    w3 = np.exp(d3 - tail)  # share of the "dropped out after the last purchase" term
    w2 = 1.0 - w3
    ll += w @ tail
    g_r -= w @ (w2 * log_at + w3 * log_atx)
    g_alpha -= (w * (r + x)) @ (w2 / (alpha + h.T) + w3 / (alpha + h.t_x))
    g_a += (w @ w3) / a
    g_b -= w @ (w3 / (b + x - 1))
    return float(ll), np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])  # chain rule to log-parameters


def _hessian(gradient_of: Callable[[FloatArray], FloatArray], point: FloatArray, step: float = 1e-4) -> FloatArray:
    """Central differences of an analytic gradient, symmetrised."""
    n = point.size
    hess = np.empty((n, n))
    for i in range(n):
        shift = np.zeros(n)
        shift[i] = step
        hess[i] = (gradient_of(point + shift) - gradient_of(point - shift)) / (2 * step)
    return (hess + hess.T) / 2


def _inverse_if_positive_definite(hess: FloatArray) -> FloatArray | None:
    if not np.all(np.isfinite(hess)):
        return None
    eigenvalues = np.linalg.eigvalsh(hess)
    if eigenvalues.min() <= 1e-10 * max(eigenvalues.max(), 1.0):
        return None
    return np.asarray(np.linalg.inv(hess), dtype=np.float64)


def _fit_message(optimiser: str, at_bound: bool, singular: bool) -> str:
    notes = [optimiser]
    if at_bound:
        notes.append("a parameter reached its bound")
    if singular:
        notes.append("Hessian not positive definite: the data do not determine the parameters, no covariance")
    return "; ".join(notes)


def fit_bgnbd(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, weights: ArrayLike | None = None
) -> BetaGeoFit:
    """Maximum-likelihood BG/NBD fit.

    Inputs (1-D arrays, one entry per customer, or per group of identical
    customers with ``weights`` = their counts): ``frequency`` x, whole number of
    repeat purchases; ``recency`` t_x and ``T``, in one time unit (e.g. weeks).
    Returns a :class:`BetaGeoFit`; parameters are in that time unit.

    Raises ClientfolioError on bad input, and when no customer made a repeat
    purchase (the likelihood then has no maximum: r -> 0).
    """
    x, t_x, t_obs = _customers(frequency, recency, T)
    w = np.ones_like(x) if weights is None else _float_array("weights", weights)
    if w.shape != x.shape:
        raise ClientfolioError(f"weights must have one entry per customer ({x.size}), got {w.size}")
    if np.any(w < 0):
        raise ClientfolioError("weights must be >= 0")
    if x.size == 0 or w.sum() <= 0:
        raise ClientfolioError("no customers to fit the BG/NBD model on")
    if not np.any((x > 0) & (w > 0)):
        raise ClientfolioError("cannot fit the BG/NBD model: no customer made a repeat purchase")
    keep = w > 0
    histories = _Histories.build(x[keep], t_x[keep], t_obs[keep], w[keep])
    total = float(w.sum())

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        ll, grad = _log_likelihood(log_params, histories)
        return -ll / total, -grad / total

    # start: unit shapes, alpha so that r / alpha is the observed repeat-purchase rate
    rate = float(x @ w) / max(float(t_obs @ w), 1e-12)
    start = np.log([1.0, min(max(1.0 / rate, 1e-6), 1e6), 1.0, 1.0])
    result = optimize.minimize(
        objective, start, jac=True, method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4, options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000},
    )
    log_params = np.asarray(result.x, dtype=np.float64)
    at_bound = bool(np.any(np.abs(log_params) >= _LOG_BOUND - 1e-6))
    hessian = _hessian(lambda point: -_log_likelihood(point, histories)[1], log_params)
    covariance = _inverse_if_positive_definite(hessian)
    r, alpha, a, b = (float(v) for v in np.exp(log_params))
    return BetaGeoFit(
        params=BetaGeoParams(r, alpha, a, b),
        log_likelihood=-float(result.fun) * total,
        n_customers=total,
        log_covariance=covariance,
        converged=bool(result.success) and not at_bound,
        message=_fit_message(str(result.message), at_bound, covariance is None),
    )


def _log_odds_dead(params: BetaGeoParams, x: FloatArray, t_x: FloatArray, t_obs: FloatArray) -> FloatArray:
    """ln[(a / (b+x-1)) ((alpha+T) / (alpha+t_x))^(r+x)], -inf when x = 0."""
    repeat = x > 0
    x1 = np.where(repeat, x - 1.0, 0.0)
    log_odds = (
        np.log(params.a) - np.log(params.b + x1)
        + (params.r + x) * (np.log(params.alpha + t_obs) - np.log(params.alpha + t_x))
    )
    return np.where(repeat, log_odds, -np.inf)


def p_alive(params: BetaGeoParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """Probability that each customer is still alive at T (1 for x = 0).

    Inputs: 1-D arrays x, t_x, T as for :func:`fit_bgnbd`, in the parameters'
    time unit.  Output: array of probabilities, one per customer.
    """
    x, t_x, t_obs = _customers(frequency, recency, T)
    return np.asarray(special.expit(-_log_odds_dead(params, x, t_x, t_obs)), dtype=np.float64)


def _expected_alive(params: BetaGeoParams, t: FloatArray, x: FloatArray, t_obs: FloatArray) -> FloatArray:
    """Expected purchases in (T, T+t] of a customer KNOWN to be alive at T (eq. 10
    without its P(alive) denominator), with the 2F1 in its Euler-transformed form

        ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)
          = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),   z = t / (alpha+T+t),

    whose exponent and arguments do not grow with x.  When a and b are very
    large (the dropout probability barely varies across customers, as in
    portfolios of regular B2B buyers) that form overflows; the left-hand form is
    then used, and where both overflow, their limit for a, b -> infinity at
    p = a / (a+b):  (1/p) [1 - ((1-z) / (1-(1-p) z))^(r+x)].
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a == 1.0:
        raise ClientfolioError("expected purchases need a != 1 (the BG/NBD formula divides by a - 1)")
    z = t / (alpha + t_obs + t)
    scale = (a + b + x - 1) / (a - 1)
    # overflow and 0 x inf are expected in the fallbacks' regimes: non-finite values are replaced below
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        euler = scale * (1.0 - np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z))
        if np.all(np.isfinite(euler)):
            return np.asarray(euler, dtype=np.float64)
        direct = scale * (1.0 - np.exp((r + x) * np.log1p(-z)) * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
        p = a / (a + b)
        limit = (1.0 - np.exp((r + x) * (np.log1p(-z) - np.log1p(-(1 - p) * z)))) / p
    return np.asarray(np.where(np.isfinite(euler), euler, np.where(np.isfinite(direct), direct, limit)),
                      dtype=np.float64)


def expected_purchases(
    params: BetaGeoParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of purchases in the next ``t`` time units (eq. 10).

    Inputs: ``frequency``, ``recency``, ``T`` as 1-D arrays (see :func:`fit_bgnbd`);
    ``t`` >= 0 a scalar or an array broadcastable against them (e.g. shape (k, 1)
    for k horizons), in the parameters' time unit.  Output: broadcast array.
    """
    x, t_x, t_obs = _customers(frequency, recency, T)
    horizon = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        raise ClientfolioError("t must be finite and >= 0")
    alive = special.expit(-_log_odds_dead(params, x, t_x, t_obs))
    return np.asarray(_expected_alive(params, horizon, x, t_obs) * alive, dtype=np.float64)


def expected_purchases_new(params: BetaGeoParams, t: ArrayLike) -> FloatArray:
    """Unconditional E[X(t)]: expected repeat purchases of a new customer in the
    ``t`` time units after the first purchase (eq. 7).  ``t``: scalar or array >= 0."""
    horizon = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        raise ClientfolioError("t must be finite and >= 0")
    zero = np.zeros_like(horizon)
    return _expected_alive(params, horizon, zero, zero)


def simulate_bgnbd(
    params: BetaGeoParams, T: ArrayLike, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Draw (frequency, recency) for customers observed for ``T`` time units after
    their first purchase, from the BG/NBD model (for checks and benchmarks).

    Each customer draws lambda ~ Gamma(r, alpha) and p ~ Beta(a, b); with N
    Poisson purchases in (0, T] and a dropout after the J-th repeat purchase,
    J ~ Geometric(p), x = min(N, J), and t_x is the x-th of N sorted uniform times
    on (0, T], i.e. T * Beta(x, N - x + 1).  Returns two arrays shaped like T.
    """
    t_obs = np.asarray(T, dtype=np.float64)
    if not np.all(np.isfinite(t_obs)) or np.any(t_obs < 0):
        raise ClientfolioError("T must be finite and >= 0")
    rate = rng.gamma(params.r, 1.0 / params.alpha, size=t_obs.shape)
    dropout = np.clip(rng.beta(params.a, params.b, size=t_obs.shape), 1e-12, 1.0)
    purchases = rng.poisson(rate * t_obs)
    frequency = np.minimum(purchases, rng.geometric(dropout)).astype(np.float64)
    repeat = frequency > 0
    last = rng.beta(np.where(repeat, frequency, 1.0), np.where(repeat, purchases - frequency + 1.0, 1.0))
    return frequency, np.where(repeat, t_obs * last, 0.0)
