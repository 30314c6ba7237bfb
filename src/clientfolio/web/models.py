"""What the pages and the REST API answer, as typed models.

Each HTML page renders one of these; the same object is its JSON (``?format=json``
or ``Accept: application/json``) and the body of the matching ``/api/v1``
route, so the OpenAPI schema describes the pages' data too.  Money is in euro
cents; shares are fractions (0.25); labels are in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AbcRow",
    "ActionOut",
    "ActivityOut",
    "AssessmentOut",
    "BacktestRow",
    "ContactOut",
    "CrossedCell",
    "CustomerDetail",
    "CustomerList",
    "CustomerRow",
    "Dashboard",
    "EquityOut",
    "FunnelStage",
    "MatrixOut",
    "MeasuresOut",
    "PeriodOut",
    "PotentialSourceOut",
    "ProfileOut",
    "QuadrantOut",
    "QuarterOut",
    "QuarterTrend",
    "ThemeOut",
    "TodayPage",
    "TrendPoint",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class BacktestRow(_Model):
    """One group of the valuation's backtest: the forecast of its revenue and what it bought."""

    group: str  # total, A, B, C, one_time
    label: str
    customers: int
    predicted_cents: float
    actual_cents: float
    error: float | None  # forecast / outcome - 1


class EquityOut(_Model):
    """The valuation of the customer capital and its interval (None: not valued,
    see ``note``), with the sentences that say how far to trust it: the spend
    model used and why, cautions, and the one-year backtest."""

    total_cents: float | None
    low_cents: float | None
    high_cents: float | None
    level: float
    horizon_years: float
    discount_rate: float
    customers_valued: int
    method: str
    note: str | None
    spend: str | None = None
    cautions: list[str] = []
    backtest: str | None = None
    backtest_rows: list[BacktestRow] = []


class PeriodOut(_Model):
    """The portfolio measures of one twelve-month period."""

    start: dt.date
    end: dt.date
    active_customers: int
    revenue_cents: int
    new_customers: int
    new_revenue_cents: int
    lost_customers: int
    lost_revenue_cents: int
    churn_rate: float | None
    renewal_ratio: float | None


class MeasuresOut(_Model):
    """Measures of the last period against the one before, concentration and churn projection."""

    current: PeriodOut
    previous: PeriodOut
    customers_change_rate: float | None
    revenue_change_rate: float | None
    top_20pct_share: float
    largest_customer_id: str | None
    largest_share: float
    dependency_alert: bool
    annual_churn: float | None
    years_to_half: float | None
    new_per_year_to_hold: float | None


class TrendPoint(_Model):
    """One twelve-month period of the trend (``complete`` False: the data starts inside it)."""

    end: dt.date
    complete: bool
    active: int
    new: int
    lost: int
    revenue_cents: int


class QuarterTrend(_Model):
    """One calendar quarter of the last eight: revenue and customers with a sale in it."""

    quarter: str
    revenue_cents: int
    active: int


class AbcRow(_Model):
    """An ABC class: its customers and its share of the revenue."""

    abc: str
    customers: int
    customer_share: float
    value_cents: int
    value_share: float


class CrossedCell(_Model):
    """A cell of the crossed ABC: revenue class (A, B, C or P for prospects) x potential class."""

    revenue_class: str
    potential_class: str
    customers: int
    revenue_cents: int
    potential_cents: int


class PotentialSourceOut(_Model):
    """How many customers (``kind`` customers) or prospects have their potential
    from one source: entered, or estimated by one rule (``label`` says which)."""

    kind: str
    source: str
    label: str
    count: int


class ProfileOut(_Model):
    """An RFM profile, its recommended action and how many customers have it."""

    profile: str
    label: str
    action: str
    customers: int


class MatrixOut(_Model):
    """The segment x product line matrix (``grid[segment][product]``, cents) and its winning cells."""

    basis: str
    segments: list[str]
    products: list[str]
    segment_names: list[str] = []
    product_names: list[str] = []
    grid: list[list[int]]
    winning: list[tuple[str, str]]


class QuadrantOut(_Model):
    """A profitability x potential quadrant, its strategy and its customers."""

    quadrant: str
    strategy: str | None
    label: str
    customers: int


class FunnelStage(_Model):
    """A funnel stage: prospects that reached it, and those in it now."""

    stage: str
    label: str
    reached: int
    current: int


class ThemeOut(_Model):
    """A theme of the self-assessment, marked /20 on facts and by the team."""

    theme: str
    label: str
    fact_mark: float | None
    team_mark: float | None


class AssessmentOut(_Model):
    """The self-assessment of the customer capital out of 20."""

    fact_mark: float | None
    team_mark: float | None
    reading: str | None
    themes: list[ThemeOut]


class TodayItem(_Model):
    """A customer to act on today: why (``reason`` code and its ``label``), the
    value at stake (its lifetime value, its part of the customer capital; None where no
    lifetime value was modelled) and the next step."""

    code: str
    name: str
    reason: str  # quiet, profile, payment, planned, unfollowed
    label: str
    detail: str
    value_cents: float | None
    next_step: str


class TodayAction(_Model):
    """A plan action due within the week and not done."""

    id: int | None
    title: str
    customer_code: str | None
    customer_name: str | None
    due_on: dt.date | None
    progress: int
    overdue: bool


class TodayOut(_Model):
    """The "Today" block: customers at risk, overdue follow-ups (the first of
    each list by value at stake, with the lists' lengths), plan actions due."""

    at_risk: list[TodayItem] = []
    at_risk_count: int = 0
    at_risk_value_cents: int = 0
    follow_ups: list[TodayItem] = []
    follow_ups_count: int = 0
    actions_due: list[TodayAction] = []


class TodayPage(_Model):
    """A page of the whole Today lists (``/today``; ``as_of`` None: no sale yet)."""

    as_of: dt.date | None
    page: int
    pages: int
    today: TodayOut | None = None


class Dashboard(_Model):
    """The dashboard of what the user sees (``as_of`` None: no sale yet, nothing else is set)."""

    as_of: dt.date | None
    customers: int
    equity: EquityOut | None = None
    measures: MeasuresOut | None = None
    trend: list[TrendPoint] = []
    quarters: list[QuarterTrend] = []
    abc: list[AbcRow] = []
    pareto: list[float] = []
    crossed: list[CrossedCell] = []
    potential_sources: list[PotentialSourceOut] = []
    rfm: list[ProfileOut] = []
    matrix: MatrixOut | None = None
    quadrants: list[QuadrantOut] = []
    quadrant_thresholds: dict[str, Any] = {}  # where the valuation cut the axes (its ``quadrant_thresholds``)
    funnel: list[FunnelStage] = []
    assessment: AssessmentOut | None = None
    today: TodayOut | None = None


class CustomerRow(_Model):
    """A customer in the list (the analysis columns are None before any sale)."""

    code: str
    name: str
    segment: str | None
    region: str | None
    region_name: str | None = None
    abc: str | None
    rfm_code: str | None
    profile: str | None
    profile_label: str | None
    category: str | None
    category_label: str | None
    revenue_cents: int | None
    value_cents: int | None
    clv_cents: float | None
    p_alive: float | None


class CustomerList(_Model):
    """One page of the filtered, sorted customer list, and the filters' choices."""

    total: int
    page: int
    pages: int
    per_page: int
    sort: str
    filters: dict[str, str | None]
    choices: dict[str, list[tuple[str, str]]]
    items: list[CustomerRow]


class QuarterOut(_Model):
    quarter: str
    revenue_cents: int


class ContactOut(_Model):
    name: str
    function: str | None
    email: str | None
    phone: str | None


class ActivityOut(_Model):
    kind: str
    occurred_on: dt.date
    user: str | None


class TimelineEvent(_Model):
    """One event of a customer's timeline: an invoice, a payment or an activity."""

    occurred_on: dt.date
    kind: str  # invoice, credit_note, payment, call, visit, meeting, email, quote, ...
    label: str
    amount_cents: int | None = None
    note: str | None = None
    user: str | None = None
    planned: bool = False  # an activity scheduled, not made yet


class ActionOut(_Model):
    """An action of this year's commercial action plan about the customer."""

    id: int | None
    title: str
    due_on: dt.date | None
    progress: int
    owner: str | None
    priority: int | None


class CustomerDetail(_Model):
    """A customer's page: identity, history per quarter, RFM, class, value,
    lifetime value, P(alive), solvency, contacts, activities, actions."""

    code: str
    name: str
    siren: str | None
    sector: str | None
    size_band: str | None
    size_band_label: str | None = None
    segment: str | None
    segment_name: str | None = None
    region: str | None
    region_name: str | None = None
    address: str | None
    postal_code: str | None
    city: str | None
    status: str
    abc: str | None
    potential_class: str | None
    rfm_code: str | None
    profile: str | None
    profile_label: str | None
    profile_action: str | None
    recency_days: int | None
    frequency: int | None
    revenue_cents: int | None
    potential_cents: int | None
    value_cents: int | None
    clv_cents: float | None
    p_alive: float | None
    category: str | None
    category_label: str | None
    strategy: str | None
    strategy_label: str | None
    trajectory: str | None
    trajectory_label: str | None = None
    solvency: dict[str, Any]
    history: list[QuarterOut]
    contacts: list[ContactOut]
    activities: list[ActivityOut]
    actions: list[ActionOut]
    timeline: list[TimelineEvent] = []
