"""The texts the library writes read in French in the French web app: the
suggested actions (plan), the suggested SWOT items, the RFM profiles'
actions and the valuation method (dashboard); in English, as before."""

from __future__ import annotations

import html

from fastapi import FastAPI

from tests.web.conftest import logged_in
from tests.web.pages_fixtures import TestClient


def _clients(app: FastAPI) -> tuple[TestClient, TestClient]:
    return (
        logged_in(app, "pbernard", headers={"Accept-Language": "fr"}),
        logged_in(app, "pbernard", headers={"Accept-Language": "en"}),
    )


def _page(client: TestClient, path: str) -> str:
    return html.unescape(client.get(path).text)


def test_the_suggested_actions_are_in_french(app: FastAPI) -> None:
    fr, en = _clients(app)
    french = fr.get("/plan?format=json").json()["suggestions"]
    english = en.get("/plan?format=json").json()["suggestions"]
    assert [s["key"] for s in french] == [s["key"] for s in english] and french
    follow = next(s for s in english if s["kind"] == "follow_up")
    assert follow["title"].startswith("Follow up ") and "a year at stake" in follow["reason"]
    follow_fr = next(s for s in french if s["key"] == follow["key"])
    assert follow_fr["title"].startswith("Assurer le suivi de ") and "par an en jeu" in follow_fr["reason"]
    assert (follow["kind_label"], follow_fr["kind_label"]) == ("Follow-up", "Suivi")  # the page's JSON names it too
    page = _page(fr, "/plan")
    assert "Assurer le suivi de " in page and "Prospect de priorité 1 (IPA " in page
    assert "Follow up " not in page and "Priority-1 prospect" not in page
    page = _page(en, "/plan")
    assert "Follow up " in page and "Priority-1 prospect (IPA " in page and "Assurer le suivi" not in page


def test_the_suggested_swot_items_are_in_french(app: FastAPI) -> None:
    fr, en = _clients(app)
    french = [s for q in fr.get("/swot?format=json").json()["quadrants"] for s in q["suggested"]]
    english = [s for q in en.get("/swot?format=json").json()["quadrants"] for s in q["suggested"]]
    assert [s["key"] for s in french] == [s["key"] for s in english] and french
    assert all(f["text"] != e["text"] for f, e in zip(french, english, strict=True))
    white = [s["text"] for s in french if s["key"].startswith("opportunity:white_space:")]
    assert white and all(t.startswith("Espace blanc : le segment ") for t in white)
    assert "Espace blanc : le segment " in _page(fr, "/swot") and "White space: segment" not in _page(fr, "/swot")
    assert "White space: segment " in _page(en, "/swot") and "Espace blanc" not in _page(en, "/swot")


def test_the_dashboard_shows_the_rfm_actions_and_the_method_in_french(app: FastAPI) -> None:
    fr, en = _clients(app)
    page = _page(fr, "/")
    assert "Reconquérir : relance personnalisée" in page and "Win back: personal" not in page
    assert "Somme sur les clients de la marge brute attendue des" in page and "Sum over customers" not in page
    page = _page(en, "/")
    assert "Win back: personal follow-up call" in page and "Reconquérir" not in page
    assert "Sum over customers of the expected gross margin of the next" in page and "Somme sur" not in page
    assert fr.get("/api/v1/dashboard").json()["equity"]["method"].startswith("Somme sur les clients")
