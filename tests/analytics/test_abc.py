"""ABC classes on small hand-computed portfolios, on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from clientfolio.analytics.abc import AbcConfig, abc_classes, abc_summary
from tests.analytics.conftest import Load, as_rows

D = dt.date
AS_OF = D(2024, 12, 31)  # default period: (2023-12-31, 2024-12-31] = 2024


def sale(
    customer: str, day: dt.date, amount: float, margin: float | None = None, invoice: str | None = None
) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "invoice_id": invoice or f"{customer}-{day.isoformat()}-{amount}",
        "date": day,
        "amount": amount,
        "margin": margin,
    }


def approx_rows(rows: list[tuple[str, int, float, float, str]]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": c,
            "value_cents": v,
            "share": pytest.approx(s),
            "cumulative_share": pytest.approx(cum),
            "class": k,
        }
        for c, v, s, cum, k in rows
    ]


def summary_rows(rows: list[tuple[str, int, float, int, float]]) -> list[dict[str, Any]]:
    return [
        {
            "class": k,
            "customers": n,
            "customer_share": pytest.approx(ns),
            "value_cents": v,
            "value_share": pytest.approx(vs),
        }
        for k, n, ns, v, vs in rows
    ]


# Positive total 1000 € in 2024, thresholds 0.80 / 0.95 (before = cumulative share
# before the customer):
#
#   customer  value (€)          share  before  cumulative  class
#   X         300 + 200 = 500    0.50   0.00    0.50        A
#   Y         300                0.30   0.50    0.80        A   crosses to exactly 80 %
#   M         100                0.10   0.80    0.90        B   starts exactly at 80 %
#   T1        50                 0.05   0.90    0.95        B   tie with T2: T1 first
#   T2        50                 0.05   0.95    1.00        C   starts exactly at 95 %
#   ZERO      80 - 80 = 0        0      -       1.00        C   credit note nets to zero
#   NEG       20 - 50 = -30      0      -       1.00        C   nets negative
#
# Left out: OLD (only a 2023 sale), and X's line of 2025 (after as_of).  T2's lines
# come first so that the order is not the insertion order.
EDGES = [
    sale("T2", D(2024, 5, 1), 50),
    sale("X", D(2024, 1, 1), 300),
    sale("X", D(2024, 12, 31), 200),
    sale("X", D(2025, 1, 1), 9999),
    sale("NEG", D(2024, 2, 1), 20),
    sale("NEG", D(2024, 3, 1), -50, invoice="AV-NEG"),
    sale("Y", D(2024, 6, 1), 300),
    sale("ZERO", D(2024, 2, 1), 80),
    sale("ZERO", D(2024, 2, 2), -80, invoice="AV-ZERO"),
    sale("M", D(2024, 7, 1), 100),
    sale("T1", D(2024, 5, 1), 50),
    sale("OLD", D(2023, 12, 31), 5000),
]


def test_classes_edges_and_summary(load: Load) -> None:
    classes = abc_classes(load(EDGES), as_of=AS_OF)
    assert as_rows(classes) == approx_rows(
        [
            ("X", 50000, 0.50, 0.50, "A"),
            ("Y", 30000, 0.30, 0.80, "A"),
            ("M", 10000, 0.10, 0.90, "B"),
            ("T1", 5000, 0.05, 0.95, "B"),
            ("T2", 5000, 0.05, 1.00, "C"),
            ("ZERO", 0, 0.0, 1.00, "C"),
            ("NEG", -3000, 0.0, 1.00, "C"),
        ]
    )
    # A: X, Y (2 of 7, 800 €, 0.80); B: M, T1 (2/7, 150 €, 0.15);
    # C: T2, ZERO, NEG (3/7, 50 + 0 - 30 = 20 €, 0.05).
    assert as_rows(abc_summary(classes)) == summary_rows(
        [
            ("A", 2, 2 / 7, 80000, 0.80),
            ("B", 2, 2 / 7, 15000, 0.15),
            ("C", 3, 3 / 7, 2000, 0.05),
        ]
    )


def test_one_customer_and_empty_classes(load: Load) -> None:
    # One customer, 42 € over two lines: share 1, before 0 -> A.  B and C are empty rows.
    classes = abc_classes(load([sale("SOLO", D(2024, 3, 1), 40), sale("SOLO", D(2024, 4, 1), 2)]), as_of=AS_OF)
    assert as_rows(classes) == approx_rows([("SOLO", 4200, 1.0, 1.0, "A")])
    assert as_rows(abc_summary(classes)) == summary_rows(
        [
            ("A", 1, 1.0, 4200, 1.0),
            ("B", 0, 0.0, 0, 0.0),
            ("C", 0, 0.0, 0, 0.0),
        ]
    )


def test_zero_revenue_and_empty_period(load: Load) -> None:
    # Nobody has a positive value: every share 0, everyone C (no division by zero).
    table = load(
        [
            sale("Z1", D(2024, 3, 1), 10),
            sale("Z1", D(2024, 3, 2), -10, invoice="AV-Z1"),
            sale("Z2", D(2024, 3, 1), 0),
            sale("Z3", D(2024, 3, 1), -5),
        ]
    )
    classes = abc_classes(table, as_of=AS_OF)
    assert as_rows(classes) == approx_rows(
        [
            ("Z1", 0, 0.0, 0.0, "C"),
            ("Z2", 0, 0.0, 0.0, "C"),
            ("Z3", -500, 0.0, 0.0, "C"),
        ]
    )
    assert as_rows(abc_summary(classes)) == summary_rows(
        [
            ("A", 0, 0.0, 0, 0.0),
            ("B", 0, 0.0, 0, 0.0),
            ("C", 3, 1.0, -500, 0.0),
        ]
    )
    # A period without any line: no customer, and still three empty classes.
    empty = abc_classes(table, as_of=D(2020, 1, 1))
    assert as_rows(abc_summary(empty)) == summary_rows(
        [
            ("A", 0, 0.0, 0, 0.0),
            ("B", 0, 0.0, 0, 0.0),
            ("C", 0, 0.0, 0, 0.0),
        ]
    )


def test_margin_basis_and_settings(load: Load) -> None:
    #   customer  revenue  margin        (basis margin, 6 months: (2024-06-30, 2024-12-31])
    #   P         1000     100           share 100/500 = 0.2, before 0.8 -> B
    #   Q          500     300 + 100     share 0.8, before 0 -> A (crosses a = 0.5: still A)
    #   R          200     unknown (0)   C
    #   S          900     900 in March  outside the 6 months
    # By revenue P would come first; by margin Q does.  With a = 0.5, b = 0.9 P (before
    # 0.8 < 0.9) stays B.
    table = load(
        [
            sale("P", D(2024, 8, 1), 1000, 100),
            sale("Q", D(2024, 9, 1), 400, 300),
            sale("Q", D(2024, 10, 1), 100, 100),
            sale("R", D(2024, 11, 1), 200),
            sale("S", D(2024, 3, 1), 900, 900),
        ]
    )
    config = AbcConfig(a=0.5, b=0.9, basis="margin", months=6)
    assert as_rows(abc_classes(table, as_of=AS_OF, config=config)) == approx_rows(
        [
            ("Q", 40000, 0.8, 0.8, "A"),
            ("P", 10000, 0.2, 1.0, "B"),
            ("R", 0, 0.0, 1.0, "C"),
        ]
    )


def test_seed_reference_distribution(load: Load) -> None:
    # Ten customers, 1000 €: two make 400 each (80 %), five make 30 each (15 %), three
    # make 20, 15, 15 (5 %).  Befores: 0, .40 -> A; .80, .83, .86, .89, .92 -> B;
    # .95, .97, .985 -> C.  So 20 % of customers make 80 %, 50 % make 15 %, 30 % make 5 %.
    amounts = [400, 400, 30, 30, 30, 30, 30, 20, 15, 15]
    rows = [sale(f"C{i:02}", D(2024, 6, 1), amount) for i, amount in enumerate(amounts)]
    classes = abc_classes(load(rows), as_of=AS_OF)
    assert [r["class"] for r in as_rows(classes)] == list("AABBBBBCCC")
    assert as_rows(abc_summary(classes)) == summary_rows(
        [
            ("A", 2, 0.2, 80000, 0.80),
            ("B", 5, 0.5, 15000, 0.15),
            ("C", 3, 0.3, 5000, 0.05),
        ]
    )


def test_config() -> None:
    config = AbcConfig()
    assert (config.a, config.b, config.basis, config.months) == (0.80, 0.95, "revenue", 12)
    for field in AbcConfig.model_fields.values():
        assert field.description
    with pytest.raises(ValidationError):
        AbcConfig(a=0.96, b=0.95)
    with pytest.raises(ValidationError):
        AbcConfig(basis="volume")
