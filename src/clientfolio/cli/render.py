"""Rich renderings of library results for the terminal (no I/O here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.table import Table

from clientfolio.i18n import euros

if TYPE_CHECKING:  # the analytics engine is imported only by the commands using it
    from clientfolio.analytics.analysis import Analysis

__all__ = ["analysis_tables"]


def _value(key: str, value: Any) -> str:
    if isinstance(value, float):
        percent = any(word in key for word in ("share", "rate", "churn")) or key in ("gini", "hhi")
        return f"{value:.1%}" if percent else f"{value:,.2f}"
    if isinstance(value, int) and key.endswith("_cents"):
        return euros(value)
    return "-" if value is None else str(value)


def _label(key: str) -> str:
    """A key as a heading: amounts are shown in euros, so without ``_cents``."""
    return key.removesuffix("_cents")


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif not isinstance(value, list):
            yield name, value


def analysis_tables(analysis: Analysis) -> list[RenderableType]:
    """The measures, ABC summary, RFM profiles and segment x product grid."""
    measures = Table(title=f"Portfolio measures as of {analysis.as_of}", show_header=False)
    measures.add_column("measure")
    measures.add_column("value", justify="right")
    for key, value in _flatten(analysis.measures.as_dict()):
        measures.add_row(_label(key), _value(key.rsplit(".", 1)[-1], value))

    abc = Table(title="ABC classes")
    summary = analysis.abc_summary.to_pylist()
    for column in summary[0] if summary else ():
        abc.add_column(_label(column), justify="right")
    for row in summary:
        abc.add_row(*(_value(k, v) for k, v in row.items()))

    profiles = Counter(r["profile"] for r in analysis.rfm.to_pylist())
    rfm = Table(title="RFM purchase profiles")
    rfm.add_column("profile")
    rfm.add_column("customers", justify="right")
    for profile, count in profiles.most_common():
        rfm.add_row(str(profile), str(count))

    rows = analysis.matrix.as_rows()
    grid = Table(title="Segment x product line")
    for column in rows[0] if rows else ():
        grid.add_column(column, justify="right")
    for row in rows:
        grid.add_row(*(euros(v) if isinstance(v, int) else str(v) for v in row.values()))
    return [measures, abc, rfm, grid]
