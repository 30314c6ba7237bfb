"""The BG/NBD model of repeat buying (beta-geometric / negative binomial) and its
modified variant, the MBG/NBD.

BG/NBD: Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting Your
Customers' the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing
Science* 24(2), 275-284.  Equation numbers below are this paper's.

MBG/NBD: Batislam, E. P., Denizel, M. & Filiztekin, A. (2007), "Empirical
validation and comparison of models for customer base analysis",
*International Journal of Research in Marketing* 24(3), 201-209 (with Wagner,
U. & Hoppe, D. (2008), "Erratum on the MBG/NBD model", same journal 25(3),
225-226, for the conditional expectation).

While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each
repeat purchase they drop out with probability p ~ Beta(a, b).  The MBG/NBD also
lets them drop out right after the FIRST purchase, with the same p: in the
BG/NBD a customer without repeat purchase is certainly alive however long ago
they bought, in the MBG/NBD their P(alive) falls with time.  A customer is
summarised by ``frequency`` x (number of REPEAT purchases), ``recency`` t_x (time
of the last purchase since the first) and ``T`` (time since the first purchase),
all three in the same time unit (weeks in the paper).

Both models share the formulas, the MBG/NBD with x + 1 in place of x in the
dropout (beta) terms: with u = x + k, k = 0 (BG/NBD) or 1 (MBG/NBD), the
likelihood of a customer is

    G(r+x) alpha^r / G(r) * B(a, b+u) / B(a, b)
      * [(alpha+T)^-(r+x) + (u > 0) a / (b+u-1) (alpha+t_x)^-(r+x)],

and P(alive), the expectations and the simulation follow the same pattern.
Both have 4 parameters, so their log-likelihoods on the same data can be
compared directly.  :class:`BetaGeoParams` carries the model (``modified``).

Fitting is maximum likelihood over the log-parameters (L-BFGS-B with the
analytic gradient); identical (x, t_x, T) rows are merged and weighted, so the
cost depends on the number of distinct histories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# scipy is imported in the functions that use it (here and in the other models): it takes about a second
# to import, and the settings and the plan import these modules without fitting anything
from clientfolio.errors import ClientfolioError
from clientfolio.value.mle import fit_end, float_array, hessian, inverse_if_positive_definite, one_blas_thread

__all__ = [
    "BetaGeoFit",
    "BetaGeoParams",
    "checked_histories",
    "expected_purchases",
    "expected_purchases_if_alive",
    "expected_purchases_new",
    "fit_bgnbd",
    "group_rows",
    "log_odds_dead",
    "p_alive",
    "simulate_bgnbd",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

_LOG_BOUND = 25.0  # log-parameters are kept within +-25 (e^25 = 7e10)


@dataclass(frozen=True)
class BetaGeoParams:
    """BG/NBD parameters: purchase rate ~ Gamma(shape r, rate alpha), in purchases
    per time unit; dropout probability ~ Beta(a, b).  ``modified``: the MBG/NBD
    (a dropout is also possible right after the first purchase) instead of the
    BG/NBD."""

    r: float
    alpha: float
    a: float
    b: float
    modified: bool = False

    def as_array(self) -> FloatArray:
        """The 4 numbers (r, alpha, a, b), without the model flag."""
        return np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64)

    @property
    def _k(self) -> float:
        """Shift of the dropout terms: u = x + k, k = 1 for the MBG/NBD, 0 for the BG/NBD."""
        return 1.0 if self.modified else 0.0


@dataclass(frozen=True, eq=False)
class BetaGeoFit:
    """Result of :func:`fit_bgnbd`; ``params.modified`` says which model was fitted.

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
        r, alpha, a, b = (float(v) for v in se)
        return BetaGeoParams(r, alpha, a, b, modified=self.params.modified)


def checked_histories(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Checked (x, t_x, T) float arrays of one shape (ClientfolioError otherwise):
    1-D, finite, >= 0, x whole, t_x <= T, t_x = 0 when x = 0."""
    x = float_array("frequency", frequency)
    t_x = float_array("recency", recency)
    t_obs = float_array("T", T)
    if not x.shape == t_x.shape == t_obs.shape:
        raise ClientfolioError(
            "frequency, recency and T must have the same length, got {frequency}, {recency}, {T}",
            frequency=x.size,
            recency=t_x.size,
            T=t_obs.size,
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


def group_rows(*columns: FloatArray) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
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
    (u = 0: x = 0 in the BG/NBD) and with the dropout term (u > 0: x > 0 in the
    BG/NBD, everyone in the MBG/NBD), plus the total weight of each distinct x;
    ``k`` is the shift u = x + k of the dropout terms."""

    zero_T: FloatArray
    zero_w: FloatArray
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    w: FloatArray
    x_values: FloatArray
    x_weights: FloatArray
    k: float

    @classmethod
    def build(cls, x: FloatArray, t_x: FloatArray, t_obs: FloatArray, w: FloatArray, k: float) -> _Histories:
        (gx, gtx, gT), inverse = group_rows(x, t_x, t_obs)
        gw = np.bincount(inverse, weights=w, minlength=gx.size).astype(np.float64)
        x_values, x_inverse = np.unique(gx, return_inverse=True)
        x_weights = np.bincount(x_inverse, weights=gw, minlength=x_values.size).astype(np.float64)
        repeat = gx + k > 0
        return cls(gT[~repeat], gw[~repeat], gx[repeat], gtx[repeat], gT[repeat], gw[repeat], x_values, x_weights, k)


def _log_likelihood(log_params: FloatArray, h: _Histories) -> tuple[float, FloatArray]:
    """Weighted log-likelihood (BG/NBD: eq. 6) and its gradient wrt the log-parameters.

    Per customer, with u = x + k (k = 0 BG/NBD, 1 MBG/NBD),
    LL = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+u) - ln B(a, b) + L,
    where L = D2 for u = 0 and L = logaddexp(D2, D3) for u > 0, with
    D2 = -(r+x) ln(alpha+T) and D3 = ln a - ln(b+u-1) - (r+x) ln(alpha+t_x).
    The terms in x alone are computed once per distinct x.
    """
    from scipy import special

    r, alpha, a, b = np.exp(log_params)
    xs, wu = h.x_values, h.x_weights
    u = xs + h.k
    dig_ab, dig_abu = special.digamma(a + b), special.digamma(a + b + u)
    ll = wu @ (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + u)
        - special.betaln(a, b)
    )
    g_r = wu @ (special.digamma(r + xs) - special.digamma(r) + np.log(alpha))
    g_alpha = wu.sum() * r / alpha
    g_a = wu @ (dig_ab - dig_abu)
    g_b = wu @ (special.digamma(b + u) - dig_abu - special.digamma(b) + dig_ab)

    log_at0 = np.log(alpha + h.zero_T)  # u = 0 (BG/NBD, x = 0): L = -r ln(alpha+T)
    ll -= r * (h.zero_w @ log_at0)
    g_r -= h.zero_w @ log_at0
    g_alpha -= r * (h.zero_w @ (1.0 / (alpha + h.zero_T)))

    x, w = h.x, h.w  # u > 0
    b_u1 = b + (x + h.k) - 1
    log_at, log_atx = np.log(alpha + h.T), np.log(alpha + h.t_x)
    d2 = -(r + x) * log_at
    d3 = np.log(a) - np.log(b_u1) - (r + x) * log_atx
    tail = np.logaddexp(d2, d3)
    w3 = np.exp(d3 - tail)  # share of the "dropped out after the last purchase" term
    w2 = 1.0 - w3
    ll += w @ tail
    g_r -= w @ (w2 * log_at + w3 * log_atx)
    g_alpha -= (w * (r + x)) @ (w2 / (alpha + h.T) + w3 / (alpha + h.t_x))
    g_a += (w @ w3) / a
    g_b -= w @ (w3 / b_u1)
    return float(ll), np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])  # chain rule to log-parameters


@one_blas_thread
def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    modified: bool = False,
    start: BetaGeoParams | None = None,
    covariance: bool = True,
) -> BetaGeoFit:
    """Maximum-likelihood BG/NBD fit, or MBG/NBD fit when ``modified``.

    Inputs (1-D arrays, one entry per customer, or per group of identical
    customers with ``weights`` = their counts): ``frequency`` x, whole number of
    repeat purchases; ``recency`` t_x and ``T``, in one time unit (e.g. weeks).
    Returns a :class:`BetaGeoFit`; parameters are in that time unit, and
    ``params.modified`` is ``modified``.  The two models have 4 parameters each:
    the higher ``log_likelihood`` on the same data is the better fit.
    ``start``: where the search starts (a fit on similar data, as in a
    bootstrap); ``covariance`` False skips the Hessian (``log_covariance`` None).

    Raises ClientfolioError on bad input, and when no customer made a repeat
    purchase (the likelihood then has no maximum: r -> 0).
    """
    from scipy import optimize

    x, t_x, t_obs = checked_histories(frequency, recency, T)
    w = np.ones_like(x) if weights is None else float_array("weights", weights)
    if w.shape != x.shape:
        raise ClientfolioError(
            "weights must have one entry per customer ({customers}), got {weights}", customers=x.size, weights=w.size
        )
    if np.any(w < 0):
        raise ClientfolioError("weights must be >= 0")
    model = "MBG/NBD" if modified else "BG/NBD"
    if x.size == 0 or w.sum() <= 0:
        raise ClientfolioError("no customers to fit the {model} model on", model=model)
    if not np.any((x > 0) & (w > 0)):
        raise ClientfolioError("cannot fit the {model} model: no customer made a repeat purchase", model=model)
    keep = w > 0
    histories = _Histories.build(x[keep], t_x[keep], t_obs[keep], w[keep], 1.0 if modified else 0.0)
    total = float(w.sum())

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        ll, grad = _log_likelihood(log_params, histories)
        return -ll / total, -grad / total

    # default start: unit shapes, alpha so that r / alpha is the observed repeat-purchase rate
    rate = float(x @ w) / max(float(t_obs @ w), 1e-12)
    initial = (
        np.log([1.0, min(max(1.0 / rate, 1e-6), 1e6), 1.0, 1.0])
        if start is None
        else np.clip(np.log(start.as_array()), -_LOG_BOUND, _LOG_BOUND)
    )
    newton = None if start is None else _newton(histories, initial, total)
    if newton is not None:  # from a nearby start, a few Newton steps (a bootstrap's refits)
        result = optimize.OptimizeResult(
            x=newton,
            fun=-_log_likelihood(newton, histories)[0] / total,
            success=True,
            message="Newton steps from the given start",
        )
    else:
        result = optimize.minimize(
            objective,
            initial,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
            options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000},
        )
    log_params = np.asarray(result.x, dtype=np.float64)
    at_bound = bool(np.any(np.abs(log_params) >= _LOG_BOUND - 1e-6))
    inverse = None
    if covariance:
        inverse = inverse_if_positive_definite(hessian(lambda point: -_log_likelihood(point, histories)[1], log_params))
    converged, message = fit_end(result, at_bound=at_bound, singular=covariance and inverse is None)
    r, alpha, a, b = (float(v) for v in np.exp(log_params))
    return BetaGeoFit(
        params=BetaGeoParams(r, alpha, a, b, modified=modified),
        log_likelihood=-float(result.fun) * total,
        n_customers=total,
        log_covariance=inverse,
        converged=converged,
        message=message,
    )


def _newton(histories: _Histories, point: FloatArray, total: float, steps: int = 30) -> FloatArray | None:
    """The maximum of the log-likelihood by Newton steps (Hessian by forward
    differences of the analytic gradient: half the evaluations of central ones,
    and only the step's direction depends on it; step halved until the
    likelihood does not fall) from a point near it; None when the Hessian is
    not positive definite on the way or the steps do not converge (the caller
    then searches with L-BFGS-B)."""
    ll, grad = _log_likelihood(point, histories)
    for _ in range(steps):
        hess = _forward_hessian(histories, point, grad)
        try:
            np.linalg.cholesky(hess)
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        scale = 1.0
        while True:
            candidate = point + scale * step
            if np.any(np.abs(candidate) >= _LOG_BOUND):
                return None
            new_ll, new_grad = _log_likelihood(candidate, histories)
            if new_ll >= ll - 1e-12 * abs(ll):
                break
            scale /= 2
            if scale < 1e-6:
                return None
        point, ll, grad = candidate, new_ll, new_grad
        if np.max(np.abs(grad)) / total < 1e-9:
            return point
    return None


def _forward_hessian(histories: _Histories, point: FloatArray, grad: FloatArray, step: float = 1e-5) -> FloatArray:
    """Hessian of minus the log-likelihood at ``point`` (whose gradient is
    ``grad``) by forward differences of the analytic gradient, symmetrised."""
    hess = np.empty((point.size, point.size))
    for i in range(point.size):
        shifted = point.copy()
        shifted[i] += step
        hess[i] = (grad - _log_likelihood(shifted, histories)[1]) / step
    return (hess + hess.T) / 2


def log_odds_dead(params: BetaGeoParams, x: FloatArray, t_x: FloatArray, t_obs: FloatArray) -> FloatArray:
    """ln[(a / (b+u-1)) ((alpha+T) / (alpha+t_x))^(r+x)], u = x (BG/NBD) or x + 1
    (MBG/NBD); -inf when u = 0 (a BG/NBD customer without repeat purchase).

    The log-odds of "dropped out" against "alive" at T; inputs as returned by
    :func:`checked_histories` (not checked here), broadcast together.
    """
    u = x + params._k
    repeat = u > 0
    u1 = np.where(repeat, u - 1.0, 0.0)
    log_odds = (
        np.log(params.a)
        - np.log(params.b + u1)
        + (params.r + x) * (np.log(params.alpha + t_obs) - np.log(params.alpha + t_x))
    )
    return np.where(repeat, log_odds, -np.inf)


def p_alive(params: BetaGeoParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """Probability that each customer is still alive at T.

    BG/NBD (eq. 13): 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) for x > 0,
    1 for x = 0.  MBG/NBD: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) for
    every x, below 1 and falling with T also for x = 0 (t_x = 0).

    Inputs: 1-D arrays x, t_x, T as for :func:`fit_bgnbd`, in the parameters'
    time unit.  Output: array of probabilities, one per customer.
    """
    from scipy import special

    x, t_x, t_obs = checked_histories(frequency, recency, T)
    return np.asarray(special.expit(-log_odds_dead(params, x, t_x, t_obs)), dtype=np.float64)


def expected_purchases_if_alive(params: BetaGeoParams, t: FloatArray, x: FloatArray, t_obs: FloatArray) -> FloatArray:
    """Expected purchases in (T, T+t] of a customer KNOWN to be alive at T (eq. 10
    without its P(alive) denominator).  With u = x + k (k = 0 BG/NBD, 1 MBG/NBD)
    and z = t / (alpha+T+t), it is

        (a+b+u-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+u; a+b+u-1; z)],

    computed with the 2F1 in its Euler-transformed form

        ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+u; a+b+u-1; z)
          = (1-z)^(a-1) 2F1(a+b-1-r+k, a-1; a+b+u-1; z),

    whose exponent and arguments do not grow with x.  When a and b are very
    large (the dropout probability barely varies across customers, as in
    portfolios of regular B2B buyers) that form overflows; the left-hand form is
    then used, and where both overflow, their limit for a, b -> infinity at
    p = a / (a+b):  (1/p) [1 - ((1-z) / (1-(1-p) z))^(r+x)] (the same for both
    models: given alive at T, the future is the same).

    Inputs are not checked (see :func:`checked_histories`); ``t``, ``x`` and
    ``t_obs`` broadcast together.
    """
    from scipy import special

    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a == 1.0:
        raise ClientfolioError("expected purchases need a != 1 (the BG/NBD and MBG/NBD formulas divide by a - 1)")
    k = params._k
    u = x + k
    z = t / (alpha + t_obs + t)
    scale = (a + b + u - 1) / (a - 1)
    # overflow and 0 x inf are expected in the fallbacks' regimes: non-finite values are replaced below
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        euler = scale * (
            1.0 - np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r + k, a - 1, a + b + u - 1, z)
        )
        if np.all(np.isfinite(euler)):
            return np.asarray(euler, dtype=np.float64)
        direct = scale * (1.0 - np.exp((r + x) * np.log1p(-z)) * special.hyp2f1(r + x, b + u, a + b + u - 1, z))
        p = a / (a + b)
        limit = (1.0 - np.exp((r + x) * (np.log1p(-z) - np.log1p(-(1 - p) * z)))) / p
    return np.asarray(
        np.where(np.isfinite(euler), euler, np.where(np.isfinite(direct), direct, limit)), dtype=np.float64
    )


def expected_purchases(
    params: BetaGeoParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of purchases in the next ``t`` time units (eq. 10):
    :func:`p_alive` times :func:`expected_purchases_if_alive`, for either model.

    Inputs: ``frequency``, ``recency``, ``T`` as 1-D arrays (see :func:`fit_bgnbd`);
    ``t`` >= 0 a scalar or an array broadcastable against them (e.g. shape (k, 1)
    for k horizons), in the parameters' time unit.  Output: broadcast array.
    """
    from scipy import special

    x, t_x, t_obs = checked_histories(frequency, recency, T)
    horizon = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        raise ClientfolioError("t must be finite and >= 0")
    alive = special.expit(-log_odds_dead(params, x, t_x, t_obs))
    return np.asarray(expected_purchases_if_alive(params, horizon, x, t_obs) * alive, dtype=np.float64)


def expected_purchases_new(params: BetaGeoParams, t: ArrayLike) -> FloatArray:
    """Unconditional E[X(t)]: expected repeat purchases of a new customer in the
    ``t`` time units after the first purchase.  ``t``: scalar or array >= 0.

    BG/NBD (eq. 7): (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
    MBG/NBD: b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))], the
    expectation of a customer alive just after the first purchase times the
    probability b/(a+b) of being so.  Both equal :func:`expected_purchases` of
    a customer with x = t_x = T = 0.
    """
    horizon = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        raise ClientfolioError("t must be finite and >= 0")
    zero = np.zeros_like(horizon)
    if_alive = expected_purchases_if_alive(params, horizon, zero, zero)
    if not params.modified:
        return if_alive
    return np.asarray(if_alive * (params.b / (params.a + params.b)), dtype=np.float64)


def simulate_bgnbd(params: BetaGeoParams, T: ArrayLike, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Draw (frequency, recency) for customers observed for ``T`` time units after
    their first purchase, from the BG/NBD model, or the MBG/NBD when
    ``params.modified`` (for checks and benchmarks).

    Each customer draws lambda ~ Gamma(r, alpha) and p ~ Beta(a, b), and N
    Poisson purchases in (0, T] of a customer who would never drop out.  The
    coin of probability p is tossed after each repeat purchase (BG/NBD), or
    after the first purchase and after each repeat purchase (MBG/NBD); the
    first toss to come up "drop out" is the J-th, J ~ Geometric(p) on 1, 2, ...
    The customer then makes J repeat purchases at most (BG/NBD: the J-th is
    followed by the dropout), or J - 1 (MBG/NBD: J = 1 is a dropout at time 0,
    right after the first purchase), so x = min(N, J) or min(N, J - 1), as in
    ``lifetimes``' ``modified_beta_geometric_nbd_model``.  t_x is the x-th of N
    sorted uniform times on (0, T], i.e. T * Beta(x, N - x + 1), 0 when x = 0.
    Returns two arrays shaped like T.
    """
    t_obs = np.asarray(T, dtype=np.float64)
    if not np.all(np.isfinite(t_obs)) or np.any(t_obs < 0):
        raise ClientfolioError("T must be finite and >= 0")
    rate = rng.gamma(params.r, 1.0 / params.alpha, size=t_obs.shape)
    dropout = np.clip(rng.beta(params.a, params.b, size=t_obs.shape), 1e-12, 1.0)
    purchases = rng.poisson(rate * t_obs)
    most = rng.geometric(dropout) - int(params.modified)  # repeat purchases made before the dropout
    frequency = np.minimum(purchases, most).astype(np.float64)
    repeat = frequency > 0
    last = rng.beta(np.where(repeat, frequency, 1.0), np.where(repeat, purchases - frequency + 1.0, 1.0))
    return frequency, np.where(repeat, t_obs * last, 0.0)
