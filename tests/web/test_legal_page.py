"""The legal kit page (issue 20): the legal side of DOMAIN.md section 13 in
the app, in French and English, and the departure checklist's list of the
exports a leaver made over the last days (from the export registry)."""

from __future__ import annotations

from fastapi import FastAPI

from tests.web.conftest import logged_in
from tests.web.pages_fixtures import token


def test_the_legal_kit_in_french_with_the_exports_of_a_leaver(app: FastAPI) -> None:
    manager = logged_in(app, "cmorel")
    made = manager.post(
        "/export",
        data={"recipient": "Agence Légale", "purpose": "salon", "format": "csv", "csrf_token": token(manager)},
    )
    uid = made.headers["x-export-uid"]
    auditor = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    html = auditor.get("/security/legal").text
    for french in (
        "Kit juridique",
        "Non-concurrence",
        "DGSI",
        "INPI",
        "72 heures",
        "avocat",
        "Départ d&#39;un salarié",
    ):
        assert french in html, french
    assert "Whom to contact" not in html and "Legal kit" not in html
    data = auditor.get("/security/legal?format=json&user=CMorel&days=30").json()
    assert [e["export_uid"] for e in data["exports"]] == [uid]
    assert data["exports"][0]["recipient"] == "Agence Légale" and data["days"] == 30
    assert auditor.get("/security/legal?format=json&user=jleroy").json()["exports"] == []  # nothing by another user
    listed = auditor.get("/security/legal?user=cmorel").text
    assert "Agence Légale" in listed and "Exports de cmorel sur les 90 derniers jours" in listed
    assert auditor.get("/security/legal?days=0").status_code == 422
    english = logged_in(app, "pbernard", headers={"Accept-Language": "en"}).get("/security/legal").text
    assert "Legal kit" in english and "Whom to contact" in english


def test_only_who_may_audit_sees_the_legal_kit(app: FastAPI) -> None:
    assert logged_in(app, "jleroy").get("/security/legal").status_code == 403
