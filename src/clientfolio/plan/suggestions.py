"""Actions suggested from the analysis, each with its reason and the revenue
expected from it (DOMAIN.md sections 6, 5, 7, 8, 1 and 4 feeding section 10).

Six kinds, each a pure function of result objects of the other packages:

- ``win_back``: customers of the RFM profiles *inactive* and *à fidéliser ou en
  perte de vitesse* (``declining``) whose revenue of the last 12 months is below
  the 12 months before: target = now + ``win_back_share`` x (before - now).
- ``cross_sell``: each white space (segment S does not buy product line P):
  target = ``cross_sell_take_up`` x active customers of S x the mean yearly
  revenue of P per customer buying it.
- ``prospect``: each priority-1 prospect (IPA / IPO): target =
  ``prospect_win_rate`` x its potential.
- ``follow_up``: each A or VIP customer left without contact beyond the
  follow-up delay: the target keeps its revenue; the expected figure is the
  revenue at risk, annual churn x its revenue.
- ``dependency``: the largest customer when its share exceeds the dependency
  threshold t: the target is the revenue to win from the other customers for
  its share to fall to t, L / t - L / share (L its revenue; current 0).
- ``negative_margin``: customers whose margin over the window is negative: the
  target keeps the revenue, at a price that pays; the expected figure is the
  margin recovered, -margin.

For the growth kinds the expected revenue is target - current.  Each kind
keeps its ``max_per_kind`` largest expected figures (cross-selling: all the
white spaces).  The end date is the as-of date plus ``months[kind]``, the
priority ``priorities[kind]``; the typology is the customer's category
(crossed ABC), "Prospects" or the segment of a white space.  A suggestion's
``key`` (kind and target) names it so an accepted one is not suggested twice.

The ``title`` and ``reason`` are English; ``title_msg`` and ``reason_msg`` are
their message templates and ``params`` the values of their fields, for the
web app and the report to show them in French (``clientfolio.i18n.render``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.rfm import RFM_PROFILES
from clientfolio.i18n import N_, euros
from clientfolio.plan.actions import PlanAction, add_months, horizon
from clientfolio.plan.facts import CustomerLines
from clientfolio.prospects.stages import STAGE_NAMES

if TYPE_CHECKING:
    from clientfolio.analytics.matrix import WhiteSpace
    from clientfolio.analytics.measures import Concentration
    from clientfolio.prospects.followup import ImportantCustomer
    from clientfolio.prospects.run import PlacedProspect
    from clientfolio.value.portfolio import CustomerValue

__all__ = [
    "CATEGORY_TYPOLOGIES",
    "MSG_ALIASES",
    "REASON_TEMPLATES",
    "STEPS_TEMPLATES",
    "TEMPLATES",
    "TITLE_TEMPLATES",
    "SUGGESTION_KINDS",
    "SUGGESTION_KIND_NAMES",
    "Suggestion",
    "SuggestionConfig",
    "SuggestionInputs",
    "as_action",
    "suggest_actions",
]

SUGGESTION_KINDS = ("follow_up", "prospect", "win_back", "cross_sell", "dependency", "negative_margin")
SUGGESTION_KIND_NAMES = {
    "follow_up": N_("Follow-up"),
    "prospect": N_("Prospecting"),
    "win_back": N_("Win back"),
    "cross_sell": N_("Cross-selling"),
    "dependency": N_("Dependency"),
    "negative_margin": N_("Negative margin"),
}
"""The English name of each kind of suggestion, translated where shown."""
CATEGORY_TYPOLOGIES = {
    "vip": N_("VIP customers"),
    "core": N_("Core business customers"),
    "development": N_("Development potential customers"),
    "economy": N_("Economy customers"),
}
"""The typology of a customer's actions by its category: an English message,
stored as it is and translated where shown (``PlanAction.localized``)."""
PROSPECTS_TYPOLOGY = N_("Prospects")
CUSTOMERS_TYPOLOGY = N_("Customers")

WIN_BACK_TITLE = N_("Win back {customer}")
WIN_BACK_REASON = N_(
    "RFM profile {profile_msg} (quarters {quarters}): {before_cents} in the "
    "12 months before, {now_cents} in the last 12"
)
CROSS_SELL_TITLE = N_("Cross-sell {product} to segment {segment}")
CROSS_SELL_REASON = N_(
    "White space: segment {segment} buys {neighbours} but not {product}, which {buyers} customers "
    "buy ({mean_cents} a year each); customers buying both ({links})"
)
PROSPECT_TITLE = N_("Call {prospect}")
PROSPECT_REASON = N_("Priority-1 prospect (IPA {ipa}, IPO {ipo}), stage {stage_msg}, potential {potential_cents}")
FOLLOW_UP_TITLE = N_("Follow up {customer}")
FOLLOW_UP_NEVER = N_("{reasons} customer never contacted; {revenue_cents} a year at stake")
FOLLOW_UP_LAST = N_("{reasons} customer last contact {last_on} ({days} days ago); {revenue_cents} a year at stake")
DEPENDENCY_TITLE = N_("Reduce the dependency on {customer}")
DEPENDENCY_REASON = N_(
    "Largest customer: {largest_share} of revenue, above the {alert_share} alert; {needed_cents} more "
    "from other customers brings it to {alert_share}"
)
NEGATIVE_MARGIN_TITLE = N_("Reconsider the terms of {customer}")
NEGATIVE_MARGIN_REASON = N_("Margin {margin_cents} on {revenue_cents} of revenue over the year")

WIN_BACK_STEPS = N_(
    "Call or visit to learn why it buys less (price, service, competition); a targeted come-back or loyalty offer."
)
PROSPECT_STEPS = N_("Call for an appointment; qualify the project, the decision maker and the timing.")
FOLLOW_UP_STEPS = N_("Visit or call: account review, satisfaction, needs to come; plan the next contacts.")
DEPENDENCY_STEPS = N_(
    "Grow the other customers of its segment and win new ones; secure this one with a framework contract meanwhile."
)
NEGATIVE_MARGIN_STEPS = N_(
    "Review prices, discounts and cost to serve; move it to a cheaper channel, or end the contract."
)
CROSS_SELL_STEPS = N_(
    "Offer {product} to the {members} active customers of {segment}, starting with the buyers of the lines "
    "most often bought with it."
)

TITLE_TEMPLATES = (
    WIN_BACK_TITLE,
    CROSS_SELL_TITLE,
    PROSPECT_TITLE,
    FOLLOW_UP_TITLE,
    DEPENDENCY_TITLE,
    NEGATIVE_MARGIN_TITLE,
)
REASON_TEMPLATES = (
    WIN_BACK_REASON,
    CROSS_SELL_REASON,
    PROSPECT_REASON,
    FOLLOW_UP_NEVER,
    FOLLOW_UP_LAST,
    DEPENDENCY_REASON,
    NEGATIVE_MARGIN_REASON,
)
STEPS_TEMPLATES = (
    WIN_BACK_STEPS,
    CROSS_SELL_STEPS,
    PROSPECT_STEPS,
    FOLLOW_UP_STEPS,
    DEPENDENCY_STEPS,
    NEGATIVE_MARGIN_STEPS,
)
TEMPLATES = TITLE_TEMPLATES + REASON_TEMPLATES + STEPS_TEMPLATES
"""Every template of a suggestion's title, reason and steps (the French catalog
translates each; ``plan.messages.match`` reads the stored English back)."""

MSG_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        **{key: p.label for key, p in RFM_PROFILES.items()},
        **dict(STAGE_NAMES),
    }
)
"""The codes the English reasons showed in place of a ``*_msg`` field (the
RFM profile, the prospect's stage): their English message."""


class SuggestionConfig(BaseModel):
    """Rates, delays and priorities of the suggested actions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    win_back_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of the revenue lost since the year before that a win-back action aims to recover.",
    )
    cross_sell_take_up: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Share of a segment's active customers expected to take a product line it does not buy.",
    )
    prospect_win_rate: float = Field(
        0.3, gt=0, le=1, description="Share of a priority-1 prospect's potential expected in a year."
    )
    max_per_kind: int = Field(10, ge=1, description="Most suggestions of one kind (cross-selling: all).")
    win_back_profiles: tuple[str, ...] = Field(
        ("inactive", "declining"), description="RFM profiles whose customers are to win back."
    )
    months: dict[str, int] = Field(
        default_factory=lambda: {
            "follow_up": 1,
            "prospect": 3,
            "win_back": 3,
            "cross_sell": 12,
            "dependency": 24,
            "negative_margin": 6,
        },
        description="Months from the as-of date to the end date of each kind of action.",
    )
    priorities: dict[str, int] = Field(
        default_factory=lambda: {
            "follow_up": 1,
            "prospect": 1,
            "win_back": 2,
            "cross_sell": 2,
            "dependency": 1,
            "negative_margin": 2,
        },
        description="Priority (1 first) of each kind of action.",
    )


@dataclass(frozen=True)
class SuggestionInputs:
    """What the suggestions are computed from (the result objects of the analyses)."""

    as_of: dt.date
    customers: Sequence[CustomerValue] = ()
    rfm: Sequence[Mapping[str, Any]] = ()
    lines: CustomerLines = field(default_factory=CustomerLines)
    white_spaces: Sequence[WhiteSpace] = ()
    prospects: Sequence[PlacedProspect] = ()
    important: Sequence[ImportantCustomer] = ()
    concentration: Concentration | None = None
    dependency_threshold: float = 0.10
    annual_churn: float | None = None
    owners: Mapping[str, str] = field(default_factory=dict)
    segment_names: Mapping[str, str] = field(default_factory=dict)
    line_names: Mapping[str, str] = field(default_factory=dict)
    """The names of the segments and of the product lines by code, shown in the
    texts in their place (the code where a name is missing)."""


@dataclass(frozen=True)
class Suggestion:
    """A suggested action: what, for whom, why, and the revenue expected (cents)."""

    key: str
    kind: str
    title: str
    typology: str
    reason: str
    steps: str
    priority: int
    due_on: dt.date
    customer_code: str | None = None
    customer_name: str | None = None
    prospect_code: str | None = None
    owner: str | None = None
    current_revenue_cents: int = 0
    target_revenue_cents: int = 0
    expected_cents: int = 0
    title_msg: str = ""
    reason_msg: str = ""
    steps_msg: str = ""
    params: dict[str, str | int | float] = field(default_factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "due_on": self.due_on.isoformat()}


def _profile_label(key: str) -> str:
    profile = RFM_PROFILES.get(key)
    return profile.label if profile is not None else key


def _typology(c: CustomerValue | None) -> str:
    return CATEGORY_TYPOLOGIES.get(c.category or "", CUSTOMERS_TYPOLOGY) if c else CUSTOMERS_TYPOLOGY


class _Builder:
    def __init__(self, inputs: SuggestionInputs, config: SuggestionConfig) -> None:
        self.i, self.c = inputs, config
        self.by_code = {c.customer_id: c for c in inputs.customers}

    def make(
        self,
        kind: str,
        key: str,
        title: str,
        typology: str,
        reason: str,
        steps: str,
        *,
        customer: str | None = None,
        prospect: str | None = None,
        owner: str | None = None,
        current: int = 0,
        target: int = 0,
        expected: int | None = None,
        msg: tuple[str, str, dict[str, str | int | float]] = ("", "", {}),
        steps_msg: str | None = None,
    ) -> Suggestion:
        c = self.by_code.get(customer or "")
        return Suggestion(
            key=f"{kind}:{key}",
            kind=kind,
            title=title,
            typology=typology,
            reason=reason,
            steps=steps,
            priority=self.c.priorities.get(kind, 2),
            due_on=add_months(self.i.as_of, self.c.months.get(kind, 6)),
            customer_code=customer,
            customer_name=c.name if c else None,
            prospect_code=prospect,
            owner=owner if owner is not None else self.i.owners.get(customer or ""),
            current_revenue_cents=current,
            target_revenue_cents=target,
            expected_cents=target - current if expected is None else expected,
            title_msg=msg[0],
            reason_msg=msg[1],
            steps_msg=steps if steps_msg is None else steps_msg,
            params=dict(msg[2]),
        )


def _top(items: Iterable[Suggestion], n: int) -> list[Suggestion]:
    kept = [s for s in items if s.expected_cents > 0]
    return sorted(kept, key=lambda s: (-s.expected_cents, s.key))[:n]


def win_back(b: _Builder) -> list[Suggestion]:
    out = []
    for r in b.i.rfm:
        if r["profile"] not in b.c.win_back_profiles:
            continue
        code = r["customer_id"]
        now, before = b.i.lines.now.get(code, 0), b.i.lines.before.get(code, 0)
        if before <= max(now, 0):
            continue
        current = max(now, 0)
        target = current + round(b.c.win_back_share * (before - current))
        c = b.by_code.get(code)
        out.append(
            b.make(
                "win_back",
                code,
                f"Win back {c.name if c and c.name else code}",
                _typology(c),
                f"RFM profile {r['profile']} (quarters {r.get('quarters', '?')}): {euros(before)} in the 12 months "
                f"before, {euros(now)} in the last 12",
                WIN_BACK_STEPS,
                customer=code,
                current=current,
                target=target,
                msg=(
                    WIN_BACK_TITLE,
                    WIN_BACK_REASON,
                    {
                        "customer": c.name if c and c.name else code,
                        "profile_msg": _profile_label(r["profile"]),
                        "quarters": str(r.get("quarters", "?")),
                        "before_cents": before,
                        "now_cents": now,
                    },
                ),
            )
        )
    return _top(out, b.c.max_per_kind)


def cross_sell(b: _Builder) -> list[Suggestion]:
    lines = b.i.lines
    out = []
    for w in b.i.white_spaces:
        members = [
            c.customer_id for c in b.i.customers if c.segment == w.segment and lines.now.get(c.customer_id, 0) > 0
        ]
        sales = [by[w.product] for by in lines.by_line.values() if w.product in by]
        if not members or not sales:
            continue
        mean = sum(sales) / len(sales)
        target = round(b.c.cross_sell_take_up * len(members) * mean)
        product, segment = b.i.line_names.get(w.product, w.product), b.i.segment_names.get(w.segment, w.segment)
        neighbours = [b.i.line_names.get(q, q) for q in w.neighbours]
        links = ", ".join(f"{q}: {n}" for q, n in zip(neighbours, w.co_buyers, strict=True))
        out.append(
            b.make(
                "cross_sell",
                f"{w.segment}/{w.product}",
                f"Cross-sell {product} to segment {segment}",
                f"Segment {segment}",
                f"White space: segment {segment} buys {', '.join(neighbours)} but not {product}, which "
                f"{len(sales)} customers buy ({euros(mean)} a year each); customers buying both ({links})",
                f"Offer {product} to the {len(members)} active customers of {segment}, starting with the "
                "buyers of the lines most often bought with it.",
                steps_msg=CROSS_SELL_STEPS,
                target=target,
                msg=(
                    CROSS_SELL_TITLE,
                    CROSS_SELL_REASON,
                    {
                        "product": product,
                        "segment": segment,
                        "neighbours": ", ".join(neighbours),
                        "buyers": len(sales),
                        "mean_cents": mean,
                        "links": links,
                        "members": len(members),
                    },
                ),
            )
        )
    return sorted(out, key=lambda s: (-s.expected_cents, s.key))


def prospect(b: _Builder) -> list[Suggestion]:
    out = [
        b.make(
            "prospect",
            p.code,
            f"Call {p.name}",
            PROSPECTS_TYPOLOGY,
            f"Priority-1 prospect (IPA {p.ipa:.1f}, IPO {p.ipo:.1f}), stage {p.stage}, potential "
            f"{euros(p.potential_cents or 0)}",
            PROSPECT_STEPS,
            prospect=p.code,
            owner=p.owner,
            target=round(b.c.prospect_win_rate * (p.potential_cents or 0)),
            msg=(
                PROSPECT_TITLE,
                PROSPECT_REASON,
                {
                    "prospect": p.name,
                    "ipa": float(p.ipa),
                    "ipo": float(p.ipo),
                    "stage_msg": STAGE_NAMES.get(p.stage, p.stage),
                    "potential_cents": p.potential_cents or 0,
                },
            ),
        )
        for p in b.i.prospects
        if p.priority == 1
    ]
    return sorted(out, key=lambda s: (-s.expected_cents, s.key))[: b.c.max_per_kind]


def follow_up(b: _Builder) -> list[Suggestion]:
    out = []
    churn = b.i.annual_churn or 0.0
    for imp in b.i.important:
        if not imp.unfollowed:
            continue
        c = b.by_code.get(imp.customer_code)
        revenue = max(c.revenue_cents, 0) if c else 0
        last = (
            "never contacted"
            if imp.last_contact is None
            else (f"last contact {imp.last_contact.isoformat()} ({imp.days_since} days ago)")
        )
        out.append(
            b.make(
                "follow_up",
                imp.customer_code,
                f"Follow up {imp.name or imp.customer_code}",
                _typology(c),
                f"{'+'.join(imp.reasons)} customer {last}; {euros(revenue)} a year at stake",
                FOLLOW_UP_STEPS,
                customer=imp.customer_code,
                current=revenue,
                target=revenue,
                expected=round(churn * revenue),
                msg=(
                    FOLLOW_UP_TITLE,
                    (FOLLOW_UP_NEVER if imp.last_contact is None else FOLLOW_UP_LAST),
                    {
                        "customer": imp.name or imp.customer_code,
                        "reasons": "+".join(imp.reasons),
                        "last_on": imp.last_contact.isoformat() if imp.last_contact else "",
                        "days": imp.days_since or 0,
                        "revenue_cents": revenue,
                    },
                ),
            )
        )
    return sorted(out, key=lambda s: (-s.current_revenue_cents, s.key))[: b.c.max_per_kind]


def dependency(b: _Builder) -> list[Suggestion]:
    con, t = b.i.concentration, b.i.dependency_threshold
    if con is None or not con.dependency_alert or con.largest_customer_id is None or con.largest_share <= 0:
        return []
    code = con.largest_customer_id
    c = b.by_code.get(code)
    largest = max(c.revenue_cents, 0) if c else 0
    needed = round(largest / t - largest / con.largest_share)
    return [
        b.make(
            "dependency",
            code,
            f"Reduce the dependency on {c.name if c and c.name else code}",
            _typology(c),
            f"Largest customer: {con.largest_share:.1%} of revenue, above the {t:.0%} alert; "
            f"{euros(needed)} more from other customers brings it to {t:.0%}",
            DEPENDENCY_STEPS,
            customer=code,
            target=needed,
            msg=(
                DEPENDENCY_TITLE,
                DEPENDENCY_REASON,
                {
                    "customer": c.name if c and c.name else code,
                    "largest_share": con.largest_share,
                    "alert_share": t,
                    "needed_cents": needed,
                },
            ),
        )
    ]


def negative_margin(b: _Builder) -> list[Suggestion]:
    out = [
        b.make(
            "negative_margin",
            c.customer_id,
            f"Reconsider the terms of {c.name or c.customer_id}",
            _typology(c),
            f"Margin {euros(c.margin_cents or 0)} on {euros(c.revenue_cents)} of revenue over the year",
            NEGATIVE_MARGIN_STEPS,
            customer=c.customer_id,
            current=max(c.revenue_cents, 0),
            target=max(c.revenue_cents, 0),
            expected=-(c.margin_cents or 0),
            msg=(
                NEGATIVE_MARGIN_TITLE,
                NEGATIVE_MARGIN_REASON,
                {
                    "customer": c.name or c.customer_id,
                    "margin_cents": c.margin_cents or 0,
                    "revenue_cents": c.revenue_cents,
                },
            ),
        )
        for c in b.i.customers
        if c.margin_cents is not None and c.margin_cents < 0
    ]
    return _top(out, b.c.max_per_kind)


_KINDS = {
    "follow_up": follow_up,
    "prospect": prospect,
    "win_back": win_back,
    "cross_sell": cross_sell,
    "dependency": dependency,
    "negative_margin": negative_margin,
}


def suggest_actions(inputs: SuggestionInputs, config: SuggestionConfig | None = None) -> list[Suggestion]:
    """Every suggested action, by kind (``SUGGESTION_KINDS`` order), then the
    largest expected figure first."""
    builder = _Builder(inputs, config or SuggestionConfig())
    return [s for kind in SUGGESTION_KINDS for s in _KINDS[kind](builder)]


def as_action(s: Suggestion, planned_on: dt.date) -> PlanAction:
    """The plan row of an accepted suggestion (the reason goes to the comments too)."""
    return PlanAction(
        id=None,
        title=s.title,
        typology=s.typology,
        kind="commercial",
        customer_code=s.customer_code,
        customer_name=s.customer_name,
        prospect_code=s.prospect_code,
        steps=s.steps,
        priority=s.priority,
        owner=s.owner,
        due_on=s.due_on,
        horizon=horizon(s.due_on, planned_on),
        comments=s.reason,
        current_revenue_cents=s.current_revenue_cents,
        target_revenue_cents=s.target_revenue_cents,
        reason=s.reason,
        suggestion_key=s.key,
        created_on=planned_on,
        title_msg=s.title_msg or None,
        reason_msg=s.reason_msg or None,
        steps_msg=s.steps_msg or None,
        params=dict(s.params) or None,
    )
