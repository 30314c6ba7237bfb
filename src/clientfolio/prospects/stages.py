"""The funnel's stages (DOMAIN.md section 7), in order, with their French labels.

The stored values are English (``clientfolio.store.schema.PROSPECT_STAGES``);
``won`` is the seed's "customer" stage.  ``lost`` closes a prospect at any stage.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["FUNNEL_STAGES", "OPEN_STAGES", "STAGE_LABELS", "stage_rank"]

FUNNEL_STAGES = ("suspect", "prospect", "cold", "warm", "hot", "won")
"""The stages a prospect climbs, from the potential market to the customer."""

OPEN_STAGES = FUNNEL_STAGES[:-1]
"""Stages of a prospect still being worked (neither won nor lost)."""

STAGE_LABELS = MappingProxyType(
    {
        "suspect": "Suspect",
        "prospect": "Prospect",
        "cold": "Prospect froid",
        "warm": "Prospect tiède",
        "hot": "Prospect chaud",
        "won": "Client",
        "lost": "Perdu",
    }
)
"""The labels a French user reads, by stored stage."""


def stage_rank(stage: str | None) -> int:
    """Position of ``stage`` in the funnel (0 = suspect .. 5 = won); -1 for
    ``lost``, None or an unknown value."""
    return FUNNEL_STAGES.index(stage) if stage in FUNNEL_STAGES else -1
