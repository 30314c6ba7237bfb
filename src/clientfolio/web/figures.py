"""The figures of the dashboard and of the customer pages, and their cache.

``compute_figures`` runs, for one principal, what the plan gathers (analysis,
valuation, prospects, activity: ``plan.run.gather``), the self-assessment of
those facts (with the team's stored marks), the yearly summary (the trend) and
each customer's revenue per calendar quarter.  That takes seconds on a real
portfolio, so ``FigureCache`` keeps the result per need-to-know scope while
the data does not change: the key holds ``data_version(store)`` (the largest
id of every table the figures read, so an import, a new invoice, prospect,
stage change, activity, action or assessment answer makes it new), and an
entry older than ``web_cache_seconds`` is recomputed anyway (edits in place,
such as an action's progress, have no new id).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.access.principal import SYSTEM
from clientfolio.access.rls import limit_connection
from clientfolio.analytics.summary import PortfolioSummary, summarize
from clientfolio.plan.assessment import Assessment
from clientfolio.plan.records import stored_answers
from clientfolio.plan.run import PlanInputs, assessment_of, gather
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import (
    Action,
    Activity,
    AssessmentAnswer,
    Customer,
    ImportBatch,
    Invoice,
    Payment,
    ProductLine,
    Prospect,
    Region,
    Segment,
    SelfAssessment,
    StageChange,
)

__all__ = [
    "CodeNames",
    "FigureCache",
    "Figures",
    "code_names",
    "compute_figures",
    "data_version",
    "last_quarters",
    "quarter_of",
    "quarter_trend",
]

_VERSIONED = (
    ImportBatch,
    Customer,
    Invoice,
    Payment,
    Prospect,
    StageChange,
    Activity,
    Action,
    SelfAssessment,
    AssessmentAnswer,
)


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one scope: the plan's inputs
    (analysis, value, prospects, activity), the assessment, the yearly
    summary, and each customer's revenue by calendar quarter
    (``{code: {"2025-Q2": cents}}``)."""

    inputs: PlanInputs
    assessment: Assessment
    trend: PortfolioSummary
    quarterly: dict[str, dict[str, int]]


def quarter_of(day: dt.date) -> str:
    """The calendar quarter of ``day``, ``2025-Q2``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def last_quarters(day: dt.date, count: int = 8) -> list[str]:
    """The ``count`` calendar quarters ending with the one of ``day``, oldest first."""
    index = day.year * 4 + (day.month - 1) // 3
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def quarter_trend(figures: Figures, count: int = 8) -> list[tuple[str, int, int]]:
    """(quarter, revenue in cents, active customers) over the ``count``
    quarters ending with the one of ``as_of``; a customer is active in a
    quarter when its revenue there is not zero (credit notes may cancel it)."""
    rows = []
    for quarter in last_quarters(figures.inputs.as_of, count):
        amounts = [by[quarter] for by in figures.quarterly.values() if by.get(quarter)]
        rows.append((quarter, sum(amounts), len(amounts)))
    return rows


def compute_figures(store: Store, principal: Principal, ring: KeyRing | None) -> Figures | None:
    """The figures of what ``principal`` sees; None when it sees no sale."""
    rows = PortfolioReader(store, principal).revenue_by_customer_date()
    if not rows:
        return None
    inputs = gather(store, principal, ring=ring)
    assessment = assessment_of(inputs, stored_answers(store, inputs.as_of))
    quarterly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, day, cents in rows:
        quarterly[code][quarter_of(day)] += cents
    return Figures(
        inputs,
        assessment,
        summarize(rows, inputs.as_of, config=inputs.config.analytics.measures),
        {code: dict(by) for code, by in quarterly.items()},
    )


def data_version(store: Store) -> tuple[int, ...]:
    """The largest id of each table the figures read (0 when empty): it
    changes with every row added to them."""
    query = select(*(select(func.coalesce(func.max(m.id), 0)).scalar_subquery() for m in _VERSIONED))
    with store.engine.connect() as conn:
        limit_connection(conn, SYSTEM.scope)  # largest ids only: what changed, not what is in it
        row = conn.execute(query).one()
    return tuple(int(v) for v in row)


class FigureCache:
    """Figures per (scope, data version), each kept ``seconds`` at most; one
    computation at a time per scope (concurrent requests wait for it)."""

    def __init__(self, seconds: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[Scope, tuple[tuple[int, ...], float, Figures | None]] = {}
        self._locks: dict[Scope, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def get(self, store: Store, principal: Principal, ring: KeyRing | None) -> Figures | None:
        """The figures of ``principal``'s scope, computed when missing, stale or old."""
        scope = principal.scope
        with self._guard:
            lock = self._locks[scope]
        with lock:
            version = data_version(store)
            entry = self._entries.get(scope)
            if entry is not None and entry[0] == version and self._clock() - entry[1] < self.seconds:
                return entry[2]
            figures = compute_figures(store, principal, ring)
            self._entries[scope] = (version, self._clock(), figures)
            return figures

    def clear(self) -> None:
        """Forget every entry."""
        with self._guard:
            self._entries.clear()


CodeNames = dict[str, dict[str, str]]
"""The names of the regions, segments and product lines by code, by dimension."""


def code_names(store: Store, principal: Principal) -> CodeNames:
    """The names of the regions (``region``), segments (``segment``) and
    product lines (``product_line``) by code: reference data shown in place of
    the codes (the code kept as a tooltip)."""
    tables: dict[str, type[Region] | type[Segment] | type[ProductLine]] = {
        "region": Region,
        "segment": Segment,
        "product_line": ProductLine,
    }
    with PortfolioReader(store, principal).connect() as conn:
        return {dim: {code: name for code, name in conn.execute(select(t.code, t.name))} for dim, t in tables.items()}
