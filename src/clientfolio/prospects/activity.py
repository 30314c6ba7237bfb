"""The sales activity index (DOMAIN.md section 9): quantity x orientation x
efficiency, each on 0-10, per rep and for the team, and which lever raises it
most.

Over the period ``(as_of - months, as_of]`` (``start`` to ``as_of`` inclusive),
for one rep (the activities whose ``user`` is theirs) or the team (every
activity with a user; ``reps`` = the reps with activities):

- **Quantity** Q = 10 x min(1, activities / (``monthly_target`` x months x reps)).
- **Orientation** O = 10 x activities on priority targets / activities.
  Priority targets: the important customers (A / VIP) and the prospects of
  priority 1 or 2 in the IPA / IPO matrix.
- **Efficiency** E = 10 x (w x min(1, conversions per activity /
  ``conversion_target``) + (1 - w) x min(1, revenue per activity /
  ``revenue_target_cents``)), w = ``conversion_weight``.  Conversions: the
  moves of a prospect to a later funnel stage (won included, lost not) that
  the rep recorded in the period.  Revenue: the period's revenue of the
  customers the rep had an activity with in the period.
- **Index** = Q x O x E, 0 to 1,000.  With no activity, every factor is 0.

The what-if raises one factor by ``step`` points (capped at 10), the others
unchanged: the gain is step x the product of the two others, so the lowest
factor is usually the lever to act on first.  The seed's example 7 x 6 x 5 =
210: the 5 raised to 7 gives 7 x 6 x 7 = 294, +40 % (not the seed's 336).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.prospects.stages import stage_rank

if TYPE_CHECKING:  # the access layer only where activities are read
    from clientfolio.access.pipeline import ActivityRow, StageChangeRow

__all__ = ["ActivityConfig", "ActivityReport", "ActivityScore", "Lever", "activity_index", "score", "what_if"]


class ActivityConfig(BaseModel):
    """Targets that earn full marks, and the weights of efficiency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    monthly_target: int = Field(
        40,
        ge=1,
        description="Activities a rep should log per month for 10 in quantity (default 40: two a working day).",
    )
    conversion_target: float = Field(
        0.25,
        gt=0,
        description="Prospect moves to a later stage per activity that earn full marks in "
        "efficiency (default 0.25: one step forward every four activities).",
    )
    revenue_target_cents: int = Field(
        300_000,
        gt=0,
        description="Revenue of the contacted customers per activity that earns full marks "
        "(cents excl. tax; default 300,000 = 3,000 EUR).",
    )
    conversion_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of conversions in efficiency, the rest being revenue (default 0.5).",
    )
    what_if_step: float = Field(
        1.0,
        gt=0,
        le=10,
        description="Points added to one factor in the what-if (default 1).",
    )


@dataclass(frozen=True)
class Lever:
    """One factor raised by the what-if step, and what the index becomes."""

    factor: str
    value: float
    raised_to: float
    index: float
    gain: float
    gain_rate: float | None  # gain / current index; None when the index is 0


@dataclass(frozen=True)
class ActivityScore:
    """The index of one rep (``who`` = username) or of the team (``who`` = None)."""

    who: str | None
    reps: int
    activities: int
    on_priority_targets: int
    conversions: int
    revenue_cents: int
    quantity: float
    orientation: float
    efficiency: float
    index: float
    levers: list[Lever]


@dataclass(frozen=True)
class ActivityReport:
    """Result of ``activity_index``; ``as_dict`` gives it JSON-ready."""

    start: dt.date
    end: dt.date
    months: int
    reps: list[ActivityScore]
    team: ActivityScore

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "start": self.start.isoformat(), "end": self.end.isoformat()}


def what_if(quantity: float, orientation: float, efficiency: float, *, step: float) -> list[Lever]:
    """Each factor raised by ``step`` (at most 10), the greatest gain first
    (ties in the order quantity, orientation, efficiency)."""
    factors = {"quantity": quantity, "orientation": orientation, "efficiency": efficiency}
    index = quantity * orientation * efficiency
    levers = []
    for name, value in factors.items():
        raised = min(10.0, value + step)
        new = raised
        for other, factor in factors.items():
            if other != name:
                new *= factor
        levers.append(Lever(name, value, raised, new, new - index, (new - index) / index if index else None))
    return sorted(levers, key=lambda lever: -lever.gain)


def score(
    who: str | None,
    activities: list[ActivityRow],
    *,
    reps: int,
    months: int,
    priority_customers: Collection[str],
    priority_prospects: Collection[str],
    conversions: int,
    revenue_cents: int,
    config: ActivityConfig,
) -> ActivityScore:
    """The three factors and the index of ``activities`` (see the module docstring)."""
    n = len(activities)
    targeted = sum(
        1 for a in activities if a.customer_code in priority_customers or a.prospect_code in priority_prospects
    )
    if n:
        q = 10 * min(1.0, n / (config.monthly_target * months * reps))
        o = 10 * targeted / n
        w = config.conversion_weight
        e = 10 * (
            w * min(1.0, conversions / n / config.conversion_target)
            + (1 - w) * min(1.0, revenue_cents / n / config.revenue_target_cents)
        )
    else:
        q = o = e = 0.0
    return ActivityScore(
        who,
        reps,
        n,
        targeted,
        conversions,
        revenue_cents,
        q,
        o,
        e,
        q * o * e,
        what_if(q, o, e, step=config.what_if_step),
    )


def activity_index(
    activities: Iterable[ActivityRow],
    changes: Iterable[StageChangeRow],
    revenue_by_customer: Mapping[str, int],
    *,
    start: dt.date,
    end: dt.date,
    months: int,
    priority_customers: Collection[str],
    priority_prospects: Collection[str],
    config: ActivityConfig = ActivityConfig(),  # noqa: B008 - frozen, never mutated
) -> ActivityReport:
    """The index of each rep and of the team over ``start`` to ``end``
    inclusive (``months`` long), from the activities, the stage history and
    the period's revenue by customer code (see the module docstring)."""
    done = [a for a in activities if a.user and start <= a.occurred_on <= end]
    forward = [
        c
        for c in changes
        if c.user
        and start <= c.changed_on <= end
        and c.from_stage
        and c.to_stage != "lost"
        and stage_rank(c.to_stage) > stage_rank(c.from_stage)
    ]
    names = sorted({a.user for a in done if a.user})

    def rated(who: str | None, rows: list[ActivityRow], reps: int, conversions: int) -> ActivityScore:
        contacted = {a.customer_code for a in rows if a.customer_code}
        return score(
            who,
            rows,
            reps=reps,
            months=months,
            priority_customers=priority_customers,
            priority_prospects=priority_prospects,
            conversions=conversions,
            revenue_cents=sum(revenue_by_customer.get(c, 0) for c in contacted),
            config=config,
        )

    reps = [rated(name, [a for a in done if a.user == name], 1, sum(c.user == name for c in forward)) for name in names]
    return ActivityReport(start, end, months, reps, rated(None, done, max(1, len(names)), len(forward)))
