"""Segment x product matrix on small hand-computed portfolios, on every engine."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError

from clientfolio.analytics.analysis import AnalyticsConfig, analyze, overview
from clientfolio.analytics.matrix import (
    UNKNOWN,
    MatrixCell,
    MatrixConfig,
    WhiteSpace,
    segment_product,
)
from tests.analytics.conftest import Load, as_rows

D = dt.date


def sale(
    customer: str,
    invoice: str,
    day: dt.date,
    amount: float,
    segment: str | None,
    product: str | None,
    margin: float | None = None,
) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "invoice_id": invoice,
        "date": day,
        "amount": amount,
        "segment": segment,
        "product": product,
        "margin": margin,
    }


S1, S2, S3, S4, S5 = (f"Segment {i}" for i in range(1, 6))
P1, P2, P3 = (f"Produit {i}" for i in range(1, 4))
IN = D(2024, 6, 1)

# The seed's table (DOMAIN.md section 5), in K€, from customers:
#   S1: A1 buys P1 15, P2 5; A2 buys P1 5, P3 2                 -> 20 | 5 | 2     = 27
#   S2: B1 buys P2 67, P3 3; B2 buys P1 4 then a credit note -4 -> 0 | 67 | 3     = 70
#   S3: C1 buys P1 5                                             -> 5 |   |       = 5
#   S4: D1 buys P1 25, P3 60; D2 buys P2 0.5, P3 5              -> 25 | 0.5 | 65  = 90.5
#   S5: E1 buys P3 1, P2 1 credited; E2 buys P1 2 credited      -> 0 | 0 | 1      = 1
#                                                                  50 | 72.5 | 71 = 193.5
SEED = [
    sale("A1", "F1", IN, 15_000, S1, P1),
    sale("A1", "F1", IN, 5_000, S1, P2),
    sale("A2", "F2", IN, 5_000, S1, P1),
    sale("A2", "F3", IN, 2_000, S1, P3),
    sale("B1", "F4", IN, 67_000, S2, P2),
    sale("B1", "F4", IN, 3_000, S2, P3),
    sale("B2", "F5", D(2024, 1, 1), 4_000, S2, P1),
    sale("B2", "AV1", D(2024, 2, 1), -4_000, S2, P1),
    sale("C1", "F6", IN, 5_000, S3, P1),
    sale("D1", "F7", IN, 25_000, S4, P1),
    sale("D1", "F8", IN, 60_000, S4, P3),
    sale("D2", "F9", IN, 500, S4, P2),
    sale("D2", "F9", IN, 5_000, S4, P3),
    sale("E1", "F10", IN, 1_000, S5, P3),
    sale("E1", "F11", IN, 1_000, S5, P2),
    sale("E1", "AV2", IN, -1_000, S5, P2),
    sale("E2", "F12", IN, 2_000, S5, P1),
    sale("E2", "AV3", IN, -2_000, S5, P1),
    # outside the twelve months (2023-12-31, 2024-12-31]: no row, no column
    sale("Z1", "F13", D(2023, 12, 31), 1_000, "Segment 6", "Produit 4"),
    sale("Z1", "F14", D(2025, 1, 1), 1_000, "Segment 6", P1),
]
K = 100_000  # cents in one K€


def test_seed_segment_product_matrix(load: Load) -> None:
    m = segment_product(load(SEED), as_of=D(2024, 12, 31))
    assert m.start == D(2023, 12, 31)
    assert m.segments == (S1, S2, S3, S4, S5)
    assert m.products == (P1, P2, P3)
    assert m.grid == (
        (20 * K, 5 * K, 2 * K),
        (0, 67 * K, 3 * K),
        (5 * K, 0, 0),
        (25 * K, K // 2, 65 * K),
        (0, 0, 1 * K),
    )
    assert m.row_totals == (27 * K, 70 * K, 5 * K, 90 * K + K // 2, 1 * K)
    assert m.column_totals == (50 * K, 72 * K + K // 2, 71 * K)
    assert m.total == 193 * K + K // 2
    assert m.winning == (
        MatrixCell(S1, P1, 20 * K, 20 / 27, 20 / 50),
        MatrixCell(S2, P2, 67 * K, 67 / 70, 67 / 72.5),
        MatrixCell(S4, P1, 25 * K, 25 / 90.5, 25 / 50),
        MatrixCell(S4, P3, 65 * K, 65 / 90.5, 65 / 71),
    )
    # co-buyers: P1+P2 A1; P1+P3 A2, D1; P2+P3 B1, D2 (E1's P2 and E2's P1 are credited away)
    assert m.white_spaces == (
        WhiteSpace(S2, P1, (P2, P3), (1, 2)),
        WhiteSpace(S3, P2, (P1,), (1,)),
        WhiteSpace(S3, P3, (P1,), (2,)),
        WhiteSpace(S5, P1, (P3,), (2,)),
        WhiteSpace(S5, P2, (P3,), (2,)),
    )
    assert [w.evidence for w in m.white_spaces] == [2, 1, 2, 2, 2]
    rows = m.as_rows()
    assert rows[0] == {"segment": S1, P1: 20 * K, P2: 5 * K, P3: 2 * K, "total": 27 * K}
    assert rows[-1] == {"segment": "Total", P1: 50 * K, P2: 72 * K + K // 2, P3: 71 * K, "total": 193 * K + K // 2}
    assert [r["segment"] for r in rows] == [S1, S2, S3, S4, S5, "Total"]
    data = json.loads(json.dumps(m.as_dict()))
    assert data["total"] == 19_350_000 and data["grid"][1] == [0, 6_700_000, 300_000]
    assert data["white_spaces"][0] == {"segment": S2, "product": P1, "neighbours": [P2, P3], "co_buyers": [1, 2]}
    assert data["winning"][0]["segment_share"] == pytest.approx(20 / 27)


def test_the_full_analysis_counts_the_same_co_buyers_in_its_own_pass(load: Load) -> None:
    # analyze counts the co-purchases in its per-customer pass (the lines of every date up to
    # as_of, the product lines' spans cut to the period): the same matrix as segment_product's.
    # Seven months, (2024-05-31, 2024-12-31]: C1's purchase of P2 in January is outside, so
    # neither S3's purchase of P2 nor a co-purchase of P1 and P2 (A1 only, not C1)
    seven = MatrixConfig(months=7)
    table = load([*SEED, sale("C1", "F15", D(2024, 1, 15), 1_000, S3, P2)])
    shorter = analyze(table, as_of=D(2024, 12, 31), config=AnalyticsConfig(matrix=seven)).matrix
    assert shorter == segment_product(table, as_of=D(2024, 12, 31), config=seven)
    assert WhiteSpace(S3, P2, (P1,), (1,)) in shorter.white_spaces


def test_the_overview_counts_in_the_engine_what_the_analysis_fetches(load: Load) -> None:
    """``overview`` (what ``clientfolio analyze`` shows on the terminal) sums the
    ABC classes and counts the RFM profiles in the engine: the same figures as
    ``analyze``, which fetches the per-customer rows and sums them."""
    table = load(SEED)
    full = analyze(table, as_of=D(2024, 12, 31))
    brief = overview(table, as_of=D(2024, 12, 31))
    assert brief.measures == full.measures
    assert brief.matrix == full.matrix
    assert brief.abc_summary.to_pylist() == full.abc_summary.to_pylist()
    counted = Counter(full.rfm.column("profile").to_pylist())
    assert brief.rfm_profiles == full.rfm_profiles == counted
    assert sum(counted.values()) == full.rfm.num_rows > 1
    shown = list(brief.rfm_profiles.values())
    assert shown == sorted(shown, reverse=True)  # the most common first


def test_margin_basis_unknowns_and_period(load: Load) -> None:
    # six months ending 2024-06-30: (2023-12-30, 2024-06-30]
    rows = [
        sale("X1", "F1", D(2023, 12, 30), 1000, "A", "P", 400),  # outside
        sale("X1", "F2", D(2023, 12, 31), 100, "A", "P", 40),
        sale("X2", "F3", D(2024, 6, 30), 50, None, "P", 20),
        sale("X2", "F4", D(2024, 6, 1), 20, None, "Q", 10),
        sale("X3", "F5", D(2024, 3, 1), 30, "B", None, None),  # unknown margin counts 0
        sale("X3", "F6", D(2024, 3, 2), 10, "B", "  ", 5),  # blank product is unknown
        sale("X4", "F7", D(2024, 4, 1), 200, "B", "Q", -10),  # sold at a loss: still bought
        sale("X6", "F8", D(2024, 5, 1), 70, None, "R", 30),  # R sold to the unknown segment only
    ]
    table = load(rows)
    m = segment_product(table, as_of=D(2024, 6, 30), config=MatrixConfig(basis="margin", months=6, winning_share=0.5))
    assert m.start == D(2023, 12, 30)
    assert m.segments == ("A", "B", UNKNOWN)
    assert m.products == ("P", "Q", "R", UNKNOWN)
    assert m.grid == ((4000, 0, 0, 0), (0, -1000, 0, 500), (2000, 1000, 3000, 0))
    assert m.row_totals == (4000, -500, 6000)
    assert m.column_totals == (6000, 0, 3000, 500)
    assert m.total == 9500
    assert m.winning == (MatrixCell("A", "P", 4000, 1.0, 4000 / 6000),)
    # A x Q and B x P; not A x R nor B x R (R is bought by the unknown segment only);
    # X2 (unknown segment) buys both P and Q
    assert m.white_spaces == (WhiteSpace("A", "Q", ("P",), (1,)), WhiteSpace("B", "P", ("Q",), (1,)))
    cells = sorted(as_rows(m.cells), key=lambda r: (r["segment"], r["product"]))  # "(" < "A"
    assert cells == [
        {"segment": UNKNOWN, "product": "P", "value_cents": 2000, "revenue_cents": 5000},
        {"segment": UNKNOWN, "product": "Q", "value_cents": 1000, "revenue_cents": 2000},
        {"segment": UNKNOWN, "product": "R", "value_cents": 3000, "revenue_cents": 7000},
        {"segment": "A", "product": "P", "value_cents": 4000, "revenue_cents": 10000},
        {"segment": "B", "product": UNKNOWN, "value_cents": 500, "revenue_cents": 4000},
        {"segment": "B", "product": "Q", "value_cents": -1000, "revenue_cents": 20000},
    ]
    empty = segment_product(table, as_of=D(2023, 1, 1))
    assert (empty.segments, empty.products, empty.grid, empty.total) == ((), (), (), 0)
    assert (empty.winning, empty.white_spaces) == ((), ())
    assert empty.as_rows() == [{"segment": "Total", "total": 0}]


@pytest.mark.parametrize("kwargs", [{"basis": "profit"}, {"months": 0}, {"winning_share": 0}, {"winning_share": 1.5}])
def test_matrix_config_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MatrixConfig(**kwargs)


def test_matrix_config_defaults() -> None:
    config = MatrixConfig()
    assert (config.basis, config.months, config.winning_share) == ("revenue", 12, 0.2)
    assert all(f.description for f in MatrixConfig.model_fields.values())
