"""The self-assessment of the customer capital, marked out of 20 on facts
(*auto-évaluation*, DOMAIN.md section 12, seed 000).

Six themes, each with its objective; each theme has indicators measured from
the data (``plan.facts``).  An indicator's mark is **piecewise linear** between
two values of its ``Scale``: 0/20 at ``zero_at``, 20/20 at ``full_at``, clamped
to 0-20 outside (a scale whose ``full_at`` is below its ``zero_at`` rewards low
values, such as the concentration).  A theme's **fact mark** is the mean of
its measured indicators' marks (an unknown indicator is left out; a theme
without any is unmarked); the **overall mark** is the mean of the marked
themes weighted by ``theme_weights``.  Beside them, the team's marks from the
questionnaire (``plan.questionnaire``): the **gap** of a theme is team mark -
fact mark, an alert when its size reaches ``gap_alert``.  The overall mark
gets the seed's reading: under ``risk_below`` (10) the customer capital is a
risk for the company's survival; from ``guarantee_from`` (15) it guarantees
its future; between, an asset to consolidate.  Strengths are the indicators
marked at least ``strength_from``, weaknesses those under ``weakness_below``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clientfolio.errors import RuleError
from clientfolio.i18n import N_

if TYPE_CHECKING:
    from clientfolio.plan.facts import Facts

__all__ = [
    "INDICATORS",
    "READINGS",
    "THEMES",
    "THEME_INFO",
    "Assessment",
    "AssessmentConfig",
    "Gap",
    "Indicator",
    "IndicatorSpec",
    "Reading",
    "Scale",
    "Scales",
    "Theme",
    "ThemeResult",
    "assess",
    "reading",
]


class Scale(BaseModel):
    """A piecewise-linear mark: 0/20 at ``zero_at``, 20/20 at ``full_at``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zero_at: float = Field(description="Value marked 0/20 (and anything worse).")
    full_at: float = Field(description="Value marked 20/20 (and anything better).")

    @model_validator(mode="after")
    def _distinct(self) -> Scale:
        if self.zero_at == self.full_at:
            raise RuleError("a scale needs two different values")
        return self

    def mark(self, value: float) -> float:
        """The mark of ``value`` out of 20."""
        t = (value - self.zero_at) / (self.full_at - self.zero_at)
        return 20 * min(1.0, max(0.0, t))


def _scale(zero: float, full: float, what: str) -> Any:
    return Field(
        default_factory=lambda: Scale(zero_at=zero, full_at=full),
        description=f"{what}: 0/20 at {zero:g}, 20/20 at {full:g}.",
    )


class Scales(BaseModel):
    """The scale of each indicator, with the seed-inspired defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    renewal_ratio: Scale = _scale(0.5, 1.5, "New / lost customers")
    top_20pct_share: Scale = _scale(0.95, 0.60, "Revenue share of the top 20 % customers")
    largest_share: Scale = _scale(0.20, 0.05, "Revenue share of the largest customer")
    retention_rate: Scale = _scale(0.70, 0.95, "1 - churn rate")
    recurring_revenue_share: Scale = _scale(0.30, 0.90, "Revenue share of the recurring RFM profiles")
    incident_revenue_share: Scale = _scale(0.30, 0.0, "Revenue share of invoices with a payment incident")
    dso_days: Scale = _scale(90, 30, "Days sales outstanding")
    file_completeness: Scale = _scale(0.5, 1.0, "Mean share of key fields filled")
    complete_records_share: Scale = _scale(0.0, 1.0, "Share of customers with every key field")
    followed_share: Scale = _scale(0.5, 1.0, "Share of A/VIP customers contacted within the delay")
    overdue_actions_share: Scale = _scale(0.5, 0.0, "Share of open actions past their end date")
    multi_line_share: Scale = _scale(0.1, 0.6, "Share of active customers buying two product lines or more")
    matrix_coverage: Scale = _scale(0.4, 1.0, "Share of segment x product cells with sales")


THEMES = ("portfolio", "loyalty", "solvency", "file", "follow_up", "fit")


@dataclass(frozen=True)
class Theme:
    """A theme: its English name and objective, messages of the catalogs
    translated where shown."""

    key: str
    label: str
    objective: str


THEME_INFO: Mapping[str, Theme] = MappingProxyType(
    {
        t.key: t
        for t in (
            Theme("portfolio", N_("Customer portfolio"), N_("A large, balanced portfolio, renewed regularly.")),
            Theme("loyalty", N_("Loyalty"), N_("A loyal clientele that makes revenue recurrent.")),
            Theme("solvency", N_("Solvency"), N_("A clientele without payment incidents.")),
            Theme(
                "file",
                N_("Relevance of the customer file"),
                N_("As much information as possible on each customer."),
            ),
            Theme("follow_up", N_("Follow-up"), N_("A portfolio followed and maintained at all times.")),
            Theme("fit", N_("Customer-product fit"), N_("Products that fit the customers' current needs.")),
        )
    }
)


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    theme: str
    label: str
    unit: str  # "ratio", "share" (0-1) or "days"
    formula: str


INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "renewal_ratio", "portfolio", "Renewal ratio", "ratio", "new customers / lost customers over the year"
    ),
    IndicatorSpec(
        "top_20pct_share", "portfolio", "Top 20 % share", "share", "revenue of the top 20 % customers / revenue"
    ),
    IndicatorSpec(
        "largest_share", "portfolio", "Largest customer share", "share", "revenue of the largest customer / revenue"
    ),
    IndicatorSpec(
        "retention_rate", "loyalty", "Retention rate", "share", "1 - lost customers / customers active at the start"
    ),
    IndicatorSpec(
        "recurring_revenue_share",
        "loyalty",
        "Recurring revenue share",
        "share",
        "revenue of very regular and regular customers (RFM) / revenue",
    ),
    IndicatorSpec(
        "incident_revenue_share",
        "solvency",
        "Revenue with payment incidents",
        "share",
        "amount of invoices paid over 30 days late or unpaid / invoiced amount",
    ),
    IndicatorSpec(
        "dso_days", "solvency", "Days sales outstanding", "days", "open receivables / revenue x days of the year"
    ),
    IndicatorSpec(
        "file_completeness",
        "file",
        "Key fields filled",
        "share",
        "mean over customers of the key fields filled / key fields",
    ),
    IndicatorSpec(
        "complete_records_share",
        "file",
        "Complete customer records",
        "share",
        "customers with every key field / customers",
    ),
    IndicatorSpec(
        "followed_share",
        "follow_up",
        "A/VIP customers followed",
        "share",
        "A/VIP customers contacted within the delay / A/VIP customers",
    ),
    IndicatorSpec(
        "overdue_actions_share",
        "follow_up",
        "Overdue actions",
        "share",
        "open actions past their end date / open actions",
    ),
    IndicatorSpec(
        "multi_line_share",
        "fit",
        "Cross-sell penetration",
        "share",
        "active customers buying 2+ product lines / active customers",
    ),
    IndicatorSpec(
        "matrix_coverage",
        "fit",
        "Segment x product coverage",
        "share",
        "segment x product cells with sales / all cells",
    ),
)


@dataclass(frozen=True)
class Reading:
    """The seed's reading of an overall mark: an English message of the
    catalogs, translated where shown."""

    key: str
    text: str


READINGS: Mapping[str, Reading] = MappingProxyType(
    {
        r.key: r
        for r in (
            Reading(
                "risk",
                N_("The customer portfolio brings nothing to the company; it is even a risk for its survival."),
            ),
            Reading(
                "consolidate",
                N_("The customer portfolio has value, but a fragile one: an action plan must consolidate it."),
            ),
            Reading("guarantee", N_("The customer portfolio is a guarantee of the company's future.")),
        )
    }
)


class AssessmentConfig(BaseModel):
    """Scales, weights and thresholds of the self-assessment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scales: Scales = Field(default_factory=Scales, description="The scale of each indicator.")
    theme_weights: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(THEMES, 1.0),
        description="Weight of each theme in the overall mark (default 1 each: the plain mean).",
    )
    risk_below: float = Field(10, ge=0, le=20, description="An overall mark under this is a risk (seed: 10).")
    guarantee_from: float = Field(
        15, ge=0, le=20, description="An overall mark from this guarantees the future (default 15)."
    )
    strength_from: float = Field(14, ge=0, le=20, description="Indicators marked from this are strengths.")
    weakness_below: float = Field(10, ge=0, le=20, description="Indicators marked under this are weaknesses.")
    gap_alert: float = Field(4, gt=0, le=20, description="A team mark this far from the fact mark is a perception gap.")
    key_fields: tuple[str, ...] = Field(
        ("siren", "naf_code", "size_band", "region", "segment", "address", "city", "potential", "owner"),
        description="Key fields of a customer record, for the relevance of the file.",
    )
    recurring_profiles: tuple[str, ...] = Field(
        ("very_regular", "regular"), description="RFM profiles whose revenue is recurring."
    )

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentConfig:
        unknown = set(self.theme_weights) - set(THEMES)
        if unknown:
            raise RuleError("unknown themes in theme_weights: {themes}", themes=", ".join(sorted(unknown)))
        if any(w < 0 for w in self.theme_weights.values()):
            raise RuleError("theme weights are >= 0")
        if self.guarantee_from < self.risk_below:
            raise RuleError("guarantee_from must be >= risk_below")
        return self


@dataclass(frozen=True)
class Indicator:
    """A measured indicator and its mark out of 20 (None when not measured)."""

    key: str
    theme: str
    label: str
    unit: str
    formula: str
    value: float | None
    zero_at: float
    full_at: float
    mark: float | None


@dataclass(frozen=True)
class ThemeResult:
    """A theme's marks: on facts, from the team (mean of the respondents), gap."""

    theme: str
    label: str
    objective: str
    indicators: tuple[Indicator, ...]
    fact_mark: float | None
    team_mark: float | None
    respondents: int
    gap: float | None


@dataclass(frozen=True)
class Gap:
    """A perception gap: the team ``overestimates`` or ``underestimates`` a theme."""

    theme: str
    gap: float
    direction: str


@dataclass(frozen=True)
class Assessment:
    """The self-assessment of ``as_of``; ``as_dict`` gives it JSON-ready."""

    as_of: dt.date
    themes: tuple[ThemeResult, ...]
    fact_mark: float | None
    team_mark: float | None
    reading: str | None
    strengths: tuple[Indicator, ...]
    weaknesses: tuple[Indicator, ...]
    gaps: tuple[Gap, ...]

    def as_dict(self) -> dict[str, Any]:
        r = READINGS.get(self.reading or "")
        return {
            **asdict(self),
            "as_of": self.as_of.isoformat(),
            "reading_text": None if r is None else r.text,
        }


def reading(mark: float | None, config: AssessmentConfig | None = None) -> str | None:
    """``risk``, ``consolidate`` or ``guarantee`` for an overall mark (None: unmarked)."""
    config = config or AssessmentConfig()
    if mark is None:
        return None
    if mark < config.risk_below:
        return "risk"
    return "guarantee" if mark >= config.guarantee_from else "consolidate"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _weighted(marks: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    pairs = [(m, weights.get(t, 1.0)) for t, m in marks.items() if m is not None]
    total = sum(w for _, w in pairs)
    return sum(m * w for m, w in pairs) / total if total else None


def assess(
    facts: Facts, team: Mapping[str, Sequence[float]] | None = None, config: AssessmentConfig | None = None
) -> Assessment:
    """Mark ``facts`` and set the ``team``'s marks (0-20 per theme, one per
    respondent) beside them (rules in the module docstring)."""
    config = config or AssessmentConfig()
    team = team or {}
    indicators = []
    for spec in INDICATORS:
        value = getattr(facts, spec.key)
        scale: Scale = getattr(config.scales, spec.key)
        indicators.append(
            Indicator(
                spec.key,
                spec.theme,
                spec.label,
                spec.unit,
                spec.formula,
                value,
                scale.zero_at,
                scale.full_at,
                None if value is None else scale.mark(value),
            )
        )
    themes = []
    for key in THEMES:
        info = THEME_INFO[key]
        own = tuple(i for i in indicators if i.theme == key)
        fact = _mean([i.mark for i in own if i.mark is not None])
        marks = list(team.get(key, ()))
        mine = _mean(marks)
        gap = None if fact is None or mine is None else mine - fact
        themes.append(ThemeResult(key, info.label, info.objective, own, fact, mine, len(marks), gap))
    fact_mark = _weighted({t.theme: t.fact_mark for t in themes}, config.theme_weights)
    team_mark = _weighted({t.theme: t.team_mark for t in themes}, config.theme_weights)
    marked = [i for i in indicators if i.mark is not None]
    return Assessment(
        as_of=facts.as_of,
        themes=tuple(themes),
        fact_mark=fact_mark,
        team_mark=team_mark,
        reading=reading(fact_mark, config),
        strengths=tuple(
            sorted(
                (i for i in marked if i.mark is not None and i.mark >= config.strength_from),
                key=lambda i: -(i.mark or 0),
            )
        ),
        weaknesses=tuple(
            sorted(
                (i for i in marked if i.mark is not None and i.mark < config.weakness_below), key=lambda i: i.mark or 0
            )
        ),
        gaps=tuple(
            Gap(t.theme, t.gap, "overestimated" if t.gap > 0 else "underestimated")
            for t in themes
            if t.gap is not None and abs(t.gap) >= config.gap_alert
        ),
    )
