"""The tables of the customer store (SQLAlchemy 2 declarative models).

The store knows nothing of the domain: no rule lives here, only the shape of the
data.  Money is held in integer cents (``*_cents``, excluding tax) so that sums are
exact on every engine.  Allowed values of the small vocabularies are listed as
tuples beside the models and documented in ``docs/data-model.md``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ACTIVITY_KINDS",
    "CUSTOMER_STATUSES",
    "INVOICE_KINDS",
    "PROSPECT_SOURCES",
    "PROSPECT_STAGES",
    "ROLES",
    "SCOPE_DIMENSIONS",
    "SIZE_BANDS",
    "SUPPLIER_POLICIES",
    "Action",
    "Activity",
    "Base",
    "Contact",
    "Customer",
    "ImportBatch",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "Product",
    "ProductLine",
    "Prospect",
    "Region",
    "Segment",
    "StageChange",
    "User",
    "UserScope",
]

CUSTOMER_STATUSES = ("active", "inactive", "lost")
SIZE_BANDS = ("micro", "small", "medium", "large")  # TPE, PME, ETI, GE
SUPPLIER_POLICIES = ("single", "preferred", "multiple")  # how a customer spreads its purchases
INVOICE_KINDS = ("invoice", "credit_note")
PROSPECT_STAGES = ("suspect", "prospect", "cold", "warm", "hot", "won", "lost")
PROSPECT_SOURCES = (
    "network",
    "press",
    "recommendation",
    "bought_file",
    "event",
    "web",
    "other",
)
ACTIVITY_KINDS = ("call", "visit", "email", "meeting")
ROLES = ("admin", "director", "sales_director", "sales", "accountant")
SCOPE_DIMENSIONS = ("region", "segment", "product_line")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _code() -> Mapped[str]:
    return mapped_column(String(64), unique=True)


def _import_ref() -> Mapped[int | None]:
    return mapped_column(ForeignKey("imports.id"))


class ImportBatch(Base):
    """One accepted import of a file: what was read, and its fingerprint."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Region(Base):
    """A sales region; one of the dimensions of need-to-know scopes."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _code()
    name: Mapped[str] = mapped_column(String(200))


class Segment(Base):
    """A customer segment (market, typology); a scope dimension."""

    __tablename__ = "segments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _code()
    name: Mapped[str] = mapped_column(String(200))


class ProductLine(Base):
    """A product family (gamme); a scope dimension and a column of the
    segment x product matrix."""

    __tablename__ = "product_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _code()
    name: Mapped[str] = mapped_column(String(200))


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _code()
    name: Mapped[str] = mapped_column(String(300))
    product_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_lines.id"), index=True
    )
    unit_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    import_id: Mapped[int | None] = _import_ref()


class User(Base):
    """A person using Clientfolio; what they may read is set by their scopes."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class UserScope(Base):
    """Need-to-know partition: a user sees the rows whose region, segment or
    product line is in their scopes (no scope row on a dimension = all)."""

    __tablename__ = "user_scopes"
    __table_args__ = (UniqueConstraint("user_id", "dimension", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(64))


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _code()
    name: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9), index=True)
    siret: Mapped[str | None] = mapped_column(String(14))
    naf_code: Mapped[str | None] = mapped_column(String(6))
    sector: Mapped[str | None] = mapped_column(String(200))
    size_band: Mapped[str | None] = mapped_column(String(10))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    potential_cents: Mapped[int | None] = mapped_column(BigInteger)  # entered yearly wallet
    wallet_share_pct: Mapped[float | None] = mapped_column(Float)  # our share of its purchases
    sector_growth_pct: Mapped[float | None] = mapped_column(Float)
    supplier_policy: Mapped[str | None] = mapped_column(String(10))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    import_id: Mapped[int | None] = _import_ref()


class Prospect(Base):
    __tablename__ = "prospects"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _code()
    name: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9))
    naf_code: Mapped[str | None] = mapped_column(String(6))
    sector: Mapped[str | None] = mapped_column(String(200))
    size_band: Mapped[str | None] = mapped_column(String(10))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), index=True)
    city: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(10), default="suspect")
    source: Mapped[str | None] = mapped_column(String(20))
    potential_cents: Mapped[int | None] = mapped_column(BigInteger)  # entered yearly wallet
    sector_growth_pct: Mapped[float | None] = mapped_column(Float)
    supplier_policy: Mapped[str | None] = mapped_column(String(10))
    accessibility_score: Mapped[int | None] = mapped_column(Integer)  # IPA marks
    potential_score: Mapped[int | None] = mapped_column(Integer)  # IPO marks
    has_project: Mapped[bool | None] = mapped_column(Boolean)
    last_similar_purchase_on: Mapped[dt.date | None] = mapped_column(Date)
    contact_knowledge: Mapped[int | None] = mapped_column(Integer)  # IPA criterion marks 0-10
    receptivity: Mapped[int | None] = mapped_column(Integer)  # IPA criterion marks 0-10
    timing: Mapped[int | None] = mapped_column(Integer)  # IPA criterion marks 0-10: right moment
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    import_id: Mapped[int | None] = _import_ref()


class Contact(Base):
    """A person at a customer or prospect.  Name, email and phone are personal
    data: the protection issue encrypts them at rest."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    prospect_id: Mapped[int | None] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    function: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))


class Invoice(Base):
    """An invoice or credit note (avoir): the accounting document, immutable
    once imported.  Its amount is the sum of its lines."""

    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date, index=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    import_id: Mapped[int | None] = _import_ref()


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    description: Mapped[str | None] = mapped_column(String(500))
    quantity: Mapped[float | None] = mapped_column(Float)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    margin_cents: Mapped[int | None] = mapped_column(BigInteger)


class Payment(Base):
    """A settlement of an invoice.  ``amount_cents`` NULL means "settled in
    full" (what the lettering of an FEC tells)."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("invoice_id", "paid_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    import_id: Mapped[int | None] = _import_ref()


class Activity(Base):
    """A sales activity: call, visit, email or meeting, on a customer or a prospect."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    prospect_id: Mapped[int | None] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)


class Action(Base):
    """A row of the commercial action plan (PAC)."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    typology: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12), default="commercial")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    prospect_id: Mapped[int | None] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    participants: Mapped[str | None] = mapped_column(String(500))
    steps: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int | None] = mapped_column(Integer)
    horizon: Mapped[str | None] = mapped_column(String(10))  # short, medium, long
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    target_revenue_cents: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)


class StageChange(Base):
    """One move of a prospect from a funnel stage to another: who, when (the
    time spent in each stage is read from these rows)."""

    __tablename__ = "prospect_stage_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(10))  # None: the prospect's entry
    to_stage: Mapped[str] = mapped_column(String(10))
    changed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
