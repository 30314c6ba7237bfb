"""The funnel's stages (DOMAIN.md section 7), in order, with their names.

The stored values are English (``clientfolio.store.schema.PROSPECT_STAGES``);
``won`` is the seed's "customer" stage.  ``lost`` closes a prospect at any stage.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["FUNNEL_STAGES", "OPEN_STAGES", "STAGE_NAMES", "stage_rank"]

FUNNEL_STAGES = ("suspect", "prospect", "cold", "warm", "hot", "won")
"""The stages a prospect climbs, from the potential market to the customer."""

OPEN_STAGES = FUNNEL_STAGES[:-1]
"""Stages of a prospect still being worked (neither won nor lost)."""

STAGE_NAMES = MappingProxyType(
    {
        "suspect": "Suspect",
        "prospect": "Prospect",
        "cold": "Cold prospect",
        "warm": "Warm prospect",
        "hot": "Hot prospect",
        "won": "Customer",
        "lost": "Lost",
    }
)
"""The English name of each stored stage, the one every display shows (the web,
the report, the plan's suggestions, the terminal): translated there by the i18n
catalogs (French: "Prospect froid" ... as DOMAIN.md names them)."""


def stage_rank(stage: str | None) -> int:
    """Position of ``stage`` in the funnel (0 = suspect .. 5 = won); -1 for
    ``lost``, None or an unknown value."""
    return FUNNEL_STAGES.index(stage) if stage in FUNNEL_STAGES else -1
