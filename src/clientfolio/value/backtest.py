"""The lifetime-value models tried on the user's own history: fitted as they
would have been a year ago, their forecast of the following twelve months set
against what the customers actually bought.

No CRM and no CLV library shows its user this; it is what makes the valuation
credible (or says how far to trust it).  The forecast is the revenue expected
from the customers of the cutoff date (purchases expected by the purchase
model times the value of a purchase expected by the spend model, the models
chosen as they would have been then); the outcome is those customers' net
revenue in the twelve months after the cutoff.  Customers acquired after the
cutoff are left out of both.  Broken down by ABC class at the cutoff and for
the one-time buyers of that date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import ibis.expr.types as ir
import numpy as np

from clientfolio.analytics.abc import AbcConfig
from clientfolio.i18n import render
from clientfolio.periods import months_before
from clientfolio.value.bgnbd import expected_purchases
from clientfolio.value.clv import FittedValues, fit_values, model_inputs
from clientfolio.value.history import Summary, customer_summary, read_summary
from clientfolio.value.rules import ClvConfig

__all__ = ["GROUP_LABELS", "Backtest", "BacktestGroup", "backtest", "compare_forecast"]


GROUP_LABELS = {"total": "All customers", "A": "Class A", "B": "Class B", "C": "Class C", "one_time": "One-time buyers"}
"""The English label of each group (translated by the catalogs where shown)."""


@dataclass(frozen=True)
class BacktestGroup:
    """Forecast and outcome of a group of customers (cents)."""

    name: str  # total, A, B, C, one_time
    customers: int
    predicted_cents: float
    actual_cents: float

    @property
    def error(self) -> float | None:
        """Forecast over outcome, minus 1 (+0.21: the forecast was 21 % too high)."""
        return None if self.actual_cents <= 0 else self.predicted_cents / self.actual_cents - 1


@dataclass(frozen=True)
class Backtest:
    """The one-year backtest: ``fitted_on`` the cutoff, compared up to ``as_of``."""

    fitted_on: dt.date
    as_of: dt.date
    months: int
    purchase_model: str
    spend_model: str
    total: BacktestGroup
    groups: tuple[BacktestGroup, ...]  # A, B, C at the cutoff, then one_time

    @property
    def sentence(self) -> str:
        """One plain sentence of the result (English; ``sentence_msg`` and
        ``sentence_params`` give it in the user's language)."""
        return render("en", self.sentence_msg, self.sentence_params)

    @property
    def sentence_msg(self) -> str:
        error = self.total.error
        return _SENTENCE["none" if error is None else "above" if error > 0 else "below"]

    @property
    def sentence_params(self) -> dict[str, Any]:
        error = self.total.error
        return {
            "date": self.fitted_on,
            "months": self.months,
            "predicted_cents": self.total.predicted_cents,
            "actual_cents": self.total.actual_cents,
            "gap_share": abs(error) if error is not None else 0.0,
        }

    def as_dict(self) -> dict[str, Any]:
        def group(g: BacktestGroup) -> dict[str, Any]:
            return asdict(g) | {"error": g.error}

        return {
            "fitted_on": self.fitted_on.isoformat(),
            "as_of": self.as_of.isoformat(),
            "months": self.months,
            "purchase_model": self.purchase_model,
            "spend_model": self.spend_model,
            "total": group(self.total),
            "groups": [group(g) for g in self.groups],
            "sentence": self.sentence,
        }


_SENTENCE = {
    "above": "Fitted on the history up to {date}, the models forecast {predicted_cents} of revenue over the next "
    "{months} months from that date's customers; they bought {actual_cents}: the forecast was {gap_share} too high.",
    "below": "Fitted on the history up to {date}, the models forecast {predicted_cents} of revenue over the next "
    "{months} months from that date's customers; they bought {actual_cents}: the forecast was {gap_share} too low.",
    "none": "Fitted on the history up to {date}, the models forecast {predicted_cents} of revenue over the next "
    "{months} months from that date's customers; they bought {actual_cents}.",
}


def backtest(
    transactions: ir.Table,
    *,
    as_of: dt.date,
    months: int = 12,
    clv: ClvConfig | None = None,
    abc: AbcConfig | None = None,
) -> Backtest:
    """Fit the models on the lines up to ``months`` before ``as_of`` and compare
    their forecast of the following ``months`` with what happened (module
    docstring).

    Takes the analytics' transactions table (``customer_id, date,
    amount_cents, margin_cents, segment``).  Raises ClientfolioError when the
    history up to the cutoff is too short to fit the models.
    """
    clv = clv or ClvConfig()
    cutoff = months_before(as_of, months)
    table = customer_summary(transactions, as_of=as_of, before=cutoff, window_months=months, abc=abc or AbcConfig())
    read = read_summary(table.to_pyarrow(), abc or AbcConfig())
    fitted = fit_values(model_inputs(read.past), 1.0, clv, interval=False)
    return compare_forecast(read, fitted=fitted, as_of=as_of, months=months, clv=clv)


def compare_forecast(read: Summary, *, fitted: FittedValues, as_of: dt.date, months: int, clv: ClvConfig) -> Backtest:
    """The backtest of models already ``fitted`` on ``read.past``, the
    histories of the customers who had bought ``months`` before ``as_of``
    (``value.history.read_summary`` over ``months``: the revenue of its
    ``now`` histories is the outcome, its ``past_classes`` the ABC classes at
    the cutoff).  The valuation has both and fits the same models for its
    trajectories: one fit and one read of the lines for both."""
    cutoff = months_before(as_of, months)
    past = read.past
    inputs = model_inputs(past)
    unit = clv.time_unit_days
    horizon = (as_of - cutoff).days / unit
    forecast = (
        expected_purchases(
            fitted.purchases.params, horizon, inputs.frequency, inputs.recency_days / unit, inputs.age_days / unit
        )
        * fitted.expected_spend_cents
    )
    actual = read.now.value("revenue_cents")[read.past_rows]
    labels = read.past_classes[read.past_rows]

    def group(name: str, members: np.ndarray[Any, np.dtype[np.bool_]]) -> BacktestGroup:
        return BacktestGroup(name, int(members.sum()), float(forecast[members].sum()), float(actual[members].sum()))

    everyone = np.ones(len(past), dtype=bool)
    groups = tuple(group(c, labels == c) for c in "ABC") + (group("one_time", inputs.frequency == 0),)
    return Backtest(cutoff, as_of, months, fitted.purchase_model, fitted.spend.name, group("total", everyone), groups)
