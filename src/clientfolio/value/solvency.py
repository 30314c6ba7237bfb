"""Customer solvency (*solvabilité*): how late customers pay their invoices.

``solvency(receivables, settlements, as_of=..., config=...)`` takes the invoices
(``PortfolioReader.receivables``) and their payments
(``PortfolioReader.settlements``) and gives one row per customer; the same
query runs on DuckDB, SQLite, PostgreSQL and Spark.  ``portfolio_solvency``
(``solvency_totals`` on rows already fetched) adds the customers up into a
small frozen ``PortfolioSolvency``.

Rules (``as_of`` is the analysis date; money in integer cents):

- **Receivables** are the rows of kind ``invoice`` issued on or before
  ``as_of`` with a positive amount.  Credit notes are not receivables: they
  are ignored entirely (no delay, no revenue, not netted against the invoice
  they credit).  An invoice reduced by a credit note therefore stays open for
  the credited part, unless its payment is recorded as "settled in full"
  (NULL amount, what FEC lettering gives).
- **Due date** = ``due_on``, or ``issued_on + default_terms_days`` when it is
  missing.  Days are counted with the engines' date difference, never with
  date + interval (SQLite before 3.46 has none).
- **Settled on** = the first payment date (payments dated after ``as_of`` are
  ignored; payments of one day are added together) on which the cumulative
  payments reach the invoice amount; a payment of NULL amount settles the
  invoice in full on its date.  An invoice not settled at ``as_of`` is
  **open**; its outstanding amount is its amount minus its payments.
- **Days late** = max(0, settled on - due date); for an open invoice
  max(0, as_of - due date), so it grows until it is paid.
- **Incident** = an invoice more than ``incident_days`` late, settled or open.
- **Window** = the ``window_months`` months ending at ``as_of``,
  ``(as_of - window_months, as_of]`` ("- k months" clamps the day of month,
  as in ``analytics.measures``); ``window_days`` is its length in days.
- **In view** = issued in the window, or still open at ``as_of`` (an old unpaid
  invoice still counts; old settled ones do not).  One row per customer with
  at least one invoice in view; the delay columns are over those invoices.

Per customer: ``invoices`` (count in view), ``avg_days_late`` (mean weighted by
amount: sum(days x amount) / sum(amount), so a large invoice weighs more than a
small one; open invoices count with their current delay, not-yet-due ones with
0), ``max_days_late``, ``incidents`` (count in view), ``open_cents``
(outstanding at ``as_of``, due or not), ``overdue_cents`` (outstanding and past
due), ``revenue_cents`` (invoiced in the window), ``incident_revenue_cents``
(amount of the window's invoices that are incidents), ``dso_days`` =
open_cents / revenue_cents x window_days (NULL when revenue_cents is 0), and
``status``: ``risk`` when it has an incident in view (equivalently
max_days_late > incident_days), else ``watch`` when avg_days_late >
watch_days, else ``ok``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.i18n import N_
from clientfolio.periods import months_before

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

__all__ = [
    "STATUS_NAMES",
    "PortfolioSolvency",
    "SolvencyConfig",
    "invoice_delays",
    "portfolio_solvency",
    "solvency",
    "solvency_totals",
]

STATUS_NAMES = {"ok": N_("No incident"), "watch": N_("To watch"), "risk": N_("At risk")}
"""The English name of each solvency status, translated where shown."""


class SolvencyConfig(BaseModel):
    """Settings of the solvency analysis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_terms_days: int = Field(
        30,
        ge=0,
        le=365,
        description="Payment terms assumed when an invoice has no due date: due this many days after "
        "issue (default 30, the French legal default; the LME caps agreed terms at 60 days "
        "from issue, or 45 days end of month).",
    )
    incident_days: int = Field(
        30,
        ge=0,
        description="An invoice paid (or still unpaid) more than this many days after its due date is "
        "a payment incident (default 30).",
    )
    watch_days: int = Field(
        10,
        ge=0,
        description="A customer without incident is to watch when its average delay, weighted by "
        "amount, exceeds this many days (default 10).",
    )
    window_months: int = Field(
        12,
        ge=1,
        le=120,
        description="Months ending at the as-of date whose invoices make the revenue of the DSO and of "
        "the incident share (default 12).",
    )


@dataclass(frozen=True)
class PortfolioSolvency:
    """The portfolio's solvency figures; ``as_dict`` gives them JSON-ready."""

    as_of: dt.date
    window_start: dt.date
    window_days: int
    has_payment_data: bool
    customers: int
    customers_with_incidents: int
    customers_at_risk: int
    customers_to_watch: int
    revenue_cents: int
    incident_revenue_cents: int
    incident_revenue_share: float | None
    open_cents: int
    overdue_cents: int
    dso_days: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain values; dates ISO."""
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(self).items()}


def _window(as_of: dt.date, config: SolvencyConfig) -> tuple[dt.date, int]:
    """Exclusive start of the window and its length in days."""
    start = months_before(as_of, config.window_months)
    return start, (as_of - start).days


def invoice_delays(
    receivables: ir.Table,
    settlements: ir.Table,
    *,
    as_of: dt.date,
    config: SolvencyConfig = SolvencyConfig(),  # noqa: B008 - frozen, never mutated
) -> ir.Table:
    """One row per receivable invoice (module docstring) with its delay.

    Takes ``receivables`` (``customer_id, invoice_id, kind, issued_on, due_on,
    amount_cents``) and ``settlements`` (``invoice_id, paid_on, amount_cents``,
    NULL = in full).  Gives ``customer_id, invoice_id, issued_on, due_on,
    amount_cents, paid_cents`` (paid up to as_of), ``settled_on`` (NULL: open),
    ``days_late, open_cents, overdue_cents`` (int64) and ``incident,
    in_window`` (0/1 int64).
    """
    import ibis

    day = ibis.literal(as_of, "date")
    start, _ = _window(as_of, config)
    r = receivables
    inv = r.filter((r.kind == "invoice") & (r.issued_on <= day) & (r.amount_cents > 0)).select(
        customer_id=r.customer_id,
        invoice_id=r.invoice_id,
        issued_on=r.issued_on.cast("date"),
        due_on=r.due_on.cast("date"),
        amount_cents=r.amount_cents.cast("int64"),
    )
    s = settlements.filter(settlements.paid_on <= day)
    daily = s.group_by(invoice_id=s.invoice_id, paid_on=s.paid_on.cast("date")).aggregate(
        paid=s.amount_cents.fill_null(0).sum().cast("int64"),
        in_full=ibis.ifelse(s.amount_cents.isnull(), 1, 0).sum(),
    )
    owed = inv.select(owed_id=inv.invoice_id, owed=inv.amount_cents)
    p = daily.join(owed, daily.invoice_id == owed.owed_id)
    p = p.mutate(cum=p.paid.sum().over(ibis.cumulative_window(group_by=p.invoice_id, order_by=p.paid_on)))
    per = p.group_by(paid_id=p.invoice_id).aggregate(
        paid_cents=p.paid.sum().cast("int64"),
        settled_on=p.paid_on.min(where=(p.cum >= p.owed) | (p.in_full > 0)),
    )
    j = inv.left_join(per, inv.invoice_id == per.paid_id)
    j = j.select(*inv.columns, paid_cents=j.paid_cents.fill_null(0), settled_on=j.settled_on)

    # Days from the due date to ``ref``, without date + interval.
    ref = ibis.coalesce(j.settled_on, day)
    past_due = ibis.ifelse(
        j.due_on.notnull(),
        ref.delta(j.due_on, unit="day"),
        ref.delta(j.issued_on, unit="day") - config.default_terms_days,
    ).cast("int64")
    is_open = j.settled_on.isnull()
    outstanding = ibis.ifelse(is_open, j.amount_cents - j.paid_cents, 0).cast("int64")
    j = j.mutate(
        days_late=ibis.ifelse(past_due > 0, past_due, 0).cast("int64"),
        open_cents=outstanding,
        overdue_cents=ibis.ifelse(is_open & (past_due > 0), outstanding, 0).cast("int64"),
    )
    return j.mutate(
        incident=ibis.ifelse(j.days_late > config.incident_days, 1, 0).cast("int64"),
        in_window=ibis.ifelse(j.issued_on > ibis.literal(start, "date"), 1, 0).cast("int64"),
    )


def solvency(
    receivables: ir.Table,
    settlements: ir.Table,
    *,
    as_of: dt.date,
    config: SolvencyConfig = SolvencyConfig(),  # noqa: B008 - frozen, never mutated
) -> ir.Table:
    """One row per customer with an invoice in view (module docstring).

    Takes the same tables as ``invoice_delays``.  Gives ``customer_id, invoices,
    avg_days_late`` (float64), ``max_days_late, incidents, open_cents,
    overdue_cents, revenue_cents, incident_revenue_cents`` (int64),
    ``dso_days`` (float64, NULL when no revenue in the window) and ``status``
    (ok | watch | risk), ordered by ``customer_id``.
    """
    import ibis

    _, days = _window(as_of, config)
    d = invoice_delays(receivables, settlements, as_of=as_of, config=config)
    d = d.filter((d.in_window == 1) | d.settled_on.isnull())
    in_window = d.in_window == 1
    per = d.group_by("customer_id").aggregate(
        invoices=d.invoice_id.count().cast("int64"),
        weighted=(d.days_late * d.amount_cents).sum().cast("int64"),
        amount=d.amount_cents.sum().cast("int64"),
        max_days_late=d.days_late.max().cast("int64"),
        incidents=d.incident.sum().cast("int64"),
        open_cents=d.open_cents.sum().cast("int64"),
        overdue_cents=d.overdue_cents.sum().cast("int64"),
        revenue_cents=ibis.ifelse(in_window, d.amount_cents, 0).sum().cast("int64"),
        incident_revenue_cents=ibis.ifelse(in_window & (d.incident == 1), d.amount_cents, 0).sum().cast("int64"),
    )
    avg = per.weighted.cast("float64") / per.amount.cast("float64")
    per = per.mutate(avg_days_late=avg)
    return per.select(
        "customer_id",
        "invoices",
        "avg_days_late",
        "max_days_late",
        "incidents",
        "open_cents",
        "overdue_cents",
        dso_days=per.open_cents.cast("float64") * days / per.revenue_cents.nullif(0).cast("float64"),
        revenue_cents=per.revenue_cents,
        incident_revenue_cents=per.incident_revenue_cents,
        status=ibis.cases((per.incidents > 0, "risk"), (per.avg_days_late > config.watch_days, "watch"), else_="ok"),
    ).order_by("customer_id")


def portfolio_solvency(
    receivables: ir.Table,
    settlements: ir.Table,
    *,
    as_of: dt.date,
    config: SolvencyConfig = SolvencyConfig(),  # noqa: B008 - frozen, never mutated
) -> PortfolioSolvency:
    """The portfolio's figures, from the rows of ``solvency`` (same tables
    taken).  ``has_payment_data`` is False when ``settlements`` has no row at
    all: then every invoice looks unpaid and the caller should say "no payment
    data" rather than report the delays.  Runs two queries (the customers' rows,
    the payments' count); ``solvency_totals`` adds the rows up."""
    per_customer = solvency(receivables, settlements, as_of=as_of, config=config).to_pyarrow()
    payments = int(settlements.count().to_pyarrow().as_py())
    return solvency_totals(per_customer, as_of=as_of, has_payment_data=payments > 0, config=config)


def solvency_totals(
    per_customer: pa.Table,
    *,
    as_of: dt.date,
    has_payment_data: bool,
    config: SolvencyConfig = SolvencyConfig(),  # noqa: B008 - frozen, never mutated
) -> PortfolioSolvency:
    """The portfolio's figures from ``per_customer``, the rows of ``solvency``
    fetched (a pyarrow table with its columns): one row per customer, added up here
    (the caller who needs the rows as well runs the query once)."""
    import pyarrow.compute as pc

    start, days = _window(as_of, config)

    def total(name: str) -> int:
        return int(pc.sum(per_customer[name]).as_py() or 0)

    def count(mask: pa.ChunkedArray) -> int:
        return int(pc.sum(mask).as_py() or 0)

    revenue, incident_revenue, open_total = (
        total("revenue_cents"),
        total("incident_revenue_cents"),
        total("open_cents"),
    )
    status = per_customer["status"]
    return PortfolioSolvency(
        as_of=as_of,
        window_start=start + dt.timedelta(days=1),
        window_days=days,
        has_payment_data=has_payment_data,
        customers=per_customer.num_rows,
        customers_with_incidents=count(pc.greater(per_customer["incidents"], 0)),
        customers_at_risk=count(pc.equal(status, "risk")),
        customers_to_watch=count(pc.equal(status, "watch")),
        revenue_cents=revenue,
        incident_revenue_cents=incident_revenue,
        incident_revenue_share=incident_revenue / revenue if revenue else None,
        open_cents=open_total,
        overdue_cents=total("overdue_cents"),
        dso_days=open_total * days / revenue if revenue else None,
    )
