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

An item's ``text`` is English; ``text_msg`` is its message template and
``params`` the values of its fields, for the web app and the report to show it
in French (``clientfolio.i18n.render``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.i18n import N_, euros

if TYPE_CHECKING:
    from clientfolio.analytics.matrix import MatrixCell, WhiteSpace
    from clientfolio.analytics.measures import Concentration, Projection
    from clientfolio.plan.assessment import Assessment, Indicator
    from clientfolio.prospects.run import PlacedProspect
    from clientfolio.value.portfolio import CustomerValue

__all__ = [
    "COMPANY_FIGURE_KEYS",
    "QUADRANTS",
    "QUADRANT_NAMES",
    "RECOMMENDATIONS",
    "Recommendation",
    "SwotConfig",
    "SwotInputs",
    "TEMPLATES",
    "SwotSuggestion",
    "suggest_swot",
]

QUADRANTS = ("threats", "opportunities", "weaknesses", "strengths")

QUADRANT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "threats": "Threats",
        "opportunities": "Opportunities",
        "weaknesses": "Weaknesses",
        "strengths": "Strengths",
    }
)
"""The English name of each quadrant, translated by the i18n catalogs where shown
(the web's SWOT page, the report's SWOT section)."""

COMPANY_FIGURE_KEYS = frozenset({"threat:dependency"})
"""Suggested items tied to a customer whose figure is of the portfolio they were
computed on (the customer's share of the revenue): stored, they are the
company's items, as those tied to no customer (``plan.records.swot_items``)."""


@dataclass(frozen=True)
class Recommendation:
    """A quadrant's verb and recommendation: English messages of the
    catalogs, translated where shown."""

    verb: str
    text: str


RECOMMENDATIONS: Mapping[str, Recommendation] = MappingProxyType(
    {
        "threats": Recommendation(
            N_("Secure / resist"), N_("Use the strengths to ward the threats off: secure the exposed revenue.")
        ),
        "opportunities": Recommendation(
            N_("Develop"), N_("Use the strengths to seize the opportunities: develop where the room is.")
        ),
        "weaknesses": Recommendation(
            N_("Make progress"), N_("Master the weaknesses to reach the objectives: an action for each.")
        ),
        "strengths": Recommendation(N_("Consolidate"), N_("Consolidate the strengths: they carry the plan.")),
    }
)


INDICATOR_DAYS = N_("{label_msg}: {days} days ({mark}/20)")
INDICATOR_SHARE = N_("{label_msg}: {value_share} ({mark}/20)")
INDICATOR_VALUE = N_("{label_msg}: {value} ({mark}/20)")
DEPENDENCY = N_("Dependency: {customer} makes {largest_share} of revenue (alert above {alert_share})")
CHURN = N_("Churn: {churn_share} of customers lost a year; without prospecting half are gone in {years} years")
SOLVENCY = N_("Solvency: {customers} customers with payment incidents, {revenue_share} of invoiced revenue")
TRAJECTORY = N_("{customers} customers moved down the profitability x potential matrix ({revenue_cents} of revenue)")
WHITE_SPACE = N_("White space: segment {segment} does not buy {product} yet (it buys {neighbours})")
PROSPECTS = N_("{prospects} priority-1 prospects, {potential_cents} of potential")
DEVELOPMENT = N_("{customers} customers with development potential, {potential_cents} of potential revenue")
WINNING = N_(
    "Winning combination: segment {segment} x {product} ({segment_share} of the segment, {product_share} of the line)"
)
TEMPLATES = (
    DEPENDENCY,
    CHURN,
    SOLVENCY,
    TRAJECTORY,
    WHITE_SPACE,
    PROSPECTS,
    DEVELOPMENT,
    WINNING,
    INDICATOR_DAYS,
    INDICATOR_SHARE,
    INDICATOR_VALUE,
)
"""Every template of a suggested item's text (the French catalog translates
each; ``plan.messages.match`` reads the stored English back)."""


class SwotConfig(BaseModel):
    """Thresholds of the suggested SWOT items."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    half_life_alert_years: float = Field(
        6.0,
        gt=0,
        description="A threat when, without prospecting, half the customers are gone within this many "
        "years (default 6: an annual churn above about 11 %).",
    )


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
    segment_names: Mapping[str, str] = field(default_factory=dict)
    line_names: Mapping[str, str] = field(default_factory=dict)
    """The names of the segments and of the product lines by code, shown in the
    texts in their place (the code where a name is missing)."""


@dataclass(frozen=True)
class SwotSuggestion:
    key: str
    quadrant: str
    text: str
    customer_code: str | None = None
    text_msg: str = ""
    params: dict[str, str | int | float] = field(default_factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _shown(i: Indicator) -> str:
    value = i.value or 0.0
    text = f"{value:.0f} days" if i.unit == "days" else f"{value:.0%}" if i.unit == "share" else f"{value:.2f}"
    return f"{i.label}: {text} ({i.mark or 0:.1f}/20)"


def _indicator(key: str, quadrant: str, i: Indicator) -> SwotSuggestion:
    value = i.value or 0.0
    template, params = (
        (INDICATOR_DAYS, {"days": round(value)})
        if i.unit == "days"
        else (INDICATOR_SHARE, {"value_share": round(value, 2)})
        if i.unit == "share"
        else (INDICATOR_VALUE, {"value": float(value)})
    )
    return SwotSuggestion(
        key, quadrant, _shown(i), text_msg=template, params={"label_msg": i.label, **params, "mark": float(i.mark or 0)}
    )


def _threats(i: SwotInputs, config: SwotConfig) -> list[SwotSuggestion]:
    out = []
    c = i.concentration
    if c is not None and c.dependency_alert and c.largest_customer_id:
        name = i.names.get(c.largest_customer_id, c.largest_customer_id)
        out.append(
            SwotSuggestion(
                "threat:dependency",
                "threats",
                f"Dependency: {name} makes {c.largest_share:.0%} of revenue (alert above {i.dependency_threshold:.0%})",
                c.largest_customer_id,
                DEPENDENCY,
                {"customer": name, "largest_share": round(c.largest_share, 2), "alert_share": i.dependency_threshold},
            )
        )
    p = i.projection
    if p is not None and p.years_to_half is not None and p.years_to_half <= config.half_life_alert_years:
        out.append(
            SwotSuggestion(
                "threat:churn",
                "threats",
                f"Churn: {p.annual_churn or 0:.0%} of customers lost a year; without "
                f"prospecting half are gone in {p.years_to_half:.1f} years",
                text_msg=CHURN,
                params={"churn_share": round(p.annual_churn or 0, 2), "years": float(p.years_to_half)},
            )
        )
    s = i.solvency or {}
    if s.get("has_payment_data") and s.get("customers_with_incidents"):
        out.append(
            SwotSuggestion(
                "threat:solvency",
                "threats",
                f"Solvency: {s['customers_with_incidents']} customers with payment incidents, "
                f"{s.get('incident_revenue_share') or 0:.0%} of invoiced revenue",
                text_msg=SOLVENCY,
                params={
                    "customers": int(s["customers_with_incidents"]),
                    "revenue_share": round(s.get("incident_revenue_share") or 0, 2),
                },
            )
        )
    down = [c for c in i.customers if c.trajectory == "down"]
    if down:
        out.append(
            SwotSuggestion(
                "threat:trajectory",
                "threats",
                f"{len(down)} customers moved down the profitability x potential matrix "
                f"({euros(sum(max(c.revenue_cents, 0) for c in down))} of revenue)",
                text_msg=TRAJECTORY,
                params={"customers": len(down), "revenue_cents": sum(max(c.revenue_cents, 0) for c in down)},
            )
        )
    return out


def _named(i: SwotInputs, segment: str, product: str) -> tuple[str, str]:
    """The names of a segment and a product line (their codes where missing)."""
    return i.segment_names.get(segment, segment), i.line_names.get(product, product)


def _white_space(i: SwotInputs, w: WhiteSpace) -> SwotSuggestion:
    segment, product = _named(i, w.segment, w.product)
    neighbours = ", ".join(i.line_names.get(q, q) for q in w.neighbours)
    return SwotSuggestion(
        f"opportunity:white_space:{w.segment}/{w.product}",
        "opportunities",
        f"White space: segment {segment} does not buy {product} yet (it buys {neighbours})",
        text_msg=WHITE_SPACE,
        params={"segment": segment, "product": product, "neighbours": neighbours},
    )


def _winning(i: SwotInputs, w: MatrixCell) -> SwotSuggestion:
    segment, product = _named(i, w.segment, w.product)
    return SwotSuggestion(
        f"strength:winning:{w.segment}/{w.product}",
        "strengths",
        f"Winning combination: segment {segment} x {product} "
        f"({w.segment_share:.0%} of the segment, {w.product_share:.0%} of the line)",
        text_msg=WINNING,
        params={
            "segment": segment,
            "product": product,
            "segment_share": round(w.segment_share, 2),
            "product_share": round(w.product_share, 2),
        },
    )


def _opportunities(i: SwotInputs) -> list[SwotSuggestion]:
    out = [_white_space(i, w) for w in i.white_spaces]
    first = [p for p in i.prospects if p.priority == 1]
    if first:
        out.append(
            SwotSuggestion(
                "opportunity:prospects",
                "opportunities",
                f"{len(first)} priority-1 prospects, {euros(sum(p.potential_cents or 0 for p in first))} of potential",
                text_msg=PROSPECTS,
                params={"prospects": len(first), "potential_cents": sum(p.potential_cents or 0 for p in first)},
            )
        )
    growth = [c for c in i.customers if c.category == "development"]
    if growth:
        out.append(
            SwotSuggestion(
                "opportunity:development",
                "opportunities",
                f"{len(growth)} customers with development potential, "
                f"{euros(sum(c.potential_cents for c in growth))} of potential revenue",
                text_msg=DEVELOPMENT,
                params={"customers": len(growth), "potential_cents": sum(c.potential_cents for c in growth)},
            )
        )
    return out


def suggest_swot(inputs: SwotInputs, config: SwotConfig | None = None) -> list[SwotSuggestion]:
    """The suggested items, by quadrant (``QUADRANTS`` order); rules in the module docstring."""
    config = config or SwotConfig()
    a = inputs.assessment
    weaknesses = [_indicator(f"weakness:{x.key}", "weaknesses", x) for x in (a.weaknesses if a else ())]
    strengths = [_indicator(f"strength:{x.key}", "strengths", x) for x in (a.strengths if a else ())]
    strengths += [_winning(inputs, w) for w in inputs.winning]
    return _threats(inputs, config) + _opportunities(inputs) + weaknesses + strengths
