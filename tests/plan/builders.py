"""Hand-made result objects of the analyses, for the plan's pure functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from clientfolio.analytics.matrix import MatrixCell, SegmentProductMatrix, WhiteSpace
from clientfolio.analytics.measures import Concentration, Evolution, Measures, PeriodMeasures, Projection
from clientfolio.prospects.followup import ImportantCustomer
from clientfolio.prospects.run import PlacedProspect
from clientfolio.value.portfolio import CustomerValue

AS_OF = dt.date(2025, 6, 30)


def period(*, active: int = 100, start: int = 100, new: int = 12, lost: int = 10) -> PeriodMeasures:
    return PeriodMeasures(
        start=dt.date(2024, 7, 1),
        end=AS_OF,
        active_customers=active,
        revenue_cents=1_000_000,
        active_at_start=start,
        new_customers=new,
        new_revenue_cents=0,
        lost_customers=lost,
        lost_revenue_cents=0,
        returning_customers=0,
        churn_rate=lost / start if start else None,
        renewal_ratio=new / lost if lost else None,
    )


def concentration(
    *,
    top20: float = 0.80,
    largest: float = 0.15,
    alert: bool = True,
    largest_id: str | None = "C1",
    customers: int = 100,
) -> Concentration:
    return Concentration(customers, 20, top20, 10, 0.5, 0.05, 0.6, largest_id, largest, alert)


def measures(
    current: PeriodMeasures | None = None, conc: Concentration | None = None, projection: Projection | None = None
) -> Measures:
    return Measures(
        AS_OF,
        "year",
        12,
        current or period(),
        period(),
        Evolution(0, None, 0, None),
        conc or concentration(),
        projection or Projection(None, (), None, None),
    )


def matrix(
    grid: dict[tuple[str, str], int], white: tuple[WhiteSpace, ...] = (), winning: tuple[MatrixCell, ...] = ()
) -> SegmentProductMatrix:
    segments = tuple(sorted({s for s, _ in grid}))
    products = tuple(sorted({p for _, p in grid}))
    rows = tuple(tuple(grid.get((s, p), 0) for p in products) for s in segments)
    return SegmentProductMatrix(
        as_of=AS_OF,
        start=dt.date(2024, 6, 30),
        basis="revenue",
        cells=ibis.memtable({"x": [1]}),
        segments=segments,
        products=products,
        grid=rows,
        row_totals=tuple(sum(r) for r in rows),
        column_totals=tuple(sum(c) for c in zip(*rows, strict=True)),
        total=sum(map(sum, rows)),
        winning=winning,
        white_spaces=white,
    )


def customer(code: str, **fields: Any) -> CustomerValue:
    values: dict[str, Any] = {
        "customer_id": code,
        "name": f"Name {code}",
        "segment": "S1",
        "region": "R1",
        "revenue_cents": 0,
        "margin_cents": None,
        "wallet_cents": None,
        "potential_cents": 0,
        "potential_source": "entered",
        "value_cents": 0,
    }
    values.update(fields)
    return CustomerValue(**values)


def important(code: str, days: int | None, *, unfollowed: bool, reasons: tuple[str, ...] = ("A",)) -> ImportantCustomer:
    last = None if days is None else AS_OF - dt.timedelta(days=days)
    return ImportantCustomer(code, f"Name {code}", reasons, last, days, unfollowed)


def prospect(code: str, priority: int, potential: int | None, owner: str | None = "rep") -> PlacedProspect:
    return PlacedProspect(code, f"Prospect {code}", "warm", owner, potential, 8.0, 8.0, "high", "high", priority)
