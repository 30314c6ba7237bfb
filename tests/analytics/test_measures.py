"""Portfolio measures on small hand-computed portfolios, on every engine."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from pydantic import ValidationError

from clientfolio.analytics.measures import (
    Concentration,
    Evolution,
    MeasuresConfig,
    PeriodMeasures,
    Projection,
    _projection,
    measures,
)
from tests.analytics.conftest import Load


def approx(expected: Any, abs: float | None = None) -> Any:
    """``pytest.approx``, typed to stand for the value it is compared with."""
    return pytest.approx(expected, abs=abs)


def sale(customer: str, day: dt.date, amount: float, invoice: str | None = None) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "invoice_id": invoice or f"{customer}-{day.isoformat()}-{amount}",
        "date": day,
        "amount": amount,
    }


D = dt.date

# Year period, as_of 2024-12-31: N = 2024, N-1 = 2023; lost window of N = 2023,
# of N-1 = 2022 (12 months, the default).  Amounts in euros:
#
#   customer  2022   2023   2024              remark
#   A          100    200    300              active throughout
#   B           50    100      -              lost in N (took 100)
#   C            -    400    500              new in N-1
#   D            -      -   1000 (+999 2025)  new in N; the 2025 line is after as_of
#   E           80      -     60              lost in N-1 (took 80), returning in N
#   F            -    150   -150 (credit)     new in N-1; nets -150 in N: lost in N (took 150)
#   G            -      -   200 - 200         first line in N but nets 0: neither active nor new
YEAR = [
    sale("A", D(2022, 3, 1), 100),
    sale("A", D(2023, 3, 1), 200),
    sale("A", D(2024, 3, 1), 300),
    sale("B", D(2022, 5, 1), 50),
    sale("B", D(2023, 5, 1), 100),
    sale("C", D(2023, 1, 1), 400),
    sale("C", D(2024, 12, 31), 500),
    sale("D", D(2024, 1, 1), 1000),
    sale("D", D(2025, 1, 10), 999),
    sale("E", D(2022, 12, 31), 80),
    sale("E", D(2024, 7, 1), 60),
    sale("F", D(2023, 6, 1), 150),
    sale("F", D(2024, 2, 1), -150, "AV1"),
    sale("G", D(2024, 4, 1), 200),
    sale("G", D(2024, 4, 2), -200, "AV2"),
]


def test_year_measures(load: Load) -> None:
    config = MeasuresConfig(top_customers=2, projection_years=3)
    m = measures(load(YEAR), as_of=D(2024, 12, 31), config=config)
    # N = 2024: active A 300, C 500, D 1000, E 60 -> 4; revenue 300+500+1000+60-150+0 = 1710 €.
    # At start (active in 2023): A, B, C, F -> 4.  New: D (1000 €).  Lost: B, F, who had
    # made 100 + 150 = 250 € in 2023.  Returning: E.  4 = 4 - 2 + 1 + 1.
    # Churn 2/4 = 0.5, renewal 1/2 = 0.5.
    assert m.current == PeriodMeasures(
        start=D(2024, 1, 1),
        end=D(2024, 12, 31),
        active_customers=4,
        revenue_cents=171000,
        active_at_start=4,
        new_customers=1,
        new_revenue_cents=100000,
        lost_customers=2,
        lost_revenue_cents=25000,
        returning_customers=1,
        churn_rate=0.5,
        renewal_ratio=0.5,
    )
    # N-1 = 2023: active A 200, B 100, C 400, F 150 -> 4; revenue 850 €.  At start
    # (active in 2022): A, B, E -> 3.  New: C, F (550 €).  Lost: E (80 €).
    # 4 = 3 - 1 + 2 + 0.  Churn 1/3, renewal 2/1.
    assert m.previous == PeriodMeasures(
        start=D(2023, 1, 1),
        end=D(2023, 12, 31),
        active_customers=4,
        revenue_cents=85000,
        active_at_start=3,
        new_customers=2,
        new_revenue_cents=55000,
        lost_customers=1,
        lost_revenue_cents=8000,
        returning_customers=0,
        churn_rate=approx(1 / 3),
        renewal_ratio=2.0,
    )
    for p in (m.current, m.previous):
        assert p.active_customers == p.active_at_start - p.lost_customers + p.new_customers + p.returning_customers
    # With a year period the lost window of N is N-1 itself.
    assert m.current.active_at_start == m.previous.active_customers
    # 4 -> 4 customers; 85000 -> 171000 cents: +86000, 86000/85000.
    assert m.evolution == Evolution(0, 0.0, 86000, approx(86000 / 85000))
    # Active revenues (€) D 1000, C 500, A 300, E 60; S = 1860.  Top 20 %: ceil(4/5) = 1
    # customer (D) -> 1000/1860; top 2: 1500/1860.  HHI = (1000² + 500² + 300² + 60²) / 1860²
    # = 1343600 / 3459600.  Gini, ascending 60, 300, 500, 1000: sum(i x) = 60 + 600 + 1500
    # + 4000 = 6160; 2 * 6160 / (4 * 1860) - 5/4 = 0.405914 (= sum |xi - xj| over ordered
    # pairs 6040 / (2 * 4² * 465)).  Largest D 1000/1860 > 10 %: alert.
    assert m.concentration == Concentration(
        customers=4,
        top_20pct_customers=1,
        top_20pct_share=approx(1000 / 1860),
        top_n_customers=2,
        top_n_share=approx(1500 / 1860),
        hhi=approx(1343600 / 3459600),
        gini=approx(6040 / 14880),
        largest_customer_id="D",
        largest_share=approx(1000 / 1860),
        dependency_alert=True,
    )
    # c = 0.5 (a year): remaining 0.5, 0.25, 0.125; half in ln .5 / ln .5 = 1 year;
    # 0.5 * 4 = 2 new customers a year hold the level.
    assert m.projection == Projection(0.5, (0.5, 0.25, 0.125), approx(1.0), 2.0)
    data = m.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["as_of"] == "2024-12-31" and data["period"] == "year" and data["months"] == 12
    assert data["current"]["lost_revenue_cents"] == 25000
    assert data["current"]["start"] == "2024-01-01"
    assert data["projection"]["remaining_share"] == [0.5, 0.25, 0.125]


# Quarter period, as_of 2024-06-15: N = (2024-03-15, 2024-06-15], N-1 = (2023-12-15,
# 2024-03-15]; lost window of N (12 months) = (2023-03-15, 2024-03-15], of N-1 =
# (2022-12-15, 2023-12-15].  Boundary days:
#
#   P  2023-06-15  50, 2024-03-16 100   in N's window; active in N (its first day)
#   Q  2024-03-15 200                   last day of N-1: new in N-1, lost in N (took 200)
#   R  2023-03-15  70                   outside N's window, inside N-1's: lost in N-1
#   S  2024-06-15 300                   as_of itself: new in N
#   T  2024-06-16 999                   after as_of: ignored
QUARTER = [
    sale("P", D(2023, 6, 15), 50),
    sale("P", D(2024, 3, 16), 100),
    sale("Q", D(2024, 3, 15), 200),
    sale("R", D(2023, 3, 15), 70),
    sale("S", D(2024, 6, 15), 300),
    sale("T", D(2024, 6, 16), 999),
]


def test_quarter_measures(load: Load) -> None:
    m = measures(load(QUARTER), as_of=D(2024, 6, 15), period="quarter")
    assert m.months == 3
    # N: active P 100, S 300 -> 2, 400 €.  At start P, Q -> 2; new S (300 €); lost Q
    # (200 €); 2 = 2 - 1 + 1 + 0.  Churn 1/2, renewal 1/1.
    assert m.current == PeriodMeasures(
        start=D(2024, 3, 16),
        end=D(2024, 6, 15),
        active_customers=2,
        revenue_cents=40000,
        active_at_start=2,
        new_customers=1,
        new_revenue_cents=30000,
        lost_customers=1,
        lost_revenue_cents=20000,
        returning_customers=0,
        churn_rate=0.5,
        renewal_ratio=1.0,
    )
    # N-1: active Q -> 1, 200 €.  At start (2023) P, R -> 2; new Q (200 €); lost P, R
    # (50 + 70 = 120 €); 1 = 2 - 2 + 1 + 0.  Churn 2/2, renewal 1/2.
    assert m.previous == PeriodMeasures(
        start=D(2023, 12, 16),
        end=D(2024, 3, 15),
        active_customers=1,
        revenue_cents=20000,
        active_at_start=2,
        new_customers=1,
        new_revenue_cents=20000,
        lost_customers=2,
        lost_revenue_cents=12000,
        returning_customers=0,
        churn_rate=1.0,
        renewal_ratio=0.5,
    )
    # 1 -> 2 customers (+1, +100 %), 20000 -> 40000 cents (+20000, +100 %).
    assert m.evolution == Evolution(1, 1.0, 20000, 1.0)
    # S 300, P 100 of 400: top 20 % = ceil(2/5) = 1 customer: 0.75; top 10: all; HHI
    # 0.75² + 0.25² = 0.625; Gini 2 * (100 + 2*300) / (2 * 400) - 3/2 = 0.25.
    assert m.concentration == Concentration(
        customers=2,
        top_20pct_customers=1,
        top_20pct_share=0.75,
        top_n_customers=2,
        top_n_share=1.0,
        hhi=approx(0.625),
        gini=approx(0.25),
        largest_customer_id="S",
        largest_share=0.75,
        dependency_alert=True,
    )
    # Quarterly churn 0.5 compounded over 4 quarters: c = 1 - 0.5^4 = 0.9375; remaining
    # 0.0625^k; half after ln .5 / ln .0625 = 0.25 year; 0.9375 * 2 = 1.875 new a year.
    p = m.projection
    assert p.annual_churn == approx(0.9375)
    assert p.remaining_share == approx([0.0625**k for k in range(1, 11)])
    assert p.years_to_half == approx(0.25)
    assert p.new_per_year_to_hold == approx(1.875)


def test_even_portfolio_without_churn_by_month(load: Load) -> None:
    # Eleven customers K00..K10 buying 100 € on 2024-01-15 and on 2024-02-15; month
    # period, as_of 2024-02-29: N = (2024-01-29, 2024-02-29], N-1 = (2023-12-29,
    # 2024-01-29]; N's lost window (2023-01-29, 2024-01-29] holds the January sales,
    # N-1's window (2022-12-29, 2023-12-29] nothing.
    rows = [sale(f"K{i:02}", day, 100) for i in range(11) for day in (D(2024, 1, 15), D(2024, 2, 15))]
    m = measures(load(rows), as_of=D(2024, 2, 29), period="month", config=MeasuresConfig(projection_years=2))
    # N: 11 active, all at start, none lost or new: churn 0, renewal unknown.
    assert m.current == PeriodMeasures(
        start=D(2024, 1, 30),
        end=D(2024, 2, 29),
        active_customers=11,
        revenue_cents=110000,
        active_at_start=11,
        new_customers=0,
        new_revenue_cents=0,
        lost_customers=0,
        lost_revenue_cents=0,
        returning_customers=0,
        churn_rate=0.0,
        renewal_ratio=None,
    )
    # N-1: 11 new, nobody at start: churn and renewal unknown.
    assert m.previous == PeriodMeasures(
        start=D(2023, 12, 30),
        end=D(2024, 1, 29),
        active_customers=11,
        revenue_cents=110000,
        active_at_start=0,
        new_customers=11,
        new_revenue_cents=110000,
        lost_customers=0,
        lost_revenue_cents=0,
        returning_customers=0,
        churn_rate=None,
        renewal_ratio=None,
    )
    assert m.evolution == Evolution(0, 0.0, 0, 0.0)
    # Equal revenues: top 20 % = ceil(11/5) = 3 customers -> 3/11; top 10 -> 10/11; HHI
    # 11 * (1/11)² = 1/11; Gini 0; the largest is the smallest code among equals, with
    # 1/11 = 9.1 % < 10 %: no alert.
    assert m.concentration == Concentration(
        customers=11,
        top_20pct_customers=3,
        top_20pct_share=approx(3 / 11),
        top_n_customers=10,
        top_n_share=approx(10 / 11),
        hhi=approx(1 / 11),
        gini=approx(0.0, abs=1e-12),
        largest_customer_id="K00",
        largest_share=approx(1 / 11),
        dependency_alert=False,
    )
    # c = 0: everyone remains, never half, nothing to replace.
    assert m.projection == Projection(0.0, (1.0, 1.0), None, 0.0)


def test_no_sale_in_the_periods(load: Load) -> None:
    # as_of before every sale: all counts 0, nothing to rank, churn unknown.
    m = measures(load(QUARTER), as_of=D(2020, 1, 31), period="month")
    empty = PeriodMeasures(D(2020, 1, 1), D(2020, 1, 31), 0, 0, 0, 0, 0, 0, 0, 0, None, None)
    assert m.current == empty
    assert m.previous.active_customers == 0 and m.previous.revenue_cents == 0
    assert m.evolution == Evolution(0, None, 0, None)
    assert m.concentration == Concentration(0, 0, 0.0, 0, 0.0, 0.0, 0.0, None, 0.0, False)
    assert m.projection == Projection(None, (), None, None)


def test_config_and_projection_edges() -> None:
    config = MeasuresConfig()
    assert (
        config.lost_window_months,
        config.dependency_alert_share,
        config.top_customers,
        config.projection_years,
    ) == (12, 0.10, 10, 10)
    for field in MeasuresConfig.model_fields.values():
        assert field.description
    with pytest.raises(ValidationError):
        MeasuresConfig(dependency_alert_share=0)
    with pytest.raises(ValidationError):
        MeasuresConfig(unknown=1)  # type: ignore[call-arg]
    # The seed's churn of 15 % a year: (1 - 0.15)^4 = 0.522 left after 4 years, half in
    # ln .5 / ln .85 = 4.27 years.
    p = _projection(0.15, 12, 100, 4)
    assert p.remaining_share[3] == approx(0.52200625)
    assert p.years_to_half == approx(math.log(0.5) / math.log(0.85))
    assert p.new_per_year_to_hold == approx(15.0)
    # Everyone lost: the formula's limit, 0 years.
    assert _projection(1.0, 12, 0, 1) == Projection(1.0, (0.0,), 0.0, 0.0)
