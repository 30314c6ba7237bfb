"""SWOT (*matrice EMOFF*, DOMAIN.md section 11, seed 002): threats,
opportunities, weaknesses, strengths, with a recommendation per quadrant, and
items suggested from the analyses that the user accepts or edits.

External: **threats** -> secure / resist (*sécuriser / résister*);
**opportunities** -> develop (*développer*).  Internal: **weaknesses** ->
progress (*progresser*); **strengths** -> consolidate (*consolider*).

Suggested items (``suggest_swot``), each with a ``key`` so an accepted item is
not suggested again:

- threats: the largest customer above the dependency threshold; a churn at
  which half the customers are gone within ``half_life_alert_years``; customers
  with payment incidents; customers whose value quadrant went down;
- opportunities: each white space of the segment x product matrix; the
  priority-1 prospects; the customers of the *development potential* category;
- strengths: the self-assessment's strong indicators; the winning cells of
  the segment x product matrix;
- weaknesses: the self-assessment's weak indicators.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.matrix import MatrixCell, WhiteSpace
from clientfolio.analytics.measures import Concentration, Projection
from clientfolio.plan.assessment import Assessment, Indicator
from clientfolio.prospects.run import PlacedProspect
from clientfolio.value.portfolio import CustomerValue

__all__ = [
    "QUADRANTS",
    "RECOMMENDATIONS",
    "Recommendation",
    "SwotConfig",
    "SwotInputs",
    "SwotSuggestion",
    "suggest_swot",
]

QUADRANTS = ("threats", "opportunities", "weaknesses", "strengths")


@dataclass(frozen=True)
class Recommendation:
    verb_fr: str
    verb_en: str
    text: str


RECOMMENDATIONS: Mapping[str, Recommendation] = MappingProxyType({
    "threats": Recommendation("Sécuriser / résister", "Secure / resist",
                              "Use the strengths to ward the threats off: secure the exposed revenue."),
    "opportunities": Recommendation("Développer", "Develop",
                                    "Use the strengths to seize the opportunities: develop where the room is."),
    "weaknesses": Recommendation("Progresser", "Progress",
                                 "Master the weaknesses to reach the objectives: an action for each."),
    "strengths": Recommendation("Consolider", "Consolidate",
                                "Consolidate the strengths: they carry the plan."),
})


class SwotConfig(BaseModel):
    """Thresholds of the suggested SWOT items."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    half_life_alert_years: float = Field(
        6.0, gt=0,
        description="A threat when, without prospecting, half the customers are gone within this many "
                    "years (default 6: an annual churn above about 11 %).")


@dataclass(frozen=True)
class SwotInputs:
    """What the SWOT items are suggested from."""

    concentration: Concentration | None = None
    dependency_threshold: float = 0.10
    projection: Projection | None = None
    solvency: Mapping[str, Any] | None = None
    white_spaces: Sequence[WhiteSpace] = ()
    winning: Sequence[MatrixCell] = ()
    prospects: Sequence[PlacedProspect] = ()
    customers: Sequence[CustomerValue] = ()
    assessment: Assessment | None = None
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SwotSuggestion:
    key: str
    quadrant: str
    text: str
    customer_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _euros(cents: float) -> str:
    return f"{cents / 100:,.0f} €".replace(",", "\u202f")


def _shown(i: Indicator) -> str:
    value = i.value or 0.0
    text = f"{value:.0f} days" if i.unit == "days" else f"{value:.0%}" if i.unit == "share" else f"{value:.2f}"
    return f"{i.label}: {text} ({i.mark or 0:.1f}/20)"


def _threats(i: SwotInputs, config: SwotConfig) -> list[SwotSuggestion]:
    out = []
    c = i.concentration
    if c is not None and c.dependency_alert and c.largest_customer_id:
        name = i.names.get(c.largest_customer_id, c.largest_customer_id)
        out.append(SwotSuggestion("threat:dependency", "threats",
                                  f"Dependency: {name} makes {c.largest_share:.0%} of revenue "
                                  f"(alert above {i.dependency_threshold:.0%})", c.largest_customer_id))
    p = i.projection
    if p is not None and p.years_to_half is not None and p.years_to_half <= config.half_life_alert_years:
        out.append(SwotSuggestion("threat:churn", "threats",
                                  f"Churn: {p.annual_churn or 0:.0%} of customers lost a year; without "
                                  f"prospecting half are gone in {p.years_to_half:.1f} years"))
    s = i.solvency or {}
    if s.get("customers_with_incidents"):
        out.append(SwotSuggestion("threat:solvency", "threats",
                                  f"Solvency: {s['customers_with_incidents']} customers with payment incidents, "
                                  f"{s.get('incident_revenue_share') or 0:.0%} of invoiced revenue"))
    down = [c for c in i.customers if c.trajectory == "down"]
    if down:
        out.append(SwotSuggestion("threat:trajectory", "threats",
                                  f"{len(down)} customers moved down the profitability x potential matrix "
                                  f"({_euros(sum(max(c.revenue_cents, 0) for c in down))} of revenue)"))
    return out


def _opportunities(i: SwotInputs) -> list[SwotSuggestion]:
    out = [SwotSuggestion(f"opportunity:white_space:{w.segment}/{w.product}", "opportunities",
                          f"White space: segment {w.segment} does not buy {w.product} yet "
                          f"(it buys {', '.join(w.neighbours)})")
           for w in i.white_spaces]
    first = [p for p in i.prospects if p.priority == 1]
    if first:
        out.append(SwotSuggestion("opportunity:prospects", "opportunities",
                                  f"{len(first)} priority-1 prospects, "
                                  f"{_euros(sum(p.potential_cents or 0 for p in first))} of potential"))
    growth = [c for c in i.customers if c.category == "development"]
    if growth:
        out.append(SwotSuggestion("opportunity:development", "opportunities",
                                  f"{len(growth)} customers with development potential, "
                                  f"{_euros(sum(c.potential_cents for c in growth))} of potential revenue"))
    return out


def suggest_swot(inputs: SwotInputs, config: SwotConfig | None = None) -> list[SwotSuggestion]:
    """The suggested items, by quadrant (``QUADRANTS`` order); rules in the module docstring."""
    config = config or SwotConfig()
    a = inputs.assessment
    weaknesses = [SwotSuggestion(f"weakness:{x.key}", "weaknesses", _shown(x)) for x in (a.weaknesses if a else ())]
    strengths = [SwotSuggestion(f"strength:{x.key}", "strengths", _shown(x)) for x in (a.strengths if a else ())]
    strengths += [SwotSuggestion(f"strength:winning:{w.segment}/{w.product}", "strengths",
                                 f"Winning combination: segment {w.segment} x {w.product} "
                                 f"({w.segment_share:.0%} of the segment, {w.product_share:.0%} of the line)")
                  for w in inputs.winning]
    return _threats(inputs, config) + _opportunities(inputs) + weaknesses + strengths
