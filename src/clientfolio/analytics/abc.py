"""ABC classes of customers (*matrice ABC*, DOMAIN.md section 2).

Customers are ranked by the value they made in the ``months`` ending at
``as_of`` (revenue, or gross margin) and cut by cumulative share: A the big
customers that make the first ``a`` of the value (80 % by default), B those
that make the next part up to ``b`` (95 %), C the rest.  The seed's reference
distribution: 20 % of customers make 80 % of revenue (A), 50 % make 15 % (B),
30 % make 5 % (C).  The thresholds are settings (``AbcConfig``).

Rules (``as_of`` is the analysis date):

- **Period**: ``(as_of - months, as_of]`` ("- k months" keeps the day of month,
  clamped to the end of a shorter month; the boundary is computed in Python and
  compared as a literal date).  Customers with at least one line in the period
  are listed; customers without are not.
- **Value** (column ``value_cents``, whatever the basis): the customer's net sum
  over the period's lines of ``amount_cents`` (basis ``revenue``) or of
  ``margin_cents`` (basis ``margin``; lines of unknown margin count as 0).
  Credit notes are negative lines and net against the invoices.
- **Order**: value descending, ties broken by ``customer_id`` ascending (the
  engine's string order: the same everywhere for ASCII codes in one case).
- **Share** = value / total, where total is the sum of the *positive* values;
  customers with zero or negative value have share 0, so the shares of a period
  add up to 1 (or are all 0 when nobody has a positive value).
- **Cumulative share**: sum of the shares of the customers up to and including
  this one in that order, with an explicit frame ``ROWS BETWEEN UNBOUNDED
  PRECEDING AND CURRENT ROW`` (tied customers get different cumulative shares).
- **Class**: with ``before`` = cumulative share minus own share (what the
  customers ahead of it make): A when ``before < a``, else B when
  ``before < b``, else C.  So the customer that crosses ``a`` is still A (70 % ->
  90 % is A), and one that starts exactly at ``a`` is B.  Customers with zero or
  negative value are C whatever their rank.  ``before`` is compared as the
  quotient of two integer sums of cents, which every engine rounds like the
  threshold's literal, so an exact hit (800 / 1000 against 0.80) falls the same
  way everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clientfolio.analytics.customer_totals import CustomerNeeds, Span, customer_totals
from clientfolio.errors import RuleError
from clientfolio.periods import months_before

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["ABC_CLASSES", "AbcConfig", "abc_classes", "abc_needs", "abc_of_totals", "abc_summary"]

ABC_CLASSES = ("A", "B", "C")


class AbcConfig(BaseModel):
    """Thresholds and basis of the ABC classes (the seed: 80 % / 95 %)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: float = Field(
        0.80,
        gt=0,
        le=1,
        description="Cumulative share of value made by the A customers (seed: 80 % of revenue).",
    )
    b: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Cumulative share reached at the end of the B customers (seed: 80 % + 15 % = 95 %).",
    )
    basis: Literal["revenue", "margin"] = Field(
        "revenue",
        description="Rank customers by net revenue or by gross margin.",
    )
    months: int = Field(
        12,
        ge=1,
        le=120,
        description="Length of the period ending at the as-of date, in months.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AbcConfig:
        if self.a > self.b:
            raise RuleError("the A threshold must not exceed the B threshold")
        return self


def abc_needs(as_of: dt.date, config: AbcConfig = AbcConfig()) -> CustomerNeeds:  # noqa: B008 - frozen
    """What the ABC classes need of each customer's lines (see ``customer_totals``):
    the net revenue or margin of the period."""
    start = months_before(as_of, config.months)
    span = Span(start, as_of, "amount_cents") if config.basis == "revenue" else Span(start, as_of, "margin_cents")
    return CustomerNeeds(spans={"abc_value": span})


def abc_classes(
    transactions: ir.Table,
    *,
    as_of: dt.date,
    config: AbcConfig = AbcConfig(),  # noqa: B008 - frozen, never mutated
) -> ir.Table:
    """The ABC class of every customer with lines in the period (see the module
    docstring for the rules).

    Takes the columns ``customer_id``, ``date`` and ``amount_cents`` (basis
    ``revenue``) or ``margin_cents`` (basis ``margin``) of the transactions table.
    Gives ``customer_id`` (string), ``value_cents`` (int64: net revenue or net
    margin), ``share`` and ``cumulative_share`` (float64, 0-1) and ``class``
    (``A``, ``B`` or ``C``), sorted by value descending then ``customer_id``.
    """
    totals = customer_totals(transactions, as_of=as_of, needs=[abc_needs(as_of, config)])
    return abc_of_totals(totals, as_of=as_of, config=config)


def abc_of_totals(
    totals: ir.Table,
    *,
    as_of: dt.date,
    config: AbcConfig = AbcConfig(),  # noqa: B008 - frozen, never mutated
) -> ir.Table:
    """``abc_classes`` computed from customer totals that include ``abc_needs``
    (``analyze`` computes them once for the measures, ABC and RFM)."""
    import ibis

    start = months_before(as_of, config.months)
    per = totals.filter(totals.last_line > ibis.literal(start, "date")).select(
        "customer_id", value_cents=totals.abc_value
    )
    per = per.mutate(positive=ibis.ifelse(per.value_cents > 0, per.value_cents, 0))
    order = [per.value_cents.desc(), per.customer_id.asc()]
    per = per.mutate(
        cumulative=per.positive.sum().over(ibis.window(order_by=order, preceding=None, following=0)),
        total=per.positive.sum().over(),
    )
    denominator = per.total.nullif(0)

    def fraction(cents: ir.IntegerValue) -> ir.FloatingValue:
        return (cents / denominator).fill_null(0.0)

    before = fraction(per.cumulative - per.positive)
    klass = ibis.cases(
        ((per.positive > 0) & (before < config.a), "A"),
        ((per.positive > 0) & (before < config.b), "B"),
        else_="C",
    )
    return per.select(
        "customer_id",
        "value_cents",
        share=fraction(per.positive),
        cumulative_share=fraction(per.cumulative),
        **{"class": klass},
    ).order_by([ibis.desc("value_cents"), ibis.asc("customer_id")])


def abc_summary(classes: ir.Table) -> ir.Table:
    """Totals per class of an ``abc_classes`` table.

    Takes ``class``, ``value_cents`` and ``share``; gives one row per class, A, B
    then C, always all three (each row is an aggregate of the whole table, which
    has one row even when no customer is in the class): ``class``,
    ``customers`` (int64), ``customer_share`` (customers / all customers listed,
    0 when none), ``value_cents`` (net value of the class, int64: C includes the
    zero and negative values) and ``value_share`` (sum of the class's shares, so
    of the positive value; the three add up to 1 when any value is positive).
    """
    import ibis

    everyone = classes.count().nullif(0)
    parts = []
    for name in ABC_CLASSES:
        member = classes["class"] == name
        row = classes.aggregate(
            customers=ibis.ifelse(member, 1, 0).sum().fill_null(0).cast("int64"),
            customer_share=(ibis.ifelse(member, 1, 0).sum() / everyone).fill_null(0.0),
            value_cents=ibis.ifelse(member, classes.value_cents, 0).sum().fill_null(0).cast("int64"),
            value_share=ibis.ifelse(member, classes.share, 0.0).sum().fill_null(0.0),
        )
        parts.append(
            row.select(
                ibis.literal(name).name("class"),
                "customers",
                "customer_share",
                "value_cents",
                "value_share",
            )
        )
    return ibis.union(*parts).order_by("class")
