from __future__ import annotations

import datetime as dt

from tests.analytics.conftest import Load, as_rows


def test_standard_transactions_on_every_engine(load: Load) -> None:
    table = load(
        [
            {
                "customer_id": "C1",
                "invoice_id": "F1",
                "date": dt.date(2024, 1, 5),
                "amount": 1234.56,
                "product": "P1",
                "segment": "S1",
                "margin": 200.1,
            },
            {"customer_id": "C2", "invoice_id": "AV1", "date": dt.date(2024, 2, 1), "amount": -10.0},
        ]
    )
    assert as_rows(table, ["invoice_id"]) == [
        {
            "customer_id": "C2",
            "invoice_id": "AV1",
            "date": dt.date(2024, 2, 1),
            "amount_cents": -1000,
            "product": None,
            "segment": None,
            "margin_cents": None,
        },
        {
            "customer_id": "C1",
            "invoice_id": "F1",
            "date": dt.date(2024, 1, 5),
            "amount_cents": 123456,
            "product": "P1",
            "segment": "S1",
            "margin_cents": 20010,
        },
    ]
