"""Each customer's purchase history, summed for the value models.

One row per customer with a line up to ``as_of``: the repeat-purchase summary
the lifetime-value models take (the one of lifetimes'
``summary_data_from_transaction_data``), and the revenue and margin of the
current and previous windows that the categories, quadrants and trajectories
take.

Rules:

- A **purchase** is a day on which the customer's net amount is zero or more
  (the lines of one day are summed, as the CDNOW studies count one purchase a
  day; a free delivery is a purchase, as the published CDNOW results count
  every transaction day, free ones included).  A day whose credit notes
  outweigh its invoices is not a purchase; its amount still counts in the
  revenue.
- ``frequency`` = purchases - 1 (repeat purchases); ``recency_days`` = last
  purchase - first purchase; ``age_days`` = ``as_of`` - first purchase;
  ``monetary_cents`` = mean amount of the repeat purchases (NULL without
  any); ``first_amount_cents`` = amount of the first purchase;
  ``largest_purchase_cents`` = the largest purchase; ``log_count``,
  ``log_sum`` and ``log_square_sum`` = the number of purchases worth more than
  zero and the sums over them of ln(amount in cents) and of its square (the
  spread of each customer's purchases, for the log-normal spend model).
  Customers who never made a purchase have NULL in all of them.
- The **window** is ``(as_of - window_months, as_of]`` and the previous window
  the same length before it (``periods.months_before``): ``revenue_cents`` and
  ``margin_cents`` are net sums over the window, ``prev_*`` over the previous
  one; a margin is NULL when no line of the window has one.  ``lifetime_*``
  are the same sums over every line up to ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt

from clientfolio.periods import months_before

__all__ = ["column", "customer_history"]


def customer_history(transactions: ir.Table, *, as_of: dt.date, window_months: int = 12) -> ir.Table:
    """Per-customer purchase summary of the transactions table (see the module
    docstring for the rules).

    Takes ``customer_id, date, amount_cents, margin_cents, segment``.  Gives
    ``customer_id``, ``segment`` (the last one seen), ``first_purchase`` and
    ``last_purchase`` (date), ``frequency``, ``recency_days``, ``age_days``
    (int64), ``monetary_cents`` (float64), ``first_amount_cents``, ``revenue_cents``, ``margin_cents``,
    ``prev_revenue_cents``, ``prev_margin_cents``, ``lifetime_revenue_cents`` and
    ``lifetime_margin_cents`` (int64), sorted by ``customer_id``.
    """
    start = months_before(as_of, window_months)
    before = months_before(as_of, 2 * window_months)
    t = transactions.filter(transactions.date <= as_of)
    days = t.group_by(["customer_id", "date"]).aggregate(
        amount=t.amount_cents.sum(),
        margin=t.margin_cents.sum(),
        segment=t.segment.max(),
    )
    bought = days.amount >= 0
    order = ibis.window(group_by="customer_id", order_by=[days.date.desc()])
    days = days.mutate(
        rank=ibis.ifelse(
            bought, ibis.row_number().over(ibis.window(group_by=["customer_id", bought], order_by=[days.date])), None
        ),
        latest=ibis.row_number().over(order),
    )
    paid = days.amount > 0
    log_amount = ibis.greatest(days.amount, 1).cast("float64").ln()  # used where paid
    current = days.date > start
    previous = (days.date > before) & (days.date <= start)
    per = days.group_by("customer_id").aggregate(
        segment=ibis.ifelse(days.latest == 0, days.segment, None).max(),
        first_purchase=ibis.ifelse(bought, days.date, None).min(),
        last_purchase=ibis.ifelse(bought, days.date, None).max(),
        purchases=ibis.ifelse(bought, 1, 0).sum(),
        repeat_cents=ibis.ifelse(days.rank > 0, days.amount, 0).sum(),
        first_cents=ibis.ifelse(days.rank == 0, days.amount, 0).sum(),
        largest_cents=ibis.ifelse(bought, days.amount, None).max(),
        log_count=ibis.ifelse(paid, 1, 0).sum(),
        log_sum=ibis.ifelse(paid, log_amount, 0.0).sum(),
        log_square_sum=ibis.ifelse(paid, log_amount * log_amount, 0.0).sum(),
        revenue_cents=ibis.ifelse(current, days.amount, 0).sum(),
        margin_cents=ibis.ifelse(current, days.margin, None).sum(),
        prev_revenue_cents=ibis.ifelse(previous, days.amount, 0).sum(),
        prev_margin_cents=ibis.ifelse(previous, days.margin, None).sum(),
        lifetime_revenue_cents=days.amount.sum(),
        lifetime_margin_cents=days.margin.sum(),
    )
    has = per.purchases > 0
    return per.select(
        "customer_id",
        "segment",
        "first_purchase",
        "last_purchase",
        frequency=ibis.ifelse(has, per.purchases - 1, None).cast("int64"),
        recency_days=per.last_purchase.delta(per.first_purchase, unit="day").cast("int64"),
        age_days=ibis.literal(as_of, "date").delta(per.first_purchase, unit="day").cast("int64"),
        monetary_cents=ibis.ifelse(per.purchases > 1, per.repeat_cents.cast("float64") / (per.purchases - 1), None),
        first_amount_cents=ibis.ifelse(per.purchases > 0, per.first_cents, None).cast("int64"),
        largest_purchase_cents=per.largest_cents.cast("int64"),
        log_count=ibis.ifelse(has, per.log_count, None).cast("int64"),
        log_sum=ibis.ifelse(has, per.log_sum, None).cast("float64"),
        log_square_sum=ibis.ifelse(has, per.log_square_sum, None).cast("float64"),
        revenue_cents=per.revenue_cents.cast("int64"),
        margin_cents=per.margin_cents.cast("int64"),
        prev_revenue_cents=per.prev_revenue_cents.cast("int64"),
        prev_margin_cents=per.prev_margin_cents.cast("int64"),
        lifetime_revenue_cents=per.lifetime_revenue_cents.cast("int64"),
        lifetime_margin_cents=per.lifetime_margin_cents.cast("int64"),
    ).order_by("customer_id")


def column(rows: list[dict[str, Any]], name: str) -> npt.NDArray[np.float64]:
    """One column of ``customer_history`` rows as floats, NaN for NULL."""
    return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=np.float64)
