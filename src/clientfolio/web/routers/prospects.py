"""The prospects (``/prospects``): the board by funnel stage, the IPA / IPO
priority matrix (``?priority=1`` lists the priority-1 prospects), the funnel
and its backward arithmetic; ``POST /prospects/stage`` moves a
prospect to another stage (a lost prospect needs its reason).

Everything is read for the logged-in principal (``prospects.run.prospects_view``
and ``access.PipelineReader``): a scoped rep sees only its prospects."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from clientfolio.access import PipelineReader, move_prospect
from clientfolio.prospects.priority import LEVELS, POTENTIAL_SIGNS, PRIORITY
from clientfolio.prospects.run import ProspectsView, prospects_view
from clientfolio.prospects.stages import FUNNEL_STAGES, STAGE_NAMES
from clientfolio.report.charts import funnel_chart
from clientfolio.store.schema import PROSPECT_STAGES
from clientfolio.web.deps import CsrfChecked, RingDep, ViewDep
from clientfolio.web.figures import code_names
from clientfolio.web.pages import Reader, Writer
from clientfolio.web.render import page, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

BOARD_STAGES = (*FUNNEL_STAGES, "lost")
PER_PAGE = 25
"""Prospects shown per board column and per page of the priority list."""


class Card(BaseModel):
    """A prospect on the board (``priority``, IPA and IPO only while open)."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    stage: str
    owner: str | None
    region: str | None
    source: str | None
    potential_cents: int | None
    priority: int | None
    ipa: float | None
    ipo: float | None
    lost_reason: str | None


class Column(BaseModel):
    """A stage of the board: its ``total`` prospects, ``PER_PAGE`` of them
    (page ``page`` of ``pages``) in ``prospects``."""

    model_config = ConfigDict(frozen=True)

    stage: str
    label: str
    total: int
    page: int
    pages: int
    prospects: list[Card]


class Cell(BaseModel):
    """A cell of the IPA / IPO matrix: potential level x accessibility level."""

    model_config = ConfigDict(frozen=True)

    potential: str
    accessibility: str
    priority: int
    prospects: int


class Step(BaseModel):
    """A funnel stage: prospects there now, those that reached it, the
    conversion to the next stage, and (backward funnel) how many it needs."""

    model_config = ConfigDict(frozen=True)

    stage: str
    label: str
    current: int
    reached: int
    conversion: float | None
    needed: int | None
    missing: int | None


class ProspectsPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: dt.date
    priority: int | None
    board: list[Column]
    matrix: list[Cell]
    listed: list[Card]
    listed_total: int
    listed_page: int
    listed_pages: int
    funnel: list[Step]
    target_per_year: int | None
    lost_reasons: dict[str, int]


def _paged(cards: list[Card], page: int) -> tuple[list[Card], int, int]:
    """The cards of ``page`` (clamped to the last one), the page and the number of pages."""
    pages = max(1, -(-len(cards) // PER_PAGE))
    page = min(max(page, 1), pages)
    return cards[(page - 1) * PER_PAGE : page * PER_PAGE], page, pages


def _column(stage: str, label: str, cards: list[Card], page: int) -> Column:
    shown, page, pages = _paged(cards, page)
    return Column(stage=stage, label=label, total=len(cards), page=page, pages=pages, prospects=shown)


def _page(
    view: ProspectsView,
    reader: PipelineReader,
    priority: int | None,
    label: dict[str, str],
    pages: dict[str, int] | None = None,
) -> ProspectsPage:
    """The page's data; ``pages`` the page of each board column (``"listed"``: of the priority list)."""
    pages = pages or {}
    placed = {p.code: p for p in view.prospects}
    cards = []
    for row in reader.prospects():
        p = placed.get(row.code)
        cards.append(
            Card(
                code=row.code,
                name=row.name,
                stage=row.stage,
                owner=row.owner,
                region=row.region,
                source=row.source,
                potential_cents=row.potential_cents,
                priority=None if p is None else p.priority,
                ipa=None if p is None else p.ipa,
                ipo=None if p is None else p.ipo,
                lost_reason=row.lost_reason,
            )
        )
    by_code = {c.code: c for c in cards}
    listed = [by_code[p.code] for p in view.prospects if priority is None or p.priority == priority]
    f, b = view.funnel, view.backward
    needs = {} if b is None else {n.stage: n for n in b.stages}
    listed_shown, listed_page, listed_pages = _paged(listed, pages.get("listed", 1))
    return ProspectsPage(
        as_of=view.as_of,
        priority=priority,
        board=[
            _column(
                s,
                label[s],
                sorted(
                    (c for c in cards if c.stage == s),
                    key=lambda c: (c.priority or 9, -(c.potential_cents or 0), c.code),
                ),
                pages.get(s, 1),
            )
            for s in BOARD_STAGES
        ],
        matrix=[
            Cell(potential=pot, accessibility=acc, priority=PRIORITY[pot, acc], prospects=view.matrix[pot, acc])
            for pot in LEVELS
            for acc in LEVELS
        ],
        listed=listed_shown,
        listed_total=len(listed),
        listed_page=listed_page,
        listed_pages=listed_pages,
        funnel=[
            Step(
                stage=s,
                label=label[s],
                current=f.counts.get(s, 0),
                reached=f.reached.get(s, 0),
                conversion=f.conversions.get(s),
                needed=needs[s].needed if s in needs else None,
                missing=needs[s].missing if s in needs else None,
            )
            for s in FUNNEL_STAGES
        ],
        target_per_year=None if b is None else b.target,
        lost_reasons=dict(f.lost_reasons),
    )


@router.get("/prospects")
def prospects_page(
    view: ViewDep,
    principal: Reader,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    stage: Annotated[str | None, Query(max_length=20, description="The board column to page through.")] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1,
    listed_page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """The board (``PER_PAGE`` prospects a column, page ``page`` of the
    column ``stage``), the priority matrix (the prospects of ``priority``
    listed, page ``listed_page``), the funnel."""
    store = view.state.store
    labels = {s: view._(STAGE_NAMES[s]) for s in BOARD_STAGES}
    pages = {"listed": listed_page, **({stage: page_no} if stage in BOARD_STAGES else {})}
    data = _page(prospects_view(store, principal), PipelineReader(store, principal), priority, labels, pages)
    html = {}
    if not wants_json(view.request):
        html = {
            "signs": POTENTIAL_SIGNS,
            "levels": LEVELS,
            "stages": PROSPECT_STAGES,
            "regions": code_names(store, principal)["region"],
            "funnel_svg": funnel_chart(
                [s.label for s in data.funnel],
                [s.reached for s in data.funnel],
                title=view._("Prospecting funnel: prospects that reached each stage"),
                fmt=view.fmt.number,
                rate_fmt=view.fmt.percent,
                rate_label=view._("conversion") + " ",
                empty=view._("No data"),
                lang=view.fmt.lang,
            ),
        }
    return page(view, "prospects.html", data, html=html)


@router.post("/prospects/stage", dependencies=[CsrfChecked])
def move(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    code: Annotated[str, Form(max_length=50)],
    stage: Annotated[str, Form(max_length=20)],
    reason: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Move the prospect ``code`` to ``stage`` today (``reason`` required for ``lost``); back to the board."""
    change = move_prospect(
        view.state.store, principal, code, stage, on=dt.date.today(), reason=reason, chain_key=ring.subkey("audit")
    )
    if wants_json(view.request):
        return page(
            view,
            "prospects.html",
            {
                "prospect": change.prospect_code,
                "from_stage": change.from_stage,
                "to_stage": change.to_stage,
                "changed_on": change.changed_on,
            },
        )
    return RedirectResponse(f"/prospects#{code}", status_code=303)
