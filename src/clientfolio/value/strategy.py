"""Profitability x potential quadrants, their strategies, and each customer's
trajectory from one period to the next (DOMAIN.md section 4, seed 004).

- **Profitability** (the past) is the customer's gross margin over the window
  (its revenue when the portfolio has no margins); **potential** (the future)
  is its lifetime value (the expected margin of the coming years), or its
  potential revenue when no lifetime value could be fitted.
- Each axis is *high* when the value is positive and at least the threshold:
  the given one (``*_threshold_cents``) or, by default, the median of the
  customers' positive values, so each axis splits the paying customers in two.
- Quadrant -> strategy (``QuadrantConfig.strategies``): high profit and high
  potential -> *fidélisation* (make it feel valued); low profit, high potential
  -> *multi-équipement* (sell it the rest of the range); high profit, low
  potential -> *rétention* (keep the loyal, little-mobile customer); low and low
  -> *résiliation / externalisation* (a cheaper channel, or the courage to end
  the contract).
- **Trajectory**: the quadrant at the previous as-of date (one window earlier)
  against today's.  A move that lowers an axis (the seed's arrows down and
  left) is ``down``, one that only raises is ``up``; ``stable`` and ``new`` (no
  purchase before the previous date) complete it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["QUADRANTS", "STRATEGY_LABELS", "QuadrantConfig", "quadrants", "trajectory"]

QUADRANTS = ("high_high", "low_high", "high_low", "low_low")  # profitability_potential
STRATEGY_LABELS = {
    "fr": {"loyalty": "Fidélisation", "cross_sell": "Multi-équipement", "retention": "Rétention",
           "termination": "Résiliation / externalisation"},
    "en": {"loyalty": "Loyalty", "cross_sell": "Cross-selling", "retention": "Retention",
           "termination": "Termination / cheaper channel"},
}


class QuadrantConfig(BaseModel):
    """Thresholds of the two axes and the strategy of each quadrant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profit_threshold_cents: int | None = Field(
        None, description="Margin from which profitability is high; default: the median of the "
                          "customers' positive margins.")
    potential_threshold_cents: int | None = Field(
        None, description="Future value from which potential is high; default: the median of the "
                          "customers' positive future values.")
    strategies: dict[str, str] = Field(
        default_factory=lambda: {"high_high": "loyalty", "low_high": "cross_sell",
                                 "high_low": "retention", "low_low": "termination"},
        description="Strategy of each quadrant (profitability_potential).")


def _threshold(values: Sequence[float | None], given: int | None) -> float:
    if given is not None:
        return float(given)
    positive = [v for v in values if v is not None and v > 0]
    return float(np.median(positive)) if positive else float("inf")


def quadrants(profits: Sequence[float | None], potentials: Sequence[float | None],
              config: QuadrantConfig | None = None) -> list[str | None]:
    """The quadrant of each customer (``high_low`` = high profitability, low
    potential), None where both values are missing."""
    config = config or QuadrantConfig()
    p_cut = _threshold(profits, config.profit_threshold_cents)
    f_cut = _threshold(potentials, config.potential_threshold_cents)

    def level(value: float | None, cut: float) -> str:
        return "high" if value is not None and value > 0 and value >= cut else "low"

    return [None if p is None and f is None else f"{level(p, p_cut)}_{level(f, f_cut)}"
            for p, f in zip(profits, potentials, strict=True)]


def trajectory(before: str | None, now: str | None) -> str | None:
    """``new``, ``stable``, ``up`` or ``down`` between two quadrants (see the
    module docstring); None when there is no quadrant now."""
    if now is None:
        return None
    if before is None:
        return "new"
    if before == now:
        return "stable"
    lowered = any(b == "high" and n == "low" for b, n in zip(before.split("_"), now.split("_"), strict=True))
    return "down" if lowered else "up"
