"""Assess, analyse and plan (DOMAIN.md sections 10 to 12): the self-assessment
of the customer capital out of 20 on facts, the SWOT (*EMOFF*), the commercial
action plan (*PAC*) with its tracking, the actions suggested from the analyses,
and the plan's XLSX export.

Pure functions over the result objects of the other packages
(``assessment``, ``swot``, ``actions``, ``suggestions``, ``facts``); the plan's
rows in the store (``records``) and the gathering of the inputs for one
principal (``run``) are imported on their own: they bring the store and the
analytics engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.plan.actions import PlanAction, PlanHeader, Tracking, by_typology, horizon, track
    from clientfolio.plan.assessment import THEMES, Assessment, AssessmentConfig, Scale, assess, reading
    from clientfolio.plan.facts import CustomerLines, Facts, gather_facts
    from clientfolio.plan.questionnaire import Answer, load_answers, team_marks
    from clientfolio.plan.suggestions import SUGGESTION_KINDS, Suggestion, SuggestionConfig, suggest_actions
    from clientfolio.plan.swot import QUADRANTS, RECOMMENDATIONS, SwotConfig, SwotSuggestion, suggest_swot

__all__ = [
    "QUADRANTS",
    "RECOMMENDATIONS",
    "SUGGESTION_KINDS",
    "THEMES",
    "Answer",
    "Assessment",
    "AssessmentConfig",
    "CustomerLines",
    "Facts",
    "PlanAction",
    "PlanHeader",
    "Scale",
    "Suggestion",
    "SuggestionConfig",
    "SwotConfig",
    "SwotSuggestion",
    "Tracking",
    "assess",
    "by_typology",
    "gather_facts",
    "horizon",
    "load_answers",
    "reading",
    "suggest_actions",
    "suggest_swot",
    "team_marks",
    "track",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.plan.actions": (
            "PlanAction",
            "PlanHeader",
            "Tracking",
            "by_typology",
            "horizon",
            "track",
        ),
        "clientfolio.plan.assessment": (
            "THEMES",
            "Assessment",
            "AssessmentConfig",
            "Scale",
            "assess",
            "reading",
        ),
        "clientfolio.plan.facts": (
            "CustomerLines",
            "Facts",
            "gather_facts",
        ),
        "clientfolio.plan.questionnaire": (
            "Answer",
            "load_answers",
            "team_marks",
        ),
        "clientfolio.plan.suggestions": (
            "SUGGESTION_KINDS",
            "Suggestion",
            "SuggestionConfig",
            "suggest_actions",
        ),
        "clientfolio.plan.swot": (
            "QUADRANTS",
            "RECOMMENDATIONS",
            "SwotConfig",
            "SwotSuggestion",
            "suggest_swot",
        ),
    },
)
