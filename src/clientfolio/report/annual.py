"""The annual portfolio review: every analysis, run once, for one principal.

``gather_review(store, principal, as_of=, ring=)`` runs, through the access
layer and on what ``principal`` may read only, the plan's gathering
(``clientfolio.plan.run.gather``: portfolio analysis, valuation, prospects and
sales activity, at one as-of date), then the self-assessment (with the
team's answers stored for that date), the suggested SWOT items and actions,
and reads the plan of the year (header, actions, kept SWOT items).  The result,
``ReviewData``, is language-free; ``clientfolio.report.layout`` turns it into
titled sections of tables and charts in French or English, and the renderers
(``html``, ``pdf``, ``xlsx``) write those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from clientfolio.access import Principal
from clientfolio.plan.actions import PlanHeader, Tracking, track
from clientfolio.plan.assessment import Assessment
from clientfolio.plan.records import StoredSwotItem, plan_actions, plan_header, stored_answers, swot_items
from clientfolio.plan.run import PlanConfig, PlanInputs, assessment_of, gather, suggestions_of, swot_of
from clientfolio.plan.suggestions import Suggestion
from clientfolio.plan.swot import SwotSuggestion
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import get_user
from clientfolio.store import Store

__all__ = ["ReviewData", "gather_review"]


@dataclass(frozen=True)
class ReviewData:
    """Everything the review shows, as the analyses returned it.

    ``inputs`` holds the analysis, valuation, prospects, activity and plan
    actions; ``kept_swot`` the SWOT items the team kept, ``swot`` the
    suggested ones not yet decided; ``username`` who the review is made for
    (its scope applied to every figure), ``full_name`` their name (the
    username when the user has none)."""

    as_of: dt.date
    username: str
    inputs: PlanInputs
    assessment: Assessment
    swot: list[SwotSuggestion]
    kept_swot: list[StoredSwotItem]
    suggestions: list[Suggestion]
    header: PlanHeader
    tracking: Tracking
    config: PlanConfig
    full_name: str = ""

    @property
    def segment_names(self) -> dict[str, str]:
        """The names of the segments by code (those the inputs were gathered with)."""
        return self.inputs.segment_names

    @property
    def product_names(self) -> dict[str, str]:
        """The names of the product lines by code."""
        return self.inputs.line_names


def gather_review(
    store: Store,
    principal: Principal,
    *,
    as_of: dt.date | None = None,
    ring: KeyRing | None = None,
    config: PlanConfig | None = None,
    inputs: PlanInputs | None = None,
) -> ReviewData:
    """Run every analysis of the review once, on what ``principal`` may read,
    at ``as_of`` (default: the date of the last sale visible to it); plan
    comments are opened with ``ring`` when given.  ``inputs``: the analyses
    already gathered for ``principal``'s scope from the current data (the
    web's fresh figures), reused (their plan actions read again) when
    gathered with the same ``config`` and at ``as_of`` (when given).  Raises
    ``ClientfolioError`` when there is nothing to analyse."""
    if config is None:
        from clientfolio.config import load_domain_config  # the settings file beside the store

        config = load_domain_config(database_url=store.url).plan
    if inputs is None or inputs.config != config or as_of not in (None, inputs.as_of):
        inputs = gather(store, principal, as_of=as_of, config=config, ring=ring)
    else:  # the actions as they are now: their progress and comments are edited in place
        inputs = replace(inputs, actions=plan_actions(store, principal, inputs.year, ring=ring))
    assessment = assessment_of(inputs, stored_answers(store, inputs.as_of), config)
    kept = swot_items(store, principal, inputs.year)
    decided = {item.key for item in kept if item.key}
    swot = [s for s in swot_of(inputs, assessment, config) if s.key not in decided]
    planned = {a.suggestion_key for a in inputs.actions}
    suggestions = [s for s in suggestions_of(inputs, config) if s.key not in planned]
    header = plan_header(store, inputs.year) or PlanHeader(inputs.year)
    return ReviewData(
        inputs.as_of,
        principal.username,
        inputs,
        assessment,
        swot,
        [item for item in kept if item.accepted],
        suggestions,
        header,
        track(inputs.actions, inputs.as_of),
        config,
        _full_name(store, principal.username),
    )


def _full_name(store: Store, username: str) -> str:
    """The name of the user ``username`` (empty for a principal that is not a
    user of the store, such as the local owner's)."""
    user = get_user(store, username)
    return "" if user is None else user.display_name or username
