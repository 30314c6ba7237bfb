"""Running the prospects and activity analyses on the store, for one principal.

Everything is read through the access layer (``PipelineReader``), so a
principal sees only the prospects, activities and customers of their scope.
The ABC classes and the churn projection come from the analytics, run on the
store's own engine over the principal's transactions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.access import ActivityRow, PipelineReader, Principal, ProspectRow, StageChangeRow
from clientfolio.analytics.abc import abc_classes
from clientfolio.analytics.analysis import Analysis, AnalyticsConfig
from clientfolio.analytics.engines import connect_store
from clientfolio.analytics.measures import Measures, measures
from clientfolio.periods import months_before
from clientfolio.prospects.activity import ActivityConfig, ActivityReport, activity_index
from clientfolio.prospects.followup import FollowUpConfig, ImportantCustomer, follow_up, important_customers
from clientfolio.prospects.funnel import Backward, Funnel, FunnelConfig, backward_funnel, funnel
from clientfolio.prospects.priority import Level, Placement, PriorityConfig, matrix_counts, place
from clientfolio.prospects.stages import OPEN_STAGES
from clientfolio.store import Store

__all__ = ["ActivityView", "PlacedProspect", "ProspectsConfig", "ProspectsView", "activity_view", "prospects_view"]


class ProspectsConfig(BaseModel):
    """Every setting of the prospects package, with its documented defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priority: PriorityConfig = Field(default_factory=PriorityConfig, description="IPA / IPO weights and levels.")
    funnel: FunnelConfig = Field(default_factory=FunnelConfig, description="Reference funnel.")
    follow_up: FollowUpConfig = Field(default_factory=FollowUpConfig, description="Unfollowed customers.")
    activity: ActivityConfig = Field(default_factory=ActivityConfig, description="Activity index targets.")


@dataclass(frozen=True)
class PlacedProspect:
    """An open prospect with its place in the matrix, for listing."""

    code: str
    name: str
    stage: str
    owner: str | None
    potential_cents: int | None
    ipa: float
    ipo: float
    accessibility: str
    potential: str
    priority: int


@dataclass(frozen=True)
class ProspectsView:
    """The open prospects placed in the matrix, the funnel and its backward
    arithmetic (None when the churn is unknown)."""

    as_of: dt.date
    prospects: list[PlacedProspect]
    matrix: dict[tuple[Level, Level], int]
    funnel: Funnel
    backward: Backward | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "matrix": [{"potential": p, "accessibility": a, "prospects": n} for (p, a), n in self.matrix.items()],
            "prospects": [asdict(p) for p in self.prospects],
            "funnel": self.funnel.as_dict(),
            "backward": None if self.backward is None else self.backward.as_dict(),
        }


@dataclass(frozen=True)
class ActivityView:
    """The activity index, the follow-up of the important customers and the
    planned activities overdue (``due``: their day has come, nothing made since)."""

    as_of: dt.date
    activity: ActivityReport
    important: list[ImportantCustomer]
    due: list[ActivityRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            **self.activity.as_dict(),
            "important_customers": [
                {**asdict(c), "last_contact": c.last_contact and c.last_contact.isoformat()} for c in self.important
            ],
            "planned_overdue": [
                {
                    "customer_code": a.customer_code,
                    "kind": a.kind,
                    "planned_on": a.occurred_on.isoformat(),
                    "user": a.user,
                }
                for a in self.due
            ],
        }


def _latest(reader: PipelineReader, changes: Iterable[StageChangeRow], today: dt.date) -> dt.date:
    """The day of the latest sale (the company's for a scoped principal, as
    its other figures: ``PortfolioReader.scoped_day``), activity or stage change
    (``changes``: a prospect won today counts today), else ``today``.  Activities
    and stage changes dated after ``today`` (a typo in a file: a prospect
    "created" in 2062) do not date the pages."""
    sale = reader.scoped_day() or reader.latest_sale_date()
    moved = max((c.changed_on for c in changes if c.changed_on <= today), default=None)
    days = [day for day in (sale, reader.latest_activity_date(until=today), moved) if day is not None]
    return max(days, default=today)


def _placed(
    prospects: Iterable[ProspectRow], as_of: dt.date, config: PriorityConfig
) -> list[tuple[ProspectRow, Placement]]:
    return [(p, place(p, as_of=as_of, config=config)) for p in prospects]


def _configs(
    store: Store, config: ProspectsConfig | None, analytics: AnalyticsConfig | None
) -> tuple[ProspectsConfig, AnalyticsConfig]:
    """The given configs, else the effective ones (``clientfolio.config``:
    environment, settings file beside the store, defaults)."""
    if config is not None and analytics is not None:
        return config, analytics
    from clientfolio.config import ANALYTICS_SECTIONS, PROSPECTS_SECTIONS, load_domain_config

    domain = load_domain_config(database_url=store.url, sections=PROSPECTS_SECTIONS + ANALYTICS_SECTIONS)
    return config or domain.prospects, analytics or domain.analytics


def prospects_view(
    store: Store,
    principal: Principal,
    *,
    as_of: dt.date | None = None,
    config: ProspectsConfig | None = None,
    analytics: AnalyticsConfig | None = None,
    known: Measures | None = None,
) -> ProspectsView:
    """The matrix, funnel and backward funnel of the prospects ``principal``
    sees (the churn projection with the ``analytics`` measures settings).
    ``known``: the year's measures already computed for ``principal`` with the
    same settings (the review's analysis); their churn projection is taken when
    they are as of the view's day, rather than a pass over the sales."""
    config, analytics = _configs(store, config, analytics)
    reader = PipelineReader(store, principal)
    changes = reader.stage_changes()
    day = as_of or _latest(reader, changes, dt.date.today())
    prospects = reader.prospects()
    open_ones = _placed((p for p in prospects if p.stage in OPEN_STAGES), day, config.priority)
    result = funnel(prospects, changes, as_of=day)
    if known is not None and known.as_of == day and known.period == "year":
        projection = known.projection
    else:
        con = connect_store(store.url)
        try:
            projection = measures(reader.transactions(con), as_of=day, config=analytics.measures).projection
        finally:
            con.disconnect()
    needed = projection.new_per_year_to_hold
    listed = sorted(open_ones, key=lambda pair: (pair[1].priority, -pair[1].ipo - pair[1].ipa, pair[0].code))
    return ProspectsView(
        as_of=day,
        prospects=[
            PlacedProspect(
                p.code,
                p.name,
                p.stage,
                p.owner,
                p.potential_cents,
                pl.ipa,
                pl.ipo,
                pl.accessibility,
                pl.potential,
                pl.priority,
            )
            for p, pl in listed
        ],
        matrix=dict(matrix_counts(pl for _, pl in open_ones)),
        funnel=result,
        backward=None if needed is None else backward_funnel(needed, result, config.funnel),
    )


def activity_view(
    store: Store,
    principal: Principal,
    *,
    as_of: dt.date | None = None,
    months: int = 3,
    vip: Iterable[str] = (),
    config: ProspectsConfig | None = None,
    analytics: AnalyticsConfig | None = None,
    today: dt.date | None = None,
    known: Analysis | None = None,
) -> ActivityView:
    """The activity index per rep and for the team over the ``months`` to
    ``as_of``, the follow-up of the A (with the ``analytics`` ABC settings)
    and ``vip`` customers, and the planned activities overdue on ``today``
    (default: the current day; no activity or move after it dates the view).
    ``known``: the analysis already run for ``principal`` with the same
    settings (the review's); its ABC classes are taken when it is as of the
    view's day, rather than a pass over the sales."""
    config, analytics = _configs(store, config, analytics)
    reader = PipelineReader(store, principal)
    today = today or dt.date.today()
    changes = reader.stage_changes()
    day = as_of or _latest(reader, changes, today)
    start = months_before(day, months) + dt.timedelta(days=1)
    if known is not None and known.as_of == day:
        classes = known.abc.select(["customer_id", "class"]).to_pylist()
    else:
        con = connect_store(store.url)
        try:
            classes = abc_classes(reader.transactions(con), as_of=day, config=analytics.abc).to_pyarrow().to_pylist()
        finally:
            con.disconnect()
    important = important_customers((r["customer_id"] for r in classes if r["class"] == "A"), vip)
    revenue = reader.revenue_by_customer(start, day)
    priority = {p.code for p, pl in _placed(reader.prospects(), day, config.priority) if pl.priority <= 2}
    report = activity_index(
        reader.activities(start, day),
        changes,
        revenue,
        start=start,
        end=day,
        months=months,
        priority_customers=set(important),
        priority_prospects=priority,
        config=config.activity,
    )
    followed = follow_up(
        reader.last_contacts(day), important, as_of=day, names=reader.customer_names(), config=config.follow_up
    )
    return ActivityView(day, report, followed, reader.planned_due(today))
