"""Fitting the lifetime-value models on a portfolio's purchase histories.

Takes the per-customer summary of ``value.history`` and gives, per customer, the
probability of being alive, the purchases expected in the next year, the
expected value of a purchase and the lifetime value (expected margin over the
horizon, discounted), with the models chosen, their parameters and the
interval of the total.  Time is counted in ``time_unit_days`` (weeks by
default, as in the published CDNOW studies); money in cents.

- **Purchases**: BG/NBD and MBG/NBD are both fitted; the one with the higher
  likelihood is used (same number of parameters), unless ``purchase_model``
  forces one.  In the MBG/NBD a customer may also leave after its first
  purchase, so a one-time buyer of long ago is not "certainly alive".
- **Spend**: ``value.spend`` (Gamma-Gamma when its diagnostics pass on the
  user's data, else the log-normal shrinkage), capped per customer.
- **Margin**: each customer's own rate (margin / revenue over the current and
  previous windows) where its invoices carry margins, else the portfolio's,
  else ``assumed_margin_rate``; rates are kept within [0, 1]: a customer sold
  at a loss is worth nothing rather than less than nothing (the company can
  stop serving it), so no lifetime value is negative.
- **Interval** of the total: a bootstrap of the customers: ``bootstrap_samples``
  resamples drawn with replacement, both models refitted on each (the models
  chosen for the point estimate kept), each refit valuing the ACTUAL
  customers; the percentiles of those totals.  It measures how precisely the
  portfolio's own history determines the models, cannot go below zero, and is
  widened to hold the point estimate when a skewed resampling distribution
  leaves it outside (``interval_note`` says so).
- **Sample**: beyond ``fit_sample`` customers who bought, the models (and the
  bootstrap's refits) are fitted on ``fit_sample`` of them, chosen by a hash
  of their code (``fit_sample_of``: the same customers from run to run and on
  every engine), and every customer is valued with them.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from clientfolio.errors import ClientfolioError
from clientfolio.value.bgnbd import BetaGeoFit, BetaGeoParams, expected_purchases, fit_bgnbd, p_alive
from clientfolio.value.lifetime import DiscountedPurchases
from clientfolio.value.mle import one_blas_thread
from clientfolio.value.refits import Refits, refit_key
from clientfolio.value.rules import ClvConfig
from clientfolio.value.spend import SpendHistories, SpendModel, fit_spend

if TYPE_CHECKING:
    from clientfolio.value.history import Histories

__all__ = [
    "FittedValues",
    "ModelInputs",
    "bootstrap_samples",
    "fit_sample_of",
    "fit_values",
    "margin_rates",
    "model_inputs",
]

Floats = npt.NDArray[np.float64]
_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class FittedValues:
    """Per-customer model outputs (arrays in the order of the input), the models
    chosen, and the total with its interval."""

    p_alive: Floats
    expected_purchases: Floats  # in the next year
    expected_spend_cents: Floats
    clv_cents: Floats
    purchases: BetaGeoFit
    alternative: BetaGeoFit | None  # the purchase model not chosen (None when one was forced)
    spend: SpendModel
    interval: tuple[float | None, float, float | None]
    interval_method: str  # bootstrap or none
    resamples: int  # bootstrap refits that succeeded
    interval_note: str | None = None
    sample: int | None = None  # customers the models were fitted on, when a sample (``ClvConfig.fit_sample``)

    @property
    def purchase_model(self) -> str:
        return "mbgnbd" if self.purchases.params.modified else "bgnbd"

    def parameters(self) -> dict[str, Any]:
        p = self.purchases.params
        purchases: dict[str, Any] = {
            "model": self.purchase_model,
            "r": p.r,
            "alpha": p.alpha,
            "a": p.a,
            "b": p.b,
            "log_likelihood": self.purchases.log_likelihood,
        }
        if self.alternative is not None:
            purchases["log_likelihoods"] = {
                self.purchase_model: self.purchases.log_likelihood,
                "mbgnbd" if self.alternative.params.modified else "bgnbd": self.alternative.log_likelihood,
            }
        fitted = {"purchases": purchases, "spend": self.spend.as_dict()}
        return fitted if self.sample is None else fitted | {"fit_sample": self.sample}


@dataclass(frozen=True)
class ModelInputs:
    """The models' inputs for the customers who bought: frequency, recency and
    age in days, and their purchase amounts (``spend``)."""

    frequency: Floats
    recency_days: Floats
    age_days: Floats
    spend: SpendHistories


def model_inputs(h: Histories) -> ModelInputs:
    """The inputs of :func:`fit_values` from ``value.history`` histories, all
    of customers who bought (``frequency`` not NULL)."""
    frequency = h.value("frequency")
    return ModelInputs(
        frequency,
        h.value("recency_days"),
        h.value("age_days"),
        SpendHistories(
            frequency,
            np.where(frequency > 0, np.nan_to_num(h.value("monetary_cents")), 0.0),
            h.value("first_amount_cents"),
            h.value("largest_purchase_cents"),
            h.value("log_count"),
            h.value("log_sum"),
            h.value("log_square_sum"),
            np.array([s or "" for s in h.segments], dtype=np.str_),
        ),
    )


def fit_sample_of(ids: npt.NDArray[np.object_], size: int) -> npt.NDArray[np.bool_] | None:
    """The customers (by code, ``ids``) the models are fitted on when there
    are more than ``size`` (0: all, None returned): the ``size`` ones of
    smallest 64-bit FNV-1a hash of their code's UTF-8, ties by position, so
    the sample depends on the codes alone (not on the engine, nor the order)."""
    if size == 0 or ids.size <= size:
        return None
    codes = np.array([str(i).encode() for i in ids], dtype=np.bytes_)
    width = codes.dtype.itemsize
    octets = codes.view(np.uint8).reshape(ids.size, width).astype(np.uint64)
    lengths = np.char.str_len(codes)
    hashed = np.full(ids.size, 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for k in range(width):
        inside = k < lengths
        hashed[inside] = (hashed[inside] ^ octets[inside, k]) * prime
    chosen = np.zeros(ids.size, dtype=bool)
    chosen[np.argsort(hashed, kind="stable")[:size]] = True
    return chosen


def margin_rates(revenue: Floats, margin: Floats, assumed: float) -> tuple[Floats, str]:
    """Each customer's margin rate and the basis (``invoices`` or ``assumed``).

    ``revenue`` and ``margin`` are per-customer sums in cents (margin NaN when
    unknown).  Rates are kept within [0, 1] (a customer sold at a loss is worth
    nothing, not less: see the module docstring)."""
    known = ~np.isnan(margin) & (revenue > 0)
    if not known.any():
        return np.full(revenue.shape, assumed), "assumed"
    portfolio = float(margin[known].sum() / revenue[known].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(known, margin / np.where(revenue > 0, revenue, 1.0), portfolio)
    return np.clip(own, 0.0, 1.0), "invoices"


def bootstrap_samples(customers: int, config: ClvConfig) -> int:
    """Resamples drawn for ``customers``: ``config.bootstrap_samples`` up to
    20,000 customers, fewer beyond (at least 20) so the work stays bounded."""
    if customers <= 20_000 or config.bootstrap_samples == 0:
        return config.bootstrap_samples
    return max(min(20, config.bootstrap_samples), config.bootstrap_samples * 20_000 // customers)


def _purchase_model(
    frequency: Floats, recency: Floats, age: Floats, config: ClvConfig
) -> tuple[BetaGeoFit, BetaGeoFit | None]:
    """The purchase model to use, and the other one when both were fitted."""
    if config.purchase_model != "auto":
        return fit_bgnbd(frequency, recency, age, modified=config.purchase_model == "mbgnbd"), None
    plain = fit_bgnbd(frequency, recency, age)
    modified = fit_bgnbd(frequency, recency, age, modified=True)
    return (modified, plain) if modified.log_likelihood > plain.log_likelihood else (plain, modified)


def _bootstrap(
    frequency: Floats,
    recency: Floats,
    age: Floats,
    spend: SpendHistories,
    value_per_purchase: Floats,
    purchases: DiscountedPurchases,
    start: BetaGeoParams,
    spend_model: str,
    config: ClvConfig,
    fitted_on: npt.NDArray[np.intp],
    refits: Refits | None,
    inputs_key: str,
) -> tuple[list[float], int]:
    """Totals over the actual customers with the models refitted on resamples
    of those ``fitted_on`` (counts as weights); ``value_per_purchase`` is the
    margin rate.  The resamples are drawn in turn (the seed fixes them) and
    refitted on the machine's cores (the 2F1 and the array work release the
    GIL), the totals kept in the order of the resamples.  With ``refits``,
    each resample's value per customer is kept there for the next valuation
    of the same portfolio (another scope's margins: the same refits), under
    ``inputs_key`` (``_inputs_key``) and the fit and settings they start from."""
    samples = bootstrap_samples(frequency.size, config)  # each refit values every customer
    key = ""
    if refits is not None:
        key = refit_key([], inputs_key, start, spend_model, config)
        kept = refits.get(key)
        if kept is not None:
            return [float(v @ value_per_purchase) for v in kept if v is not None], samples
    rng = np.random.default_rng(config.bootstrap_seed)
    n = fitted_on.size

    def value(draw: npt.NDArray[np.int64]) -> Floats | None:
        counts = np.zeros(frequency.size)
        counts[fitted_on] = np.bincount(draw, minlength=n)
        try:
            fit = fit_bgnbd(
                frequency, recency, age, weights=counts, modified=start.modified, start=start, covariance=False
            )
            model = fit_spend(spend, config.spend, weights=counts, model=spend_model)
        except ClientfolioError:
            return None
        worth: Floats = purchases(fit.params) * model.expected
        return worth

    keeper = refits if refits is not None and refits.fits(samples * frequency.size) else None
    workers = max(1, min(samples, os.cpu_count() or 1, 4))  # each refit holds some arrays of the customers' size
    values: list[Floats | None] = []
    totals: list[float] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done in range(0, samples, workers):  # a few resamples at a time: memory stays flat unless kept
            draws = [rng.integers(0, n, n) for _ in range(min(workers, samples - done))]
            for v in pool.map(value, draws):
                if v is not None:
                    totals.append(float(v @ value_per_purchase))
                    v.flags.writeable = False
                if keeper is not None:
                    values.append(v)
    if keeper is not None:
        keeper.put(key, values)
    return totals, samples


@dataclass(frozen=True)
class _PointFit:
    """The models fitted on a portfolio's histories and what follows from them
    alone, before any margin: the same for every need-to-know scope of the
    portfolio (a scope only changes the margins, 0 for the customers it does
    not see), so kept in ``Refits`` beside the bootstrap's refits."""

    purchases: BetaGeoFit
    alternative: BetaGeoFit | None
    spend: SpendModel
    discounted: DiscountedPurchases
    worth: Floats  # discounted purchases over the horizon x expected spend, per customer
    p_alive: Floats
    expected_purchases: Floats


def _inputs_key(
    frequency: Floats, recency: Floats, age: Floats, spend: SpendHistories, fitted_on: npt.NDArray[np.intp]
) -> str:
    """A digest of the models' inputs (``refit_key``): the part of the point fit's and the
    bootstrap's keys in ``Refits`` that holds the customers' arrays, hashed once for both."""
    return refit_key([frequency, recency, age, fitted_on, *(getattr(spend, f.name) for f in fields(spend))])


_POINT_FLOATS = 12
"""The numbers a ``_PointFit`` holds per customer, about (its arrays and those of ``discounted``)."""


def _point_fit(
    frequency: Floats,
    recency: Floats,
    age: Floats,
    spend: SpendHistories,
    fitted_on: npt.NDArray[np.intp],
    sample: npt.NDArray[np.bool_] | None,
    config: ClvConfig,
    refits: Refits | None,
    inputs_key: str,
) -> _PointFit:
    """The point fits of ``fit_values`` (found in ``refits`` when the same
    histories, ``inputs_key``, and settings were fitted before, kept there otherwise)."""
    key = ""
    if refits is not None:
        key = refit_key([], inputs_key, "point fit", sample is None, config)
        kept = refits.get_point(key)
        if isinstance(kept, _PointFit):
            return kept
    fit, alternative = _purchase_model(frequency[fitted_on], recency[fitted_on], age[fitted_on], config)
    model = fit_spend(spend, config.spend, weights=None if sample is None else sample.astype(np.float64))
    per_year = _DAYS_PER_YEAR / config.time_unit_days
    discounted = DiscountedPurchases(
        frequency,
        recency,
        age,
        horizon_periods=config.horizon_years * per_year,
        periods_per_year=per_year,
        discount_rate=config.discount_rate,
        steps_per_year=config.steps_per_year,
    )
    found = _PointFit(
        fit,
        alternative,
        model,
        discounted,
        discounted(fit.params) * model.expected,
        p_alive(fit.params, frequency, recency, age),
        expected_purchases(fit.params, per_year, frequency, recency, age),
    )
    if refits is not None:
        for shared in (found.worth, found.p_alive, found.expected_purchases, model.expected):
            shared.flags.writeable = False  # read by every scope
        refits.put_point(key, found, _POINT_FLOATS * frequency.size)
    return found


@one_blas_thread  # the bootstrap's threads too: the limit is the libraries', not the thread's
def fit_values(
    inputs: ModelInputs,
    margin_rate: Floats | float,
    config: ClvConfig,
    *,
    interval: bool = True,
    sample: npt.NDArray[np.bool_] | None = None,
    refits: Refits | None = None,
) -> FittedValues:
    """Fit the purchase and spend models on the customers' histories and value them.

    ``inputs``: the customers who made a purchase (:func:`model_inputs`);
    ``margin_rate``: one per customer, or one for all (1: value revenue).  With
    ``interval`` False no bootstrap is run (a valuation only compared, as the
    trajectories' past one, or backtested).  ``sample``: the customers the
    models are fitted on (:func:`fit_sample_of`; None: all), every one valued.
    ``refits``: where the bootstrap's refits are kept and found again
    (``value.refits``; None: not kept).  Raises ClientfolioError when there
    are too few repeat buyers to fit.
    """
    return _fit_values(inputs, margin_rate, config, interval, sample, refits)


def _fit_values(
    inputs: ModelInputs,
    margin_rate: Floats | float,
    config: ClvConfig,
    interval: bool,
    sample: npt.NDArray[np.bool_] | None,
    refits: Refits | None,
) -> FittedValues:
    frequency, spend = inputs.frequency, inputs.spend
    fitted_on = np.arange(frequency.size) if sample is None else np.flatnonzero(sample)
    repeat = frequency[fitted_on] > 0
    if int(repeat.sum()) < config.min_repeat_buyers:
        raise ClientfolioError(
            "{repeat} customer(s) made a repeat purchase: at least {needed} are needed to fit the "
            "lifetime-value models",
            repeat=int(repeat.sum()),
            needed=config.min_repeat_buyers,
        )
    unit = config.time_unit_days
    recency, age = inputs.recency_days / unit, inputs.age_days / unit
    inputs_key = "" if refits is None else _inputs_key(frequency, recency, age, spend, fitted_on)
    models = _point_fit(frequency, recency, age, spend, fitted_on, sample, config, refits, inputs_key)
    fit, model, purchases = models.purchases, models.spend, models.discounted
    margin = np.clip(np.broadcast_to(np.asarray(margin_rate, dtype=np.float64), frequency.shape), 0.0, 1.0)
    clv = models.worth * margin
    point = float(clv.sum())
    low: float | None = None
    high: float | None = None
    method, note, done = "none", None, 0
    if interval and config.bootstrap_samples > 0:
        totals, samples = _bootstrap(
            frequency,
            recency,
            age,
            spend,
            margin,
            purchases,
            fit.params,
            model.name,
            config,
            fitted_on,
            refits,
            inputs_key,
        )
        done = len(totals)
        if done >= max(samples // 2, 1):
            tail = (1 - config.interval_level) / 2
            low, high = (float(v) for v in np.quantile(totals, [tail, 1 - tail]))
            method = "bootstrap"
            if not low <= point <= high:
                note = "widened to hold the point estimate"
                low, high = min(low, point), max(high, point)
    return FittedValues(
        p_alive=models.p_alive,
        expected_purchases=models.expected_purchases,
        expected_spend_cents=model.expected,
        clv_cents=clv,
        purchases=fit,
        alternative=models.alternative,
        spend=model,
        interval=(low, point, high),
        interval_method=method,
        resamples=done,
        interval_note=note,
        sample=None if sample is None else int(fitted_on.size),
    )
