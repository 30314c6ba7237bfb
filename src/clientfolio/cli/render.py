"""Rich renderings of library results for the terminal (no I/O here), in the
run's language (``clientfolio.cli._common.lang``): measures by their names,
numbers, amounts, shares and dates in that language's conventions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType

from clientfolio.cli._common import DataTable, fmt, lang, tr
from clientfolio.i18n import N_, gettext_for

if TYPE_CHECKING:  # the analytics engine is imported only by the commands using it
    from clientfolio.analytics.analysis import Overview

__all__ = ["MEASURE_NAMES", "analysis_tables"]

# the measures of ``Analysis.measures.as_dict()`` by their English names: a
# section (``current.``) and a key (``active_customers``)
MEASURE_NAMES = {
    "as_of": N_("as of"),
    "period": N_("period"),
    "months": N_("months"),
    "current": N_("last 12 months"),
    "previous": N_("12 months before"),
    "evolution": N_("change"),
    "concentration": N_("concentration"),
    "projection": N_("projection"),
    "start": N_("start"),
    "end": N_("end"),
    "active_customers": N_("active customers"),
    "revenue_cents": N_("revenue excl. tax"),
    "active_at_start": N_("active at the start"),
    "new_customers": N_("new customers"),
    "new_revenue_cents": N_("revenue of the new customers"),
    "lost_customers": N_("lost customers"),
    "lost_revenue_cents": N_("revenue of the lost customers"),
    "returning_customers": N_("returning customers"),
    "churn_rate": N_("churn rate"),
    "renewal_ratio": N_("renewal ratio new/lost"),
    "customers_change": N_("change in customers"),
    "customers_change_rate": N_("change in customers, %"),
    "revenue_change_cents": N_("change in revenue"),
    "revenue_change_rate": N_("change in revenue, %"),
    "customers": N_("customers"),
    "top_20pct_customers": N_("customers in the top 20 %"),
    "top_20pct_share": N_("share of the top 20 %"),
    "top_n_customers": N_("customers in the top N"),
    "top_n_share": N_("share of the top N"),
    "hhi": N_("Herfindahl index (HHI)"),
    "gini": N_("Gini coefficient"),
    "largest_customer_id": N_("largest customer"),
    "largest_share": N_("share of the largest customer"),
    "dependency_alert": N_("dependency alert"),
    "annual_churn": N_("annual churn"),
    "years_to_half": N_("years until half are gone"),
    "new_per_year_to_hold": N_("new customers a year to hold"),
    "year": N_("year"),
    "quarter": N_("quarter"),
    "month": N_("month"),
    # the ABC summary's columns
    "class": N_("class"),
    "customer_share": N_("share of customers"),
    "value_cents": N_("revenue"),
    "value_share": N_("share of revenue"),
    "segment": N_("segment"),
    "total": N_("total"),
    "Total": N_("Total"),
}

# the RFM profiles by their English names (clientfolio.analytics.rfm's default rules)
PROFILE_NAMES = {
    "inactive": N_("inactive"),
    "new": N_("new"),
    "very_regular": N_("very regular"),
    "regular": N_("regular"),
    "declining": N_("to retain or losing speed"),
    "cyclical": N_("cyclical"),
}


_WHOLE = frozenset({"new_per_year_to_hold"})
"""Measures that count customers, shown as whole customers (531, not 531.31)."""


def _value(key: str, value: Any) -> str:
    f = fmt()
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    if isinstance(value, float):
        percent = any(word in key for word in ("share", "rate", "churn")) or key in ("gini", "hhi")
        whole = key in _WHOLE  # a count of customers, computed as an expectation
        return f.percent(value, 1) if percent else f.number(value, 0 if whole else 2)
    if isinstance(value, int) and key.endswith("_cents"):
        return f.money(value, decimals=False)
    if isinstance(value, int):
        return f.number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return f.date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and value in ("year", "quarter", "month"):
        return tr(MEASURE_NAMES[value])
    return "-" if value is None else str(value)


def _label(key: str) -> str:
    """A key (``current.active_customers``) by its name in the run's language."""
    _ = gettext_for(lang())
    return " · ".join(
        _(MEASURE_NAMES.get(part, part.removesuffix("_cents").replace("_", " "))) for part in key.split(".")
    )


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif not isinstance(value, list):
            yield name, value


def analysis_tables(analysis: Overview, names: Mapping[str, str] | None = None) -> list[RenderableType]:
    """The measures, ABC summary, RFM profiles and segment x product grid
    (segments and product lines by their ``names``, by code, when given)."""
    from clientfolio.analytics.matrix import matrix_name

    names = names or {}
    _ = gettext_for(lang())
    f = fmt()
    measures = DataTable(title=tr("Portfolio measures as of {day}", day=f.date(analysis.as_of)), show_header=False)
    measures.add_column(tr("measure"))
    measures.add_column(tr("value"), justify="right")
    for key, value in _flatten(analysis.measures.as_dict()):
        measures.add_row(_label(key), _value(key.rsplit(".", 1)[-1], value))

    abc = DataTable(title=tr("ABC classes"))
    summary = analysis.abc_summary.to_pylist()
    for column in summary[0] if summary else ():
        abc.add_column(_label(column), justify="right")
    for row in summary:
        abc.add_row(*(_value(k, v) for k, v in row.items()))

    rfm = DataTable(title=tr("RFM purchase profiles"))
    rfm.add_column(tr("profile"))
    rfm.add_column(tr("customers"), justify="right")
    for profile, count in analysis.rfm_profiles.items():  # the most common first
        rfm.add_row(_(PROFILE_NAMES.get(str(profile), str(profile))), f.number(count))

    rows = analysis.matrix.as_rows()
    grid = DataTable(title=tr("Segment x product line"))
    for column in rows[0] if rows else ():
        shown = _label(column) if column in ("segment", "total") else matrix_name(column, names, _)
        grid.add_column(shown, justify="right")
    for row in rows:
        grid.add_row(
            *(
                f.money(v, decimals=False)
                if isinstance(v, int)
                else _(MEASURE_NAMES["Total"])
                if v == "Total"
                else matrix_name(str(v), names, _)
                for v in row.values()
            )
        )
    return [measures, abc, rfm, grid]
