"""Per-customer totals: the one pass over the invoice lines that the measures,
the ABC classes and the RFM patterns start from.

Each analysis says what it needs of a customer's lines (``CustomerNeeds``):
net amounts over spans of dates and, for RFM, its purchases.
``customer_totals`` computes all that is asked in one GROUP BY customer over
the lines up to ``as_of`` (and, for the number of purchases in RFM's window, a
second one over the lines of that window: a COUNT DISTINCT in the first would
cost more); ``analyze`` thus reads the transactions once for the three
analyses and runs each of them on the result (one row per customer), cached in
the engine.

- **Spans** ``(after, up_to]`` are cut at every boundary any analysis asks for,
  and each piece is summed once: the measures' period N, the ABC period and the
  four RFM quarters cover the same lines, which are added up once.
- **Purchases**: an invoice (``customer_id, invoice_id``) whose lines net to a
  positive amount.  Summing every invoice would take a GROUP BY over millions
  of invoice numbers; instead the pass counts every invoice with a positive
  line as a purchase, which is exact for a customer with no line of zero or
  less, and ``settle_purchases`` then counts, invoice by invoice, the
  purchases of the customers with such a line (credit notes, corrected
  invoices).  A purchase is dated by its positive lines: the latest purchase by
  its latest one, the first purchase by its earliest (the same day unless an
  invoice's lines carry different dates).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir


__all__ = ["CustomerNeeds", "Span", "customer_totals", "settle_purchases"]

Column = Literal["amount_cents", "margin_cents"]


@dataclass(frozen=True)
class Span:
    """The net of ``column`` over the lines dated ``after < date <= up_to``
    (``margin_cents`` counts unknown margins as 0), of the product line
    ``product`` only when given (the matrix's co-purchases)."""

    after: dt.date
    up_to: dt.date
    column: Column = "amount_cents"
    product: str | None = None


@dataclass(frozen=True)
class CustomerNeeds:
    """What one analysis needs of each customer's lines.

    Every totals table has ``customer_id`` and ``first_line`` / ``last_line``
    (dates of the customer's first and last line up to ``as_of``).  ``spans``
    adds one int64 column per name.  ``purchases_after`` adds
    ``first_purchase`` and ``last_purchase`` (dates, NULL without a purchase),
    ``purchases`` (int64: purchases with a line after that date) and
    ``lowest_line`` (the smallest line amount, for ``settle_purchases``).
    """

    spans: Mapping[str, Span] = field(default_factory=dict)
    purchases_after: dt.date | None = None


def customer_totals(transactions: ir.Table, *, as_of: dt.date, needs: Iterable[CustomerNeeds]) -> ir.Table:
    """One row per customer with a line up to ``as_of``, with the columns the
    ``needs`` ask for (see ``CustomerNeeds``).

    Takes the transactions table (``customer_id, invoice_id, date,
    amount_cents, margin_cents``, and ``product`` for a span of a product
    line; see ``analytics.transactions``).
    """
    import ibis

    spans: dict[str, Span] = {}
    after_dates: set[dt.date] = set()
    for need in needs:
        for name, span in need.spans.items():
            if spans.setdefault(name, span) != span:
                raise ValueError(f"two analyses ask for different spans named {name!r}")
        if need.purchases_after is not None:
            after_dates.add(need.purchases_after)
    if len(after_dates) > 1:
        raise ValueError("the analyses ask for purchases after different dates")

    t = transactions.filter(transactions.date <= ibis.literal(as_of, "date"))
    pieces = _pieces(spans.values())
    aggregates: dict[str, ir.Scalar] = {"first_line": t.date.min(), "last_line": t.date.max()}
    for index, (column, product, after, up_to) in enumerate(pieces):
        inside = (t.date > ibis.literal(after, "date")) & (t.date <= ibis.literal(up_to, "date"))
        if product is not None:
            inside = inside & (t.product == product)
        value = t.margin_cents.fill_null(0) if column == "margin_cents" else t.amount_cents
        aggregates[f"_piece{index}"] = ibis.ifelse(inside, value, 0).sum()
    if after_dates:
        (after,) = after_dates
        sold = t.amount_cents > 0
        aggregates.update(
            first_purchase=t.date.min(where=sold),
            last_purchase=t.date.max(where=sold),
            lowest_line=t.amount_cents.min(),
        )
    per = t.group_by("customer_id").aggregate(**aggregates)

    def net(span: Span) -> ir.IntegerValue:
        parts = [
            per[f"_piece{i}"].cast("int64")
            for i, piece in enumerate(pieces)
            if piece[:2] == (span.column, span.product) and span.after <= piece[2] and piece[3] <= span.up_to
        ]
        return reduce(operator.add, parts) if parts else ibis.literal(0, "int64")

    columns = {name: net(span) for name, span in spans.items()}
    if not after_dates:
        return per.select("customer_id", "first_line", "last_line", **columns)
    # the purchases after the date, counted over those lines only
    per = per.select(
        "customer_id", "first_line", "last_line", "lowest_line", "first_purchase", "last_purchase", **columns
    )
    recent = t.filter((t.date > ibis.literal(after, "date")) & (t.amount_cents > 0))
    counted = recent.group_by("customer_id").aggregate(purchases=recent.invoice_id.nunique())
    counted = counted.select(counted_customer=counted.customer_id, purchases=counted.purchases)
    joined = per.left_join(counted, per.customer_id == counted.counted_customer)
    return joined.select(
        "customer_id",
        "first_line",
        "last_line",
        "lowest_line",
        "first_purchase",
        "last_purchase",
        purchases=joined.purchases.fill_null(0).cast("int64"),
        **{name: joined[name] for name in columns},
    )


def settle_purchases(
    transactions: ir.Table, totals: ir.Table, *, as_of: dt.date, needs: Iterable[CustomerNeeds]
) -> ir.Table:
    """``totals`` (from ``customer_totals`` with the same arguments) with the
    purchases of the customers who have a line of zero or less (a credit note,
    a corrected invoice) counted exactly, invoice by invoice.

    Runs two queries now: whether any customer has such a line (read from
    ``totals``: pass them cached, or the pass over the lines runs once more),
    then, if so, the purchases of those customers, fetched (one row each) and
    joined to ``totals``.  Gives ``totals`` itself when no line is zero or
    negative, or when the ``needs`` ask for no purchases.
    """
    import ibis

    after_dates = {n.purchases_after for n in needs if n.purchases_after is not None}
    if not after_dates:
        return totals
    (after,) = after_dates
    credited = totals.filter(totals.lowest_line <= 0).select(credited=totals.customer_id)
    if credited.count().to_pyarrow().as_py() == 0:
        return totals
    t = transactions.filter(transactions.date <= ibis.literal(as_of, "date"))
    # ``isin``, not a semi-join: SQLite runs the semi-join's EXISTS once per line, scanning the credited
    # customers each time (a 20,000-customer store: 213 s), and the IN list once (0.45 s)
    exact = ibis.memtable(_exact_purchases(t.filter(t.customer_id.isin(credited.credited)), after).to_pyarrow())
    joined = totals.left_join(exact, totals.customer_id == exact.exact_customer)
    recounted = joined.exact_customer.notnull()
    return joined.select(
        *[name for name in totals.columns if name not in ("first_purchase", "last_purchase", "purchases")],
        first_purchase=ibis.ifelse(recounted, joined.exact_first, joined.first_purchase),
        last_purchase=ibis.ifelse(recounted, joined.exact_last, joined.last_purchase),
        purchases=ibis.ifelse(recounted, joined.exact_purchases, joined.purchases),
    )


def _exact_purchases(lines: ir.Table, after: dt.date) -> ir.Table:
    """Per customer of ``lines``, the purchases summed invoice by invoice:
    ``exact_customer, exact_first, exact_last`` (first and last positive line of
    an invoice netting above zero) and ``exact_purchases`` (such invoices with a
    positive line after ``after``)."""
    import ibis

    sold = lines.amount_cents > 0
    invoices = lines.group_by(["customer_id", "invoice_id"]).aggregate(
        net=lines.amount_cents.sum(),
        first_sold=lines.date.min(where=sold),
        last_sold=lines.date.max(where=sold),
        recent=(sold & (lines.date > ibis.literal(after, "date"))).any(),
    )
    bought = invoices.net > 0
    per = invoices.group_by("customer_id").aggregate(
        exact_first=invoices.first_sold.min(where=bought),
        exact_last=invoices.last_sold.max(where=bought),
        exact_purchases=ibis.ifelse(bought & invoices.recent, 1, 0).sum(),
    )
    return per.select(
        exact_customer=per.customer_id,
        exact_first=per.exact_first,
        exact_last=per.exact_last,
        exact_purchases=per.exact_purchases.cast("int64"),
    )


def _pieces(spans: Iterable[Span]) -> list[tuple[Column, str | None, dt.date, dt.date]]:
    """The spans cut at every boundary: ``(column, product, after, up_to)``
    pieces that each lie inside at least one span of that column and product
    line, in date order."""
    pieces: list[tuple[Column, str | None, dt.date, dt.date]] = []
    by_column: dict[tuple[Column, str | None], list[Span]] = {}
    for span in spans:
        if span.after < span.up_to:
            by_column.setdefault((span.column, span.product), []).append(span)
    for (column, product), listed in sorted(by_column.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        bounds = sorted({d for s in listed for d in (s.after, s.up_to)})
        for after, up_to in zip(bounds, bounds[1:], strict=False):
            if any(s.after <= after and up_to <= s.up_to for s in listed):
                pieces.append((column, product, after, up_to))
    return pieces
