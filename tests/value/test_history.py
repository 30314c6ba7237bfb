"""The per-customer purchase summary, hand-computed, on every engine."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from clientfolio.value.history import customer_history
from tests.analytics.conftest import as_rows, engine, load, spark_backend  # noqa: F401

AS_OF = dt.date(2024, 12, 31)

ROWS = [
    # C1: 10 Jan nets 100 - 20 = 80 (one purchase); 1 Jun is a credit note alone (not a purchase)
    {"customer_id": "C1", "invoice_id": "F1", "date": dt.date(2024, 1, 10), "amount": 100.0},
    {"customer_id": "C1", "invoice_id": "AV1", "date": dt.date(2024, 1, 10), "amount": -20.0},
    {"customer_id": "C1", "invoice_id": "F2", "date": dt.date(2024, 3, 1), "amount": 50.0, "segment": "old"},
    {"customer_id": "C1", "invoice_id": "AV2", "date": dt.date(2024, 6, 1), "amount": -30.0},
    {
        "customer_id": "C1",
        "invoice_id": "F3",
        "date": dt.date(2024, 9, 1),
        "amount": 70.0,
        "margin": 20.0,
        "segment": "new",
    },
    {"customer_id": "C1", "invoice_id": "F9", "date": dt.date(2025, 1, 5), "amount": 999.0},
    # C2: one purchase in the previous window
    {"customer_id": "C2", "invoice_id": "F4", "date": dt.date(2023, 6, 15), "amount": 200.0, "margin": 50.0},
    # C3: nothing but a credit note
    {"customer_id": "C3", "invoice_id": "AV3", "date": dt.date(2024, 2, 1), "amount": -10.0},
    # C4: a free delivery is a purchase (the first), then one repeat of 40
    {"customer_id": "C4", "invoice_id": "F5", "date": dt.date(2024, 12, 1), "amount": 0.0},
    {"customer_id": "C4", "invoice_id": "F6", "date": dt.date(2024, 12, 21), "amount": 40.0},
]


def test_history_by_hand(load) -> None:  # noqa: F811
    rows = {r["customer_id"]: r for r in as_rows(customer_history(load(ROWS), as_of=AS_OF))}
    assert list(rows) == ["C1", "C2", "C3", "C4"]
    c1 = rows["C1"]
    assert (c1["first_purchase"], c1["last_purchase"]) == (dt.date(2024, 1, 10), dt.date(2024, 9, 1))
    # purchases on 10 Jan (80), 1 Mar (50), 1 Sep (70): 2 repeats worth (50 + 70) / 2
    assert (c1["frequency"], c1["recency_days"], c1["age_days"]) == (2, 235, 356)
    assert (c1["monetary_cents"], c1["first_amount_cents"], c1["largest_purchase_cents"]) == (6000.0, 8000, 8000)
    logs = [math.log(8000), math.log(5000), math.log(7000)]
    assert c1["log_sum"] == pytest.approx(sum(logs), rel=1e-12)
    assert c1["log_square_sum"] == pytest.approx(sum(v * v for v in logs), rel=1e-12)
    assert (c1["revenue_cents"], c1["margin_cents"]) == (17000, 2000)
    assert (c1["prev_revenue_cents"], c1["prev_margin_cents"]) == (0, None)
    assert (c1["lifetime_revenue_cents"], c1["lifetime_margin_cents"], c1["segment"]) == (17000, 2000, "new")
    c2 = rows["C2"]
    assert (c2["frequency"], c2["recency_days"], c2["age_days"], c2["monetary_cents"]) == (0, 0, 565, None)
    assert (c2["revenue_cents"], c2["margin_cents"]) == (0, None)
    assert (c2["prev_revenue_cents"], c2["prev_margin_cents"]) == (20000, 5000)
    assert (c2["lifetime_revenue_cents"], c2["lifetime_margin_cents"]) == (20000, 5000)
    c3 = rows["C3"]
    assert (c3["first_purchase"], c3["frequency"], c3["age_days"], c3["monetary_cents"], c3["first_amount_cents"]) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (c3["revenue_cents"], c3["lifetime_revenue_cents"], c3["lifetime_margin_cents"]) == (-1000, -1000, None)
    c4 = rows["C4"]
    assert (c4["frequency"], c4["recency_days"], c4["age_days"], c4["monetary_cents"]) == (1, 20, 30, 4000.0)
    assert (c4["first_amount_cents"], c4["largest_purchase_cents"]) == (0, 4000)
    # the log-normal spend model's sums count the purchases worth more than zero only
    assert (c4["log_count"], c1["log_count"], c2["log_count"], c3["log_count"]) == (1, 3, 1, None)
    assert c4["log_sum"] == pytest.approx(math.log(4000)) and c2["log_sum"] == pytest.approx(math.log(20000))
