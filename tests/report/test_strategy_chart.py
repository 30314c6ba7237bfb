"""The review's value strategy chart is drawn at the thresholds the quadrants
were assigned with: it counts the customers of each quadrant."""

from __future__ import annotations

from collections import Counter

from clientfolio.report.annual import gather_review
from clientfolio.report.sections import build_report
from clientfolio.store import Store
from clientfolio.value.strategy import STRATEGY_NAMES
from tests.report.test_annual import MANAGER, RING, demo  # noqa: F401  (the fixture)


def test_the_quadrant_chart_counts_the_quadrants_of_the_assignment(demo: Store) -> None:  # noqa: F811
    data = gather_review(demo, MANAGER, ring=RING)
    value = next(s for s in build_report(data, "en").sections if s.key == "value")
    chart = next(c for c in value.charts if "Value strategy: profitability x potential" in c)
    labels = STRATEGY_NAMES
    counts = Counter(c.strategy for c in data.inputs.value.customers if c.quadrant)
    assert sum(counts.values()) <= 400  # every customer with a quadrant is drawn
    expected = "; ".join(f"{labels[s]}: {counts[s]}" for s in ("cross_sell", "loyalty", "termination", "retention"))
    assert expected in chart
