"""Gathering the plan's inputs from the store, for one principal, and running
the assessment, the SWOT and the suggestions on them.

Every read goes through the access layer: the analysis, the valuation, the
prospects and the follow-up each read the principal's rows, and so do the
customer file and the plan's actions.  ``gather`` runs them once at one as-of
date (default: the last sale); the functions after it are pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from clientfolio.access import PortfolioReader, Principal
from clientfolio.analytics.analysis import Analysis, AnalyticsConfig
from clientfolio.analytics.engines import connect_store
from clientfolio.analytics.run import analyze_source
from clientfolio.plan.actions import PlanAction
from clientfolio.plan.assessment import Assessment, AssessmentConfig, assess
from clientfolio.plan.facts import CustomerLines, customer_lines, gather_facts, lines_from_rows
from clientfolio.plan.questionnaire import Answer, team_marks
from clientfolio.plan.records import plan_actions
from clientfolio.plan.suggestions import Suggestion, SuggestionConfig, SuggestionInputs, suggest_actions
from clientfolio.plan.swot import SwotConfig, SwotInputs, SwotSuggestion, suggest_swot
from clientfolio.prospects.run import ActivityView, ProspectsConfig, ProspectsView, activity_view, prospects_view
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import User
from clientfolio.value import PortfolioValue, ValueConfig, value_source
from clientfolio.value.refits import Refits

__all__ = ["PlanConfig", "PlanInputs", "assessment_of", "gather", "suggestions_of", "swot_of"]

_FIELD_COLUMNS = {"region": "region_id", "segment": "segment_id", "potential": "potential_cents", "owner": "owner_id"}


class PlanConfig(BaseModel):
    """Every setting the plan uses, its own and those of the analyses it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    assessment: AssessmentConfig = Field(default_factory=AssessmentConfig, description="Self-assessment.")
    suggestions: SuggestionConfig = Field(default_factory=SuggestionConfig, description="Suggested actions.")
    swot: SwotConfig = Field(default_factory=SwotConfig, description="Suggested SWOT items.")
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig, description="Portfolio analysis.")
    value: ValueConfig = Field(default_factory=ValueConfig, description="Valuation.")
    prospects: ProspectsConfig = Field(default_factory=ProspectsConfig, description="Prospects and follow-up.")


@dataclass(frozen=True)
class PlanInputs:
    """The results of the analyses at ``as_of`` and the plan of ``year``."""

    as_of: dt.date
    year: int
    analysis: Analysis
    value: PortfolioValue
    prospects: ProspectsView
    activity: ActivityView
    lines: CustomerLines
    file_records: list[dict[str, Any]]
    owners: dict[str, str]
    names: dict[str, str]
    actions: list[PlanAction]
    config: PlanConfig = field(default_factory=PlanConfig)  # the settings the inputs were gathered with
    segment_names: dict[str, str] = field(default_factory=dict)
    line_names: dict[str, str] = field(default_factory=dict)


def _file(
    reader: PortfolioReader, fields: Iterable[str], users: dict[int, str]
) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """The key fields of each visible customer, their owners and names, by code."""
    customers = reader.customers()
    records = [{f: getattr(c, _FIELD_COLUMNS.get(f, f)) for f in fields} for c in customers]
    owners = {c.code: users[c.owner_id] for c in customers if c.owner_id in users}
    return records, owners, {c.code: c.name for c in customers}


def gather(
    store: Store,
    principal: Principal,
    *,
    as_of: dt.date | None = None,
    year: int | None = None,
    config: PlanConfig | None = None,
    ring: KeyRing | None = None,
    interval: bool = True,
    refits: Refits | None = None,
) -> PlanInputs:
    """Run the analyses the plan needs on what ``principal`` sees, at
    ``as_of`` (default: the date of the last sale), and read the plan of
    ``year`` (default: the as-of date's year; comments opened with ``ring``).
    ``config`` defaults to the effective one (``clientfolio.config``:
    environment, settings file beside the store, defaults); ``interval``
    False values the capital without the bootstrap of its interval (the
    assessment, the suggestions and the SWOT do not show it); ``refits``
    keeps its refits for the next scope (``value.refits``: the web app's
    figures of every scope)."""
    if config is None:
        from clientfolio.config import load_domain_config

        config = load_domain_config(database_url=store.url).plan
    reader = PortfolioReader(store, principal)
    analysis = analyze_source(store=store, reader=reader, as_of=as_of, config=config.analytics)
    day = analysis.as_of
    value = value_source(store=store, reader=reader, as_of=day, config=config.value, interval=interval, refits=refits)
    vip = [c.customer_id for c in value.customers if c.category == "vip"]
    prospects = prospects_view(
        store,
        principal,
        as_of=day,
        config=config.prospects,
        analytics=config.analytics,
        known=analysis.measures,
    )
    activity = activity_view(
        store, principal, as_of=day, vip=vip, config=config.prospects, analytics=config.analytics, known=analysis
    )
    con = connect_store(store.url)
    try:
        rows = customer_lines(reader.transactions(con), as_of=day, months=config.value.window_months)
        lines = lines_from_rows(rows.to_pyarrow().to_pylist())
    finally:
        con.disconnect()
    with store.engine.connect() as conn:
        users = {uid: name for uid, name in conn.execute(select(User.id, User.username))}
    records, owners, names = _file(reader, config.assessment.key_fields, users)
    reference = reader.reference_names()
    segment_names, line_names = reference["segment"], reference["product_line"]
    budget_year = year or day.year
    return PlanInputs(
        day,
        budget_year,
        analysis,
        value,
        prospects,
        activity,
        lines,
        records,
        owners,
        names,
        plan_actions(store, principal, budget_year, ring=ring),
        config,
        segment_names,
        line_names,
    )


def assessment_of(inputs: PlanInputs, answers: Sequence[Answer] = (), config: PlanConfig | None = None) -> Assessment:
    """The self-assessment of the inputs, with the team's ``answers`` beside it."""
    config = config or inputs.config
    a = inputs.analysis
    facts = gather_facts(
        as_of=inputs.as_of,
        measures=a.measures,
        rfm=a.rfm.to_pylist(),
        matrix=a.matrix,
        lines=inputs.lines,
        solvency=inputs.value.solvency,
        file_records=inputs.file_records,
        key_fields=config.assessment.key_fields,
        important=inputs.activity.important,
        actions=[(x.due_on, x.progress) for x in inputs.actions],
        recurring_profiles=config.assessment.recurring_profiles,
    )
    return assess(facts, team_marks(answers), config.assessment)


def suggestions_of(inputs: PlanInputs, config: PlanConfig | None = None) -> list[Suggestion]:
    """The suggested actions of the inputs."""
    config = config or inputs.config
    m = inputs.analysis.measures
    return suggest_actions(
        SuggestionInputs(
            as_of=inputs.as_of,
            customers=inputs.value.customers,
            rfm=inputs.analysis.rfm.to_pylist(),
            lines=inputs.lines,
            white_spaces=inputs.analysis.matrix.white_spaces,
            prospects=inputs.prospects.prospects,
            important=inputs.activity.important,
            concentration=m.concentration,
            dependency_threshold=config.analytics.measures.dependency_alert_share,
            annual_churn=m.projection.annual_churn,
            owners=inputs.owners,
            segment_names=inputs.segment_names,
            line_names=inputs.line_names,
        ),
        config.suggestions,
    )


def swot_of(
    inputs: PlanInputs, assessment: Assessment | None, config: PlanConfig | None = None
) -> list[SwotSuggestion]:
    """The suggested SWOT items of the inputs (and of ``assessment``)."""
    config = config or inputs.config
    m = inputs.analysis.measures
    return suggest_swot(
        SwotInputs(
            concentration=m.concentration,
            dependency_threshold=config.analytics.measures.dependency_alert_share,
            projection=m.projection,
            solvency=inputs.value.solvency,
            white_spaces=inputs.analysis.matrix.white_spaces,
            winning=inputs.analysis.matrix.winning,
            prospects=inputs.prospects.prospects,
            customers=inputs.value.customers,
            assessment=assessment,
            names=inputs.names,
            segment_names=inputs.segment_names,
            line_names=inputs.line_names,
        ),
        config.swot,
    )
