"""Scoped reads of the customer store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, func, null, select, true

from clientfolio.access.principal import Principal
from clientfolio.store import Store
from clientfolio.store.schema import (
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    ProductLine,
    Prospect,
    Region,
    Segment,
)

if TYPE_CHECKING:  # Ibis is imported by the analytics that call ``transactions``
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

__all__ = ["AccountRow", "PortfolioReader", "SaleRow"]


@dataclass(frozen=True)
class SaleRow:
    """One invoice line with its context, as analytics and exports take it."""

    customer_code: str
    customer_name: str
    invoice_number: str
    issued_on: dt.date
    kind: str
    line_no: int
    product_code: str | None
    product_name: str | None
    product_line: str | None
    quantity: float | None
    amount_cents: int
    margin_cents: int | None
    segment: str | None
    region: str | None


@dataclass(frozen=True)
class AccountRow:
    """A customer or prospect with what its potential is estimated from."""

    kind: str  # "customer" or "prospect"
    code: str
    name: str
    segment: str | None
    region: str | None
    size_band: str | None
    potential_cents: int | None  # the entered wallet
    wallet_share_pct: float | None
    sector_growth_pct: float | None
    supplier_policy: str | None


class PortfolioReader:
    """Reads of customer data for one principal, filtered by their scope."""

    def __init__(self, store: Store, principal: Principal) -> None:
        self.store = store
        self.principal = principal

    def _customer_visible(self) -> ColumnElement[bool]:
        return self._visible(Customer)

    def _visible(self, model: type[Customer] | type[Prospect]) -> ColumnElement[bool]:
        """Rows of customers or prospects inside the principal's regions and segments."""
        scope = self.principal.scope
        clauses: list[ColumnElement[bool]] = []
        if scope.regions is not None:
            clauses.append(
                model.region_id.in_(select(Region.id).where(Region.code.in_(scope.regions)))
            )
        if scope.segments is not None:
            clauses.append(
                model.segment_id.in_(select(Segment.id).where(Segment.code.in_(scope.segments)))
            )
        return and_(true(), *clauses)

    def _line_visible(self) -> ColumnElement[bool]:
        lines = self.principal.scope.product_lines
        if lines is None:
            return true()
        return ProductLine.code.in_(lines)

    def _sales_query(self) -> Select[*tuple[Any, ...]]:
        return (
            select(
                Customer.code,
                Customer.name,
                Invoice.number,
                Invoice.issued_on,
                Invoice.kind,
                InvoiceLine.line_no,
                Product.code,
                Product.name,
                ProductLine.code,
                InvoiceLine.quantity,
                InvoiceLine.amount_cents,
                InvoiceLine.margin_cents,
                Segment.code,
                Region.code,
            )
            .select_from(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .outerjoin(Product, Product.id == InvoiceLine.product_id)
            .outerjoin(ProductLine, ProductLine.id == Product.product_line_id)
            .outerjoin(Segment, Segment.id == Customer.segment_id)
            .outerjoin(Region, Region.id == Customer.region_id)
            .where(self._customer_visible(), self._line_visible())
        )

    def sales(self) -> Iterator[SaleRow]:
        """Every visible invoice line, by invoice date then number then line."""
        query = self._sales_query().order_by(
            Invoice.issued_on, Invoice.number, InvoiceLine.line_no
        )
        with self.store.engine.connect() as conn:
            for row in conn.execute(query).yield_per(10_000):
                yield SaleRow(*row)

    def customers(self) -> list[Customer]:
        """Visible customers, by code."""
        with self.store.session() as session:
            rows = session.scalars(
                select(Customer).where(self._customer_visible()).order_by(Customer.code)
            ).all()
            session.expunge_all()
            return list(rows)

    def accounts(self) -> list[AccountRow]:
        """Visible customers, then visible open prospects (not won nor lost),
        each by code, with the fields the value estimates take."""
        rows: list[AccountRow] = []
        with self.store.engine.connect() as conn:
            for model, kind in ((Customer, "customer"), (Prospect, "prospect")):
                growth, policy = model.sector_growth_pct, model.supplier_policy
                share = Customer.wallet_share_pct if model is Customer else null()
                query = (
                    select(model.code, model.name, Segment.code, Region.code, model.size_band,
                           model.potential_cents, share, growth, policy)
                    .outerjoin(Segment, Segment.id == model.segment_id)
                    .outerjoin(Region, Region.id == model.region_id)
                    .where(self._visible(model))
                    .order_by(model.code)
                )
                if model is Prospect:
                    query = query.where(Prospect.stage.not_in(("won", "lost")))
                rows.extend(AccountRow(kind, *row) for row in conn.execute(query))
        return rows

    def revenue_by_customer_date(self) -> list[tuple[str, dt.date, int]]:
        """(customer code, invoice date, revenue in cents) for visible sales."""
        sub = self._sales_query().subquery()
        query = (
            select(sub.c.code, sub.c.issued_on, func.sum(sub.c.amount_cents))
            .group_by(sub.c.code, sub.c.issued_on)
            .order_by(sub.c.code, sub.c.issued_on)
        )
        with self.store.engine.connect() as conn:
            return [(code, day, int(total)) for code, day, total in conn.execute(query)]

    def transactions(self, con: BaseBackend) -> ir.Table:
        """The visible invoice lines as the analytics' transactions table
        (``clientfolio.analytics.transactions``), an Ibis expression on ``con``,
        a back-end opened on this store (``analytics.engines.connect_store``)."""
        lines, invoices = con.table("invoice_lines"), con.table("invoices")
        customers, products = con.table("customers"), con.table("products")
        product_lines, segments, regions = (
            con.table("product_lines"), con.table("segments"), con.table("regions"))
        scope = self.principal.scope
        visible = customers
        if scope.regions is not None:
            visible = visible.filter(visible.region_id.isin(
                regions.filter(regions.code.isin(sorted(scope.regions))).id))
        if scope.segments is not None:
            visible = visible.filter(visible.segment_id.isin(
                segments.filter(segments.code.isin(sorted(scope.segments))).id))
        sold = (
            lines.join(invoices, lines.invoice_id == invoices.id)
            .join(visible, invoices.customer_id == visible.id)
            .left_join(products, lines.product_id == products.id)
            .left_join(product_lines, products.product_line_id == product_lines.id)
            .left_join(segments, visible.segment_id == segments.id)
        )
        table = sold.select(
            customer_id=visible.code,
            invoice_id=invoices.number,
            date=invoices.issued_on.cast("date"),
            amount_cents=lines.amount_cents.cast("int64"),
            product=product_lines.code,
            segment=segments.code,
            margin_cents=lines.margin_cents.cast("int64"),
        )
        if scope.product_lines is not None:  # lines of no product line stay hidden, as in ``sales``
            table = table.filter(table.product.isin(sorted(scope.product_lines)))
        return table

    def payments(self) -> list[tuple[str, dt.date, dt.date | None, dt.date, int | None]]:
        """(invoice number, issued on, due on, paid on, amount cents) of visible customers."""
        query = (
            select(Invoice.number, Invoice.issued_on, Invoice.due_on, Payment.paid_on,
                   Payment.amount_cents)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(self._customer_visible())
            .order_by(Payment.paid_on, Invoice.number)
        )
        with self.store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]

    def receivables(self, con: BaseBackend) -> ir.Table:
        """The visible invoices and credit notes, one row each, as an Ibis
        expression on ``con`` (a back-end on this store): ``customer_id`` (code),
        ``invoice_id`` (number), ``kind``, ``issued_on``, ``due_on`` (NULL when
        unknown) and ``amount_cents`` (int64, sum of its lines, credit notes
        negative).  Customers are scoped as in ``transactions``; a principal
        scoped on product lines sees the invoices having at least one line in
        its lines, with their whole amount (payments settle whole invoices).
        Documents without lines are left out."""
        lines, invoices, customers = con.table("invoice_lines"), con.table("invoices"), con.table("customers")
        segments, regions = con.table("segments"), con.table("regions")
        scope = self.principal.scope
        visible = customers
        if scope.regions is not None:
            visible = visible.filter(visible.region_id.isin(
                regions.filter(regions.code.isin(sorted(scope.regions))).id))
        if scope.segments is not None:
            visible = visible.filter(visible.segment_id.isin(
                segments.filter(segments.code.isin(sorted(scope.segments))).id))
        if scope.product_lines is not None:
            product_lines = con.table("product_lines")
            codes = product_lines.filter(product_lines.code.isin(sorted(scope.product_lines))).id
            products = con.table("products")
            products = products.filter(products.product_line_id.isin(codes))
            in_lines = lines.filter(lines.product_id.isin(products.id))
            invoices = invoices.filter(invoices.id.isin(in_lines.invoice_id))
        totals = lines.group_by(document_id=lines.invoice_id).aggregate(total=lines.amount_cents.sum())
        docs = (
            invoices.join(visible, invoices.customer_id == visible.id)
            .join(totals, invoices.id == totals.document_id)
        )
        return docs.select(
            customer_id=visible.code,
            invoice_id=invoices.number,
            kind=invoices.kind,
            issued_on=invoices.issued_on.cast("date"),
            due_on=invoices.due_on.cast("date"),
            amount_cents=totals.total.cast("int64"),
        )

    def settlements(self, con: BaseBackend) -> ir.Table:
        """The payments of the invoices ``receivables`` shows, as an Ibis
        expression on ``con``: ``invoice_id`` (number), ``paid_on`` and
        ``amount_cents`` (int64; NULL = settled in full)."""
        payments, invoices = con.table("payments"), con.table("invoices")
        shown = invoices.filter(invoices.number.isin(self.receivables(con).invoice_id))
        paid = payments.join(shown, payments.invoice_id == shown.id)
        return paid.select(
            invoice_id=shown.number,
            paid_on=payments.paid_on.cast("date"),
            amount_cents=payments.amount_cents.cast("int64"),
        )
