"""IPA / IPO priority matrix (DOMAIN.md section 7).

Each prospect gets two indexes on 0-10, weighted means of criterion marks
(each 0-10; the weights are settings, ``PriorityConfig``):

- **IPA**, *indice probable d'accessibilité*: ``contact`` (10 when a person
  with a function and an email is on file, 5 when a person without both, 0
  when nobody), ``knowledge`` (how well we know the contact), ``receptivity``
  and ``timing`` (the right moment), the last three entered as marks.
- **IPO**, *indice de potentiel*: ``potential`` (10 x potential /
  ``potential_full_marks_cents``, at most 10), ``project`` (10 when the
  prospect has a project, 0 when it has none) and ``last_purchase`` (10 x
  months since its last similar purchase / ``renewal_months``, at most 10: an
  old purchase is due for renewal; 0 for a date after the as-of date).

A criterion whose value is unknown is left out of the mean (its weight too).
When none of the entered criteria of an index is known, the overall marks a
file may bring (``accessibility_score``, ``potential_score``) stand for each
of them.  An index with no known criterion at all is 0.  Indexes are rounded
to 0.01, then cut into three levels: ``high`` from ``*_high_from``,
``medium`` from ``*_medium_from``, else ``low``.  The seed's matrix gives the
priority, 1 (prospect first) to 4:

| potential \\ accessibility | high | medium | low |
|---|---|---|---|
| ++ (high) | 1 | 2 | 3 |
| +/- (medium) | 2 | 2 | 3 |
| -- (low) | 3 | 3 | 4 |
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clientfolio.errors import RuleError

if TYPE_CHECKING:
    from clientfolio.access.pipeline import ProspectRow

__all__ = [
    "LEVELS",
    "POTENTIAL_SIGNS",
    "PRIORITY",
    "Level",
    "Placement",
    "PriorityConfig",
    "level",
    "matrix_counts",
    "place",
]

Level = Literal["high", "medium", "low"]
LEVELS: tuple[Level, ...] = ("high", "medium", "low")
POTENTIAL_SIGNS = MappingProxyType({"high": "++", "medium": "+/-", "low": "--"})
"""The seed's signs for the potential levels."""

PRIORITY: Mapping[tuple[Level, Level], int] = MappingProxyType(
    {
        ("high", "high"): 1,
        ("high", "medium"): 2,
        ("high", "low"): 3,
        ("medium", "high"): 2,
        ("medium", "medium"): 2,
        ("medium", "low"): 3,
        ("low", "high"): 3,
        ("low", "medium"): 3,
        ("low", "low"): 4,
    }
)
"""Priority by (potential level, accessibility level): the seed's table."""

CONTACT_MARKS = MappingProxyType({"identified": 10.0, "named": 5.0, None: 0.0})
DAYS_PER_MONTH = 365.25 / 12


def _weight(default: float, what: str) -> float:
    return Field(default, ge=0, description=f"Weight of {what} (default {default}).")


class PriorityConfig(BaseModel):
    """Weights of the IPA / IPO criteria and the cuts of their three levels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_weight: float = _weight(0.2, "the contact identified (name, function, email) in the IPA")
    knowledge_weight: float = _weight(0.3, "the knowledge of the contact in the IPA")
    receptivity_weight: float = _weight(0.3, "the contact's receptivity in the IPA")
    timing_weight: float = _weight(0.2, "the right moment (timing) in the IPA")
    potential_weight: float = _weight(0.5, "the potential revenue in the IPO")
    project_weight: float = _weight(0.3, "the existence of a project in the IPO")
    last_purchase_weight: float = _weight(0.2, "the age of the last similar purchase in the IPO")
    potential_full_marks_cents: int = Field(
        3_000_000,
        gt=0,
        description="Yearly potential (cents excl. tax) that earns 10 marks; less earns "
        "proportionally less (default 3,000,000 = 30,000 EUR).",
    )
    renewal_months: int = Field(
        36,
        gt=0,
        description="Age in months of a last similar purchase that earns 10 marks (due for "
        "renewal); a more recent one earns proportionally less (default 36).",
    )
    ipa_high_from: float = Field(7.0, ge=0, le=10, description="IPA from which accessibility is high (default 7).")
    ipa_medium_from: float = Field(4.0, ge=0, le=10, description="IPA from which accessibility is medium (default 4).")
    ipo_high_from: float = Field(7.0, ge=0, le=10, description="IPO from which potential is high (++; default 7).")
    ipo_medium_from: float = Field(4.0, ge=0, le=10, description="IPO from which potential is medium (+/-; default 4).")

    @model_validator(mode="after")
    def _ordered(self) -> PriorityConfig:
        if self.ipa_medium_from > self.ipa_high_from or self.ipo_medium_from > self.ipo_high_from:
            raise RuleError("a medium level must not start above the high level")
        return self


@dataclass(frozen=True)
class Placement:
    """Where a prospect falls in the matrix: its indexes, levels and priority."""

    code: str
    ipa: float
    ipo: float
    accessibility: Level
    potential: Level
    priority: int


def _mean(marks: dict[str, float | None], weights: dict[str, float]) -> float:
    known = [(weights[k], m) for k, m in marks.items() if m is not None and weights[k] > 0]
    total = sum(w for w, _ in known)
    return round(sum(w * m for w, m in known) / total, 2) if total else 0.0


def _standing_in(marks: dict[str, float | None], overall: int | None) -> dict[str, float | None]:
    """The entered marks, or the overall marks in each place when none is known."""
    if all(m is None for m in marks.values()) and overall is not None:
        return dict.fromkeys(marks, float(overall))
    return marks


def level(index: float, high_from: float, medium_from: float) -> Level:
    """``high``, ``medium`` or ``low`` for an index and its two cuts."""
    return "high" if index >= high_from else "medium" if index >= medium_from else "low"


def place(prospect: ProspectRow, *, as_of: dt.date, config: PriorityConfig = PriorityConfig()) -> Placement:  # noqa: B008
    """The IPA, IPO, levels and priority of ``prospect`` on ``as_of`` (see the
    module docstring).  Takes the qualification fields of a ``ProspectRow``."""
    c = config
    entered: dict[str, float | None] = {
        "knowledge": prospect.contact_knowledge,
        "receptivity": prospect.receptivity,
        "timing": prospect.timing,
    }
    ipa = _mean(
        {"contact": CONTACT_MARKS[prospect.contact], **_standing_in(entered, prospect.accessibility_score)},
        {
            "contact": c.contact_weight,
            "knowledge": c.knowledge_weight,
            "receptivity": c.receptivity_weight,
            "timing": c.timing_weight,
        },
    )
    potential = (
        None
        if prospect.potential_cents is None
        else (10 * min(1.0, max(0, prospect.potential_cents) / c.potential_full_marks_cents))
    )
    project = None if prospect.has_project is None else 10.0 * prospect.has_project
    bought = prospect.last_similar_purchase_on
    last_purchase = (
        None if bought is None else (10 * min(1.0, max(0, (as_of - bought).days) / DAYS_PER_MONTH / c.renewal_months))
    )
    ipo = _mean(
        _standing_in(
            {"potential": potential, "project": project, "last_purchase": last_purchase}, prospect.potential_score
        ),
        {"potential": c.potential_weight, "project": c.project_weight, "last_purchase": c.last_purchase_weight},
    )
    access = level(ipa, c.ipa_high_from, c.ipa_medium_from)
    pot = level(ipo, c.ipo_high_from, c.ipo_medium_from)
    return Placement(prospect.code, ipa, ipo, access, pot, PRIORITY[pot, access])


def matrix_counts(placements: Iterable[Placement]) -> dict[tuple[Level, Level], int]:
    """Prospects in each cell, by (potential level, accessibility level); all
    nine cells, zeros included."""
    counts = Counter((p.potential, p.accessibility) for p in placements)
    return {cell: counts.get(cell, 0) for cell in PRIORITY}
