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
