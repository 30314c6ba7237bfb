"""The valuation of the customer capital as shown to its readers: the total,
its interval, the models used and why, the sanity checks, and the backtest,
each said in one plain sentence (English text, with its message template and
parameters for ``clientfolio.i18n.render`` in the user's language)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from clientfolio.i18n import N_, localized, render
from clientfolio.value.backtest import Backtest
from clientfolio.value.clv import FittedValues, bootstrap_samples
from clientfolio.value.lifetime import discount_factor
from clientfolio.value.rules import ClvConfig

__all__ = ["MARGIN_BASES", "MODEL_NAMES", "Equity", "Statement", "equity_of", "no_churn_ceiling"]


@dataclass(frozen=True)
class Statement:
    """A sentence shown with the valuation: ``text`` in English, ``msg`` its
    template and ``params`` its fields (``clientfolio.i18n.render``)."""

    text: str
    msg: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, msg: str, params: dict[str, Any] | None = None) -> Statement:
        return cls(render("en", msg, params or {}), msg, params or {})

    def in_language(self, lang: str) -> str:
        return localized(lang, self.text, self.msg, self.params)


@dataclass
class Equity:
    """The valuation of the customer capital: discounted expected margin."""

    total_cents: float | None
    low_cents: float | None
    high_cents: float | None
    level: float
    horizon_years: float
    discount_rate: float
    margin_basis: str
    customers_valued: int
    method: str
    note: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    by: dict[str, dict[str, float]] = field(default_factory=dict)  # lifetime values summed by class, category ...
    interval_method: str | None = None  # bootstrap or none
    method_msg: str = ""  # ``method``'s message template, for ``clientfolio.i18n.render``
    method_params: dict[str, Any] = field(default_factory=dict)
    purchase_model: str | None = None  # bgnbd or mbgnbd
    spend_model: str | None = None  # gamma_gamma or lognormal
    spend: Statement | None = None  # which spend model and why, in one sentence
    ceiling_cents: float | None = None  # the no-churn ceiling (``no_churn_ceiling``)
    cautions: list[Statement] = field(default_factory=list)
    backtest: dict[str, Any] | None = None
    backtest_statement: Statement | None = None
    note_msg: str = ""  # ``note``'s message template, for ``clientfolio.i18n.render``
    note_params: dict[str, Any] = field(default_factory=dict)
    by_customers: dict[str, dict[str, int]] = field(default_factory=dict)  # the customers of each group of ``by``

    def note_in(self, lang: str) -> str | None:
        """Why the capital is not valued (``note``) in ``lang``; None when it is."""
        return None if self.note is None else localized(lang, self.note, self.note_msg, self.note_params)

    def statements(self) -> list[Statement]:
        """What is said with the figure, in order: the spend model, the cautions, the backtest."""
        return [s for s in (self.spend, *self.cautions, self.backtest_statement) if s is not None]


class _Valued(Protocol):
    revenue_cents: int
    margin_cents: int | None
    clv_cents: float | None
    abc: str
    category: str | None
    segment: str | None
    region: str | None


_METHOD = (
    "Sum over customers of the expected gross margin of the next {horizon} years, discounted at "
    "{discount_share} a year: purchases expected by the {purchase_model} model (fitted on the purchase "
    "histories), times the expected value of a purchase, times each customer's margin rate (a customer "
    "sold at a loss counts for zero)."
)
_INTERVALS = {
    "bootstrap": "Interval at {level_share} from {samples} resamples of the customers, each refitted (bootstrap).",
    "none": "No interval: the models could not be refitted on enough resamples of the customers.",
}
_PURCHASE_MODELS = {
    "bgnbd": "BG/NBD (Fader, Hardie & Lee 2005)",
    "mbgnbd": "MBG/NBD (Batislam, Denizel & Filiztekin 2007)",
}
_SPEND = {
    "gamma_gamma": "The value of a purchase comes from the Gamma-Gamma model, whose assumptions hold on these "
    "purchases.",
    "spread": "The value of a purchase is each customer's own average purchase, drawn toward its segment's median "
    "the fewer purchases it has: the Gamma-Gamma model does not fit these purchases (customers' spend "
    "is spread over too wide a range for its average to be determined).",
    "independence": "The value of a purchase is each customer's own average purchase, drawn toward its segment's "
    "median the fewer purchases it has: the Gamma-Gamma model does not fit these purchases "
    "(customers who buy more often spend differently per purchase, which it assumes they do not).",
    "forced": "The value of a purchase is each customer's own average purchase, drawn toward its segment's median "
    "the fewer purchases it has (chosen in the settings).",
}
_ABOVE_CEILING = (
    "The valuation exceeds {ceiling_cents}, what today's customers would bring over {horizon} years "
    "if none left and none grew (the margin of the last 12 months, discounted): the models expect "
    "growth; treat the figure with caution."
)
MODEL_NAMES = {
    "bgnbd": "BG/NBD",
    "mbgnbd": "MBG/NBD",
    "gamma_gamma": "Gamma-Gamma",
    "lognormal": N_("log-normal shrinkage"),
}
"""The short name of each purchase and spend model (``Equity.purchase_model``,
``spend_model``): proper nouns, and an English message for the shrinkage
(translated where shown)."""
MARGIN_BASES = {
    "invoices": N_("margin of the invoices"),
    "assumed": N_("margin rate assumed (the invoices carry no margin)"),
}
"""Where the margin comes from (``Equity.margin_basis``): English messages translated where shown."""
_WIDENED = "The interval was widened to hold the point estimate (the resampled totals are skewed)."


def no_churn_ceiling(customers: Sequence[_Valued], margin_basis: str, assumed_rate: float, config: ClvConfig) -> float:
    """What today's customers would bring over the horizon if none left and none
    grew: the margin of the last window (revenue x the assumed rate when the
    invoices carry no margin) times the horizon's discount factor
    (``lifetime.discount_factor``)."""
    if margin_basis == "invoices":
        yearly = float(sum(max(c.margin_cents or 0, 0) for c in customers))
    else:
        yearly = sum(max(c.revenue_cents, 0) for c in customers) * assumed_rate
    return yearly * discount_factor(config.horizon_years, config.discount_rate, config.steps_per_year)


def _spend_statement(fitted: FittedValues) -> Statement:
    model = fitted.spend
    if model.name == "gamma_gamma":
        return Statement.of(_SPEND["gamma_gamma"])
    failed = {d.name for d in model.diagnostics if not d.passed}
    if not failed:
        return Statement.of(_SPEND["forced"])
    return Statement.of(_SPEND["spread" if failed & {"q_above_one", "population_mean"} else "independence"])


def _breakdowns(customers: Sequence[_Valued]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]]]:
    """The lifetime values of the valued customers summed, and the customers counted, by class,
    category, segment and region (``-``: none given)."""
    by: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for name in ("abc", "category", "segment", "region"):
        sums: dict[str, float] = defaultdict(float)
        valued: dict[str, int] = defaultdict(int)
        for c in customers:
            if c.clv_cents is not None:
                group = str(getattr(c, name) or "-")
                sums[group] += c.clv_cents
                valued[group] += 1
        by[name], counts[name] = dict(sorted(sums.items())), dict(sorted(valued.items()))
    return by, counts


def _whole(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def equity_of(
    customers: Sequence[_Valued],
    fitted: FittedValues | None,
    note: Statement | None,
    basis: str,
    config: ClvConfig,
    backtest: Backtest | None = None,
) -> Equity:
    """The valuation of ``customers`` (their lifetime values set from ``fitted``;
    ``note`` says why there is no fit), its statements and cautions."""
    why: dict[str, Any] = {} if note is None else {"note_msg": note.msg, "note_params": note.params}
    params: dict[str, Any] = {"horizon": _whole(config.horizon_years), "discount_share": config.discount_rate}
    tested = None if backtest is None else backtest.as_dict()
    told = None if backtest is None else Statement(backtest.sentence, backtest.sentence_msg, backtest.sentence_params)
    if fitted is None:
        method = Statement.of(_METHOD, params | {"purchase_model": _PURCHASE_MODELS["bgnbd"]})
        return Equity(
            None,
            None,
            None,
            config.interval_level,
            config.horizon_years,
            config.discount_rate,
            basis,
            0,
            method.text,
            None if note is None else note.text,
            method_msg=method.msg,
            method_params=method.params,
            backtest=tested,
            backtest_statement=told,
            **why,
        )
    low, point, high = fitted.interval
    samples = fitted.resamples or bootstrap_samples(len(fitted.clv_cents), config)
    params |= {
        "purchase_model": _PURCHASE_MODELS[fitted.purchase_model],
        "level_share": config.interval_level,
        "samples": samples,
    }
    method = Statement.of(_METHOD + " " + _INTERVALS[fitted.interval_method], params)
    ceiling = no_churn_ceiling(customers, basis, config.assumed_margin_rate, config)
    by, by_customers = _breakdowns(customers)
    cautions = []
    if point > ceiling:
        cautions.append(Statement.of(_ABOVE_CEILING, {"ceiling_cents": ceiling, "horizon": params["horizon"]}))
    if fitted.interval_note:
        cautions.append(Statement.of(_WIDENED))
    return Equity(
        point,
        low,
        high,
        config.interval_level,
        config.horizon_years,
        config.discount_rate,
        basis,
        sum(c.clv_cents is not None for c in customers),
        method.text,
        None if note is None else note.text,
        fitted.parameters(),
        by,
        fitted.interval_method,
        method.msg,
        method.params,
        fitted.purchase_model,
        fitted.spend.name,
        _spend_statement(fitted),
        ceiling,
        cautions,
        tested,
        told,
        **why,
        by_customers=by_customers,
    )
