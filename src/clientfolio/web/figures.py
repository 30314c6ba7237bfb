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
import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import func, select

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.access.principal import SYSTEM
from clientfolio.access.rls import limit_connection
from clientfolio.analytics.summary import PortfolioSummary, summarize
from clientfolio.plan.assessment import Assessment
from clientfolio.plan.records import stored_answers
from clientfolio.plan.run import PlanInputs, assessment_of, gather
from clientfolio.prospects.at_risk import QuietCustomer, quiet_customers
from clientfolio.prospects.followup import important_customers
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
    Prospect,
    SelfAssessment,
    StageChange,
)
from clientfolio.value.portfolio import CustomerValue
from clientfolio.value.refits import Refits
from clientfolio.web.figure_files import FigureFiles

__all__ = [
    "CodeNames",
    "FigureCache",
    "Figures",
    "FiguresPending",
    "code_names",
    "compute_figures",
    "data_version",
    "important_of",
    "last_quarters",
    "quarter_of",
    "quarter_series",
    "quarter_trend",
]

_log = logging.getLogger(__name__)

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


T = TypeVar("T")
_MISSING = object()


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one scope: the plan's inputs
    (analysis, value, prospects, activity), the assessment, the yearly
    summary, each customer's revenue by calendar quarter
    (``{code: {"2025-Q2": cents}}``) and the important customers gone quiet
    against their own rhythm (``prospects.at_risk``).

    ``view(key, build)`` keeps what the pages derive from them (the
    dashboard's data, charts and HTML per language): built by the first
    request after a computation, then served as is while these figures are."""

    inputs: PlanInputs
    assessment: Assessment
    trend: PortfolioSummary
    quarterly: dict[str, dict[str, int]]
    quiet: tuple[QuietCustomer, ...] = ()
    _views: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False, repr=False)
    _building: threading.RLock = field(default_factory=threading.RLock, compare=False, repr=False)

    def view(self, key: tuple[str, ...], build: Callable[[], T]) -> T:
        """What ``build`` derives from these figures, built once per ``key``:
        the requests that ask for it meanwhile wait for that one build (twenty
        requests building the same dashboard at once would take twenty times
        as long, each)."""
        found = self._views.get(key, _MISSING)
        if found is _MISSING:
            with self._building:
                found = self._views.get(key, _MISSING)
                if found is _MISSING:
                    found = self._views[key] = build()
        return found  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        """What is pickled (``web.figure_files``): the figures, not the views nor the indexes."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("_views", "_building")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _views={}, _building=threading.RLock())

    @cached_property
    def important(self) -> dict[str, tuple[str, ...]]:
        """The important customers (``important_of``)."""
        return important_of(self.inputs.value.customers)

    @cached_property
    def value_by_code(self) -> dict[str, CustomerValue]:
        """Each valued customer, by code."""
        return {c.customer_id: c for c in self.inputs.value.customers}

    @cached_property
    def rfm_by_code(self) -> dict[str, dict[str, Any]]:
        """Each customer's RFM row (``analytics.rfm``), by code."""
        return {r["customer_id"]: r for r in self.inputs.analysis.rfm.to_pylist()}


def important_of(customers: Iterable[CustomerValue]) -> dict[str, tuple[str, ...]]:
    """The important customers among valued ``customers``: class A and VIP
    (``prospects.followup.important_customers``), with why."""
    valued = list(customers)
    return important_customers(
        [c.customer_id for c in valued if c.abc == "A"], [c.customer_id for c in valued if c.category == "vip"]
    )


def quarter_of(day: dt.date) -> str:
    """The calendar quarter of ``day``, ``2025-Q2``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def last_quarters(day: dt.date, count: int = 8) -> list[str]:
    """The ``count`` calendar quarters ending with the one of ``day``, oldest first."""
    index = day.year * 4 + (day.month - 1) // 3
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def quarter_series(amounts: dict[str, int], as_of: dt.date) -> list[tuple[str, int]]:
    """(quarter, cents) for every calendar quarter from the first one of
    ``amounts`` (``{"2025-Q2": cents}``) to the one of ``as_of``, oldest first:
    a quarter without a sale is there, at 0 (a customer that stopped buying
    shows its decline); empty when ``amounts`` is."""
    if not amounts:
        return []
    first, last = min(amounts), max(quarter_of(as_of), max(amounts))
    year, q = (int(part) for part in first.split("-Q"))
    series = []
    while (quarter := f"{year}-Q{q}") <= last:
        series.append((quarter, amounts.get(quarter, 0)))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return series


def quarter_trend(figures: Figures, count: int = 8) -> list[tuple[str, int, int]]:
    """(quarter, revenue in cents, active customers) over the ``count``
    quarters ending with the one of ``as_of``; a customer is active in a
    quarter when its revenue there is not zero (credit notes may cancel it)."""
    rows = []
    for quarter in last_quarters(figures.inputs.as_of, count):
        amounts = [by[quarter] for by in figures.quarterly.values() if by.get(quarter)]
        rows.append((quarter, sum(amounts), len(amounts)))
    return rows


def compute_figures(
    store: Store, principal: Principal, ring: KeyRing | None, refits: Refits | None = None
) -> Figures | None:
    """The figures of what ``principal`` sees; None when it sees no sale
    (``refits``: the valuation's refits shared by the scopes, ``value.refits``)."""
    rows = PortfolioReader(store, principal).revenue_by_customer_date()
    if not rows:
        return None
    inputs = gather(store, principal, ring=ring, refits=refits)
    assessment = assessment_of(inputs, stored_answers(store, inputs.as_of))
    quarterly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, day, cents in rows:
        quarterly[code][quarter_of(day)] += cents
    purchases = ((code, day) for code, day, cents in rows if cents > 0)
    quiet = quiet_customers(
        purchases, important_of(inputs.value.customers), as_of=inputs.as_of, config=inputs.config.prospects.follow_up
    )
    return Figures(
        inputs,
        assessment,
        summarize(rows, inputs.as_of, config=inputs.config.analytics.measures),
        {code: dict(by) for code, by in quarterly.items()},
        tuple(quiet),
    )


def data_version(store: Store) -> tuple[int, ...]:
    """The largest id of each table the figures read (0 when empty): it
    changes with every row added to them."""
    query = select(*(select(func.coalesce(func.max(m.id), 0)).scalar_subquery() for m in _VERSIONED))
    with store.engine.connect() as conn:
        limit_connection(conn, SYSTEM.scope)  # largest ids only: what changed, not what is in it
        row = conn.execute(query).one()
    return tuple(int(v) for v in row)


def _settle() -> None:
    """Collect the garbage of a computation, then leave the objects alive (the
    figures: millions of them on a large store) out of the garbage collector's
    full passes (``gc.freeze``): each would stop every request for a second.
    Figures replaced later are freed by their reference counts."""
    gc.collect()
    gc.freeze()


class FiguresPending(Exception):
    """The figures of a scope are being computed for the first time (background
    mode): the page answers "computing" and asks the browser to come back."""


class FigureCache:
    """Figures per (scope, data version), each kept ``seconds`` at most; one
    computation at a time per scope.

    Synchronous (``background=False``, the tests' default): a request whose
    figures are missing, stale or old computes them (concurrent requests of
    the scope wait for it).

    Background (``background=True``, ``clientfolio serve``): stale-while-
    revalidate.  A request never computes: it gets the last figures of its
    scope at once, even when the data changed since (an import, an accepted
    action) or they are old, and that starts their recomputation in a thread
    (one per scope at a time; the next requests get the new figures once it
    is done; the background computations run one after the other).  When a
    scope has no figures yet, the request waits ``wait``
    seconds at most for the computation, then raises ``FiguresPending``
    (the page answers "computing").  ``warm`` computes them at start-up.

    With ``files`` (``web.figure_files``), every computation is kept on disk,
    and a scope's first request (or ``warm``) takes the kept figures of the
    last start as old ones: the first page after a restart is served at once.
    ``prepare`` derives the pages' views of new figures in the background,
    before they are served (``Figures.view``).  The scopes' valuations share
    their bootstrap's refits and point fits (``refits``: one per portfolio, not
    per scope), and the whole portfolio's histories read once per data version
    (``Refits.of_data``)."""

    def __init__(
        self,
        seconds: int,
        *,
        background: bool = False,
        wait: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
        files: FigureFiles | None = None,
        prepare: Callable[[Store, Principal, Figures], None] | None = None,
    ) -> None:
        self.seconds = seconds
        self.background = background
        self.wait = wait
        self.files = files
        self.prepare = prepare
        self.refits = Refits()
        self._started = time.time()  # kept figures written since: this start's (shared by its processes)
        self._clock = clock
        self._opened: set[Scope] = set()
        self._entries: dict[Scope, tuple[tuple[int, ...], float, Figures | None]] = {}
        self._locks: dict[Scope, threading.Lock] = defaultdict(threading.Lock)
        self._running: dict[Scope, threading.Event] = {}
        self._warming: list[threading.Thread] = []
        self._computing = threading.Lock()
        self._guard = threading.Lock()

    def _fresh(self, entry: tuple[tuple[int, ...], float, Figures | None] | None, version: tuple[int, ...]) -> bool:
        return entry is not None and entry[0] == version and self._clock() - entry[1] < self.seconds

    def get(self, store: Store, principal: Principal, ring: KeyRing | None) -> Figures | None:
        """The figures of ``principal``'s scope: computed when missing, stale
        or old (synchronous), or the last ones while new ones are computed in
        the background (``FiguresPending`` when there are none yet)."""
        if self.background:
            return self._get_background(store, principal, ring)
        scope = principal.scope
        with self._guard:
            lock = self._locks[scope]
        with lock:
            version = data_version(store)
            entry = self._entries.get(scope)
            if self._fresh(entry, version):
                return entry[2] if entry else None
            figures = compute_figures(store, principal, ring, self.refits.of_data(version))
            self._entries[scope] = (version, self._clock(), figures)
            return figures

    def fresh(self, store: Store, principal: Principal) -> Figures | None:
        """The figures of ``principal``'s scope when they are those of the data as
        it is now and not old (never computed here, never stale): what a page
        that must show the current data, the annual review, may reuse."""
        version = data_version(store)
        with self._guard:
            entry = self._entries.get(principal.scope)
        return entry[2] if entry is not None and self._fresh(entry, version) else None

    def _get_background(self, store: Store, principal: Principal, ring: KeyRing | None) -> Figures | None:
        scope = principal.scope
        version = data_version(store)
        self._open_kept(scope)
        with self._guard:
            entry = self._entries.get(scope)
            done = None if self._fresh(entry, version) else self._start(store, principal, ring)
        if entry is not None:
            return entry[2]  # the last figures, even stale: never computed in a request
        if done is not None and done.wait(self.wait):
            with self._guard:
                entry = self._entries.get(scope)
            if entry is not None:
                return entry[2]
        raise FiguresPending(str(scope))

    def _open_kept(self, scope: Scope) -> None:
        """Take the figures ``files`` kept for ``scope`` (the last start's), once,
        as old ones: served at once, recomputed in the background."""
        if self.files is None:
            return
        with self._guard:
            lock = self._locks[scope]
        with lock:  # the requests of the scope wait for the file being read (not for a computation)
            if scope in self._opened:
                return
            kept = self.files.load(scope)
            with self._guard:
                if kept is not None:
                    self._entries.setdefault(scope, (kept[0], float("-inf"), kept[1]))
                self._opened.add(scope)
            if kept is not None:
                _settle()

    def _start(self, store: Store, principal: Principal, ring: KeyRing | None) -> threading.Event:
        """The event of the computation of ``principal``'s scope, started in a
        thread unless one runs already (called with ``_guard`` held)."""
        scope = principal.scope
        done = self._running.get(scope)
        if done is None:
            done = self._running[scope] = threading.Event()
            threading.Thread(
                target=self._refresh, args=(store, principal, ring), name=f"figures-{id(scope):x}", daemon=True
            ).start()
        return done

    def _refresh(self, store: Store, principal: Principal, ring: KeyRing | None) -> None:
        """Compute the figures of ``principal``'s scope for the current data version."""
        scope = principal.scope
        try:
            with self._computing:  # one at a time: the analytics' engine is shared (and so is the CPU)
                version, figures = self._compute(store, principal, ring)
            if figures is not None and self.prepare is not None:  # the pages' views, before a page asks
                self.prepare(store, principal, figures)
            with self._guard:
                self._entries[scope] = (version, self._clock(), figures)
            _settle()
        except Exception:  # a failed computation is logged; the next request starts another
            _log.exception("the figures of %s could not be computed", principal.username)
        finally:
            with self._guard:
                self._running.pop(scope).set()

    def _compute(
        self, store: Store, principal: Principal, ring: KeyRing | None
    ) -> tuple[tuple[int, ...], Figures | None]:
        """The data version and the figures of ``principal``'s scope: computed
        and kept, or those another process of the app has just kept for it."""
        if self.files is None:
            version = data_version(store)
            return version, compute_figures(store, principal, ring, self.refits.of_data(version))
        with self.files.computing(principal.scope):
            version = data_version(store)
            kept = self.files.load(principal.scope, since=max(self._started, time.time() - self.seconds))
            if kept is not None and kept[0] == version:
                return kept
            figures = compute_figures(store, principal, ring, self.refits.of_data(version))
            self.files.save(principal.scope, version, figures)
            return version, figures

    def refresh(self, store: Store, principal: Principal, ring: KeyRing | None) -> threading.Event:
        """Start the computation of ``principal``'s scope (background mode, or
        at start-up): the event is set when it ends."""
        with self._guard:
            return self._start(store, principal, ring)

    def warm(self, store: Store, principals: Iterable[Principal], ring: KeyRing | None) -> threading.Thread:
        """Compute the figures of every scope of ``principals`` in a thread, one
        scope after the other (start-up: the first page does not wait)."""

        def run() -> None:
            seen: set[Scope] = set()
            for principal in principals:
                if principal.scope not in seen:
                    seen.add(principal.scope)
                    self._open_kept(principal.scope)
                    self.refresh(store, principal, ring).wait()

        thread = threading.Thread(target=run, name="figures-warm", daemon=True)
        self._warming.append(thread)
        thread.start()
        return thread

    def computing(self, principal: Principal) -> bool:
        """Whether the figures of ``principal``'s scope are being computed."""
        with self._guard:
            return principal.scope in self._running

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until no computation runs (tests, benchmarks); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._warming:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        while True:
            with self._guard:
                running = list(self._running.values())
            if not running:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            running[0].wait(left)

    def clear(self) -> None:
        """Forget every entry (background mode: mark them old, so that they are
        served until new ones are computed)."""
        with self._guard:
            if self.background:
                self._entries = {s: (v, float("-inf"), f) for s, (v, _, f) in self._entries.items()}
            else:
                self._entries.clear()


CodeNames = dict[str, dict[str, str]]
"""The names of the regions, segments and product lines by code, by dimension."""


def code_names(store: Store, principal: Principal) -> CodeNames:
    """The names of the regions (``region``), segments (``segment``) and
    product lines (``product_line``) by code: reference data shown in place of
    the codes (the code kept as a tooltip)."""
    return PortfolioReader(store, principal).reference_names()
