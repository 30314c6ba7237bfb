"""The value of a customer's future purchases: the Gamma-Gamma model when the
user's own data meet its assumptions, else a log-normal shrinkage of each
customer's own mean spend toward its segment's median.

The Gamma-Gamma model (``value.gamma_gamma``) assumes that spend varies across
customers with a finite mean and does not depend on how often they buy.  B2B
portfolios often break both: customers' sizes spread over orders of magnitude,
the fit's q comes out near 1 (where the population mean becomes infinite) and
every customer with little history is then valued at an absurd mean.  So
before it is used, three diagnostics are run on the purchase histories
(:func:`spend_diagnostics`):

- ``q_above_one``: the profile-likelihood interval of q (at ``q_level``) lies
  above 1 (the population mean spend is finite and determined by the data);
- ``population_mean``: the model's population mean spend, v p / (q - 1), is at
  most ``max_population_ratio`` times the mean of the repeat buyers' own means;
- ``independence``: the repeat buyers' mean spend does not correlate with their
  number of purchases (Spearman's rho below ``max_correlation`` in absolute
  value, or not significant at ``correlation_p_value``).

When one fails (or ``model = "lognormal"``), the **log-normal shrinkage** is
used: customer i, with n_i purchases of mean m_i, is valued at
exp(w_i ln m_i + (1 - w_i) mu_s), where mu_s is the median of ln m over its
segment (the portfolio when the segment has fewer than
``min_segment_customers``), w_i = tau^2 / (tau^2 + sigma^2 / n_i), sigma^2 is
the pooled variance of ln(purchase) within customers and tau^2 the variance of
ln m around the segment medians net of that noise (method of moments).  A
customer's value thus lies between its own mean and its segment's median, and
the fewer its purchases, the nearer the median.

Whichever model is used, one-time buyers count their one purchase as an
observation (``gamma_gamma.expected_spend`` with ``first_value``: continuous
in q), and no customer's expected spend exceeds ``cap_multiple`` times its own
largest purchase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from clientfolio.errors import ClientfolioError
from clientfolio.value.gamma_gamma import (
    GammaGammaFit,
    expected_spend,
    fit_gamma_gamma,
    q_profile_interval,
)
from clientfolio.value.rules import SpendConfig

__all__ = ["SpendDiagnostic", "SpendHistories", "SpendModel", "fit_spend", "spend_diagnostics"]

Floats = npt.NDArray[np.float64]

_MIN_TAU2 = 1e-4  # floor of the between-customer variance (log scale)


@dataclass(frozen=True)
class SpendHistories:
    """Per customer who bought (1-D arrays of one length): ``frequency`` x
    (repeat purchases), ``repeat_mean`` (mean repeat purchase, 0 without a repeat),
    ``first`` (first purchase), ``largest`` (largest purchase), ``log_count``,
    ``log_sum`` and ``log_square_sum`` (the purchases worth more than zero, the
    sums of their ln and its square), ``segment`` (labels, '' when unknown);
    money in cents."""

    frequency: Floats
    repeat_mean: Floats
    first: Floats
    largest: Floats
    log_count: Floats
    log_sum: Floats
    log_square_sum: Floats
    segment: npt.NDArray[np.str_]

    @property
    def purchases(self) -> Floats:
        return self.frequency + 1.0

    @property
    def mean(self) -> Floats:
        """Each customer's mean purchase, all purchases counted (at least 1 cent)."""
        mean = (self.first + self.frequency * self.repeat_mean) / self.purchases
        return np.asarray(np.maximum(mean, 1.0), dtype=np.float64)

    @cached_property
    def segment_codes(self) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.intp]]:
        """The distinct segments (sorted) and each customer's index among them
        (computed once: the bootstrap refits the spend model many times)."""
        names, codes = np.unique(self.segment, return_inverse=True)
        return names, codes

    def take(self, rows: npt.NDArray[np.bool_]) -> SpendHistories:
        """The customers where ``rows`` is True."""
        return SpendHistories(
            self.frequency[rows],
            self.repeat_mean[rows],
            self.first[rows],
            self.largest[rows],
            self.log_count[rows],
            self.log_sum[rows],
            self.log_square_sum[rows],
            self.segment[rows],
        )


@dataclass(frozen=True)
class SpendDiagnostic:
    """One check of the Gamma-Gamma model's assumptions on the user's data."""

    name: str  # q_above_one, population_mean, independence
    passed: bool
    value: float | None
    limit: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "value": self.value,
            "limit": self.limit,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SpendModel:
    """A fitted spend model: ``name`` gamma_gamma or lognormal, why it was
    chosen, its parameters, and per customer the expected value of a purchase
    (``expected``, cents, capped)."""

    name: str
    reason: str
    expected: Floats
    parameters: dict[str, Any]
    diagnostics: tuple[SpendDiagnostic, ...] = ()
    gamma_gamma: GammaGammaFit | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "reason": self.reason,
            "parameters": self.parameters,
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


def _repeat_sample(h: SpendHistories) -> npt.NDArray[np.bool_]:
    return np.asarray((h.frequency > 0) & (h.repeat_mean > 0), dtype=np.bool_)


def spend_diagnostics(h: SpendHistories, fit: GammaGammaFit, config: SpendConfig) -> tuple[SpendDiagnostic, ...]:
    """The three checks of the module docstring, on the repeat buyers (unweighted)."""
    repeat = _repeat_sample(h)
    x, mbar = h.frequency[repeat], h.repeat_mean[repeat]
    low, high = q_profile_interval(fit, x, mbar, level=config.q_level)
    q = fit.params.q
    q_ok = bool(q > 1 and low > 1)
    checks = [
        SpendDiagnostic(
            "q_above_one",
            q_ok,
            low,
            1.0,
            f"q = {q:.3g}, {config.q_level:.0%} profile-likelihood interval {low:.3g} to {high:.3g}",
        )
    ]
    observed = float(mbar.mean())
    if q > 1:
        ratio = fit.params.population_mean_spend / observed
        checks.append(
            SpendDiagnostic(
                "population_mean",
                bool(ratio <= config.max_population_ratio),
                float(ratio),
                config.max_population_ratio,
                f"population mean spend {ratio:.3g} times the mean of the customers' means",
            )
        )
    else:
        checks.append(
            SpendDiagnostic(
                "population_mean", False, None, config.max_population_ratio, "population mean spend infinite (q <= 1)"
            )
        )
    rho, p_value = spearman(x, mbar) if x.size > 2 and np.ptp(x) > 0 and np.ptp(mbar) > 0 else (0.0, 1.0)
    independent = abs(rho) <= config.max_correlation or p_value >= config.correlation_p_value
    checks.append(
        SpendDiagnostic(
            "independence",
            bool(independent),
            rho,
            config.max_correlation,
            f"Spearman correlation of purchases and mean spend {rho:.2f} (p = {p_value:.2g})",
        )
    )
    return tuple(checks)


def spearman(x: Floats, y: Floats) -> tuple[float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` (tied values share their
    average rank) and its two-sided p-value by Student's t with n - 2 degrees
    of freedom: what ``scipy.stats.spearmanr`` gives, without importing
    ``scipy.stats`` (a second of the valuation's start).  Neither may be constant."""
    from scipy import special

    n = x.size
    rho = float(np.corrcoef(_average_ranks(x), _average_ranks(y))[0, 1])
    if abs(rho) >= 1.0:
        return float(np.sign(rho)), 0.0
    t = rho * np.sqrt((n - 2) / ((1.0 - rho) * (1.0 + rho)))
    return rho, float(2 * special.stdtr(n - 2, -abs(t)))


def _average_ranks(values: Floats) -> Floats:
    """The ranks of ``values`` from 1, ties given the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return np.asarray(((ends - counts + 1 + ends) / 2)[inverse], dtype=np.float64)


def _weighted_median(values: Floats, weights: Floats) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _lognormal(h: SpendHistories, w: Floats, config: SpendConfig) -> tuple[Floats, dict[str, Any]]:
    """The log-normal shrinkage (module docstring) with customer weights ``w``."""
    n = h.purchases
    log_mean = np.log(h.mean)
    paid = np.maximum(h.log_count, 1.0)
    within = np.maximum(h.log_square_sum - h.log_sum**2 / paid, 0.0)
    degrees = float(w @ np.maximum(h.log_count - 1, 0.0))
    if degrees <= 0:
        raise ClientfolioError("cannot fit the spend model: no customer made a repeat purchase")
    sigma2 = float(w @ within) / degrees
    kept = w > 0
    portfolio = _weighted_median(log_mean[kept], w[kept])
    centre = np.full(n.shape, portfolio)
    medians: dict[str, float] = {}
    names, codes = h.segment_codes
    for code in np.unique(codes[kept]):
        segment = codes == code
        members = segment & kept
        if names[code] and w[members].sum() >= config.min_segment_customers:
            medians[str(names[code])] = _weighted_median(log_mean[members], w[members])
            centre[segment] = medians[str(names[code])]
    residual = log_mean - centre
    total = float(w.sum())
    tau2 = max(float(w @ residual**2) / total - float(w @ (sigma2 / n)) / total, _MIN_TAU2)
    weight = tau2 / (tau2 + sigma2 / n)
    spend = np.exp(weight * log_mean + (1 - weight) * centre)
    parameters = {
        "sigma2": sigma2,
        "tau2": tau2,
        "portfolio_median_cents": float(np.exp(portfolio)),
        "segment_median_cents": {k: float(np.exp(v)) for k, v in sorted(medians.items())},
    }
    return np.asarray(spend, dtype=np.float64), parameters


def _gamma_gamma(h: SpendHistories, fit: GammaGammaFit) -> Floats:
    return expected_spend(fit.params, h.frequency, h.repeat_mean, h.first)


def fit_spend(
    h: SpendHistories, config: SpendConfig, *, weights: Floats | None = None, model: str | None = None
) -> SpendModel:
    """Fit the spend model on the customers' histories and value each one's
    next purchases (cents, capped at ``cap_multiple`` x its largest purchase).

    ``model`` None chooses as ``config.model`` says (``auto``: by the
    diagnostics, run only then); a name forces it (the bootstrap keeps the
    model of the point estimate).  ``weights``: counts of each customer (the
    bootstrap's resamples, or 1 and 0 for a sample: the diagnostics are then
    run on the customers weighing more than 0).  Raises ClientfolioError when no model can be fitted.
    """
    w = np.ones_like(h.frequency) if weights is None else weights
    repeat = _repeat_sample(h)
    chosen = model or (config.model if config.model != "auto" else None)
    diagnostics: tuple[SpendDiagnostic, ...] = ()
    fit: GammaGammaFit | None = None
    if chosen != "lognormal":
        fit = fit_gamma_gamma(h.frequency[repeat], h.repeat_mean[repeat], weights=w[repeat])
        if chosen is None:
            diagnostics = spend_diagnostics(h if weights is None else h.take(w > 0), fit, config)
            chosen = "gamma_gamma" if all(d.passed for d in diagnostics) else "lognormal"
    if chosen == "gamma_gamma" and fit is not None:
        expected = _gamma_gamma(h, fit)
        g = fit.params
        parameters: dict[str, Any] = {"p": g.p, "q": g.q, "v": g.v}
        reason = (
            "forced by the settings"
            if config.model == "gamma_gamma" and not diagnostics
            else "its assumptions hold on these purchases"
        )
    else:
        expected, parameters = _lognormal(h, w, config)
        if fit is not None:
            parameters["gamma_gamma"] = {"p": fit.params.p, "q": fit.params.q, "v": fit.params.v}
        failed = [d.name for d in diagnostics if not d.passed]
        reason = ("Gamma-Gamma assumptions fail: " + ", ".join(failed)) if failed else "forced by the settings"
    capped = np.minimum(expected, config.cap_multiple * h.largest)
    return SpendModel(chosen or "lognormal", reason, np.asarray(capped, dtype=np.float64), parameters, diagnostics, fit)
