"""Building the pages' models (``web.models``) from the library's results.

Pure functions: figures (``web.figures``), rows of the access layer and a
language in, a model out.  The labels of the domain (RFM profiles, crossed
ABC categories, strategies) come from the library in both languages; the
funnel's stage names are messages of the web catalog.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clientfolio.access import ActivityRow, ContactRow
from clientfolio.access.reader import AccountRow
from clientfolio.analytics.rfm import RFM_PROFILES
from clientfolio.i18n import formatter, gettext_for, localized
from clientfolio.plan.actions import PlanAction
from clientfolio.plan.actions import track as tracked
from clientfolio.prospects.stages import FUNNEL_STAGES, STAGE_NAMES
from clientfolio.store.schema import SIZE_BAND_NAMES, Customer
from clientfolio.value.backtest import GROUP_LABELS
from clientfolio.value.categories import CATEGORY_NAMES
from clientfolio.value.potential import source_label
from clientfolio.value.solvency import STATUS_NAMES
from clientfolio.value.strategy import QUADRANTS, STRATEGY_NAMES, TRAJECTORY_NAMES
from clientfolio.web.figures import CodeNames, Figures, quarter_series, quarter_trend
from clientfolio.web.models import (
    AbcRow,
    ActionOut,
    ActivityOut,
    AssessmentOut,
    BacktestRow,
    ContactOut,
    CrossedCell,
    CustomerDetail,
    CustomerList,
    CustomerRow,
    Dashboard,
    EquityOut,
    FunnelStage,
    MatrixOut,
    MeasuresOut,
    PeriodOut,
    PotentialSourceOut,
    ProfileOut,
    QuadrantOut,
    QuarterOut,
    QuarterTrend,
    ThemeOut,
    TodayAction,
    TodayItem,
    TodayOut,
    TrendPoint,
)

__all__ = [
    "SORTS",
    "TERMS",
    "TodayLists",
    "customer_detail",
    "customer_list",
    "customer_rows",
    "dashboard",
    "today_block",
    "today_lists",
]

TERMS = {
    **STATUS_NAMES,
    **TRAJECTORY_NAMES,
    "call": "Call",
    "visit": "Visit",
    "email": "Email",
    "meeting": "Meeting",
    "quote": "Quote",
    "admin": "administrator",
    "manager": "manager",
    "sales": "sales rep",
    "auditor": "auditor",
    "contractor": "contractor",
}
"""English words for the stored codes shown on the pages (solvency status,
trajectory, activity kind, role, size band), shown through the catalog."""


TERMS.update(SIZE_BAND_NAMES)

SORTS = ("code", "name", "region", "abc", "profile", "category", "revenue", "value", "clv", "p_alive")
"""Columns the customer list sorts on; ``-name`` sorts descending."""

_SORT_FIELDS = {"revenue": "revenue_cents", "value": "value_cents", "clv": "clv_cents"}


def _label(names: Mapping[str, str], lang: str, key: str | None) -> str | None:
    """The name of ``key`` in ``lang`` (an English table of names shown through the catalog)."""
    return None if key is None else gettext_for(lang)(names.get(key, key))


def _profile_label(lang: str, key: str | None) -> str | None:
    profile = RFM_PROFILES.get(key or "")
    return key if profile is None else profile.label_in(lang)


def _profile_action(lang: str, key: str | None) -> str | None:
    profile = RFM_PROFILES.get(key or "")
    return None if profile is None else profile.action_in(lang)


def _term(lang: str, code: str | None) -> str | None:
    return None if code is None else gettext_for(lang)(TERMS.get(code, code))


def _backtest_rows(backtest: dict[str, Any] | None, _: Callable[[str], str]) -> list[BacktestRow]:
    if backtest is None:
        return []
    return [
        BacktestRow(
            group=g["name"],
            label=_(GROUP_LABELS[g["name"]]),
            customers=g["customers"],
            predicted_cents=g["predicted_cents"],
            actual_cents=g["actual_cents"],
            error=g["error"],
        )
        for g in (backtest["total"], *backtest["groups"])
    ]


def dashboard(figures: Figures | None, customers: int, lang: str, names: CodeNames | None = None) -> Dashboard:
    """The dashboard of ``figures`` (None: no sale to analyse) for ``customers``
    visible customers; ``names``: the segments' and product lines' names."""
    names = names or {}
    if figures is None:
        return Dashboard(as_of=None, customers=customers)
    _ = gettext_for(lang)
    inputs = figures.inputs
    a, v = inputs.analysis, inputs.value
    m = a.measures
    e = v.equity
    cur, prev = m.current, m.previous
    periods = [PeriodOut(**{k: getattr(p, k) for k in PeriodOut.model_fields}) for p in (cur, prev)]
    abc = [
        AbcRow(abc=r["class"], **{k: r[k] for k in ("customers", "customer_share", "value_cents", "value_share")})
        for r in a.abc_summary.to_pylist()
    ]
    profiles = a.rfm_profiles
    quadrants = Counter(c.quadrant for c in v.customers if c.quadrant)
    # every quadrant's strategy, those without customers too (no raw quadrant code shown)
    strategies = inputs.config.value.quadrants.strategies | {c.quadrant: c.strategy for c in v.customers if c.quadrant}
    funnel = inputs.prospects.funnel
    return Dashboard(
        as_of=a.as_of,
        customers=customers,
        equity=EquityOut(
            total_cents=e.total_cents,
            low_cents=e.low_cents,
            high_cents=e.high_cents,
            level=e.level,
            horizon_years=e.horizon_years,
            discount_rate=e.discount_rate,
            customers_valued=e.customers_valued,
            method=localized(lang, e.method, e.method_msg, e.method_params),
            note=e.note,
            spend=e.spend.in_language(lang) if e.spend else None,
            cautions=[c.in_language(lang) for c in e.cautions],
            backtest=e.backtest_statement.in_language(lang) if e.backtest_statement else None,
            backtest_rows=_backtest_rows(e.backtest, _),
        ),
        measures=MeasuresOut(
            current=periods[0],
            previous=periods[1],
            customers_change_rate=m.evolution.customers_change_rate,
            revenue_change_rate=m.evolution.revenue_change_rate,
            top_20pct_share=m.concentration.top_20pct_share,
            largest_customer_id=m.concentration.largest_customer_id,
            largest_share=m.concentration.largest_share,
            dependency_alert=m.concentration.dependency_alert,
            annual_churn=m.projection.annual_churn,
            years_to_half=m.projection.years_to_half,
            new_per_year_to_hold=m.projection.new_per_year_to_hold,
        ),
        trend=[
            TrendPoint(
                end=p.end, complete=p.complete, active=p.active, new=p.new, lost=p.lost, revenue_cents=p.revenue_cents
            )
            for p in figures.trend.periods
        ],
        quarters=[QuarterTrend(quarter=q, revenue_cents=cents, active=n) for q, cents, n in quarter_trend(figures)],
        abc=abc,
        pareto=sorted(r["cumulative_share"] for r in a.abc.to_pylist()),
        crossed=[CrossedCell(**cell) for cell in v.crossed],
        potential_sources=[
            PotentialSourceOut(kind=kind, source=source, label=_(source_label(source)), count=n)
            for kind, counts in v.potential_sources.items()
            for source, n in counts.items()
        ],
        rfm=[
            ProfileOut(
                profile=key,
                label=_profile_label(lang, key) or key,
                action=_profile_action(lang, key) or "",
                customers=profiles.get(key, 0),
            )
            for key, profile in RFM_PROFILES.items()
        ],
        matrix=MatrixOut(
            basis=a.matrix.basis,
            segments=list(a.matrix.segments),
            products=list(a.matrix.products),
            segment_names=[names.get("segment", {}).get(s, s) for s in a.matrix.segments],
            product_names=[names.get("product_line", {}).get(p, p) for p in a.matrix.products],
            grid=[list(row) for row in a.matrix.grid],
            winning=[(w.segment, w.product) for w in a.matrix.winning],
        ),
        quadrants=[
            QuadrantOut(
                quadrant=q,
                strategy=strategies.get(q),
                label=_label(STRATEGY_NAMES, lang, strategies.get(q)) or q,
                customers=quadrants[q],
            )
            for q in QUADRANTS
        ],
        quadrant_thresholds=dict(v.quadrant_thresholds),
        funnel=[
            FunnelStage(
                stage=s,
                label=_(STAGE_NAMES[s]),
                reached=funnel.reached.get(s, funnel.counts.get(s, 0)),
                current=funnel.counts.get(s, 0),
            )
            for s in FUNNEL_STAGES
        ],
        assessment=AssessmentOut(
            fact_mark=figures.assessment.fact_mark,
            team_mark=figures.assessment.team_mark,
            reading=figures.assessment.reading,
            themes=[
                ThemeOut(theme=t.theme, label=gettext_for(lang)(t.label), fact_mark=t.fact_mark, team_mark=t.team_mark)
                for t in figures.assessment.themes
            ],
        ),
    )


_FALLEN = ("declining", "inactive")  # the RFM profiles of a customer whose buying fell


@dataclass(frozen=True)
class TodayLists:
    """The customers of the "Today" block, each list by value at stake."""

    at_risk: list[TodayItem]
    follow_ups: list[TodayItem]


def today_lists(figures: Figures, lang: str) -> TodayLists:
    """The customers to act on in what ``figures`` cover: those at risk
    (important customers gone quiet against their own rhythm, ``figures.quiet``;
    customers whose RFM profile fell to declining or inactive; customers whose
    payments are at risk) and the follow-ups overdue (a planned activity whose
    day has passed with nothing made since, an important customer without
    contact beyond the follow-up delay), each list by value at stake: the customer's lifetime
    value, its part of the customer capital shown above the lists (the same basis, so that the
    stake of the customers at risk reads as a share of it), then its yearly revenue (the order
    where no lifetime value was modelled)."""
    _ = gettext_for(lang)
    fmt = formatter(lang)
    inputs = figures.inputs
    values = figures.value_by_code

    def stake(code: str) -> float | None:
        c = values.get(code)
        return None if c is None else c.clv_cents

    def item(code: str, reason: str, label: str, detail: str, step: str) -> TodayItem:
        name = inputs.names.get(code) or (values[code].name if code in values else None) or code
        return TodayItem(
            code=code, name=name, reason=reason, label=label, detail=detail, value_cents=stake(code), next_step=step
        )

    important = figures.important
    at_risk: dict[str, TodayItem] = {}
    for q in figures.quiet:
        at_risk[q.customer_code] = item(
            q.customer_code,
            "quiet",
            _("Gone quiet"),
            _("No purchase for {days} days (usually every {every} days)").format(
                days=q.days_since, every=fmt.number(round(q.mean_interval_days))
            ),
            _("Call them"),
        )
    for code, r in figures.rfm_by_code.items():
        if r["profile"] in _FALLEN and code in important and code not in at_risk:
            at_risk[code] = item(
                code,
                "profile",
                _("Profile fell"),
                _profile_label(lang, r["profile"]) or r["profile"],
                _("Plan a visit"),
            )
    for c in inputs.value.customers:
        if c.solvency.get("status") == "risk" and c.customer_id not in at_risk:
            at_risk[c.customer_id] = item(
                c.customer_id, "payment", _("Overdue payments"), _(STATUS_NAMES["risk"]), _("Chase the payment")
            )
    follow_ups: dict[str, TodayItem] = {}
    for a in inputs.activity.due:  # a planned call or visit whose day has passed, nothing made since
        if a.customer_code is not None and a.customer_code not in follow_ups:
            follow_ups[a.customer_code] = item(
                a.customer_code,
                "planned",
                _("Planned activity not made"),
                _("{kind} planned on {day}").format(kind=_(TERMS.get(a.kind, a.kind)), day=fmt.date(a.occurred_on)),
                _("Call them") if a.kind in ("call", "email") else _("Plan a visit"),
            )
    for f in inputs.activity.important:
        if f.unfollowed and f.customer_code not in follow_ups:
            follow_ups[f.customer_code] = item(
                f.customer_code,
                "unfollowed",
                _("Follow-up overdue"),
                _("Never contacted")
                if f.last_contact is None
                else _("Last contact {day}").format(day=fmt.date(f.last_contact)),
                _("Call them"),
            )

    def by_stake(i: TodayItem) -> tuple[float, int, str]:
        c = values.get(i.code)
        return -(i.value_cents or 0), -(c.revenue_cents if c else 0), i.code

    return TodayLists(sorted(at_risk.values(), key=by_stake), sorted(follow_ups.values(), key=by_stake))


def today_block(
    lists: TodayLists,
    actions: Sequence[PlanAction],
    today: dt.date,
    lang: str,
    *,
    week: int = 7,
    start: int = 0,
    limit: int | None = None,
) -> TodayOut:
    """The "Today" block: ``limit`` customers of each of ``lists`` from
    ``start`` (all when None), with the lists' lengths and the value at stake
    of the customers at risk, and the plan ``actions`` due by ``today`` +
    ``week`` days and not done."""
    end = None if limit is None else start + limit
    track = tracked(actions, today)
    done = {s.id for s in track.actions if s.done}
    due = [
        TodayAction(
            id=a.id,
            title=a.title,
            customer_code=a.customer_code,
            customer_name=a.customer_name,
            due_on=a.due_on,
            progress=a.progress,
            overdue=a.due_on < today,
        )
        for a in (x.localized(lang) for x in actions)
        if a.due_on is not None and a.due_on <= today + dt.timedelta(days=week) and a.id not in done
    ]
    return TodayOut(
        at_risk=lists.at_risk[start:end],
        at_risk_count=len(lists.at_risk),
        at_risk_value_cents=round(sum(i.value_cents or 0 for i in lists.at_risk)),
        follow_ups=lists.follow_ups[start:end],
        follow_ups_count=len(lists.follow_ups),
        actions_due=sorted(due, key=lambda a: (a.due_on or today, a.title)),
    )


def customer_rows(
    accounts: Sequence[AccountRow], figures: Figures | None, lang: str, names: CodeNames | None = None
) -> list[dict[str, Any]]:
    """A row per visible customer (``accounts`` of kind customer), with its
    class, RFM profile, category and value when ``figures`` has them, its
    region by name (``names``): the fields of ``CustomerRow``, as dicts
    (``customer_list`` makes the models of its page only: at 20,000 customers,
    validating them all took 0.3 s of every request)."""
    regions = (names or {}).get("region", {})
    values: dict[str, Any] = {}
    rfm: dict[str, Any] = {}
    if figures is not None:
        values = figures.view(("customer_values",), lambda: {c.customer_id: c for c in figures.inputs.value.customers})
        rfm = figures.view(
            ("customer_rfm",), lambda: {r["customer_id"]: r for r in figures.inputs.analysis.rfm.to_pylist()}
        )
    rows = []
    for acc in accounts:
        if acc.kind != "customer":
            continue
        c, r = values.get(acc.code), rfm.get(acc.code, {})
        profile = r.get("profile")
        rows.append(
            {
                "code": acc.code,
                "name": acc.name,
                "segment": acc.segment,
                "region": acc.region,
                "region_name": None if acc.region is None else regions.get(acc.region, acc.region),
                "abc": None if c is None else c.abc,
                "rfm_code": r.get("quarters"),
                "profile": profile,
                "profile_label": _profile_label(lang, profile),
                "category": None if c is None else c.category,
                "category_label": _label(CATEGORY_NAMES, lang, None if c is None else c.category),
                "revenue_cents": None if c is None else c.revenue_cents,
                "value_cents": None if c is None else c.value_cents,
                "clv_cents": None if c is None else c.clv_cents,
                "p_alive": None if c is None else c.p_alive,
            }
        )
    return rows


def _sort_key(sort: str) -> tuple[str, bool]:
    name = sort.lstrip("-")
    return _SORT_FIELDS.get(name, name), sort.startswith("-")


def customer_list(
    rows: Sequence[Mapping[str, Any]],
    *,
    q: str | None,
    filters: dict[str, str | None],
    sort: str,
    page: int,
    per_page: int,
    lang: str,
    names: CodeNames | None = None,
) -> CustomerList:
    """Filter ``rows`` (``q`` in the code or name, case ignored; ``filters``
    on abc, profile, category, region: exact), sort them (missing values
    last) and cut the ``page``-th page of ``per_page`` rows."""
    needle = (q or "").strip().casefold()
    kept = [
        r
        for r in rows
        if (not needle or needle in r["code"].casefold() or needle in r["name"].casefold())
        and all(value in (None, "") or r[key] == value for key, value in filters.items())
    ]
    field, descending = _sort_key(sort)
    present = [r for r in kept if r[field] is not None]
    missing = [r for r in kept if r[field] is None]
    present.sort(key=lambda r: (r[field], r["code"]), reverse=descending)
    ordered = present + sorted(missing, key=lambda r: r["code"])
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(max(page, 1), pages)
    choices = {
        "abc": [(k, k) for k in "ABC"],
        "profile": [(k, _profile_label(lang, k) or k) for k in RFM_PROFILES],
        "category": [(k, _label(CATEGORY_NAMES, lang, k) or k) for k in CATEGORY_NAMES],
        "region": [
            (k, (names or {}).get("region", {}).get(k, k)) for k in sorted({r["region"] for r in rows if r["region"]})
        ],
    }
    return CustomerList(
        total=len(ordered),
        page=page,
        pages=pages,
        per_page=per_page,
        sort=sort,
        filters={"q": q, **filters},
        choices=choices,
        items=[CustomerRow(**r) for r in ordered[(page - 1) * per_page : page * per_page]],
    )


def customer_detail(
    customer: Customer,
    account: AccountRow | None,
    figures: Figures | None,
    contacts: Sequence[ContactRow],
    activities: Sequence[ActivityRow],
    actions: Sequence[PlanAction],
    lang: str,
    names: CodeNames | None = None,
) -> CustomerDetail:
    """The page of ``customer`` (read through the audited ``PortfolioReader.customer``)."""
    code = customer.code
    c = None if figures is None else figures.value_by_code.get(code)
    r: dict[str, Any] = {} if figures is None else figures.rfm_by_code.get(code, {})
    names = names or {}
    segment = None if account is None else account.segment
    region = None if account is None else account.region
    history = [] if figures is None else quarter_series(figures.quarterly.get(code, {}), figures.inputs.as_of)
    return CustomerDetail(
        code=code,
        name=customer.name,
        siren=customer.siren,
        sector=customer.sector,
        size_band=customer.size_band,
        size_band_label=_term(lang, customer.size_band),
        segment=segment,
        segment_name=None if segment is None else names.get("segment", {}).get(segment, segment),
        region=region,
        region_name=None if region is None else names.get("region", {}).get(region, region),
        address=customer.address,
        postal_code=customer.postal_code,
        city=customer.city,
        status=customer.status,
        abc=None if c is None else c.abc,
        potential_class=None if c is None else c.potential_class,
        rfm_code=r.get("quarters"),
        profile=r.get("profile"),
        profile_label=_profile_label(lang, r.get("profile")),
        profile_action=_profile_action(lang, r.get("profile")),
        recency_days=r.get("recency_days"),
        frequency=r.get("frequency"),
        revenue_cents=None if c is None else c.revenue_cents,
        potential_cents=None if c is None else c.potential_cents,
        value_cents=None if c is None else c.value_cents,
        clv_cents=None if c is None else c.clv_cents,
        p_alive=None if c is None else c.p_alive,
        category=None if c is None else c.category,
        category_label=_label(CATEGORY_NAMES, lang, None if c is None else c.category),
        strategy=None if c is None else c.strategy,
        strategy_label=_label(STRATEGY_NAMES, lang, None if c is None else c.strategy),
        trajectory=None if c is None else c.trajectory,
        trajectory_label=_term(lang, None if c is None else c.trajectory),
        solvency={} if c is None else dict(c.solvency),
        history=[QuarterOut(quarter=q, revenue_cents=cents) for q, cents in history],
        contacts=[ContactOut(name=x.name, function=x.function, email=x.email, phone=x.phone) for x in contacts],
        activities=[
            ActivityOut(kind=x.kind, occurred_on=x.occurred_on, user=x.user)
            for x in activities
            if x.customer_code == code
        ],
        actions=[
            ActionOut(id=x.id, title=x.title, due_on=x.due_on, progress=x.progress, owner=x.owner, priority=x.priority)
            for x in actions
            if x.customer_code == code
        ],
    )
