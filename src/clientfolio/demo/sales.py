"""The purchase history of the demo customers: invoices, credit notes, payments."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from clientfolio.demo.catalog import ProductRef

__all__ = [
    "INVOICE_COLUMNS",
    "LINE_COLUMNS",
    "PAYMENT_COLUMNS",
    "Buyer",
    "Offered",
    "SalesRows",
    "sales_history",
]

INVOICE_COLUMNS = ("id", "number", "customer_id", "issued_on", "due_on", "kind")
LINE_COLUMNS = (
    "id",
    "invoice_id",
    "line_no",
    "product_id",
    "description",
    "quantity",
    "amount_cents",
    "margin_cents",
)
PAYMENT_COLUMNS = ("id", "invoice_id", "paid_on", "amount_cents")

CREDIT_NOTE_RATE = 0.015  # share of invoices followed by a credit note
DECLINE_DAYS = 540  # a declining buyer fades over the last 18 months
GROWTH = 1.03  # yearly price and volume growth

DAY = dt.timedelta(days=1)

Offered = tuple[int, ProductRef]  # (products.id, reference)
Line = tuple[int, str, float | None, int, int]  # product id, description, qty, amount, margin


@dataclass(frozen=True)
class Buyer:
    """What drives one customer's purchases and payments."""

    id: int
    start: dt.date  # first purchase (or the start of the history)
    end: dt.date | None  # first day without purchases (churn); None = still buying
    annual_cents: float
    profile: str  # very_regular, regular, cyclical or declining
    extra_orders: float  # mean orders beyond the first in a quarter it buys in
    seasons: tuple[int, ...]  # the quarters (1-4) a cyclical buyer buys in
    line_weights: tuple[float, ...]  # share of each product line in its purchases
    discount: float
    terms: int  # payment terms, days
    pay_delay: tuple[int, int]  # days after the due date, drawn uniformly
    default_rate: float  # share of its invoices never paid


@dataclass
class SalesRows:
    """Rows for ``invoices``, ``invoice_lines`` and ``payments``, in column order."""

    invoices: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _quarters(first: dt.date, last: dt.date) -> Iterator[tuple[int, dt.date, dt.date]]:
    """(quarter of the year, first day, last day) of the quarters met by first..last."""
    year, q = first.year, (first.month - 1) // 3
    while (start := dt.date(year, 3 * q + 1, 1)) <= last:
        nxt = dt.date(year + 1, 1, 1) if q == 3 else dt.date(year, 3 * q + 4, 1)
        yield q + 1, start, nxt - DAY
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)


def _next_workday(day: dt.date) -> dt.date:
    """The Monday after a weekend day."""
    return day + (7 - day.weekday()) * DAY if day.weekday() >= 5 else day


def _workday(day: dt.date, earliest: dt.date) -> dt.date:
    """The Friday before a weekend day, unless that is before ``earliest``."""
    if day.weekday() >= 5 and day - (day.weekday() - 4) * DAY >= earliest:
        return day - (day.weekday() - 4) * DAY
    return day


def _buy_chance(buyer: Buyer, quarter: int) -> float:
    if buyer.profile == "very_regular":
        return 1.0
    if buyer.profile == "cyclical":
        return 0.92 if quarter in buyer.seasons else 0.06
    return 0.72 if buyer.profile == "regular" else 0.8


def _orders(rng: random.Random, b: Buyer, first_day: dt.date, as_of: dt.date) -> list[tuple[dt.date, float]]:
    """(date, amount in cents) of the orders of ``b`` from ``first_day`` to ``as_of``."""
    last = min(as_of, b.end - DAY) if b.end else as_of
    first = max(b.start, first_day)
    per_year = sum(_buy_chance(b, q) for q in range(1, 5)) * (1 + b.extra_orders)
    mean = b.annual_cents / per_year
    orders = [(first, mean)] if b.start > first_day else []
    if last < first:
        return orders
    for quarter, q_first, q_last in _quarters(first, last):
        lo, hi = max(q_first, first), min(q_last, last)
        coverage = ((hi - lo).days + 1) / ((q_last - q_first).days + 1)
        fade = 1.0
        if b.profile == "declining":
            fade = min(1.0, 0.25 + 0.75 * (as_of - q_last).days / DECLINE_DAYS)
        if rng.random() >= _buy_chance(b, quarter) * coverage * fade:
            continue
        for _ in range(1 + _poisson(rng, b.extra_orders)):
            day = _workday(lo + rng.randint(0, (hi - lo).days) * DAY, lo)
            growth = GROWTH ** ((day - first_day).days / 365)
            orders.append((day, mean * fade * growth * rng.lognormvariate(-0.06, 0.35)))
    return orders


def _order_lines(rng: random.Random, b: Buyer, amount: float, offer: Sequence[Sequence[Offered]]) -> list[Line]:
    """Split an order of about ``amount`` cents into lines of the buyer's product lines."""
    n = 1 + (amount > 150_000) + (amount > 800_000) + (rng.random() < 0.4)
    parts = [0.3 + rng.random() for _ in range(n)]
    quantities: dict[int, tuple[ProductRef, int]] = {}
    for part in parts:
        value = amount * part / sum(parts)
        line = offer[rng.choices(range(len(offer)), b.line_weights)[0]]
        price_of = [ref.unit_price_cents * (1 - b.discount) for _, ref in line]
        fits = [p for p, price in zip(line, price_of, strict=True) if price <= value] or [line[0]]
        pid, ref = rng.choices(fits, [math.sqrt(r.unit_price_cents) for _, r in fits])[0]
        qty = max(1, round(value / (ref.unit_price_cents * (1 - b.discount))))
        quantities[pid] = (ref, quantities.get(pid, (ref, 0))[1] + qty)
    lines: list[Line] = []
    for pid, (ref, qty) in quantities.items():
        net = round(qty * ref.unit_price_cents * (1 - b.discount))
        cost = round(qty * ref.unit_price_cents * (1 - ref.margin_rate) * rng.uniform(0.96, 1.04))
        lines.append((pid, ref.name, float(qty), net, net - cost))
    return lines


def _credit_note(rng: random.Random, lines: list[Line]) -> list[Line]:
    """A return of part of one line, or a 10 % commercial gesture on it."""
    pid, name, qty, net, margin = rng.choice(lines)
    if qty and rng.random() < 0.6:
        back = rng.randint(1, int(qty))
        return [(pid, f"Retour : {name}", -float(back), -round(net * back / qty), -round(margin * back / qty))]
    gesture = -round(net * 0.1)
    return [(pid, f"Geste commercial : {name}", None, gesture, gesture)]


def _settlement(rng: random.Random, b: Buyer, issued: dt.date, kind: str) -> tuple[dt.date | None, dt.date | None]:
    """(due date, payment date) of a document.  A credit note has no due date: the
    seller owes it, and refunds it by transfer."""
    due = None if kind == "credit_note" else issued + b.terms * DAY
    if due is None:
        paid = issued + rng.randint(10, 30) * DAY
    elif rng.random() < b.default_rate:
        return due, None
    else:
        paid = max(issued, due + rng.randint(*b.pay_delay) * DAY)
    return due, _next_workday(paid)


def sales_history(
    rng: random.Random, buyers: Sequence[Buyer], offer: Sequence[Sequence[Offered]], first_day: dt.date, as_of: dt.date
) -> SalesRows:
    """Invoices (with credit notes) and payments of ``buyers`` from ``first_day`` to
    ``as_of``, numbered in date order; payments falling after ``as_of`` are not made."""
    docs: list[tuple[dt.date, int, int, int, list[Line], Buyer]] = []
    for b in buyers:
        for day, amount in _orders(rng, b, first_day, as_of):
            lines = _order_lines(rng, b, amount, offer)
            docs.append((day, 0, b.id, len(docs), lines, b))
            back = _workday(day + rng.randint(5, 40) * DAY, day)
            if rng.random() < CREDIT_NOTE_RATE and back <= as_of:
                docs.append((back, 1, b.id, len(docs), _credit_note(rng, lines), b))
    docs.sort(key=lambda d: d[:4])
    rows = SalesRows()
    counters: dict[tuple[str, int], int] = {}
    for doc_id, (issued, rank, customer_id, _, lines, b) in enumerate(docs, start=1):
        kind, prefix = ("credit_note", "AV") if rank else ("invoice", "F")
        counters[prefix, issued.year] = seq = counters.get((prefix, issued.year), 0) + 1
        due, paid = _settlement(rng, b, issued, kind)
        rows.invoices.append(
            (
                doc_id,
                f"{prefix}{issued.year}-{seq:06d}",
                customer_id,
                issued.isoformat(),
                due.isoformat() if due else None,
                kind,
            )
        )
        for line_no, line in enumerate(lines, start=1):
            rows.lines.append((len(rows.lines) + 1, doc_id, line_no, *line))
        if paid is not None and paid <= as_of:
            rows.payments.append((len(rows.payments) + 1, doc_id, paid.isoformat(), None))
    return rows
