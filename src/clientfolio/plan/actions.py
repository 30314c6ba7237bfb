"""The commercial action plan (*PAC, plan d'action commerciale*, DOMAIN.md
section 10, seed 002): its header, its actions, their horizon, grouping by
customer typology, and the tracking of progress, budget and results.

- **Header**: company, strategic business area (*domaine d'activité
  stratégique*), budget year, vision, objective.  One plan per budget year.
- **Action**: every column of the seed's table (customer or typology, steps,
  priority, owner, participants, end date, progress, budget, comments, current
  revenue, target revenue, results), its type (``commercial`` or
  ``internal``), the budget spent and the revenue resulting from it.
- **Horizon** from the end date, counted from the day the action is planned:
  ``short`` up to 6 months (*court terme*), ``medium`` up to 24 months, ``long``
  beyond; an end date on or before that day is ``short``.
- **Tracking** at the as-of date: an action is **done** at 100 % progress and
  **overdue** when open and its end date is before the as-of date;
  ``achievement`` = result revenue / target revenue (None without both);
  ``budget_used`` = spent / budget.  Totals add the actions up; the total
  achievement is over the actions with a target and a result; the mean
  progress is the plain mean of the actions' progress.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from clientfolio.i18n import gettext_for
from clientfolio.periods import add_months
from clientfolio.plan.messages import shown

__all__ = [
    "ACTION_KINDS",
    "HORIZONS",
    "ActionStatus",
    "Horizon",
    "PlanAction",
    "PlanHeader",
    "Tracking",
    "add_months",
    "by_typology",
    "horizon",
    "track",
]

ACTION_KINDS = ("commercial", "internal")
Horizon = Literal["short", "medium", "long"]
HORIZONS: tuple[Horizon, ...] = ("short", "medium", "long")


@dataclass(frozen=True)
class PlanHeader:
    """The plan's header, as in the seed's table."""

    budget_year: int
    company: str = ""
    business_area: str | None = None
    vision: str | None = None
    objective: str | None = None


@dataclass(frozen=True)
class PlanAction:
    """A row of the PAC (money in cents; ``progress`` in percent)."""

    id: int | None
    title: str
    typology: str | None = None
    kind: str = "commercial"
    customer_code: str | None = None
    customer_name: str | None = None
    prospect_code: str | None = None
    steps: str | None = None
    priority: int | None = None
    owner: str | None = None
    participants: str | None = None
    due_on: dt.date | None = None
    horizon: str | None = None
    progress: int = 0
    budget_cents: int | None = None
    spent_cents: int | None = None
    comments: str | None = None
    current_revenue_cents: int | None = None
    target_revenue_cents: int | None = None
    result_revenue_cents: int | None = None
    result: str | None = None
    reason: str | None = None
    suggestion_key: str | None = None
    created_on: dt.date | None = None
    title_msg: str | None = None
    reason_msg: str | None = None
    steps_msg: str | None = None
    params: dict[str, str | int | float] | None = field(default=None, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(self).items()}

    def localized(self, lang: str) -> PlanAction:
        """The action as shown in ``lang``: its title, reason and steps rendered from
        their templates (an accepted suggestion's; the user's own text as
        written), its typology translated, and comments that repeat the reason
        (an accepted suggestion's) shown as the reason."""
        title = shown(lang, self.title, self.title_msg, self.params)
        reason = None if self.reason is None else shown(lang, self.reason, self.reason_msg, self.params)
        steps = None if self.steps is None else shown(lang, self.steps, self.steps_msg, self.params)
        comments = reason if self.comments is not None and self.comments == self.reason else self.comments
        typology = None if self.typology is None else gettext_for(lang)(self.typology)
        return replace(self, title=title, reason=reason, steps=steps, comments=comments, typology=typology)


def horizon(due_on: dt.date | None, planned_on: dt.date) -> Horizon | None:
    """``short``, ``medium`` or ``long`` from the end date (None without one)."""
    if due_on is None:
        return None
    if due_on <= add_months(planned_on, 6):
        return "short"
    return "medium" if due_on <= add_months(planned_on, 24) else "long"


@dataclass(frozen=True)
class ActionStatus:
    """An action's tracking figures at the as-of date."""

    id: int | None
    done: bool
    overdue: bool
    achievement: float | None
    budget_used: float | None


@dataclass(frozen=True)
class Tracking:
    """The plan's tracking at ``as_of``: per action and in total."""

    as_of: dt.date
    actions: tuple[ActionStatus, ...]
    count: int
    done: int
    overdue: int
    mean_progress: float | None
    budget_cents: int
    spent_cents: int
    budget_used: float | None
    current_revenue_cents: int
    target_revenue_cents: int
    result_revenue_cents: int
    achievement: float | None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "as_of": self.as_of.isoformat()}


def _ratio(a: int | None, b: int | None) -> float | None:
    return None if a is None or not b else a / b


def track(actions: Sequence[PlanAction], as_of: dt.date) -> Tracking:
    """Progress, overdue actions, budget spent and results against targets."""
    statuses = tuple(
        ActionStatus(
            a.id,
            a.progress >= 100,
            a.progress < 100 and a.due_on is not None and a.due_on < as_of,
            _ratio(a.result_revenue_cents, a.target_revenue_cents),
            _ratio(a.spent_cents, a.budget_cents),
        )
        for a in actions
    )
    budget = sum(a.budget_cents or 0 for a in actions)
    spent = sum(a.spent_cents or 0 for a in actions)
    measured = [a for a in actions if a.target_revenue_cents and a.result_revenue_cents is not None]
    target_measured = sum(a.target_revenue_cents or 0 for a in measured)
    return Tracking(
        as_of=as_of,
        actions=statuses,
        count=len(actions),
        done=sum(s.done for s in statuses),
        overdue=sum(s.overdue for s in statuses),
        mean_progress=sum(a.progress for a in actions) / len(actions) if actions else None,
        budget_cents=budget,
        spent_cents=spent,
        budget_used=spent / budget if budget else None,
        current_revenue_cents=sum(a.current_revenue_cents or 0 for a in actions),
        target_revenue_cents=sum(a.target_revenue_cents or 0 for a in actions),
        result_revenue_cents=sum(a.result_revenue_cents or 0 for a in actions),
        achievement=(sum(a.result_revenue_cents or 0 for a in measured) / target_measured if target_measured else None),
    )


def by_typology(actions: Iterable[PlanAction]) -> list[tuple[str, list[PlanAction]]]:
    """The actions grouped by typology, in order of first appearance (actions
    without one last, under ``"Other"``); within a group by priority, then end date."""
    groups: dict[str, list[PlanAction]] = {}
    for a in actions:
        groups.setdefault(a.typology or "", []).append(a)
    ordered = [(k, v) for k, v in groups.items() if k] + ([("Other", groups[""])] if "" in groups else [])
    return [(k, sorted(v, key=lambda a: (a.priority or 99, a.due_on or dt.date.max, a.id or 0))) for k, v in ordered]
