"""The demo's prospects: qualification marks and stage history.

``qualify`` draws a prospect's IPA / IPO criteria, aiming at a cell of the
priority matrix when one is given (the generator gives each of the nine cells
to one open prospect at least, so the demo fills the whole matrix);
``stage_path`` draws the dates of its moves through the funnel.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from clientfolio.access.pipeline import ProspectRow
from clientfolio.prospects.priority import PRIORITY, Level, place
from clientfolio.prospects.stages import FUNNEL_STAGES, stage_rank

__all__ = ["CELLS", "LOST_FROM", "LOST_REASONS", "MEDIAN_POTENTIAL_CENTS", "Qualification", "qualify", "stage_path"]

CELLS: tuple[tuple[Level, Level], ...] = tuple(PRIORITY)
"""The nine (potential, accessibility) cells of the matrix."""

LOST_REASONS = {
    "Prix jugé trop élevé": 0.30,
    "Concurrent en place": 0.25,
    "Pas de projet à court terme": 0.20,
    "Budget non débloqué": 0.10,
    "Interlocuteur injoignable": 0.10,
    "Besoin couvert en interne": 0.05,
}
STAGE_ACCESS = {"suspect": 2.5, "prospect": 3.5, "cold": 3.5, "warm": 5.5, "hot": 7.5, "won": 8, "lost": 4}
STAGE_PROJECT = {"prospect": 0.2, "cold": 0.15, "warm": 0.5, "hot": 0.9, "won": 1.0, "lost": 0.6}
LEVEL_ACCESS = {"high": 8.5, "medium": 5.5, "low": 2.0}  # mean marks aimed at for a level
LEVEL_POTENTIAL = {"high": 1.4, "medium": 0.2, "low": -1.6}  # z of the potential aimed at
STAGE_DAYS = {"suspect": 60, "prospect": 45, "cold": 40, "warm": 30, "hot": 20}  # mean stay
LOST_FROM = {  # the stage a lost prospect was lost from
    "suspect": 0.15,
    "prospect": 0.25,
    "cold": 0.3,
    "warm": 0.2,
    "hot": 0.1,
}
MEDIAN_POTENTIAL_CENTS = 1_200_000
TRIES = 200


@dataclass(frozen=True)
class Qualification:
    """The criteria of one prospect, and the overall marks they give."""

    potential_cents: int
    has_project: bool | None
    last_similar_purchase_on: dt.date | None
    contact_knowledge: int | None
    receptivity: int | None
    timing: int | None
    contacts: int
    accessibility_score: int
    potential_score: int


def _mark(rng: random.Random, mean: float) -> int:
    return min(10, max(0, round(rng.gauss(mean, 1.5))))


def _draw(rng: random.Random, stage: str, as_of: dt.date, cell: tuple[Level, Level] | None) -> Qualification:
    zp = rng.gauss(LEVEL_POTENTIAL[cell[0]], 0.3) if cell else rng.gauss(0, 1)
    access = LEVEL_ACCESS[cell[1]] if cell else STAGE_ACCESS[stage] + rng.gauss(0, 1.5)
    qualified = stage != "suspect" or rng.random() < 0.3
    project = None if stage == "suspect" else rng.random() < STAGE_PROJECT[stage]
    last = as_of - rng.randint(60, 1500) * dt.timedelta(days=1) if (stage != "suspect" and rng.random() < 0.5) else None
    knowledge, receptivity, timing = (_mark(rng, access) for _ in range(3)) if qualified else (None,) * 3
    contacts = (1 + (rng.random() < 0.3)) if stage != "suspect" or rng.random() < 0.4 else 0
    return Qualification(
        round(MEDIAN_POTENTIAL_CENTS * math.exp(1.2 * zp)),
        project,
        last,
        knowledge,
        receptivity,
        timing,
        contacts,
        _mark(rng, access),
        min(10, max(0, round(5 + 2.2 * zp + rng.gauss(0, 0.8)))),
    )


def qualify(rng: random.Random, stage: str, as_of: dt.date, cell: tuple[Level, Level] | None = None) -> Qualification:
    """The criteria of a prospect at ``stage``, drawn again until they fall in
    ``cell`` (potential level, accessibility level) when one is given."""
    for _ in range(TRIES):
        q = _draw(rng, stage, as_of, cell)
        if cell is None:
            return q
        row = ProspectRow(
            code="",
            name="",
            stage=stage,
            source=None,
            region=None,
            segment=None,
            owner=None,
            potential_cents=q.potential_cents,
            accessibility_score=q.accessibility_score,
            potential_score=q.potential_score,
            has_project=q.has_project,
            last_similar_purchase_on=q.last_similar_purchase_on,
            contact_knowledge=q.contact_knowledge,
            receptivity=q.receptivity,
            timing=q.timing,
            contact="identified" if q.contacts else None,
            lost_reason=None,
            created_on=None,
            customer_code=None,
        )
        placed = place(row, as_of=as_of)
        if (placed.potential, placed.accessibility) == cell:
            return q
    raise RuntimeError(f"no draw fell in the cell {cell}")  # the aims above make this unreachable


def stage_path(
    rng: random.Random,
    stage: str,
    created: dt.date,
    end: dt.date,
    *,
    closed_on: dt.date | None = None,
    lost_at: str | None = None,
) -> list[tuple[str | None, str, dt.date]]:
    """The moves (from stage, to stage, day) of a prospect created on
    ``created`` and now at ``stage``: through every funnel stage up to it (up
    to ``lost_at`` then to lost for a lost prospect).  A won prospect is won on
    ``closed_on``; other stays are spread between ``created`` and ``end``."""
    top = stage_rank(lost_at if stage == "lost" else stage)
    path: list[str] = list(FUNNEL_STAGES[: top + 1]) + (["lost"] if stage == "lost" else [])
    stays = [rng.expovariate(1 / STAGE_DAYS.get(s, 30)) for s in path[:-1]]
    last_day = closed_on or end
    if stage != "won":
        stays.append(rng.expovariate(1 / STAGE_DAYS.get(path[-1], 60)))  # time since the last move
    span = max(0, (last_day - created).days)
    scale = span / sum(stays) if stays and sum(stays) else 0.0
    moves: list[tuple[str | None, str, dt.date]] = [(None, path[0], created)]
    elapsed = 0.0
    for before, after, stay in zip(path, path[1:], stays, strict=False):
        elapsed += stay * scale
        moves.append((before, after, min(last_day, created + dt.timedelta(days=round(elapsed)))))
    return moves
