"""Scoped reads of the customer store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, func, null, or_, select, true
from sqlalchemy.orm import Session

from clientfolio.access.principal import Principal, Scope
from clientfolio.access.rls import limit_backend, limit_connection
from clientfolio.audit_log import record_customer_read
from clientfolio.crypto import email_index, open_field
from clientfolio.keyring import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import (
    Contact,
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

__all__ = ["AccountRow", "ContactRow", "PortfolioReader", "SaleRow"]


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


@dataclass(frozen=True)
class ContactRow:
    """A person at a customer or prospect, decrypted."""

    kind: str  # "customer" or "prospect"
    code: str  # of the customer or prospect
    name: str
    function: str | None
    email: str | None
    phone: str | None


class PortfolioReader:
    """Reads of customer data for one principal, filtered by their scope."""

    def __init__(self, store: Store, principal: Principal) -> None:
        self.store = store
        self.principal = principal

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection whose transaction is bound to the principal's scope
        (row-level security on PostgreSQL: ``access.rls``), for reads; the
        one door to the customer rows for a caller that builds its own queries
        with ``visible`` / ``visible_ids`` / ``visible_about``."""
        with self.store.engine.connect() as conn:
            limit_connection(conn, self.principal.scope)
            yield conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction bound to the principal's scope like ``connect``'s,
        committed when the block ends, rolled back when it raises (writes)."""
        with self.store.begin() as conn:
            limit_connection(conn, self.principal.scope)
            yield conn

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session bound like ``connect``; the caller commits what it writes."""
        with self.store.session() as session:
            limit_connection(session.connection(), self.principal.scope)
            yield session

    def visible(self, model: type[Customer] | type[Prospect]) -> ColumnElement[bool]:
        """The condition on ``model`` rows (customers or prospects) inside the
        principal's regions and segments."""
        scope = self.principal.scope
        clauses: list[ColumnElement[bool]] = []
        if scope.regions is not None:
            clauses.append(model.region_id.in_(select(Region.id).where(Region.code.in_(scope.regions))))
        if scope.segments is not None:
            clauses.append(model.segment_id.in_(select(Segment.id).where(Segment.code.in_(scope.segments))))
        return and_(true(), *clauses)

    def visible_ids(self, model: type[Customer] | type[Prospect]) -> Select[int]:
        """The ids of the visible customers or prospects, as a subquery to
        filter rows that refer to them (``column.in_(reader.visible_ids(Customer))``)."""
        return select(model.id).where(self.visible(model))

    def visible_about(self, customer_id: Any, prospect_id: Any) -> ColumnElement[bool]:
        """The condition on rows about a customer (``customer_id``) or a prospect
        (``prospect_id``), such as activities, plan actions and SWOT items: the
        customer or prospect is visible; a row about neither is visible only to
        a principal without region or segment restriction."""
        scope = self.principal.scope
        unrestricted = true() if scope.regions is None and scope.segments is None else false()
        return or_(
            and_(customer_id.is_not(None), customer_id.in_(self.visible_ids(Customer))),
            and_(prospect_id.is_not(None), prospect_id.in_(self.visible_ids(Prospect))),
            and_(customer_id.is_(None), prospect_id.is_(None), unrestricted),
        )

    def reference_names(self) -> dict[str, dict[str, str]]:
        """The names of the regions (``region``), segments (``segment``) and
        product lines (``product_line``) by code: reference data every display
        shows in place of the codes (a code without a name is left out: shown
        as it is)."""
        tables: dict[str, type[Region] | type[Segment] | type[ProductLine]] = {
            "region": Region,
            "segment": Segment,
            "product_line": ProductLine,
        }
        with self.connect() as conn:
            return {
                dim: {code: name for code, name in conn.execute(select(t.code, t.name)) if name}
                for dim, t in tables.items()
            }

    def visible_lines(self) -> ColumnElement[bool]:
        """The condition on ``ProductLine`` rows of the product lines in scope."""
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
            .where(self.visible(Customer), self.visible_lines())
        )

    def sales(self) -> Iterator[SaleRow]:
        """Every visible invoice line, by invoice date then number then line."""
        query = self._sales_query().order_by(Invoice.issued_on, Invoice.number, InvoiceLine.line_no)
        with self.connect() as conn:
            for row in conn.execute(query).yield_per(10_000):
                yield SaleRow(*row)

    def customers(self, ring: KeyRing | None = None) -> list[Customer]:
        """Visible customers, by code; with ``ring``, their addresses decrypted
        (without, an encrypted address is left as its token)."""
        with self._session() as session:
            rows = session.scalars(select(Customer).where(self.visible(Customer)).order_by(Customer.code)).all()
            session.expunge_all()
        if ring is not None:
            for customer in rows:
                customer.address = open_field(ring, "customers", customer.id, "address", customer.address)
        return list(rows)

    def customer(self, code: str, *, chain_key: bytes, ring: KeyRing | None = None) -> Customer | None:
        """The record of customer ``code`` when visible (None otherwise, never
        telling out of scope from unknown); the read, or the attempt, is
        written to the audit log (``chain_key``: the audit key) in the same
        transaction.  With ``ring``, the address is decrypted."""
        with self._session() as session:
            found = session.scalars(select(Customer).where(Customer.code == code, self.visible(Customer))).first()
            record_customer_read(
                session.connection(),
                actor=self.principal.username,
                customer_code=code,
                visible=found is not None,
                chain_key=chain_key,
            )
            session.expunge_all()  # detached before the commit, so nothing is expired
            session.commit()
        if found is not None and ring is not None:
            found.address = open_field(ring, "customers", found.id, "address", found.address)
        return found

    def _contact_rows(
        self, ring: KeyRing | None, where: ColumnElement[bool], customer_code: str | None = None
    ) -> list[ContactRow]:
        """Visible contacts matching ``where``: those of customer ``customer_code``,
        else those of every customer and prospect."""
        owners: list[tuple[type[Customer] | type[Prospect], str, Any]] = [(Customer, "customer", Contact.customer_id)]
        if customer_code is None:
            owners.append((Prospect, "prospect", Contact.prospect_id))
        else:
            where = and_(where, Customer.code == customer_code)
        found: list[ContactRow] = []
        with self.connect() as conn:
            for model, kind, owner in owners:
                query = (
                    select(Contact.id, model.code, Contact.name, Contact.function, Contact.email, Contact.phone)
                    .join(model, model.id == owner)
                    .where(self.visible(model), where)
                    .order_by(model.code, Contact.id)
                )
                for cid, code, name, function, mail, phone in conn.execute(query):
                    found.append(
                        ContactRow(
                            kind,
                            code,
                            open_field(ring, "contacts", cid, "name", name) or "",
                            function,
                            open_field(ring, "contacts", cid, "email", mail),
                            open_field(ring, "contacts", cid, "phone", phone),
                        )
                    )
        return found

    def contacts(self, customer_code: str, ring: KeyRing | None) -> list[ContactRow]:
        """The contacts of visible customer ``customer_code``, decrypted, in the
        order they were entered (none when the customer is out of scope);
        raises ``KeyMissing`` when they are encrypted and ``ring`` is None."""
        return self._contact_rows(ring, true(), customer_code)

    def find_contact_by_email(self, email: str, ring: KeyRing) -> list[ContactRow]:
        """The visible contacts (of customers, then prospects) whose email is
        exactly ``email`` (case and surrounding spaces ignored), found through
        the blind index without decrypting the other rows."""
        return self._contact_rows(ring, Contact.email_index == email_index(ring, email))

    def accounts(self, code: str | None = None, *, prospects: bool = True) -> list[AccountRow]:
        """Visible customers, then visible open prospects (not won nor lost;
        none when ``prospects`` is False), each by code, with the fields the
        value estimates take (only those whose code is ``code`` when given)."""
        rows: list[AccountRow] = []
        kinds = ((Customer, "customer"), (Prospect, "prospect")) if prospects else ((Customer, "customer"),)
        with self.connect() as conn:
            for model, kind in kinds:
                growth, policy = model.sector_growth_pct, model.supplier_policy
                share = Customer.wallet_share_pct if model is Customer else null()
                query = (
                    select(
                        model.code,
                        model.name,
                        Segment.code,
                        Region.code,
                        model.size_band,
                        model.potential_cents,
                        share,
                        growth,
                        policy,
                    )
                    .outerjoin(Segment, Segment.id == model.segment_id)
                    .outerjoin(Region, Region.id == model.region_id)
                    .where(self.visible(model))
                    .order_by(model.code)
                )
                if model is Prospect:
                    query = query.where(Prospect.stage.not_in(("won", "lost")))
                if code is not None:
                    query = query.where(model.code == code)
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
        with self.connect() as conn:
            return [(code, day, int(total)) for code, day, total in conn.execute(query)]

    def every_customer(self) -> PortfolioReader | None:
        """The reader of every customer on the product lines the principal may
        see (its regions and segments lifted), None when this reader sees every
        customer already.  Two things only are taken from it, never a row: the
        lifetime-value models' parameters, fitted on the whole portfolio so that
        a customer's value does not change with who looks (``value.run``), and
        the day a scoped principal's figures are as of (``scoped_day``)."""
        scope = self.principal.scope
        if scope.regions is None and scope.segments is None:
            return None
        return PortfolioReader(self.store, replace(self.principal, scope=Scope(product_lines=scope.product_lines)))

    def scoped_day(self) -> dt.date | None:
        """The day the figures of a scoped principal (a sales rep of some
        regions or segments) are as of by default: the last sale on the product
        lines it may see, whoever the customer (``every_customer``), so that
        its figures, and its customers' lifetime values, are of the company's
        day and not of its own region's last sale (a region without a sale for
        a month would look a month younger); only that date crosses the scope.
        None for a principal that sees every customer (its own last sale is
        that day)."""
        whole = self.every_customer()
        return None if whole is None else whole.latest_sale_date()

    def latest_sale_date(self) -> dt.date | None:
        """The date of the latest visible sale (None when there is none): one
        aggregate, not every (customer, date) fetched."""
        sub = self._sales_query().subquery()
        with self.connect() as conn:
            day: dt.date | None = conn.scalar(select(func.max(sub.c.issued_on)))
            return day

    def revenue_by_customer(self, start: dt.date, end: dt.date) -> dict[str, int]:
        """Revenue in cents of the visible sales dated ``start`` to ``end``
        inclusive, by customer code (the customers with a sale in the span)."""
        sub = self._sales_query().subquery()
        query = (
            select(sub.c.code, func.sum(sub.c.amount_cents))
            .where(sub.c.issued_on >= start, sub.c.issued_on <= end)
            .group_by(sub.c.code)
        )
        with self.connect() as conn:
            return {code: int(total) for code, total in conn.execute(query)}

    def _visible_customers(self, con: BaseBackend) -> ir.Table:
        """The customers table of ``con`` filtered by the principal's regions and
        segments; on PostgreSQL the back-end's session is also bound to the scope
        (row-level security, the second wall)."""
        limit_backend(con, self.principal.scope)
        customers, segments, regions = con.table("customers"), con.table("segments"), con.table("regions")
        scope = self.principal.scope
        if scope.regions is not None:
            customers = customers.filter(
                customers.region_id.isin(regions.filter(regions.code.isin(sorted(scope.regions))).id)
            )
        if scope.segments is not None:
            customers = customers.filter(
                customers.segment_id.isin(segments.filter(segments.code.isin(sorted(scope.segments))).id)
            )
        return customers

    def transactions(self, con: BaseBackend) -> ir.Table:
        """The visible invoice lines as the analytics' transactions table
        (``clientfolio.analytics.transactions``), an Ibis expression on ``con``,
        a back-end opened on this store (``analytics.engines.connect_store``)."""
        lines, invoices, products = con.table("invoice_lines"), con.table("invoices"), con.table("products")
        product_lines, segments = con.table("product_lines"), con.table("segments")
        scope = self.principal.scope
        visible = self._visible_customers(con)
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
            select(Invoice.number, Invoice.issued_on, Invoice.due_on, Payment.paid_on, Payment.amount_cents)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(self.visible(Customer))
            .order_by(Payment.paid_on, Invoice.number)
        )
        with self.connect() as conn:
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
        lines, invoices = con.table("invoice_lines"), con.table("invoices")
        visible = self._visible_customers(con)
        if self.principal.scope.product_lines is not None:
            invoices = invoices.filter(invoices.id.isin(self._lines_in_scope(con).invoice_id))
        totals = lines.group_by(document_id=lines.invoice_id).aggregate(total=lines.amount_cents.sum())
        docs = invoices.join(visible, invoices.customer_id == visible.id).join(
            totals, invoices.id == totals.document_id
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
        ``amount_cents`` (int64; NULL = settled in full).  Those invoices are
        selected as ``receivables`` selects them (a visible customer's, with a
        line, one in the principal's product lines when it is scoped on them),
        without summing their lines again (that sum, nested here, took half of
        a rep's query on SQLite: 0.65-0.75 s before, 0.31-0.39 s without it, at
        20,000 customers)."""
        payments, invoices = con.table("payments"), con.table("invoices")
        shown = invoices.filter(
            invoices.customer_id.isin(self._visible_customers(con).id),
            invoices.id.isin(self._lines_in_scope(con).invoice_id),
        )
        paid = payments.join(shown, payments.invoice_id == shown.id)
        return paid.select(
            invoice_id=shown.number,
            paid_on=payments.paid_on.cast("date"),
            amount_cents=payments.amount_cents.cast("int64"),
        )

    def _lines_in_scope(self, con: BaseBackend) -> ir.Table:
        """The invoice lines of ``con`` in the principal's product lines (all of
        them when it is not scoped on product lines)."""
        lines = con.table("invoice_lines")
        if self.principal.scope.product_lines is None:
            return lines
        product_lines, products = con.table("product_lines"), con.table("products")
        codes = product_lines.filter(product_lines.code.isin(sorted(self.principal.scope.product_lines))).id
        return lines.filter(lines.product_id.isin(products.filter(products.product_line_id.isin(codes)).id))
