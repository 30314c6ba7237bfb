"""The review's sections, built from ``ReviewData`` in one language.

``build_report(data, lang, mark=)`` gives the ``Report`` the renderers write:
a headline (the valuation of the customer capital with its interval, the
mark out of 20), then one section per analysis, in the order of the method
(measure, develop, plan): portfolio measures, ABC, customer value, RFM,
segment x product, prospects, sales activity, self-assessment, SWOT, action
plan.  Texts the analyses write themselves (SWOT items, suggested actions)
are in English: they are shown as written, names marked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from clientfolio.analytics.matrix import matrix_name
from clientfolio.i18n import localized
from clientfolio.plan.assessment import READINGS, THEME_INFO
from clientfolio.plan.messages import shown
from clientfolio.plan.swot import QUADRANT_NAMES, RECOMMENDATIONS
from clientfolio.plan.swot import QUADRANTS as SWOT_QUADRANTS
from clientfolio.prospects.followup import reason_names
from clientfolio.prospects.stages import FUNNEL_STAGES, STAGE_NAMES
from clientfolio.report import charts
from clientfolio.report.annual import ReviewData
from clientfolio.report.layout import Figure, Namer, Report, Section, Table, money_axis, table, translator
from clientfolio.value.backtest import GROUP_LABELS
from clientfolio.value.categories import CATEGORIES, CATEGORY_NAMES
from clientfolio.value.strategy import STRATEGY_NAMES, quadrant_points

__all__ = ["build_report"]

TOP = 15
"""Rows of the customer lists (largest first)."""


def _stage(stage: str, _: Callable[[str], str]) -> str:
    return _(STAGE_NAMES.get(stage, stage))


def build_report(data: ReviewData, lang: str, *, mark: Callable[[str], str] = str) -> Report:
    """The review of ``data`` in ``lang`` (``fr`` or ``en``), names passed through ``mark``."""
    _, f = translator(lang)
    i = data.inputs
    namer = Namer(mark, i.names, {p.code: p.name for p in i.prospects.prospects})
    eq = i.value.equity
    headline = (  # the cover's amounts in whole euros
        Figure(_("Value of the customer capital"), eq.total_cents, "euros"),
        Figure(_("Low bound"), eq.low_cents, "euros"),
        Figure(_("High bound"), eq.high_cents, "euros"),
        Figure(_("Confidence level"), eq.level, "pct"),
        Figure(_("Customers with sales"), i.analysis.measures.current.active_customers, "int"),
        Figure(_("Revenue of the year"), i.analysis.measures.current.revenue_cents, "euros"),
        Figure(_("Self-assessment mark /20"), data.assessment.fact_mark, "num"),
    )
    sections = (
        _measures(data, lang),
        _abc(data, lang, namer),
        _value(data, lang, namer),
        _rfm(data, lang),
        _matrix(data, lang),
        _prospects(data, lang, namer),
        _activity(data, lang, namer),
        _assessment(data, lang),
        _swot(data, lang, namer),
        _plan(data, lang, namer),
    )
    company = data.header.company or _("Customer portfolio")
    return Report(
        lang=lang,
        title=_("Annual portfolio review"),
        subtitle=f"{company} · {_('as of')} {f.date(data.as_of, long=True)}"
        + (f" · {_('made for')} {data.full_name}" if data.full_name else ""),
        as_of=data.as_of,
        headline=headline,
        sections=sections,
        named=frozenset(namer.named),
        labels={
            "contents": _("Contents"),
            "summary": _("Summary"),
            "confidential": _("Confidential: registered and fingerprinted export"),
        },
    )


def _measures(data: ReviewData, lang: str) -> Section:
    _, f = translator(lang)
    m = data.inputs.analysis.measures
    n, p = m.current, m.previous
    rows = [
        (_("Customers with sales"), p.active_customers, n.active_customers, "int"),
        (_("New customers"), p.new_customers, n.new_customers, "int"),
        (_("Revenue of new customers"), p.new_revenue_cents, n.new_revenue_cents, "money"),
        (_("Lost customers"), p.lost_customers, n.lost_customers, "int"),
        (_("Revenue taken by lost customers"), p.lost_revenue_cents, n.lost_revenue_cents, "money"),
        (_("Churn rate"), p.churn_rate, n.churn_rate, "pct"),
        (_("Renewal ratio (new / lost)"), p.renewal_ratio, n.renewal_ratio, "num"),
        (_("Revenue"), p.revenue_cents, n.revenue_cents, "money"),
    ]
    c, proj = m.concentration, m.projection
    figures = (
        Figure(_("Top 20 % share of revenue"), c.top_20pct_share, "pct"),
        Figure(_("Largest customer's share"), c.largest_share, "pct"),
        Figure(_("Gini index"), c.gini, "num"),
        Figure(_("Revenue change"), m.evolution.revenue_change_rate, "pct"),
        Figure(_("Years to lose half the customers without prospecting"), proj.years_to_half, "num"),
        Figure(  # whole customers
            _("New customers a year to hold the portfolio"),
            None if proj.new_per_year_to_hold is None else round(proj.new_per_year_to_hold),
            "int",
        ),
    )
    years = [str(k) for k in range(len(proj.remaining_share) + 1)]
    chart = charts.line_chart(
        years,
        {_("Customers remaining without prospecting"): [1.0, *proj.remaining_share]},
        title=_("Churn projection"),
        fmt=lambda v: f.percent(v),
        empty=_("No data"),
        lang=lang,
    )
    notes = (
        (_("Dependency alert: one customer makes more than the alert share of revenue."),) if c.dependency_alert else ()
    )
    return Section(
        "measures",
        _("Portfolio measures"),
        notes,
        figures,
        (_two_periods(_("Year N-1 and year N"), rows, lang, f"{f.date(p.end)}", f"{f.date(n.end)}"),),
        (chart,),
    )


def _two_periods(
    caption: str, rows: Sequence[tuple[str, object, object, str]], lang: str, before: str, now: str
) -> Table:
    """A table of measures with a kind per row: its cells are ``(value, kind)`` (column kind ``row``)."""
    _, _f = translator(lang)
    return Table(
        caption,
        (_("Measure"), before, now),
        ("text", "row", "row"),
        tuple((label, (a, kind), (b, kind)) for label, a, b, kind in rows),
    )


def _abc(data: ReviewData, lang: str, namer: Namer) -> Section:
    _, f = translator(lang)
    a = data.inputs.analysis
    cfg = data.config.analytics.abc
    summary = a.abc_summary.to_pylist()
    abc = a.abc.to_pylist()
    pareto = charts.pareto_chart(
        [r["cumulative_share"] for r in abc],
        a=cfg.a,
        b=cfg.b,
        title=_("Concentration of revenue (Pareto)"),
        fmt=lambda v: f.percent(v),
        x_label=_("Share of customers"),
        y_label=_("Cumulative share of revenue"),
        empty=_("No data"),
        lang=lang,
    )
    return Section(
        "abc",
        _("ABC analysis"),
        (
            _("A: the customers making the first {a} of revenue; B: up to {b}; C: the rest.").format(
                a=f.percent(cfg.a), b=f.percent(cfg.b)
            ),
        ),
        (),
        (
            table(
                _("ABC classes"),
                [
                    (_("Class"), "text"),
                    (_("Customers"), "int"),
                    (_("Share of customers"), "pct"),
                    (_("Revenue"), "money"),
                    (_("Share of revenue"), "pct"),
                ],
                [
                    (r["class"], r["customers"], r["customer_share"], r["value_cents"], r["value_share"])
                    for r in summary
                ],
            ),
            table(
                _("Largest customers"),
                [
                    (_("Customer"), "text"),
                    (_("Class"), "text"),
                    (_("Revenue"), "money"),
                    (_("Share of revenue"), "pct"),
                    (_("Cumulative share"), "pct"),
                ],
                [
                    (namer.customer(r["customer_id"]), r["class"], r["value_cents"], r["share"], r["cumulative_share"])
                    for r in abc[:TOP]
                ],
            ),
        ),
        (pareto,),
    )


def _value(data: ReviewData, lang: str, namer: Namer) -> Section:
    _, f = translator(lang)
    v = data.inputs.value
    eq = v.equity
    labels = {k: _(name) for k, name in CATEGORY_NAMES.items()}
    customers = v.customers
    by_cat = {cat: [c for c in customers if c.category == cat] for cat in CATEGORIES}
    classes = ("A", "B", "C")
    cells = {(r["revenue_class"], r["potential_class"]): r["customers"] for r in v.crossed}
    heat = charts.heatmap(
        [*classes, "P"],
        [f"{k}'" for k in classes],
        [[cells.get((r, k)) for k in classes] for r in (*classes, "P")],
        title=_("Crossed ABC: customers by revenue class and potential class"),
        fmt=lambda x: f.number(x),
        empty=_("No data"),
        lang=lang,
    )
    q = quadrant_points(v.customers, v.quadrant_thresholds)  # the thresholds the quadrants were assigned with
    strategy = {k: _(name) for k, name in STRATEGY_NAMES.items()}
    quad = charts.quadrant_chart(
        [(namer.customer(c.customer_id, c.name), x / 100, y / 100) for c, x, y in q.points][:400],
        x_threshold=q.x_cut / 100,
        y_threshold=q.y_cut / 100,
        x_label=_(q.x_label),
        y_label=_(q.y_label),
        quadrant_labels=(strategy["cross_sell"], strategy["loyalty"], strategy["termination"], strategy["retention"]),
        title=_("Value strategy: profitability x potential"),
        empty=_("No data"),
        log=True,
        log_note=_("log scale"),
        lang=lang,
    )
    top = sorted(customers, key=lambda c: -c.value_cents)[:TOP]
    told = tuple(s.in_language(lang) for s in eq.statements())
    notes = (localized(lang, eq.method, eq.method_msg, eq.method_params),) + told + ((eq.note,) if eq.note else ())
    return Section(
        "value",
        _("Customer value"),
        notes,
        (
            Figure(_("Value of the customer capital"), eq.total_cents, "money"),
            Figure(_("Low bound"), eq.low_cents, "money"),
            Figure(_("High bound"), eq.high_cents, "money"),
            Figure(_("Customers valued"), eq.customers_valued, "int"),
            Figure(_("Horizon (years)"), eq.horizon_years, "num"),
            Figure(_("Discount rate"), eq.discount_rate, "pct"),
        ),
        (
            table(
                _("Customer categories"),
                [
                    (_("Category"), "text"),
                    (_("Customers"), "int"),
                    (_("Revenue"), "money"),
                    (_("Potential"), "money"),
                    (_("Lifetime value"), "money"),
                ],
                [
                    (
                        labels[cat],
                        len(cs),
                        sum(c.revenue_cents for c in cs),
                        sum(c.potential_cents for c in cs),
                        eq.by.get("category", {}).get(cat),
                    )
                    for cat, cs in by_cat.items()
                ],
            ),
            table(
                _("Customers by value (revenue + potential)"),
                [
                    (_("Customer"), "text"),
                    (_("Category"), "text"),
                    (_("Strategy"), "text"),
                    (_("Revenue"), "money"),
                    (_("Potential"), "money"),
                    (_("Customer value"), "money"),
                    (_("Lifetime value"), "money"),
                    (_("Probability still active"), "pct"),
                ],
                [
                    (
                        namer.customer(c.customer_id, c.name),
                        labels.get(c.category or "", "-"),
                        strategy.get(c.strategy or "", "-"),
                        c.revenue_cents,
                        c.potential_cents,
                        c.value_cents,
                        c.clv_cents,
                        c.p_alive,
                    )
                    for c in top
                ],
            ),
            *_backtest(eq.backtest, lang),
            _solvency(v.solvency, lang),
        ),
        (heat, quad),
    )


def _backtest(backtest: dict[str, Any] | None, lang: str) -> tuple[Table, ...]:
    """The valuation's one-year backtest: forecast against outcome by group (none without a backtest)."""
    if backtest is None:
        return ()
    _, _f = translator(lang)
    return (
        table(
            _("Backtest: the models tried on the last year"),
            [
                (_("Customers of the cutoff date"), "text"),
                (_("Customers"), "int"),
                (_("Forecast"), "money"),
                (_("Bought"), "money"),
                (_("Gap"), "pct"),
            ],
            [
                (_(GROUP_LABELS[g["name"]]), g["customers"], g["predicted_cents"], g["actual_cents"], g["error"])
                for g in (backtest["total"], *backtest["groups"])
            ],
        ),
    )


def _solvency(solvency: dict[str, Any] | None, lang: str) -> Table:
    _, _f = translator(lang)
    paid = bool(solvency and solvency.get("has_payment_data"))
    s = solvency if solvency and paid else {}  # no payment at all: no delay to measure
    return table(
        _("Solvency") if paid else _("Solvency (no payment imported: the delays cannot be measured)"),
        [(_("Measure"), "text"), (_("Value"), "row")],
        [
            (_("Customers with payment incidents"), (s.get("customers_with_incidents"), "int")),
            (_("Share of revenue with incidents"), (s.get("incident_revenue_share"), "pct")),
            (_("Overdue amount"), (s.get("overdue_cents"), "money")),
            (_("Days sales outstanding"), (s.get("dso_days"), "num")),
        ],
    )


def _rfm(data: ReviewData, lang: str) -> Section:
    _, f = translator(lang)
    profiles = data.config.analytics.rfm.profiles()
    rows = data.inputs.analysis.rfm.to_pylist()
    counts = Counter(r["profile"] for r in rows)
    revenue: Counter[str] = Counter()
    for r in rows:
        revenue[r["profile"]] += r["monetary_cents"]
    keys = [k for k in profiles if counts[k]] + [k for k in counts if k not in profiles]

    def label(k: str) -> str:
        p = profiles.get(k)
        return k if p is None else p.label_in(lang)

    def action(k: str) -> str:
        p = profiles.get(k)
        return "" if p is None else p.action_in(lang)

    bars = charts.bar_chart(
        [label(k) for k in keys],
        [float(counts[k]) for k in keys],
        title=_("Customers by purchase profile"),
        fmt=lambda x: f.number(x),
        empty=_("No data"),
        lang=lang,
    )
    return Section(
        "rfm",
        _("RFM purchase profiles"),
        (_("Each customer's purchases quarter by quarter over the year (1 = bought) give its profile."),),
        (),
        (
            table(
                _("Profiles"),
                [(_("Profile"), "text"), (_("Customers"), "int"), (_("Revenue"), "money"), (_("Action"), "text")],
                [(label(k), counts[k], revenue[k], action(k)) for k in keys],
            ),
        ),
        (bars,),
    )


def _matrix(data: ReviewData, lang: str) -> Section:
    _, f = translator(lang)
    mx = data.inputs.analysis.matrix
    grid = [[float(v) for v in row] for row in mx.grid]

    def seg(code: str) -> str:
        return matrix_name(code, data.segment_names, _)

    def line(code: str) -> str:
        return matrix_name(code, data.product_names, _)

    heat = charts.heatmap(
        [seg(s) for s in mx.segments],
        [line(p) for p in mx.products],
        grid,
        title=_("Revenue by segment and product line"),
        fmt=money_axis(f),
        empty=_("No data"),
        lang=lang,
    )
    rows = [(seg(s), *row, total) for s, row, total in zip(mx.segments, mx.grid, mx.row_totals, strict=True)]
    rows.append((_("Total"), *mx.column_totals, mx.total))
    return Section(
        "matrix",
        _("Segment x product line"),
        (),
        (),
        (
            table(
                _("Revenue by segment and product line"),
                [(_("Segment"), "text"), *((line(p), "money") for p in mx.products), (_("Total"), "money")],
                rows,
            ),
            table(
                _("Winning combinations"),
                [
                    (_("Segment"), "text"),
                    (_("Product line"), "text"),
                    (_("Revenue"), "money"),
                    (_("Share of the segment"), "pct"),
                ],
                [(seg(c.segment), line(c.product), c.value_cents, c.segment_share) for c in mx.winning],
            ),
            table(
                _("Combinations to develop"),
                [(_("Segment"), "text"), (_("Product line"), "text"), (_("Product lines it buys"), "text")],
                [(seg(w.segment), line(w.product), ", ".join(line(n) for n in w.neighbours)) for w in mx.white_spaces],
            ),
        ),
        (heat,),
    )


def _prospects(data: ReviewData, lang: str, namer: Namer) -> Section:
    _, f = translator(lang)
    pv = data.inputs.prospects
    funnel = charts.funnel_chart(
        [_stage(s, _) for s in FUNNEL_STAGES],
        [pv.funnel.reached.get(s, 0) for s in FUNNEL_STAGES],
        title=_("Prospecting funnel: prospects that reached each stage"),
        fmt=lambda x: f.number(x),
        rate_fmt=lambda x: f.percent(x),
        empty=_("No data"),
        lang=lang,
    )
    levels = ("high", "medium", "low")
    placed = {(str(pot), str(acc)): n for (pot, acc), n in pv.matrix.items()}
    matrix = table(
        _("IPA / IPO priority matrix: prospects"),
        [(_("Potential (IPO) / accessibility (IPA)"), "text"), *((_(lv), "int") for lv in levels)],
        [(_(pot), *(placed.get((pot, acc), 0) for acc in levels)) for pot in levels],
    )
    best = sorted(pv.prospects, key=lambda p: (p.priority, -(p.potential_cents or 0)))[:TOP]
    return Section(
        "prospects",
        _("Prospects"),
        (),
        (
            Figure(_("Open prospects"), sum(1 for p in pv.prospects if p.stage not in ("won", "lost")), "int"),
            Figure(_("Won over the last year"), pv.funnel.won_last_year, "int"),
        ),
        (
            matrix,
            table(
                _("Priority prospects"),
                [
                    (_("Prospect"), "text"),
                    (_("Stage"), "text"),
                    (_("Priority"), "int"),
                    (_("IPA"), "num"),
                    (_("IPO"), "num"),
                    (_("Potential"), "money"),
                ],
                [
                    (namer.prospect(p.name), _stage(p.stage, _), p.priority, p.ipa, p.ipo, p.potential_cents)
                    for p in best
                ],
            ),
        ),
        (funnel,),
    )


def _activity(data: ReviewData, lang: str, namer: Namer) -> Section:
    _, f = translator(lang)
    act = data.inputs.activity
    reps = act.activity.reps
    bars = charts.bar_chart(
        [r.who or _("Team") for r in reps],
        [r.index for r in reps],
        title=_("Activity index by sales rep"),
        fmt=lambda x: f.number(x, 1),
        empty=_("No data"),
        lang=lang,
    )
    unfollowed = [c for c in act.important if c.unfollowed]
    return Section(
        "activity",
        _("Sales activity"),
        (_("Activity = quantity x orientation x efficiency; the lever is the factor whose rise gains most."),),
        (),
        (
            table(
                _("Activity index"),
                [
                    (_("Sales rep"), "text"),
                    (_("Activities"), "int"),
                    (_("Quantity"), "num"),
                    (_("Orientation"), "num"),
                    (_("Efficiency"), "num"),
                    (_("Index"), "num"),
                    (_("Lever"), "text"),
                ],
                [
                    (
                        r.who or _("Team"),
                        r.activities,
                        r.quantity,
                        r.orientation,
                        r.efficiency,
                        r.index,
                        _(r.levers[0].factor.capitalize()) if r.levers else "-",
                    )
                    for r in [*reps, act.activity.team]
                ],
            ),
            table(
                _("Important customers without recent follow-up"),
                [(_("Customer"), "text"), (_("Why"), "text"), (_("Last contact"), "row"), (_("Days since"), "int")],
                [
                    (
                        namer.customer(c.customer_code, c.name),
                        ", ".join(_(n) for n in reason_names(c.reasons)),
                        (c.last_contact, "date") if c.last_contact else (_("never"), "text"),
                        c.days_since,
                    )
                    for c in unfollowed[:TOP]
                ],
            ),
        ),
        (bars,),
    )


def _assessment(data: ReviewData, lang: str) -> Section:
    _, f = translator(lang)
    a = data.assessment
    reading = READINGS.get(a.reading or "")
    notes = () if reading is None else (_(reading.text),)
    themes = [_(THEME_INFO[t.theme].label) for t in a.themes]
    gauge = charts.gauge(
        a.fact_mark or 0.0, title=_("Self-assessment of the customer capital, out of 20"), fmt=lambda x: f.number(x, 1)
    )
    bars = charts.bar_chart(
        themes,
        [t.fact_mark or 0.0 for t in a.themes],
        title=_("Mark by theme, out of 20"),
        fmt=lambda x: f.number(x, 1),
        empty=_("No data"),
        lang=lang,
    )
    indicators = [i for t in a.themes for i in t.indicators]
    return Section(
        "assessment",
        _("Self-assessment"),
        notes,
        (Figure(_("Mark from the facts /20"), a.fact_mark, "num"), Figure(_("Team's mark /20"), a.team_mark, "num")),
        (
            table(
                _("Themes"),
                [
                    (_("Theme"), "text"),
                    (_("Mark from the facts /20"), "num"),
                    (_("Team's mark /20"), "num"),
                    (_("Gap"), "num"),
                ],
                [(name, t.fact_mark, t.team_mark, t.gap) for name, t in zip(themes, a.themes, strict=True)],
            ),
            table(
                _("Indicators"),
                [(_("Indicator"), "text"), (_("Value"), "row"), (_("Mark /20"), "num")],
                [(_(i.label), (i.value, "pct" if i.unit == "share" else "num"), i.mark) for i in indicators],
            ),
        ),
        (gauge, bars),
    )


def _swot(data: ReviewData, lang: str, namer: Namer) -> Section:
    _, _f = translator(lang)
    rows = []
    for quadrant in SWOT_QUADRANTS:
        verb = _(RECOMMENDATIONS[quadrant].verb)
        name = _(QUADRANT_NAMES[quadrant])
        rows += [
            (name, verb, namer.text(item.localized(lang).text), _("kept"))
            for item in data.kept_swot
            if item.quadrant == quadrant
        ]
        rows += [
            (name, verb, namer.text(localized(lang, s.text, s.text_msg, s.params)), _("suggested"))
            for s in data.swot
            if s.quadrant == quadrant
        ]
    return Section(
        "swot",
        _("SWOT"),
        tuple(
            _("{label}: {value}").format(label=_(QUADRANT_NAMES[q]), value=_(RECOMMENDATIONS[q].verb))
            for q in SWOT_QUADRANTS
        ),
        (),
        (
            table(
                _("SWOT items"),
                [(_("Quadrant"), "text"), (_("Recommendation"), "text"), (_("Item"), "text"), (_("Status"), "text")],
                rows,
            ),
        ),
        (),
    )


def _plan(data: ReviewData, lang: str, namer: Namer) -> Section:
    _, f = translator(lang)
    h, t = data.header, data.tracking
    notes = tuple(
        _("{label}: {value}").format(label=label, value=value)
        for label, value in (
            (_("Strategic business area"), h.business_area),
            (_("Vision"), h.vision),
            (_("Objective"), h.objective),
        )
        if value
    )
    return Section(
        "plan",
        _("Commercial action plan"),
        notes,
        (
            Figure(_("Budget year"), h.budget_year, "text"),
            Figure(_("Actions"), t.count, "int"),
            Figure(_("Done"), t.done, "int"),
            Figure(_("Overdue"), t.overdue, "int"),
            Figure(_("Target revenue"), t.target_revenue_cents, "money"),
            Figure(_("Achievement"), t.achievement, "pct"),
        ),
        (
            table(
                _("Actions of the plan"),
                [
                    (_("Action"), "text"),
                    (_("Customer"), "text"),
                    (_("Owner"), "text"),
                    (_("Due"), "date"),
                    (_("Progress"), "pct"),
                    (_("Current revenue"), "money"),
                    (_("Target revenue"), "money"),
                ],
                [
                    (
                        namer.text(a.title),
                        namer.customer(a.customer_code, a.customer_name) if a.customer_code else "",
                        a.owner,
                        a.due_on,
                        a.progress / 100,
                        a.current_revenue_cents,
                        a.target_revenue_cents,
                    )
                    for a in (action.localized(lang) for action in data.inputs.actions)
                ],
            ),
            table(
                _("Suggested actions"),
                [
                    (_("Action"), "text"),
                    (_("Typology"), "text"),
                    (_("Priority"), "int"),
                    (_("Due"), "date"),
                    (_("Why"), "text"),
                    (_("Expected revenue"), "money"),
                ],
                [
                    (
                        namer.text(shown(lang, s.title, s.title_msg, s.params)),
                        _(s.typology),
                        s.priority,
                        s.due_on,
                        namer.text(shown(lang, s.reason, s.reason_msg, s.params)),
                        s.expected_cents,
                    )
                    for s in data.suggestions
                ],
            ),
        ),
        (),
    )
