"""The facts the self-assessment marks: small figures gathered from the
analyses (DOMAIN.md section 12, "une démarche fondée sur le constat").

``Facts`` holds one number per indicator (None when it cannot be measured);
``gather_facts`` computes them from the result objects of the other packages
(``Analysis``, ``PortfolioValue``, the follow-up of ``ActivityView``), the
customer file and the plan's actions, so tests build every input by hand.
``customer_lines`` is the one query of its own: revenue per customer and
product line, now and the year before, on any Ibis engine.

Definitions (the window is the ``months`` ending at the as-of date, 12 by
default, the same as the analytics'):

- ``renewal_ratio`` = new / lost customers (``Measures.current``);
- ``top_20pct_share``, ``largest_share``: ``Measures.concentration``;
- ``retention_rate`` = 1 - churn rate (lost / active at the start);
- ``recurring_revenue_share`` = amount in the RFM window of the customers whose
  profile is *recurring* (``very_regular`` and ``regular`` by default: they
  buy at least 3 quarters out of 4) / the positive amounts of all customers;
- ``incident_revenue_share`` and ``dso_days``: the portfolio's solvency
  (``value.solvency.PortfolioSolvency``); None without payment data;
- ``file_completeness`` = mean over the visible customers of the share of the
  key fields that are filled; ``complete_records_share`` = share of customers
  with every key field filled;
- ``followed_share`` = share of the important customers (ABC class A or VIP)
  contacted within the follow-up delay;
- ``overdue_actions_share`` = open actions (progress < 100 %) past their end
  date / open actions with an end date; None when the plan has none;
- ``multi_line_share`` (cross-sell penetration) = share of the customers
  active in the window that buy at least two known product lines;
- ``matrix_coverage`` = cells of the segment x product matrix with positive
  value / known segments x known product lines (the white spaces and the
  lines a segment never buys lower it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from clientfolio.analytics.matrix import UNKNOWN, SegmentProductMatrix
from clientfolio.analytics.measures import Measures
from clientfolio.periods import months_before
from clientfolio.prospects.followup import ImportantCustomer

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "CustomerLines",
    "Facts",
    "customer_lines",
    "file_completeness",
    "gather_facts",
    "lines_from_rows",
]


@dataclass(frozen=True)
class Facts:
    """One measured value per indicator of the self-assessment (None: unknown)."""

    as_of: dt.date
    renewal_ratio: float | None = None
    top_20pct_share: float | None = None
    largest_share: float | None = None
    retention_rate: float | None = None
    recurring_revenue_share: float | None = None
    incident_revenue_share: float | None = None
    dso_days: float | None = None
    file_completeness: float | None = None
    complete_records_share: float | None = None
    followed_share: float | None = None
    overdue_actions_share: float | None = None
    multi_line_share: float | None = None
    matrix_coverage: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "as_of": self.as_of.isoformat()}


@dataclass(frozen=True)
class CustomerLines:
    """Revenue per customer in the window (``now``), in the window before it
    (``before``), and per known product line in the window (``by_line``, only
    the positive ones); money in cents."""

    now: Mapping[str, int] = field(default_factory=dict)
    before: Mapping[str, int] = field(default_factory=dict)
    by_line: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def customer_lines(transactions: ir.Table, *, as_of: dt.date, months: int = 12) -> ir.Table:
    """Revenue per customer and product line in the ``months`` ending at
    ``as_of`` and in the ``months`` before.

    Takes the transactions table (``customer_id, date, amount_cents,
    product``); gives ``customer_id`` (string), ``product`` (string, NULL when
    unknown), ``now_cents`` and ``before_cents`` (int64, net of credit notes),
    one row per customer and product line with a line in either span.
    """
    import ibis

    start, earlier = months_before(as_of, months), months_before(as_of, 2 * months)
    t = transactions.filter(
        (transactions.date > ibis.literal(earlier, "date")) & (transactions.date <= ibis.literal(as_of, "date"))
    )
    now = t.date > ibis.literal(start, "date")
    return t.group_by(["customer_id", "product"]).aggregate(
        now_cents=ibis.ifelse(now, t.amount_cents, 0).sum().cast("int64"),
        before_cents=ibis.ifelse(now, 0, t.amount_cents).sum().cast("int64"),
    )


def lines_from_rows(rows: Iterable[Mapping[str, Any]]) -> CustomerLines:
    """``CustomerLines`` from the rows of ``customer_lines``."""
    now: dict[str, int] = defaultdict(int)
    before: dict[str, int] = defaultdict(int)
    by_line: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        code, product = r["customer_id"], r["product"]
        now[code] += int(r["now_cents"])
        before[code] += int(r["before_cents"])
        if product is not None and product.strip() and int(r["now_cents"]) > 0:
            by_line[code][product] = int(r["now_cents"])
    return CustomerLines(dict(now), dict(before), dict(by_line))


def file_completeness(records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> tuple[float | None, float | None]:
    """(mean share of ``fields`` filled per record, share of records with all
    of them filled); a value is filled when it is neither None nor blank text.
    (None, None) without records or fields."""
    if not records or not fields:
        return None, None
    shares = []
    for record in records:
        filled = sum(1 for f in fields if record.get(f) is not None and str(record.get(f)).strip())
        shares.append(filled / len(fields))
    return sum(shares) / len(shares), sum(1 for s in shares if s == 1) / len(shares)


def _recurring_share(rfm: Iterable[Mapping[str, Any]], recurring: Iterable[str]) -> float | None:
    kinds = set(recurring)
    total = regular = 0
    for r in rfm:
        amount = max(0, int(r["monetary_cents"] or 0))
        total += amount
        if r["profile"] in kinds:
            regular += amount
    return regular / total if total else None


def _coverage(matrix: SegmentProductMatrix) -> float | None:
    cells = [matrix.value(s, p) for s in matrix.segments if s != UNKNOWN for p in matrix.products if p != UNKNOWN]
    return sum(1 for v in cells if v > 0) / len(cells) if cells else None


def _overdue_share(actions: Iterable[tuple[dt.date | None, int]], as_of: dt.date) -> float | None:
    open_ones = [due for due, progress in actions if progress < 100 and due is not None]
    return sum(1 for due in open_ones if due < as_of) / len(open_ones) if open_ones else None


def gather_facts(
    *,
    as_of: dt.date,
    measures: Measures,
    rfm: Iterable[Mapping[str, Any]],
    matrix: SegmentProductMatrix,
    lines: CustomerLines,
    solvency: Mapping[str, Any] | None,
    file_records: Sequence[Mapping[str, Any]],
    key_fields: Sequence[str],
    important: Sequence[ImportantCustomer],
    actions: Iterable[tuple[dt.date | None, int]],
    recurring_profiles: Iterable[str] = ("very_regular", "regular"),
) -> Facts:
    """The facts of the self-assessment (definitions in the module docstring).

    ``rfm`` are the rows of ``Analysis.rfm`` (``monetary_cents``, ``profile``);
    ``solvency`` is ``PortfolioValue.solvency``; ``file_records`` one mapping
    per visible customer with the ``key_fields``; ``actions`` the (end date,
    progress %) of the plan's actions.
    """
    current, c = measures.current, measures.concentration
    completeness, complete = file_completeness(file_records, key_fields)
    paid = solvency if solvency and solvency.get("has_payment_data") else None
    active = [code for code, cents in lines.now.items() if cents > 0]
    return Facts(
        as_of=as_of,
        renewal_ratio=current.renewal_ratio,
        top_20pct_share=c.top_20pct_share if c.customers else None,
        largest_share=c.largest_share if c.customers else None,
        retention_rate=None if current.churn_rate is None else 1 - current.churn_rate,
        recurring_revenue_share=_recurring_share(rfm, recurring_profiles),
        incident_revenue_share=paid.get("incident_revenue_share") if paid else None,
        dso_days=paid.get("dso_days") if paid else None,
        file_completeness=completeness,
        complete_records_share=complete,
        followed_share=(sum(1 for i in important if not i.unfollowed) / len(important)) if important else None,
        overdue_actions_share=_overdue_share(actions, as_of),
        multi_line_share=(
            sum(1 for code in active if len(lines.by_line.get(code, {})) >= 2) / len(active) if active else None
        ),
        matrix_coverage=_coverage(matrix),
    )
