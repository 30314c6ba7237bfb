"""Profitability x potential quadrants, their strategies, and each customer's
trajectory from one period to the next (DOMAIN.md section 4, seed 004).

- **Profitability** (the past) is the customer's gross margin over the window
  (its revenue when the portfolio has no margins); **potential** (the future)
  is its lifetime value (the expected discounted margin of the coming years),
  or its potential revenue times the margin rate when no lifetime value could
  be fitted.  ``value.portfolio`` computes both and flags the special cases
  (negative margin, estimated margin, no purchase in the window).
- **Where each axis is cut** (``QuadrantConfig.rule``, ``quadrant_thresholds``):

  * ``pareto`` (default): an axis is *low* for the smallest customers that
    together make at most ``low_share`` (2 %) of the axis's positive total,
    and for every value of zero or less; *high* from the first customer whose
    value takes the running sum (smallest first) beyond that share.  The cut
    is that customer's value: ``high`` when ``value >= cut``.  Read: ending or
    outsourcing every "low" customer at once puts at most 2 % of the margin
    (2 % of the future value) at stake, which is what "have the courage to
    end a bad customer's contract" needs to be safe.
  * ``fixed``: ``high`` from ``profit_threshold_cents`` /
    ``potential_threshold_cents`` (both required).

  Why not the median (the former rule): it calls half the paying customers
  low on each axis whatever their worth, so about half the portfolio was told
  *résiliation*, and a customer flips quadrant whenever customers join or leave
  on either side of the middle.  The pareto cut depends on the *mass* of the
  axis: many small customers joining or leaving barely move it, and only a
  large change of the total moves it much.  Why 2 % and not the 5 % of the
  ABC's C class: B2B margins are more concentrated than the seed's reference
  ("C: 30 % of customers make 5 %"); on the demo the last 5 % of the margin is
  made by half the paying customers and the 5 % cut lies above the median, so
  it would make the *résiliation* quadrant larger than the median did.
- Quadrant -> strategy (``QuadrantConfig.strategies``): high profit and high
  potential -> *fidélisation* (make it feel valued); low profit, high potential
  -> *multi-équipement* (sell it the rest of the range); high profit, low
  potential -> *rétention* (keep the loyal, little-mobile customer); low and low
  -> *résiliation / externalisation* (a cheaper channel, or the courage to end
  the contract).
- **Trajectory**: the quadrant at the previous as-of date (one window earlier)
  against today's.  A move that lowers an axis (the seed's arrows down and
  left) is ``down``, one that only raises is ``up``; ``stable`` and ``new`` (no
  quadrant at the previous date) complete it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clientfolio.errors import RuleError
from clientfolio.i18n import N_

if TYPE_CHECKING:  # numpy where the cuts are computed: the rules are read without it (``clientfolio settings``)
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "AXIS_LABELS",
    "BASIS_NAMES",
    "QUADRANTS",
    "QUADRANT_NAMES",
    "QUADRANT_NOTES",
    "STRATEGY_NAMES",
    "TRAJECTORY_NAMES",
    "Placed",
    "QuadrantConfig",
    "QuadrantPoints",
    "QuadrantThresholds",
    "pareto_cut",
    "quadrant_array",
    "quadrant_points",
    "quadrant_thresholds",
    "quadrant_name",
    "quadrants",
    "strategy_name",
    "trajectory",
    "trajectory_name",
]

QUADRANTS = ("high_high", "low_high", "high_low", "low_low")  # profitability_potential
QUADRANT_NAMES: dict[str, str] = {
    "high_high": N_("High profitability, high potential"),
    "low_high": N_("Low profitability, high potential"),
    "high_low": N_("High profitability, low potential"),
    "low_low": N_("Low profitability, low potential"),
}
"""The English name of each quadrant (translated where shown; never show the codes)."""
QUADRANT_NOTES = {
    "no_purchase": N_("no purchase in the window: no quadrant unless its future value is high"),
    "negative_margin": N_("negative margin over the window: low profitability"),
    "margin_estimated": N_("no margin on its invoices: profitability estimated from the portfolio's margin rate"),
}
"""The flags ``value.portfolio`` puts on a customer's quadrant (``quadrant_note``), with their meaning
(English messages the French catalog translates)."""
AXIS_LABELS = {
    "margin": N_("Profitability: margin of the last twelve months (€)"),
    "revenue": N_("Profitability: revenue of the last twelve months (€)"),
    "clv": N_("Potential: lifetime value (€)"),
    "potential_margin": N_("Potential: potential revenue x margin rate (€)"),
    "potential_revenue": N_("Potential: potential revenue (€)"),
}
"""The axis of a quadrant chart by its basis (``QuadrantThresholds.profit_basis``
/ ``potential_basis``): English messages the French catalog translates."""
BASIS_NAMES = {
    "margin": N_("margin"),
    "revenue": N_("revenue"),
    "clv": N_("lifetime value"),
    "potential_margin": N_("potential revenue x margin rate"),
    "potential_revenue": N_("potential revenue"),
}
"""The short English name of each axis basis (translated where shown)."""
STRATEGY_NAMES: dict[str, str] = {
    "loyalty": N_("Loyalty"),
    "cross_sell": N_("Cross-selling"),
    "retention": N_("Retention"),
    "termination": N_("Termination / cheaper channel"),
}
"""The English name of each strategy: a message of the catalogs (French:
*fidélisation*, *multi-équipement*, *rétention*, *résiliation /
externalisation*), shown as ``gettext_for(lang)(STRATEGY_NAMES[code])``
(``strategy_name``)."""
TRAJECTORY_NAMES: dict[str, str] = {"new": N_("New"), "stable": N_("Stable"), "up": N_("Up"), "down": N_("Down")}
"""The English name of each trajectory (``trajectory``), translated where shown."""


def strategy_name(code: str) -> str:
    """The English name of the strategy ``code``; a strategy the settings name
    otherwise (``QuadrantConfig.strategies``) is shown as written."""
    return STRATEGY_NAMES.get(code, code)


def quadrant_name(code: str) -> str:
    """The English name of the quadrant ``code`` (the code itself when unknown)."""
    return QUADRANT_NAMES.get(code, code)


def trajectory_name(code: str) -> str:
    """The English name of the trajectory ``code`` (the code itself when unknown)."""
    return TRAJECTORY_NAMES.get(code, code)


class QuadrantConfig(BaseModel):
    """Where the two axes are cut, and the strategy of each quadrant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["pareto", "fixed"] = Field(
        "pareto",
        description="How each axis is cut: 'pareto' (low = the smallest customers making together at "
        "most low_share of the axis's positive total, or a value of zero or less) or 'fixed' "
        "(the two thresholds below).",
    )
    low_share: float = Field(
        0.02,
        gt=0,
        lt=1,
        description="With rule 'pareto': share of the axis's positive total that the low "
        "customers make at most (0.02: ending them all risks 2 % of the margin).",
    )
    profit_threshold_cents: int | None = Field(
        None, ge=1, description="With rule 'fixed': margin of the window (cents) from which profitability is high."
    )
    potential_threshold_cents: int | None = Field(
        None, ge=1, description="With rule 'fixed': future value (cents) from which potential is high."
    )
    strategies: dict[str, str] = Field(
        default_factory=lambda: {
            "high_high": "loyalty",
            "low_high": "cross_sell",
            "high_low": "retention",
            "low_low": "termination",
        },
        description="Strategy of each quadrant (profitability_potential).",
    )

    @model_validator(mode="after")
    def _thresholds_with_their_rule(self) -> QuadrantConfig:
        given = (self.profit_threshold_cents, self.potential_threshold_cents)
        if self.rule == "fixed" and None in given:
            raise RuleError("rule 'fixed' needs profit_threshold_cents and potential_threshold_cents")
        if self.rule == "pareto" and given != (None, None):
            raise RuleError("thresholds in cents are the 'fixed' rule: set rule='fixed'")
        return self


@dataclass(frozen=True)
class QuadrantThresholds:
    """The cuts actually used (cents): ``high`` from the cut on; None when an
    axis has no positive value (every customer is low on it)."""

    rule: str
    profit_cents: float | None
    potential_cents: float | None
    low_share: float | None = None
    profit_basis: str = "margin"  # margin, or revenue when the portfolio has no margins
    potential_basis: str = "clv"  # clv, potential_margin, or potential_revenue (no margins)

    def level(self, value: float | None, cut: float | None) -> str:
        """``high`` or ``low`` of a value on an axis cut at ``cut``."""
        return "high" if value is not None and cut is not None and value > 0 and value >= cut else "low"

    def lines(self) -> tuple[float, float]:
        """Where a chart draws the two lines (cents): at the cuts, or at 1 cent
        for an axis without a positive value (every point below it)."""
        return (
            1.0 if self.profit_cents is None else self.profit_cents,
            1.0 if self.potential_cents is None else self.potential_cents,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "low_share": self.low_share,
            "profit_cents": self.profit_cents,
            "potential_cents": self.potential_cents,
            "profit_basis": self.profit_basis,
            "potential_basis": self.potential_basis,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuadrantThresholds:
        """The thresholds back from ``as_dict``."""
        return cls(
            data["rule"],
            data["profit_cents"],
            data["potential_cents"],
            data.get("low_share"),
            data.get("profit_basis", "margin"),
            data.get("potential_basis", "clv"),
        )


def pareto_cut(values: Sequence[float | None] | npt.NDArray[np.float64], low_share: float) -> float | None:
    """The ``pareto`` cut of an axis: the value of the first customer (smallest
    first) whose value takes the running sum beyond ``low_share`` of the
    positive total; None without a positive value.  The values below it
    (ties at the cut are high) make at most ``low_share`` of the total.
    ``values``: a sequence (None: no value) or floats (NaN: no value)."""
    import numpy as np

    floats = _floats(values)
    positive = np.sort(floats[floats > 0])
    if not positive.size:
        return None
    running = np.cumsum(positive)  # added in turn, smallest first
    beyond = np.flatnonzero(running > low_share * running[-1])
    return float(positive[beyond[0]] if beyond.size else positive[-1])


def _floats(values: Sequence[float | None] | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    import numpy as np

    if isinstance(values, np.ndarray):
        return np.asarray(values, dtype=np.float64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def quadrant_thresholds(
    profits: Sequence[float | None] | npt.NDArray[np.float64],
    potentials: Sequence[float | None] | npt.NDArray[np.float64],
    config: QuadrantConfig | None = None,
    *,
    profit_basis: str = "margin",
    potential_basis: str = "clv",
) -> QuadrantThresholds:
    """The cuts of the two axes by ``config.rule`` (see the module docstring):
    the one place they are computed; charts draw their lines there."""
    config = config or QuadrantConfig()
    if config.rule == "fixed":
        return QuadrantThresholds(
            "fixed",
            config.profit_threshold_cents,
            config.potential_threshold_cents,
            None,
            profit_basis,
            potential_basis,
        )
    return QuadrantThresholds(
        "pareto",
        pareto_cut(profits, config.low_share),
        pareto_cut(potentials, config.low_share),
        config.low_share,
        profit_basis,
        potential_basis,
    )


def quadrants(
    profits: Sequence[float | None],
    potentials: Sequence[float | None],
    config: QuadrantConfig | None = None,
    *,
    thresholds: QuadrantThresholds | None = None,
) -> list[str | None]:
    """The quadrant of each customer (``high_low`` = high profitability, low
    potential), None where both values are missing; cut at ``thresholds``
    (default: ``quadrant_thresholds`` of these values)."""
    t = thresholds or quadrant_thresholds(profits, potentials, config)
    return list(quadrant_array(_floats(profits), _floats(potentials), t))


def quadrant_array(
    profits: npt.NDArray[np.float64], potentials: npt.NDArray[np.float64], thresholds: QuadrantThresholds
) -> npt.NDArray[np.object_]:
    """``quadrants`` on floats (NaN: no value), cut at ``thresholds``."""
    import numpy as np

    def high(values: npt.NDArray[np.float64], cut: float | None) -> npt.NDArray[np.bool_]:
        if cut is None:
            return np.zeros(values.shape, dtype=bool)
        return np.asarray((values > 0) & (values >= cut), dtype=np.bool_)

    names = np.array(QUADRANTS + (None,), dtype=object)  # high_high, low_high, high_low, low_low
    index = (~high(profits, thresholds.profit_cents)).astype(np.intp) + 2 * ~high(
        potentials, thresholds.potential_cents
    )
    index[np.isnan(profits) & np.isnan(potentials)] = len(QUADRANTS)
    return np.asarray(names[index], dtype=object)


class Placed(Protocol):
    """A customer placed in a quadrant (``value.portfolio.CustomerValue``)."""

    @property
    def customer_id(self) -> str: ...
    @property
    def quadrant(self) -> str | None: ...
    @property
    def profitability_cents(self) -> float | None: ...
    @property
    def future_cents(self) -> float | None: ...


C = TypeVar("C", bound=Placed)


@dataclass(frozen=True)
class QuadrantPoints(Generic[C]):
    """What a quadrant chart draws (``quadrant_points``)."""

    points: list[tuple[C, float, float]]  # customers with a quadrant, profitability, potential (cents)
    x_cut: float  # where the profitability line goes (cents)
    y_cut: float  # where the potential line goes (cents)
    x_label: str  # English axis labels (``AXIS_LABELS``), to translate
    y_label: str
    thresholds: QuadrantThresholds

    def side(self, x: float, y: float) -> str:
        """The quadrant a point at ``(x, y)`` is drawn in (``high_low`` = right
        of the profitability line, below the potential line)."""
        return f"{'high' if x >= self.x_cut else 'low'}_{'high' if y >= self.y_cut else 'low'}"


def quadrant_points(customers: Sequence[C], thresholds: QuadrantThresholds | Mapping[str, Any]) -> QuadrantPoints[C]:
    """What every quadrant chart draws (the dashboard's and the report's): the
    customers with a quadrant, each at its two axes (profitability, potential,
    in cents; a missing value at 0), and the two lines at the ``thresholds``
    the quadrants were assigned with (``PortfolioValue.quadrant_thresholds``;
    an axis without a positive value at 1 cent, every point below it).  So a
    point is drawn in the quadrant its customer was assigned to
    (``QuadrantPoints.side``): no chart cuts its axes itself."""
    t = thresholds if isinstance(thresholds, QuadrantThresholds) else QuadrantThresholds.from_dict(thresholds)
    x_cut, y_cut = t.lines()
    points = [(c, c.profitability_cents or 0.0, c.future_cents or 0.0) for c in customers if c.quadrant]
    return QuadrantPoints(points, x_cut, y_cut, AXIS_LABELS[t.profit_basis], AXIS_LABELS[t.potential_basis], t)


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
