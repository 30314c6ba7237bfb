"""Prospects and sales activity (DOMAIN.md sections 7 to 9).

Pure functions over the rows of the access layer (``ProspectRow``,
``StageChangeRow``, ``ActivityRow``): the IPA / IPO priority matrix
(``priority``), the funnel and its backward arithmetic (``funnel``), the
follow-up of important customers (``followup``) and the sales activity index
(``activity``).  ``clientfolio.prospects.run`` reads the store for one principal and runs
them (imported on its own: it brings the analytics engine).
Settings are frozen pydantic models with documented defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.prospects.activity import (
        ActivityConfig,
        ActivityReport,
        ActivityScore,
        Lever,
        activity_index,
        what_if,
    )
    from clientfolio.prospects.followup import (
        FollowUpConfig,
        ImportantCustomer,
        account_activity,
        follow_up,
        important_customers,
    )
    from clientfolio.prospects.funnel import Backward, Funnel, FunnelConfig, StageNeed, backward_funnel, funnel, stays
    from clientfolio.prospects.priority import PRIORITY, Placement, PriorityConfig, matrix_counts, place
    from clientfolio.prospects.stages import FUNNEL_STAGES, OPEN_STAGES, STAGE_NAMES

__all__ = [
    "FUNNEL_STAGES",
    "OPEN_STAGES",
    "PRIORITY",
    "STAGE_NAMES",
    "ActivityConfig",
    "ActivityReport",
    "ActivityScore",
    "Backward",
    "FollowUpConfig",
    "Funnel",
    "FunnelConfig",
    "ImportantCustomer",
    "Lever",
    "Placement",
    "PriorityConfig",
    "StageNeed",
    "account_activity",
    "activity_index",
    "backward_funnel",
    "follow_up",
    "funnel",
    "important_customers",
    "matrix_counts",
    "place",
    "stays",
    "what_if",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.prospects.activity": (
            "ActivityConfig",
            "ActivityReport",
            "ActivityScore",
            "Lever",
            "activity_index",
            "what_if",
        ),
        "clientfolio.prospects.followup": (
            "FollowUpConfig",
            "ImportantCustomer",
            "account_activity",
            "follow_up",
            "important_customers",
        ),
        "clientfolio.prospects.funnel": (
            "Backward",
            "Funnel",
            "FunnelConfig",
            "StageNeed",
            "backward_funnel",
            "funnel",
            "stays",
        ),
        "clientfolio.prospects.priority": (
            "PRIORITY",
            "Placement",
            "PriorityConfig",
            "matrix_counts",
            "place",
        ),
        "clientfolio.prospects.stages": (
            "FUNNEL_STAGES",
            "OPEN_STAGES",
            "STAGE_NAMES",
        ),
    },
)
