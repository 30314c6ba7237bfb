"""The dashboard says how far to trust the valuation, in the reader's
language: the spend model used and why, and the one-year backtest with its table."""

from __future__ import annotations

import html

import pytest
from fastapi import FastAPI

from tests.web.conftest import logged_in


def test_the_dashboard_says_the_spend_model_and_the_backtest(app: FastAPI) -> None:
    en = logged_in(app, "pbernard", headers={"Accept-Language": "en"})
    fr = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    equity = en.get("/?format=json").json()["equity"]
    assert equity["spend"].startswith("The value of a purchase")
    assert equity["backtest"].startswith("Fitted on the history up to")
    rows = equity["backtest_rows"]
    assert [r["group"] for r in rows] == ["total", "A", "B", "C", "one_time"]
    assert sum(r["customers"] for r in rows[1:4]) == rows[0]["customers"] > 0
    assert sum(r["predicted_cents"] for r in rows[1:4]) == pytest.approx(rows[0]["predicted_cents"])
    total = rows[0]
    assert total["error"] == total["predicted_cents"] / total["actual_cents"] - 1
    french = fr.get("/?format=json").json()["equity"]
    assert french["spend"].startswith("La valeur d'un achat")
    assert french["backtest"].startswith("Ajustés sur l'historique jusqu'au")
    assert [r["label"] for r in french["backtest_rows"]] == [
        "Tous les clients",
        "Classe A",
        "Classe B",
        "Classe C",
        "Clients d'un seul achat",
    ]
    page = html.unescape(fr.get("/").text)
    assert french["spend"] in page and french["backtest"] in page
    assert "Contrôle a posteriori" in page and "Clients d'un seul achat" in page
