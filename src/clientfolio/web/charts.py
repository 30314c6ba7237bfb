"""The dashboard's SVG charts, drawn by ``clientfolio.report.charts`` (shared
with the annual report) in the reader's language and formats."""

from __future__ import annotations

from collections.abc import Callable

from clientfolio.analytics.matrix import matrix_name
from clientfolio.i18n import Formatter
from clientfolio.report.charts import (
    bar_chart,
    funnel_chart,
    gauge,
    heatmap,
    line_chart,
    pareto_chart,
    quadrant_chart,
)
from clientfolio.report.layout import money_axis
from clientfolio.value.strategy import STRATEGY_NAMES, quadrant_points
from clientfolio.web.figures import Figures
from clientfolio.web.models import CustomerDetail, Dashboard

__all__ = ["customer_chart", "dashboard_charts", "pareto_cuts"]


def dashboard_charts(
    d: Dashboard, figures: Figures, _: Callable[[str], str], fmt: Formatter, lang: str
) -> dict[str, str]:
    """The SVG of each chart of the dashboard ``d`` (made from ``figures``), by name."""
    empty = _("No data")

    euros = money_axis(fmt)

    def count(value: float) -> str:
        return fmt.number(value)

    def share(value: float) -> str:
        return fmt.percent(value)

    charts: dict[str, str] = {}
    if d.assessment is not None and d.assessment.fact_mark is not None:
        charts["gauge"] = gauge(
            round(d.assessment.fact_mark, 1),
            title=_("Self-assessment of the customer capital"),
            fmt=lambda v: fmt.number(v, 1),
        )
    ends = [fmt.date(p.end) for p in d.trend]
    charts["revenue_trend"] = line_chart(
        ends,
        {_("Revenue"): [p.revenue_cents for p in d.trend]},
        title=_("Revenue by twelve-month period"),
        fmt=euros,
        empty=empty,
        lang=lang,
    )
    charts["customers_trend"] = line_chart(
        ends,
        {
            _("Active customers"): [p.active for p in d.trend],
            _("New customers"): [p.new for p in d.trend],
            _("Lost customers"): [p.lost for p in d.trend],
        },
        title=_("Customers by twelve-month period"),
        fmt=count,
        empty=empty,
        lang=lang,
    )
    quarters = [fmt.period(q.quarter) for q in d.quarters]
    charts["quarter_revenue"] = line_chart(
        quarters,
        {_("Revenue"): [q.revenue_cents for q in d.quarters]},
        title=_("Revenue per quarter, last eight quarters"),
        fmt=euros,
        empty=empty,
        lang=lang,
    )
    charts["quarter_customers"] = line_chart(
        quarters,
        {_("Active customers"): [q.active for q in d.quarters]},
        title=_("Active customers per quarter, last eight quarters"),
        fmt=count,
        empty=empty,
        lang=lang,
    )
    a, b = pareto_cuts(d)
    charts["pareto"] = pareto_chart(
        d.pareto,
        a=a,
        b=b,
        title=_("ABC analysis: Pareto curve"),
        fmt=share,
        x_label=_("Share of customers"),
        y_label=_("Share of revenue"),
        empty=empty,
        lang=lang,
    )
    rows = ["A", "B", "C", "P"]
    charts["crossed"] = heatmap(
        [_("Prospects") if r == "P" else r for r in rows],
        ["A'", "B'", "C'"],
        [
            [next(c.customers for c in d.crossed if c.revenue_class == r and c.potential_class == p) for p in "ABC"]
            for r in rows
        ],
        title=_("Crossed ABC matrix: revenue (rows) x potential (columns), customers"),
        fmt=count,
        empty=empty,
        lang=lang,
    )
    charts["rfm"] = bar_chart(
        [p.label for p in d.rfm],
        [p.customers for p in d.rfm],
        title=_("RFM profiles: customers"),
        fmt=count,
        empty=empty,
        lang=lang,
    )
    if d.matrix is not None:
        m = d.matrix
        segments = dict(zip(m.segments, m.segment_names, strict=False))  # no names: the codes
        products = dict(zip(m.products, m.product_names, strict=False))
        charts["matrix"] = heatmap(
            [matrix_name(c, segments, _) for c in m.segments],
            [matrix_name(c, products, _) for c in m.products],
            d.matrix.grid,
            title=_("Segment x product line matrix: revenue of the last twelve months"),
            fmt=euros,
            empty=empty,
            lang=lang,
        )
    v = figures.inputs.value
    q = quadrant_points(v.customers, v.quadrant_thresholds)  # the assignment's thresholds, one home
    labels = {code: _(name) for code, name in STRATEGY_NAMES.items()}
    charts["quadrants"] = quadrant_chart(
        [(c.customer_id, x / 100, y / 100) for c, x, y in q.points],
        x_threshold=q.x_cut / 100,
        y_threshold=q.y_cut / 100,
        x_label=_(q.x_label),
        y_label=_(q.y_label),
        quadrant_labels=(labels["cross_sell"], labels["loyalty"], labels["termination"], labels["retention"]),
        title=_("Value strategy: profitability x potential"),
        empty=empty,
        log=True,
        log_note=_("log scale"),
        lang=lang,
    )
    charts["funnel"] = funnel_chart(
        [s.label for s in d.funnel],
        [s.reached for s in d.funnel],
        title=_("Prospecting funnel: prospects that reached each stage"),
        fmt=count,
        rate_fmt=share,
        rate_label=_("conversion") + " ",
        empty=empty,
        lang=lang,
    )
    return charts


def pareto_cuts(d: Dashboard) -> tuple[float, float]:
    """The cumulative shares of revenue where the Pareto chart cuts its zones:
    those reached by the last A customer and by the last B customer of the
    table (``d.abc``), so that the zones hold the table's customers (its
    shares of customers) and the dashed lines sit at its shares of revenue."""
    counts = {r.abc: r.customers for r in d.abc}
    if not d.pareto:
        return 0.0, 0.0

    def reached(customers: int) -> float:
        return d.pareto[min(max(customers, 1), len(d.pareto)) - 1]

    return reached(counts.get("A", 0)), reached(counts.get("A", 0) + counts.get("B", 0))


def customer_chart(d: CustomerDetail, _: Callable[[str], str], fmt: Formatter) -> str:
    """The bar chart of the customer's revenue per calendar quarter (its page's table)."""
    return bar_chart(
        [fmt.period(h.quarter) for h in d.history],
        [h.revenue_cents for h in d.history],
        title=_("Revenue per quarter"),
        fmt=lambda cents: fmt.money(cents, decimals=False),
        empty=_("No sale."),
        lang=fmt.lang,
    )
