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
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from clientfolio.i18n import N_

__all__ = [
    "ACTIVITY_KINDS",
    "CUSTOMER_STATUSES",
    "EXPORT_APPROVAL_STATUSES",
    "INVOICE_KINDS",
    "PROSPECT_SOURCES",
    "PROSPECT_STAGES",
    "ROLES",
    "SCOPE_DIMENSIONS",
    "SIZE_BANDS",
    "SIZE_BAND_NAMES",
    "SUPPLIER_POLICIES",
    "SWOT_QUADRANTS",
    "Action",
    "Activity",
    "AssessmentAnswer",
    "AuditEntry",
    "Base",
    "Contact",
    "Customer",
    "Export",
    "ExportApproval",
    "ImportBatch",
    "Invoice",
    "InvoiceLine",
    "LoginFailure",
    "LoginSession",
    "Payment",
    "Plan",
    "Product",
    "ProductLine",
    "Prospect",
    "Region",
    "Segment",
    "SelfAssessment",
    "StageChange",
    "SwotItem",
    "User",
    "UserScope",
    "column_length",
]

CUSTOMER_STATUSES = ("active", "inactive", "lost")
SIZE_BANDS = ("micro", "small", "medium", "large")  # TPE, PME, ETI, GE
SIZE_BAND_NAMES = {
    "micro": N_("Micro-enterprise"),
    "small": N_("Small business"),
    "medium": N_("Mid-sized company"),
    "large": N_("Large company"),
}
"""The English name of each size band, the one every display shows (translated
by the i18n catalogs: TPE, PME, ETI, GE in French)."""
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
ACTIVITY_KINDS = ("call", "visit", "email", "meeting", "quote")
SWOT_QUADRANTS = ("threats", "opportunities", "weaknesses", "strengths")
ROLES = ("admin", "manager", "sales", "auditor", "contractor")  # see clientfolio.protect.users
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
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_lines.id"), index=True)
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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_on: Mapped[dt.date | None] = mapped_column(Date)  # last day of access (contractors)
    left_on: Mapped[dt.date | None] = mapped_column(Date)  # departure: no access from that day
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32, None = no second factor
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # last accepted code (no replay)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(5))  # web interface: fr, en; None = the browser's


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
    address: Mapped[str | None] = mapped_column(Text)  # encrypted at rest
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
    data, encrypted at rest (``clientfolio.protect.fields``); ``email_index`` is
    the blind index that finds a contact by exact email; ``objects_to_prospecting``
    records the person's objection (``clientfolio.protect.gdpr``)."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)  # encrypted, as email and phone
    function: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)  # blind index
    # the person objected to prospecting (GDPR art. 21): left out of mailing exports
    objects_to_prospecting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    # what the customer owes, tax included (the FEC's customer line, or an export's
    # "Total TTC"): payments in that basis are converted in proportion to the lines
    gross_cents: Mapped[int | None] = mapped_column(BigInteger)


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
    """A sales activity: call, visit, email or meeting, on a customer or a prospect;
    ``planned``: scheduled for ``occurred_on``, not made yet (no contact)."""

    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    planned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Action(Base):
    """A row of the commercial action plan (PAC)."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    typology: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12), default="commercial")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
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
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    spent_cents: Mapped[int | None] = mapped_column(BigInteger)
    current_revenue_cents: Mapped[int | None] = mapped_column(BigInteger)
    result_revenue_cents: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was suggested
    suggestion_key: Mapped[str | None] = mapped_column(String(200))
    created_on: Mapped[dt.date | None] = mapped_column(Date)
    # an accepted suggestion's title, reason and steps as English message templates and
    # their parameters (JSON), shown in the reader's language; None: the user's text
    title_msg: Mapped[str | None] = mapped_column(Text)
    reason_msg: Mapped[str | None] = mapped_column(Text)
    steps_msg: Mapped[str | None] = mapped_column(Text)
    params: Mapped[str | None] = mapped_column(Text)


class StageChange(Base):
    """One move of a prospect from a funnel stage to another: who, when (the
    time spent in each stage is read from these rows)."""

    __tablename__ = "prospect_stage_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(10))  # None: the prospect's entry
    to_stage: Mapped[str] = mapped_column(String(10))
    changed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LoginFailure(Base):
    """A failed login, by the address it came from: what limits an address
    (``login_address_max_failures``) and locks an account for that address
    only (``login_max_failures``).  ``username`` is as typed (unknown users
    too), so no foreign key; rows older than a day are purged."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    __table_args__ = (
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_username_address", "username", "address"),
    )


class LoginSession(Base):
    """A signed-in session.  Only the SHA-256 of its random token is kept, so
    that a copy of the database opens no session."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class AuditEntry(Base):
    """One entry of the audit log, a hash chain: ``hash`` is the HMAC-SHA256,
    under a key kept outside the database, of ``prev_hash`` and the entry's
    canonical JSON (``clientfolio.protect.audit``).  ``seq`` counts from 1
    without gaps; ``details`` is canonical JSON text."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


EXPORT_APPROVAL_STATUSES = ("pending", "approved", "used")


class ExportApproval(Base):
    """A request to export more rows than the hard limit: ``pending`` until an
    admin (not the requester) approves it, ``used`` by the export it allowed."""

    __tablename__ = "export_approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    username: Mapped[str] = mapped_column(String(100), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    row_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    export_uid: Mapped[str | None] = mapped_column(String(40))


class Export(Base):
    """A registered export of customer data: who made it, for whom and why, and
    what recognises its file: its SHA-256, the master key (``key_id``) its
    fingerprint and signature derive from, its trap records, its signed
    manifest.  ``traps``, ``alerts`` and ``manifest`` are JSON text."""

    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    export_uid: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    row_count: Mapped[int] = mapped_column(Integer)  # customers, traps not counted
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    key_id: Mapped[int] = mapped_column(Integer)
    traps: Mapped[str] = mapped_column(Text)
    alerts: Mapped[str] = mapped_column(Text)
    manifest: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("export_approvals.id"))


class Plan(Base):
    """The header of a commercial action plan (PAC), one per budget year; its
    actions and SWOT items refer to it."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    budget_year: Mapped[int] = mapped_column(Integer, unique=True)
    company: Mapped[str] = mapped_column(String(300), default="")
    business_area: Mapped[str | None] = mapped_column(String(300))
    vision: Mapped[str | None] = mapped_column(Text)
    objective: Mapped[str | None] = mapped_column(Text)


class SelfAssessment(Base):
    """The self-assessment of the customer capital on a date: the fact marks
    (overall, and per theme and indicator in ``details``, JSON text)."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date, unique=True)
    fact_mark: Mapped[float | None] = mapped_column(Float)
    details: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(100))


class AssessmentAnswer(Base):
    """A team member's own mark (0-20) for a theme of an assessment."""

    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "respondent", "theme"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    respondent: Mapped[str] = mapped_column(String(100))
    theme: Mapped[str] = mapped_column(String(20))
    mark: Mapped[float] = mapped_column(Float)


class SwotItem(Base):
    """An item of a plan's SWOT: suggested from the analyses (``key`` names the
    suggestion) and accepted or refused, or written by the user."""

    __tablename__ = "swot_items"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    quadrant: Mapped[str] = mapped_column(String(13))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # suggested or user
    key: Mapped[str | None] = mapped_column(String(200))
    accepted: Mapped[bool] = mapped_column(Boolean, default=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # a suggested item's text as an English message template and its parameters
    # (JSON), shown in the reader's language; None: the user's own text
    text_msg: Mapped[str | None] = mapped_column(Text)
    params: Mapped[str | None] = mapped_column(Text)


def column_length(table: str, column: str) -> int | None:
    """The most characters the store keeps in ``table.column`` (its
    ``String(n)``), None when unbounded: the one place imports read their
    length limits from."""
    length = Base.metadata.tables[table].c[column].type
    return getattr(length, "length", None)
