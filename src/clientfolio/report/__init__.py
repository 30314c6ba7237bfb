"""The annual portfolio review and the SVG charts it shares with the web app.

``clientfolio.report.charts`` draws the charts (pure functions returning SVG,
re-exported here: importing this package stays light).  The review itself is
imported from its modules, which bring the analytics engine:
``annual.gather_review`` runs the analyses once for a principal,
``sections.build_report`` lays them out in French or English
(``layout.Report``), ``html``, ``pdf`` and ``xlsx`` render that, and
``export.write_report`` writes it as an audited, fingerprinted export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.report.charts import (
        bar_chart,
        funnel_chart,
        gauge,
        heatmap,
        line_chart,
        pareto_chart,
        quadrant_chart,
    )

__all__ = [
    "bar_chart",
    "funnel_chart",
    "gauge",
    "heatmap",
    "line_chart",
    "pareto_chart",
    "quadrant_chart",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.report.charts": (
            "bar_chart",
            "funnel_chart",
            "gauge",
            "heatmap",
            "line_chart",
            "pareto_chart",
            "quadrant_chart",
        ),
    },
)
