"""Solvency on every engine, against figures computed by hand.

as_of = 2024-06-30; window (2023-06-30, 2024-06-30], 366 days (29 Feb 2024);
default config: 30 days' terms, incident > 30 days late, watch > 10 days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from clientfolio.value.solvency import SolvencyConfig, invoice_delays, portfolio_solvency, solvency
from tests.analytics.conftest import as_rows
from tests.value.conftest import LoadSolvency

AS_OF = dt.date(2024, 6, 30)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


INV, CN = "invoice", "credit_note"
RECEIVABLES = [
    # A: one paid on time, one paid late in one payment, a credit note (ignored).
    ("A", "A1", INV, d("2024-01-10"), d("2024-02-09"), 100_000),
    ("A", "A2", INV, d("2024-03-01"), d("2024-03-31"), 50_000),
    ("A", "A3", CN, d("2024-03-15"), d("2024-04-14"), -20_000),
    # B: partial payments settling later; no due date and a NULL (in full) payment.
    ("B", "B1", INV, d("2024-04-01"), d("2024-05-01"), 90_000),
    ("B", "B2", INV, d("2024-05-01"), None, 40_000),
    # C: open past due (a payment after as_of ignored), open not yet due (no due
    # date), open not yet due paid after as_of.
    ("C", "C1", INV, d("2024-02-15"), d("2024-03-16"), 60_000),
    ("C", "C2", INV, d("2024-06-20"), None, 25_000),
    ("C", "C3", INV, d("2024-06-25"), d("2024-07-25"), 15_000),
    # D: one invoice, no payment at all, exactly 30 days late (not an incident).
    ("D", "D1", INV, d("2024-05-01"), None, 20_000),
    # E: only a credit note: no row.
    ("E", "E1", CN, d("2024-04-01"), None, -5_000),
    # F: an old invoice settled before the window (out of view), an old one still open.
    ("F", "F1", INV, d("2023-01-10"), d("2023-02-09"), 30_000),
    ("F", "F2", INV, d("2023-03-01"), d("2023-03-31"), 10_000),
    # G: an old settled invoice and one issued after as_of: no row.
    ("G", "G1", INV, d("2022-05-01"), d("2022-05-31"), 5_000),
    ("G", "G2", INV, d("2024-07-15"), None, 8_000),
]
SETTLEMENTS = [
    ("A1", d("2024-02-01"), 100_000),
    ("A2", d("2024-05-10"), 50_000),
    ("B1", d("2024-04-20"), 30_000),
    ("B1", d("2024-05-11"), 30_000),
    ("B1", d("2024-05-21"), 30_000),
    ("B2", d("2024-06-05"), 10_000),
    ("B2", d("2024-06-10"), None),
    ("C1", d("2024-03-01"), 20_000),
    ("C1", d("2024-07-05"), 40_000),
    ("C3", d("2024-07-01"), None),
    ("F1", d("2023-02-01"), 30_000),
    ("G1", d("2022-05-20"), 5_000),
]

# invoice: (settled_on, days_late, paid_cents, open_cents, overdue_cents, incident, in_window)
DELAYS = {
    "A1": (d("2024-02-01"), 0, 100_000, 0, 0, 0, 1),
    "A2": (d("2024-05-10"), 40, 50_000, 0, 0, 1, 1),  # 31 March -> 10 May = 30 + 10
    "B1": (d("2024-05-21"), 20, 90_000, 0, 0, 0, 1),  # 30 + 30 + 30 reached on 21 May
    "B2": (d("2024-06-10"), 10, 10_000, 0, 0, 0, 1),  # due 1 May + 30 = 31 May; NULL settles
    "C1": (None, 106, 20_000, 40_000, 40_000, 1, 1),  # 16 March -> 30 June = 15 + 30 + 31 + 30
    "C2": (None, 0, 0, 25_000, 0, 0, 1),  # due 20 June + 30 = 20 July
    "C3": (None, 0, 0, 15_000, 0, 0, 1),  # its payment of 1 July is after as_of
    "D1": (None, 30, 0, 20_000, 20_000, 0, 1),  # due 31 May; 30 days is not > 30
    "F1": (d("2023-02-01"), 0, 30_000, 0, 0, 0, 0),
    "F2": (None, 457, 0, 10_000, 10_000, 1, 0),  # 31 March 2023 -> 2024 = 366, + 30 + 31 + 30
    "G1": (d("2022-05-20"), 0, 5_000, 0, 0, 0, 0),
}

EXPECTED = [
    # A: (0 x 100 000 + 40 x 50 000) / 150 000; incident A2 in the window.
    {
        "customer_id": "A",
        "invoices": 2,
        "avg_days_late": 2_000_000 / 150_000,
        "max_days_late": 40,
        "incidents": 1,
        "open_cents": 0,
        "overdue_cents": 0,
        "dso_days": 0.0,
        "revenue_cents": 150_000,
        "incident_revenue_cents": 50_000,
        "status": "risk",
    },
    # B: (20 x 90 000 + 10 x 40 000) / 130 000 = 16.9 > 10.
    {
        "customer_id": "B",
        "invoices": 2,
        "avg_days_late": 2_200_000 / 130_000,
        "max_days_late": 20,
        "incidents": 0,
        "open_cents": 0,
        "overdue_cents": 0,
        "dso_days": 0.0,
        "revenue_cents": 130_000,
        "incident_revenue_cents": 0,
        "status": "watch",
    },
    # C: 106 x 60 000 / 100 000 = 63.6; DSO 80 000 x 366 / 100 000 = 292.8.
    {
        "customer_id": "C",
        "invoices": 3,
        "avg_days_late": 6_360_000 / 100_000,
        "max_days_late": 106,
        "incidents": 1,
        "open_cents": 80_000,
        "overdue_cents": 40_000,
        "dso_days": 80_000 * 366 / 100_000,
        "revenue_cents": 100_000,
        "incident_revenue_cents": 60_000,
        "status": "risk",
    },
    # D: 30 days, no incident, watch; DSO 20 000 x 366 / 20 000 = 366.
    {
        "customer_id": "D",
        "invoices": 1,
        "avg_days_late": 30.0,
        "max_days_late": 30,
        "incidents": 0,
        "open_cents": 20_000,
        "overdue_cents": 20_000,
        "dso_days": 366.0,
        "revenue_cents": 20_000,
        "incident_revenue_cents": 0,
        "status": "watch",
    },
    # F: only F2 in view (open); no revenue in the window, so no DSO.
    {
        "customer_id": "F",
        "invoices": 1,
        "avg_days_late": 457.0,
        "max_days_late": 457,
        "incidents": 1,
        "open_cents": 10_000,
        "overdue_cents": 10_000,
        "dso_days": None,
        "revenue_cents": 0,
        "incident_revenue_cents": 0,
        "status": "risk",
    },
]


def test_invoice_delays(load_solvency: LoadSolvency) -> None:
    r, s = load_solvency(RECEIVABLES, SETTLEMENTS)
    rows = as_rows(invoice_delays(r, s, as_of=AS_OF), ["invoice_id"])
    got = {
        row["invoice_id"]: (
            row["settled_on"],
            row["days_late"],
            row["paid_cents"],
            row["open_cents"],
            row["overdue_cents"],
            row["incident"],
            row["in_window"],
        )
        for row in rows
    }
    assert got == DELAYS


def test_solvency_per_customer(load_solvency: LoadSolvency) -> None:
    r, s = load_solvency(RECEIVABLES, SETTLEMENTS)
    table = solvency(r, s, as_of=AS_OF)
    assert table.columns == tuple(EXPECTED[0])
    assert as_rows(table, ["customer_id"]) == EXPECTED


def test_portfolio(load_solvency: LoadSolvency) -> None:
    r, s = load_solvency(RECEIVABLES, SETTLEMENTS)
    p = portfolio_solvency(r, s, as_of=AS_OF)
    assert p.as_dict() == {
        "as_of": "2024-06-30",
        "window_start": "2023-07-01",
        "window_days": 366,
        "has_payment_data": True,
        "customers": 5,
        "customers_with_incidents": 3,  # A, C, F
        "customers_at_risk": 3,
        "customers_to_watch": 2,  # B, D
        "revenue_cents": 400_000,  # 150 000 + 130 000 + 100 000 + 20 000
        "incident_revenue_cents": 110_000,  # A2 + C1
        "incident_revenue_share": 110_000 / 400_000,
        "open_cents": 110_000,  # C 80 000 + D 20 000 + F 10 000
        "overdue_cents": 70_000,  # C1 40 000 + D1 + F2
        "dso_days": 110_000 * 366 / 400_000,  # 100.65
    }


def test_without_payment_data_everything_is_open(load_solvency: LoadSolvency) -> None:
    r, s = load_solvency(RECEIVABLES, [])
    p = portfolio_solvency(r, s, as_of=AS_OF)
    assert not p.has_payment_data
    # Every invoice due is open, so in view: G1 too (6 customers, E still out).
    assert p.customers == 6
    assert p.open_cents == 150_000 + 130_000 + 100_000 + 20_000 + 40_000 + 5_000
    assert p.overdue_cents == p.open_cents - 25_000 - 15_000  # C2 and C3 are not due yet


def test_settings_move_the_lines(load_solvency: LoadSolvency) -> None:
    r, s = load_solvency(RECEIVABLES, SETTLEMENTS)
    # 60 days' terms when no due date: B2 due 30 June, paid 10 June, on time;
    # D1 due 30 June, not late.  Incident above 29 days: D still has none (0 late).
    config = SolvencyConfig(default_terms_days=60, incident_days=29, watch_days=20)
    rows = {row["customer_id"]: row for row in as_rows(solvency(r, s, as_of=AS_OF, config=config))}
    assert rows["B"]["avg_days_late"] == 20 * 90_000 / 130_000
    assert rows["B"]["status"] == "ok"  # 13.8 <= 20
    assert (rows["D"]["max_days_late"], rows["D"]["overdue_cents"], rows["D"]["status"]) == (0, 0, "ok")


def test_config_is_frozen_and_checked() -> None:
    config = SolvencyConfig()
    assert (config.default_terms_days, config.incident_days, config.watch_days, config.window_months) == (
        30,
        30,
        10,
        12,
    )
    with pytest.raises(ValidationError):
        config.incident_days = 5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        SolvencyConfig(window_months=0)
    bad: dict[str, Any] = {"unknown": 1}
    with pytest.raises(ValidationError):
        SolvencyConfig(**bad)
