"""The French pages show names, French quarters and dates, French import
reasons and French refusals; the English pages stay English (issue 17)."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI

from tests.web.conftest import csrf_of, logged_in
from tests.web.pages_fixtures import TestClient

_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_QUARTER_CODE = re.compile(r"\b\d{4}-Q[1-4]\b")


def _text(response_text: str) -> str:
    """The visible text of a page (no tags, no style, no CSRF token)."""
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", response_text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _fr(app: FastAPI, user: str = "pbernard") -> TestClient:
    return logged_in(app, user, headers={"Accept-Language": "fr"})


def _en(app: FastAPI, user: str = "pbernard") -> TestClient:
    return logged_in(app, user, headers={"Accept-Language": "en"})


def test_the_customer_page_shows_names_quarters_and_dates_in_french(app: FastAPI) -> None:
    fr, en = _fr(app), _en(app)
    data = fr.get("/customers/C00003?format=json").json()
    assert data["size_band"] == "large" and data["history"] and data["segment"]
    page = fr.get("/customers/C00003")
    text = _text(page.text)
    assert "Grande entreprise" in text and "Taille large" not in " ".join(text.split())
    assert re.search(r"T[1-4]\u00a020\d\d", text) and not _QUARTER_CODE.search(page.text)
    assert not _ISO_DATE.search(text)
    assert data["segment_name"] in text and f'title="{data["segment"]}"' in page.text  # the code as a tooltip
    assert data["region_name"] in text and data["region_name"] != data["region"]
    english = _text(en.get("/customers/C00003").text)
    assert "Large company" in english and "Grande entreprise" not in english
    assert re.search(r"Q[1-4]\u00a020\d\d", english)


def test_the_customer_list_and_dashboard_show_names_not_codes(app: FastAPI) -> None:
    fr = _fr(app)
    listing = fr.get("/customers")
    assert "Hauts-de-France" in _text(listing.text) and 'title="HDF"' in listing.text
    dashboard = fr.get("/").text
    assert not _QUARTER_CODE.search(dashboard) and re.search(r"T[1-4]\u00a020\d\d", dashboard)
    assert "Services aux entreprises" in _text(dashboard)  # the matrix by segment names
    prospects = fr.get("/prospects").text
    assert "Occitanie" in _text(prospects) and 'title="OCC"' in prospects


def test_the_import_page_tells_the_bad_rows_in_french(app: FastAPI) -> None:
    fr, en = _fr(app), _en(app)
    body = b"N\xc2\xb0 de facture;Date;Code client;Montant HT\nF1;31/02/2025;C00001;12,5\nF2;01/03/2025;;1\n"
    for client, words, absent in (
        (fr, ("cette date n'existe pas", "code client vide", "Rien n'a été importé : 2 lignes erronées"), "no such"),
        (en, ("no such date", "empty customer code", "Nothing was imported: 2 bad rows"), "n'existe pas"),
    ):
        token = csrf_of(client.get("/import").text)
        response = client.post(
            "/import",
            data={"csrf_token": token, "kind": "invoices", "dry_run": "1"},
            files={"file": ("f.csv", body, "text/csv")},
        )
        assert response.status_code == 422
        text = _text(response.text)
        assert all(word in text for word in words), text
        assert absent not in text
    token = csrf_of(fr.get("/import").text)
    response = fr.post(
        "/import",
        data={"csrf_token": token, "kind": "invoices", "dry_run": "1"},
        files={"file": ("g.csv", "N° de facture;Date;Code client\nF1;01/03/2025;C00001\n".encode(), "text/csv")},
    )
    text = _text(response.text)
    assert "colonne obligatoire absente (montant HT, en euros)" in text and "Montant HT" in text
    assert "missing required" not in text and "Rien n'a été importé : 1 ligne erronée." in text
    assert "<td>Montant HT</td>" in response.text and "<td>amount</td>" not in response.text  # the field by name


def test_refusals_are_in_the_page_language(app: FastAPI) -> None:
    french = _fr(app, "jleroy").get("/export")
    assert french.status_code == 403
    assert "jleroy (commercial) ne peut pas exporter" in _text(french.text) and "may not" not in french.text
    english = _en(app, "jleroy").get("/export")
    assert english.status_code == 403 and "jleroy (sales) may not export" in _text(english.text)
    fr = _fr(app)
    token = csrf_of(fr.get("/prospects").text)
    lost = fr.post("/prospects/stage", data={"csrf_token": token, "code": "P00001", "stage": "lost"})
    assert lost.status_code == 400
    assert "un prospect est perdu pour une raison : indiquez-la" in _text(lost.text)
    assert "a prospect is lost" not in lost.text


def test_the_report_form_defaults_are_in_the_page_language(app: FastAPI) -> None:
    french = _fr(app).get("/report").text
    assert 'value="interne"' in french and 'value="revue annuelle du portefeuille"' in french
    assert "internal" not in _text(french)
    english = _en(app).get("/report").text
    assert 'value="internal"' in english and 'value="annual portfolio review"' in english
