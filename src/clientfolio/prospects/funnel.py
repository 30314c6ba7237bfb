"""The prospecting funnel (DOMAIN.md section 7): counts, conversions, time in
stage, lost reasons, per source and per owner, and the funnel arithmetic
backwards from the new customers a year the portfolio needs.

Definitions (``as_of`` is the analysis date):

- **Timeline** of a prospect: its stage history (``StageChangeRow``, by date).
  Before its first recorded move it was in that move's ``from_stage`` since its
  ``created_on``; a prospect without history has been in its stage since its
  ``created_on``.
- **Counts**: prospects at each stage today (``lost`` included).
- **Reached** a stage: the furthest funnel stage of its timeline is that stage
  or a later one (a prospect entered as ``warm`` reached suspect, prospect and
  cold too; every prospect reached ``suspect``; a lost prospect reached the
  stage it was lost from).
- **Conversion** stage -> next = reached(next) / reached(stage) (None when
  nobody reached the stage).
- **Time in stage**: days from entering a stage to leaving it (completed
  stays) or to ``as_of`` (current stays); stays of unknown start are left out.
  ``won`` and ``lost`` end the timeline and have no time in stage.
- **Per source / owner**: counts per stage, won, lost and the win rate = won /
  (won + lost), None when nothing is closed.
- **Backward funnel**: the target is ``ceil(N)`` customers won a year (N, e.g.
  ``Measures.projection.new_per_year_to_hold``).  Each stage needs
  ``ceil(target / product of the conversion rates from it to won)``, computed
  with exact fractions; None when a rate is 0.  The rate of a step is the
  observed conversion when at least ``min_reached`` prospects reached its
  stage, else the reference funnel's (the seed's 100 -> 80 -> 50 -> 30 -> 10,
  with 15 hot prospects placed between the 30 warm and the 10 customers).
  ``current`` is the open prospects at the stage today (for ``won``: the
  prospects won in the 12 months to ``as_of``), ``missing`` = needed - current
  when positive, else 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from fractions import Fraction
from statistics import fmean
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clientfolio.errors import RuleError
from clientfolio.prospects.stages import FUNNEL_STAGES, OPEN_STAGES, stage_rank

if TYPE_CHECKING:  # the access layer and the store only where prospects are read
    from clientfolio.access.pipeline import ProspectRow, StageChangeRow

__all__ = [
    "Backward",
    "Funnel",
    "FunnelConfig",
    "FunnelGroup",
    "StageNeed",
    "StageTime",
    "Stay",
    "backward_funnel",
    "funnel",
    "stays",
    "year_before",
]


class FunnelConfig(BaseModel):
    """The reference funnel and when observed conversions replace it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference_funnel: dict[str, int] = Field(
        default_factory=lambda: {"suspect": 100, "prospect": 80, "cold": 50, "warm": 30, "hot": 15, "won": 10},
        description="Prospects at each stage for every 100 suspects when nothing is observed "
        "(default: the seed's 100 -> 80 -> 50 -> 30 -> 10, with 15 hot prospects "
        "between the 30 warm and the 10 customers).",
    )
    min_reached: int = Field(
        20,
        ge=1,
        description="Use a stage's observed conversion when at least this many prospects "
        "reached the stage; else the reference funnel's (default 20).",
    )

    @field_validator("reference_funnel")
    @classmethod
    def _whole_funnel(cls, value: dict[str, int]) -> dict[str, int]:
        counts = [value.get(stage, 0) for stage in FUNNEL_STAGES]
        if set(value) != set(FUNNEL_STAGES) or min(counts) <= 0:
            raise RuleError("give a positive count for each of {stages}", stages=", ".join(FUNNEL_STAGES))
        return value


@dataclass(frozen=True)
class Stay:
    """A prospect's time at one stage; ``left_on`` None while it is still there."""

    prospect_code: str
    stage: str
    entered_on: dt.date | None
    left_on: dt.date | None


@dataclass(frozen=True)
class StageTime:
    """Days spent at a stage: mean over completed stays and over current ones."""

    stage: str
    completed: int
    mean_days_completed: float | None
    current: int
    mean_days_current: float | None


@dataclass(frozen=True)
class FunnelGroup:
    """The funnel of one source or one owner."""

    key: str | None
    counts: dict[str, int]
    won: int
    lost: int
    win_rate: float | None


@dataclass(frozen=True)
class Funnel:
    """Result of ``funnel``; ``as_dict`` gives it JSON-ready."""

    as_of: dt.date
    counts: dict[str, int]
    reached: dict[str, int]
    conversions: dict[str, float | None]  # stage -> next stage
    won_last_year: int
    stage_times: list[StageTime]
    lost_reasons: dict[str, int]
    lost_at_stage: dict[str, int]
    by_source: list[FunnelGroup]
    by_owner: list[FunnelGroup]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "as_of": self.as_of.isoformat()}


@dataclass(frozen=True)
class StageNeed:
    """What one stage needs to deliver the target."""

    stage: str
    rate_to_next: float | None  # None at won
    rate_source: str | None  # observed, reference or None at won
    needed: int | None
    current: int
    missing: int | None


@dataclass(frozen=True)
class Backward:
    """Result of ``backward_funnel``: the target and each stage's need."""

    new_customers_per_year: float
    target: int
    stages: list[StageNeed]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _timelines(
    prospects: Iterable[ProspectRow], changes: Iterable[StageChangeRow]
) -> dict[str, list[tuple[str, dt.date | None]]]:
    moves: dict[str, list[StageChangeRow]] = defaultdict(list)
    for change in changes:
        moves[change.prospect_code].append(change)
    timelines = {}
    for p in prospects:
        own = moves.get(p.code, [])
        first = own[0].from_stage if own else p.stage
        timeline: list[tuple[str, dt.date | None]] = [] if first is None else [(first, p.created_on)]
        timeline += [(m.to_stage, m.changed_on) for m in own]
        timelines[p.code] = timeline
    return timelines


def stays(prospects: Iterable[ProspectRow], changes: Iterable[StageChangeRow]) -> list[Stay]:
    """Every stay of every prospect at an open stage (see the module docstring)."""
    result = []
    for code, timeline in _timelines(prospects, changes).items():
        for i, (stage, entered) in enumerate(timeline):
            if stage in OPEN_STAGES:
                left = timeline[i + 1][1] if i + 1 < len(timeline) else None
                result.append(Stay(code, stage, entered, left))
    return result


def _stage_times(all_stays: list[Stay], as_of: dt.date) -> list[StageTime]:
    times = []
    for stage in OPEN_STAGES:
        done = [(s.left_on - s.entered_on).days for s in all_stays if s.stage == stage and s.entered_on and s.left_on]
        now = [
            (as_of - s.entered_on).days for s in all_stays if s.stage == stage and s.entered_on and s.left_on is None
        ]
        times.append(StageTime(stage, len(done), fmean(done) if done else None, len(now), fmean(now) if now else None))
    return times


def _groups(prospects: list[ProspectRow], key: Callable[[ProspectRow], str | None]) -> list[FunnelGroup]:
    from clientfolio.store.schema import PROSPECT_STAGES

    by: dict[str | None, Counter[str]] = defaultdict(Counter)
    for p in prospects:
        by[key(p)][p.stage] += 1
    groups = []
    for name in sorted(by, key=lambda k: (k is None, k or "")):
        counts = by[name]
        closed = counts["won"] + counts["lost"]
        groups.append(
            FunnelGroup(
                name,
                {s: counts[s] for s in PROSPECT_STAGES},
                counts["won"],
                counts["lost"],
                counts["won"] / closed if closed else None,
            )
        )
    return groups


def funnel(prospects: Iterable[ProspectRow], changes: Iterable[StageChangeRow], *, as_of: dt.date) -> Funnel:
    """The funnel on ``as_of`` of ``prospects`` and their stage history
    ``changes`` (see the module docstring)."""
    from clientfolio.store.schema import PROSPECT_STAGES

    prospects, changes = list(prospects), list(changes)
    timelines = _timelines(prospects, changes)
    furthest = Counter(max([0, *(stage_rank(s) for s, _ in t)]) for t in timelines.values())
    reached = {s: sum(n for rank, n in furthest.items() if rank >= i) for i, s in enumerate(FUNNEL_STAGES)}
    conversions = {
        s: (reached[nxt] / reached[s] if reached[s] else None)
        for s, nxt in zip(FUNNEL_STAGES, FUNNEL_STAGES[1:], strict=False)
    }
    year_ago = year_before(as_of)
    lost = [p for p in prospects if p.stage == "lost"]
    lost_from = Counter(c.from_stage or "unknown" for c in changes if c.to_stage == "lost")
    return Funnel(
        as_of=as_of,
        counts={s: sum(p.stage == s for p in prospects) for s in PROSPECT_STAGES},
        reached=reached,
        conversions=conversions,
        won_last_year=len(
            {c.prospect_code for c in changes if c.to_stage == "won" and year_ago < c.changed_on <= as_of}
        ),
        stage_times=_stage_times(stays(prospects, changes), as_of),
        lost_reasons=dict(Counter(p.lost_reason or "unknown" for p in lost).most_common()),
        lost_at_stage=dict(lost_from.most_common()),
        by_source=_groups(prospects, lambda p: p.source),
        by_owner=_groups(prospects, lambda p: p.owner),
    )


def _rates(result: Funnel, config: FunnelConfig) -> dict[str, tuple[Fraction, str]]:
    ref = config.reference_funnel
    rates = {}
    for stage, nxt in zip(FUNNEL_STAGES, FUNNEL_STAGES[1:], strict=False):
        if result.reached[stage] >= config.min_reached:
            rates[stage] = (Fraction(result.reached[nxt], result.reached[stage]), "observed")
        else:
            rates[stage] = (Fraction(ref[nxt], ref[stage]), "reference")
    return rates


def backward_funnel(
    new_customers_per_year: float,
    result: Funnel,
    config: FunnelConfig = FunnelConfig(),  # noqa: B008 - frozen, never mutated
) -> Backward:
    """How many prospects each stage needs a year to win
    ``new_customers_per_year`` customers, at the conversions of ``result`` (or
    the reference funnel's), against today's counts (see the module docstring)."""
    target = math.ceil(round(max(0.0, new_customers_per_year), 9))
    rates = _rates(result, config)
    stages = []
    for stage in FUNNEL_STAGES:
        chain = [rates[s][0] for s in FUNNEL_STAGES[stage_rank(stage) : -1]]
        product = math.prod(chain, start=Fraction(1))
        needed = math.ceil(target / product) if product else None
        current = result.won_last_year if stage == "won" else result.counts[stage]
        rate, source = rates.get(stage, (None, None))
        stages.append(
            StageNeed(
                stage,
                None if rate is None else float(rate),
                source,
                needed,
                current,
                None if needed is None else max(0, needed - current),
            )
        )
    return Backward(new_customers_per_year, target, stages)
