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
  spread of each customer's purchases, for the log-normal spend model), each
  logarithm rounded to 2^-36 and summed as an integer: the same sums in any
  order, so on every engine and from run to run.
  Customers who never made a purchase have NULL in all of them.
- The **window** is ``(as_of - window_months, as_of]`` and the previous window
  the same length before it (``periods.months_before``): ``revenue_cents`` and
  ``margin_cents`` are net sums over the window, ``prev_*`` over the previous
  one; a margin is NULL when no line of the window has one.  ``lifetime_*``
  are the same sums over every line up to ``as_of``.

``customer_summary`` gives these columns as of two dates in one pass over the
lines (``past_*`` as of the earlier one), with each customer's ABC value at
both: the valuation reads the file once, on whichever engine holds it, and
only one row per customer comes back (``Histories``: numpy columns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from clientfolio.analytics.abc import AbcConfig
from clientfolio.periods import months_before
from clientfolio.value.categories import pareto_class_array

__all__ = ["Histories", "Summary", "customer_history", "customer_summary", "read_summary"]


_MONEY = (
    "revenue_cents",
    "margin_cents",
    "prev_revenue_cents",
    "prev_margin_cents",
    "lifetime_revenue_cents",
    "lifetime_margin_cents",
)
_NUMBERS = (
    "frequency",
    "recency_days",
    "age_days",
    "monetary_cents",
    "first_amount_cents",
    "largest_purchase_cents",
    "log_count",
    "log_sum",
    "log_square_sum",
    *_MONEY,
)


def _days(transactions: ir.Table, as_of: dt.date, upto: dt.date | None = None) -> ir.Table:
    """Each customer's days up to ``as_of`` (net amount and margin, segment),
    with its first purchase day ``first_bought`` and its last day ``last_seen``
    (``last_upto``: up to ``upto``)."""
    t = transactions.filter(transactions.date <= as_of)
    days = t.group_by(["customer_id", "date"]).aggregate(
        amount=t.amount_cents.sum(),
        margin=t.margin_cents.sum(),
        segment=t.segment.max(),
    )
    customer = ibis.window(group_by="customer_id")
    marks = {
        "first_bought": ibis.ifelse(days.amount >= 0, days.date, None).min().over(customer),
        "last_seen": days.date.max().over(customer),
    }
    if upto is not None:
        marks["last_upto"] = ibis.ifelse(days.date <= upto, days.date, None).max().over(customer)
    return days.mutate(**marks)


_FIXED = 2.0**36  # the logs are summed as whole multiples of 2^-36


def _fixed(value: ir.FloatingValue) -> ir.IntegerValue:
    """``value`` in whole units of 2^-36: integers add up the same in any order,
    so the sums of logs do not depend on how the engine splits its work."""
    return (value * _FIXED).round().cast("int64")


def _sums(days: ir.Table, as_of: dt.date, window_months: int, prefix: str = "") -> dict[str, ir.Scalar]:
    """The per-customer aggregates of the history as of ``as_of`` (days after it
    left out), named with ``prefix``."""
    start = months_before(as_of, window_months)
    before = months_before(as_of, 2 * window_months)
    seen = days.date <= as_of
    bought = seen & (days.amount >= 0)
    paid = seen & (days.amount > 0)
    log_amount = ibis.greatest(days.amount, 1).cast("float64").ln()  # used where paid
    current = (days.date > start) & seen
    previous = (days.date > before) & (days.date <= start)
    sums = {
        "segment": ibis.ifelse(days.date == (days.last_upto if prefix else days.last_seen), days.segment, None).max(),
        "first_purchase": ibis.ifelse(bought, days.date, None).min(),
        "last_purchase": ibis.ifelse(bought, days.date, None).max(),
        "purchases": ibis.ifelse(bought, 1, 0).sum(),
        "bought_cents": ibis.ifelse(bought, days.amount, 0).sum(),
        "first_cents": ibis.ifelse(bought & (days.date == days.first_bought), days.amount, 0).sum(),
        "largest_cents": ibis.ifelse(bought, days.amount, None).max(),
        "log_count": ibis.ifelse(paid, 1, 0).sum(),
        "log_sum": ibis.ifelse(paid, _fixed(log_amount), 0).sum(),
        "log_square_sum": ibis.ifelse(paid, _fixed(log_amount * log_amount), 0).sum(),
        "revenue_cents": ibis.ifelse(current, days.amount, 0).sum(),
        "margin_cents": ibis.ifelse(current, days.margin, None).sum(),
        "prev_revenue_cents": ibis.ifelse(previous, days.amount, 0).sum(),
        "prev_margin_cents": ibis.ifelse(previous, days.margin, None).sum(),
        "lifetime_revenue_cents": ibis.ifelse(seen, days.amount, 0).sum(),
        "lifetime_margin_cents": ibis.ifelse(seen, days.margin, None).sum(),
    }
    if prefix:
        sums["last_day"] = ibis.ifelse(seen, days.date, None).max()
    return {prefix + name: value for name, value in sums.items()}


def _history(per: ir.Table, as_of: dt.date, prefix: str = "") -> dict[str, ir.Value]:
    """The history's columns (module docstring) from the aggregates ``_sums`` named ``prefix``."""

    def c(name: str) -> ir.Column:
        return per[prefix + name]

    has = c("purchases") > 0
    columns = {
        "segment": c("segment"),
        "first_purchase": c("first_purchase"),
        "last_purchase": c("last_purchase"),
        "frequency": ibis.ifelse(has, c("purchases") - 1, None).cast("int64"),
        "recency_days": c("last_purchase").delta(c("first_purchase"), unit="day").cast("int64"),
        "age_days": ibis.literal(as_of, "date").delta(c("first_purchase"), unit="day").cast("int64"),
        "monetary_cents": ibis.ifelse(
            c("purchases") > 1, (c("bought_cents") - c("first_cents")).cast("float64") / (c("purchases") - 1), None
        ),
        "first_amount_cents": ibis.ifelse(has, c("first_cents"), None).cast("int64"),
        "largest_purchase_cents": c("largest_cents").cast("int64"),
        "log_count": ibis.ifelse(has, c("log_count"), None).cast("int64"),
        "log_sum": ibis.ifelse(has, c("log_sum").cast("float64") / _FIXED, None),
        "log_square_sum": ibis.ifelse(has, c("log_square_sum").cast("float64") / _FIXED, None),
        **{name: c(name).cast("int64") for name in _MONEY},
    }
    return {prefix + name: value for name, value in columns.items()}


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
    days = _days(transactions, as_of)
    per = days.group_by("customer_id").aggregate(**_sums(days, as_of, window_months))
    return per.select("customer_id", **_history(per, as_of)).order_by("customer_id")


def customer_summary(
    transactions: ir.Table, *, as_of: dt.date, before: dt.date, window_months: int, abc: AbcConfig
) -> ir.Table:
    """``customer_history`` as of ``as_of`` and, prefixed ``past_``, as of
    ``before`` (NULL for a customer without a line by then), in one pass, with
    ``abc_value`` and ``past_abc_value``: the net revenue (or margin: ``abc.basis``)
    of the ``abc.months`` ending at each date, NULL for a customer without a
    line in them (``analytics.abc`` classes those listed).  One row per
    customer with a line up to ``as_of``, in no order."""
    days = _days(transactions, as_of, before)
    value = days.amount if abc.basis == "revenue" else days.margin.fill_null(0)
    sums = _sums(days, as_of, window_months) | _sums(days, before, window_months, "past_")
    for name, end in (("abc", as_of), ("past_abc", before)):
        inside = (days.date > months_before(end, abc.months)) & (days.date <= end)
        sums[f"{name}_value"] = ibis.ifelse(inside, value, None).sum()
        sums[f"{name}_lines"] = ibis.ifelse(inside, 1, 0).sum()
    per = days.group_by("customer_id").aggregate(**sums)
    return per.select(
        "customer_id",
        **_history(per, as_of),
        **_history(per, before, "past_"),
        past_last_day=per.past_last_day,
        abc_value=ibis.ifelse(per.abc_lines > 0, per.abc_value.fill_null(0), None).cast("int64"),
        past_abc_value=ibis.ifelse(per.past_abc_lines > 0, per.past_abc_value.fill_null(0), None).cast("int64"),
    )


@dataclass(frozen=True)
class Histories:
    """Rows of ``customer_history`` (or the ``past_`` ones of ``customer_summary``)
    as numpy columns: ``ids`` (object array of codes), ``segments`` (object, None
    when unknown), and every number of the history as float64, NaN for NULL
    (``value``; the dates ``first_purchase`` and ``last_purchase`` as days since
    1970).  One entry per customer, in the order of ``ids``."""

    ids: npt.NDArray[np.object_]
    segments: npt.NDArray[np.object_]
    values: dict[str, npt.NDArray[np.float64]]

    @classmethod
    def of(cls, table: pa.Table, prefix: str = "") -> Histories:
        """The columns named ``prefix`` + the history's names of ``table``."""

        def floats(name: str) -> npt.NDArray[np.float64]:
            column = table.column(prefix + name)
            if pa.types.is_date(column.type):
                column = column.cast(pa.int32())
            return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)

        values = {name: floats(name) for name in (*_NUMBERS, "first_purchase", "last_purchase")}
        ids = np.asarray(table.column("customer_id").to_numpy(zero_copy_only=False), dtype=object)
        segments = np.asarray(table.column(prefix + "segment").to_numpy(zero_copy_only=False), dtype=object)
        return cls(ids, segments, values)

    def __len__(self) -> int:
        return int(self.ids.size)

    def value(self, name: str) -> npt.NDArray[np.float64]:
        return self.values[name]

    def take(self, rows: npt.NDArray[Any]) -> Histories:
        """The customers at ``rows`` (indices or a mask)."""
        return Histories(self.ids[rows], self.segments[rows], {k: v[rows] for k, v in self.values.items()})


@dataclass(frozen=True)
class Summary:
    """``customer_summary`` read (``read_summary``): ``now``, the histories of
    every customer with a line up to the as-of date, by code; ``classes``,
    their ABC classes then (C when not listed); ``past_rows``, the rows of
    ``now`` of the customers who had bought by the earlier date, and ``past``
    their histories as of that date; ``past_classes``, the ABC classes at that
    date of every customer of ``now``."""

    now: Histories
    classes: npt.NDArray[np.str_]
    past_rows: npt.NDArray[np.intp]
    past: Histories
    past_classes: npt.NDArray[np.str_]


def read_summary(table: pa.Table, abc: AbcConfig) -> Summary:
    """``Summary`` of a ``customer_summary`` fetched as ``table`` (the ABC
    classes by ``abc``'s thresholds, on the values the engine summed)."""
    table = table.take(pc.sort_indices(table, sort_keys=[("customer_id", "ascending")]))  # as Python sorts codes
    now = Histories.of(table)
    past_rows = np.flatnonzero(table.column("past_first_purchase").is_valid().to_numpy(zero_copy_only=False))

    def classes(name: str) -> npt.NDArray[np.str_]:
        values = np.asarray(table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        listed = ~np.isnan(values)
        found = np.full(values.size, "C", dtype="<U1")
        found[listed] = pareto_class_array(now.ids[listed], values[listed], abc.a, abc.b)
        return found

    past = Histories.of(table, "past_").take(past_rows)
    return Summary(now, classes("abc_value"), past_rows, past, classes("past_abc_value"))
