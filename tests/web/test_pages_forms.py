"""The forms of the resource pages: move a prospect, accept suggested
actions, edit the SWOT, answer the questionnaire, import a bad file then a
good one, export then trace the exported file, add and disable a user,
download the annual review."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from fastapi import FastAPI

from clientfolio.access import PipelineReader, PortfolioReader
from clientfolio.plan.records import stored_answers
from clientfolio.protect.audit import list_events
from clientfolio.protect.exports import list_exports
from clientfolio.protect.users import get_user
from clientfolio.store import Store
from tests.web.conftest import PASSWORD, client_of, logged_in, login
from tests.web.pages_fixtures import EVERYTHING, TestClient, stages, token


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> TestClient:
    return logged_in(app, "pbernard")


def test_move_a_prospect(admin: TestClient, demo: Store) -> None:
    code = next(c for c, s in stages(demo).items() if s == "warm")
    moved = admin.post(
        "/prospects/stage", data={"code": code, "stage": "hot", "csrf_token": token(admin)}, follow_redirects=False
    )
    assert moved.status_code == 303 and stages(demo)[code] == "hot"
    board = admin.get("/prospects?format=json").json()["board"]
    assert code in [p["code"] for c in board if c["stage"] == "hot" for p in c["prospects"]]
    no_reason = admin.post("/prospects/stage", data={"code": code, "stage": "lost", "csrf_token": token(admin)})
    assert no_reason.status_code == 400 and "reason" in no_reason.text and stages(demo)[code] == "hot"
    lost = admin.post(
        "/prospects/stage",
        data={"code": code, "stage": "lost", "reason": "price too high", "csrf_token": token(admin)},
        follow_redirects=False,
    )
    assert lost.status_code == 303 and stages(demo)[code] == "lost"


def test_a_rep_cannot_move_another_regions_prospect(app: FastAPI, demo: Store) -> None:
    rep = logged_in(app, "jleroy")
    code = next(
        p.code
        for p in PipelineReader(demo, EVERYTHING).prospects()
        if p.region != "IDF" and p.stage not in ("won", "lost")
    )
    before = stages(demo)[code]
    answer = rep.post("/prospects/stage", data={"code": code, "stage": "won", "csrf_token": token(rep)})
    assert answer.status_code == 400 and "in your scope" in answer.text and stages(demo)[code] == before


def test_accept_suggested_actions(admin: TestClient, demo: Store) -> None:
    plan = admin.get("/plan?format=json").json()
    chosen = next(s for s in plan["suggestions"] if s["kind"] == "follow_up" and not s["in_plan"])
    accepted = admin.post(
        "/plan/accept", data={"key": chosen["key"], "csrf_token": token(admin)}, follow_redirects=False
    )
    assert accepted.status_code == 303
    plan = admin.get("/plan?format=json").json()
    actions = [a for g in plan["groups"] for a in g["actions"]]
    assert [a["suggestion_key"] for a in actions] == [chosen["key"]]
    assert actions[0]["target_revenue_cents"] == chosen["target_revenue_cents"] and actions[0]["overdue"]
    assert next(s for s in plan["suggestions"] if s["key"] == chosen["key"])["in_plan"]
    assert plan["tracking"]["count"] == 1 and plan["tracking"]["overdue"] == 1
    assert 'class="overdue"' in admin.get("/plan").text
    [added] = list_events(demo, action="plan.action.add")
    assert (added.actor, added.target, added.details["after"]["suggestion_key"]) == (
        "pbernard",
        str(actions[0]["id"]),
        chosen["key"],
    )
    admin.post("/plan/accept", data={"all": "1", "csrf_token": token(admin)})
    plan = admin.get("/plan?format=json").json()
    assert plan["tracking"]["count"] == len(plan["suggestions"]) and all(s["in_plan"] for s in plan["suggestions"])
    workbook = admin.get("/plan/export.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert "attachment" in workbook.headers["content-disposition"]
    header = admin.post(
        "/plan/header",
        data={"year": plan["year"], "company": "Demo SA", "vision": "Lead", "csrf_token": token(admin)},
        follow_redirects=False,
    )
    assert header.status_code == 303
    entry = list_events(demo, action="plan.header", limit=1)[0]
    assert (entry.actor, entry.target, entry.details["after"]["vision"]) == ("pbernard", str(plan["year"]), "Lead")


def test_edit_the_swot(admin: TestClient, demo: Store) -> None:
    def quadrant(name: str) -> dict[str, Any]:
        return next(q for q in admin.get("/swot?format=json").json()["quadrants"] if q["quadrant"] == name)

    added = admin.post(
        "/swot/items",
        data={"quadrant": "strengths", "text": "A loyal team of technicians", "csrf_token": token(admin)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    item = next(i for i in quadrant("strengths")["items"] if i["text"] == "A loyal team of technicians")
    admin.post(
        "/swot/items/edit", data={"item_id": item["id"], "text": "A loyal, trained team", "csrf_token": token(admin)}
    )
    assert [i["text"] for i in quadrant("strengths")["items"]] == ["A loyal, trained team"]
    suggestion = quadrant("threats")["suggested"][0]
    admin.post("/swot/decide", data={"key": suggestion["key"], "csrf_token": token(admin)})
    threats = quadrant("threats")
    assert suggestion["text"] in [i["text"] for i in threats["items"]]
    assert suggestion["key"] not in [s["key"] for s in threats["suggested"]]
    admin.post("/swot/items/edit", data={"item_id": item["id"], "delete": "1", "csrf_token": token(admin)})
    assert quadrant("strengths")["items"] == []
    entries = [e for e in list_events(demo, limit=10) if e.action.startswith("swot.")][:4]
    assert [(e.action, e.actor) for e in reversed(entries)] == [
        ("swot.add", "pbernard"),
        ("swot.edit", "pbernard"),
        ("swot.save", "pbernard"),
        ("swot.delete", "pbernard"),
    ]
    assert (entries[0].target, entries[0].details["before"]) == (str(item["id"]), "A loyal, trained team")


def test_answer_the_questionnaire(app: FastAPI, admin: TestClient, demo: Store) -> None:
    bad = admin.post("/assessment", data={"respondent": "Alice", "loyalty": "25", "csrf_token": token(admin)})
    assert bad.status_code == 400
    for who, marks in (("Alice", {"portfolio": "14", "loyalty": "12,5"}), ("Bob", {"portfolio": "8"})):
        answer = admin.post(
            "/assessment", data={"respondent": who, **marks, "csrf_token": token(admin)}, follow_redirects=False
        )
        assert answer.status_code == 303
    data = admin.get("/assessment?format=json").json()
    day = data["assessment"]["as_of"]
    assert {(a.respondent, a.theme, a.mark) for a in stored_answers(demo, dt.date.fromisoformat(day))} == {
        ("Alice", "portfolio", 14.0),
        ("Alice", "loyalty", 12.5),
        ("Bob", "portfolio", 8.0),
    }
    portfolio = next(t for t in data["assessment"]["themes"] if t["theme"] == "portfolio")
    assert portfolio["team_mark"] == 11.0 and portfolio["respondents"] == 2
    assert data["history"][-1]["respondents"] == 2 and "Alice" in admin.get("/assessment").text
    saved = list_events(demo, action="assessment.save", limit=1)[0]
    assert (saved.actor, saved.target, saved.details["answers"][0]["respondent"]) == ("pbernard", day, "Bob")
    rep = logged_in(app, "jleroy")
    scoped = rep.post("/assessment", data={"respondent": "J", "fit": "10", "csrf_token": token(rep)})
    assert scoped.status_code == 400 and "whole portfolio" in scoped.text


BAD = "Code client;Raison sociale;SIREN\nZ90001;Nouvelle Société SAS;123\nZ90002;Autre SARL;\n"
GOOD = "Code client;Raison sociale\nZ90001;Nouvelle Société SAS\nZ90002;Autre SARL\n"


def test_import_a_bad_file_then_a_good_one(admin: TestClient, demo: Store) -> None:
    def customers() -> set[str]:
        return {c.code for c in PortfolioReader(demo, EVERYTHING).customers()}

    before = customers()
    bad = admin.post(
        "/import",
        data={"kind": "customers", "csrf_token": token(admin)},
        files={"file": ("clients.csv", BAD.encode(), "text/csv")},
    )
    assert bad.status_code == 422 and "Nothing was imported" in bad.text and customers() == before
    errors = admin.post(
        "/import?format=json",
        data={"kind": "customers", "csrf_token": token(admin)},
        files={"file": ("clients.csv", BAD.encode(), "text/csv")},
    ).json()["errors"]
    assert [(e["file"], e["line"], e["column"], e["value"]) for e in errors] == [("clients.csv", 2, "SIREN", "123")]
    assert "Raison sociale" in bad.text  # the columns matched are shown
    dry = admin.post(
        "/import",
        data={"dry_run": "1", "csrf_token": token(admin)},
        files={"file": ("clients.csv", GOOD.encode(), "text/csv")},
    )
    assert dry.status_code == 200 and "nothing was written" in dry.text and customers() == before
    good = admin.post(
        "/import?format=json",
        data={"csrf_token": token(admin)},
        files={"file": ("clients.csv", GOOD.encode(), "text/csv")},
    ).json()
    assert good["kind"] == "customers" and good["result"]["created"]["customers"] == 2
    assert good["columns"] == {"customer_code": "Code client", "name": "Raison sociale"}
    assert customers() == before | {"Z90001", "Z90002"}
    assert [e.action for e in list_events(demo, limit=3) if e.action.startswith("import")][:2] == [
        "import",
        "import.rejected",
    ]  # the dry run wrote no entry
    imported = list_events(demo, action="import", limit=1)[0]
    assert (imported.actor, imported.target, imported.details["created"]["customers"]) == ("pbernard", "clients.csv", 2)


def test_export_then_trace_the_exported_file(app: FastAPI, demo: Store) -> None:
    manager = logged_in(app, "cmorel")
    made = manager.post(
        "/export",
        data={
            "recipient": "Cabinet Durand",
            "purpose": "mailing of June",
            "format": "csv",
            "csrf_token": token(manager),
        },
    )
    assert made.status_code == 200 and made.headers["content-type"] == "application/zip"
    uid = made.headers["x-export-uid"]
    bundle = zipfile.ZipFile(io.BytesIO(made.content))
    names = sorted(bundle.namelist())
    assert names == ["customers-Cabinet-Durand.csv", "customers-Cabinet-Durand.csv.manifest.json"]
    assert uid in bundle.read(names[1]).decode()
    assert [e.recipient for e in list_exports(demo) if e.export_uid == uid] == ["Cabinet Durand"]
    assert manager.get("/trace").status_code == 403  # a manager exports, it does not trace
    auditor = logged_in(app, "pbernard")
    leaked = bundle.read(names[0])
    traced = auditor.post(
        "/trace?format=json", data={"csrf_token": token(auditor)}, files={"file": ("found.csv", leaked, "text/csv")}
    ).json()["result"]
    assert traced["attributed"]["export_uid"] == uid and traced["attributed"]["recipient"] == "Cabinet Durand"
    assert traced["attributed"]["wrong_attribution"] < 1e-9
    page = auditor.post("/trace", data={"csrf_token": token(auditor)}, files={"file": ("found.csv", leaked)}).text
    assert "Cabinet Durand" in page and uid in page
    other = b"code;name;city\nA1;Dupont SA;Lyon\nA2;Martin SARL;Paris\n"
    nothing = auditor.post(
        "/trace?format=json", data={"csrf_token": token(auditor)}, files={"file": ("other.csv", other)}
    ).json()["result"]
    assert nothing["attributed"] is None
    # Excel's "Unicode text" (UTF-16 LE with BOM, tabs): traced, no 500; a binary file: a clear 400
    rows = [line.split(";") for line in leaked.decode("utf-8-sig").splitlines()]
    utf16 = "\r\n".join("\t".join(r) for r in rows).encode("utf-16")
    resaved = auditor.post(
        "/trace?format=json", data={"csrf_token": token(auditor)}, files={"file": ("found.txt", utf16, "text/plain")}
    )
    assert resaved.status_code == 200 and resaved.json()["result"]["attributed"]["export_uid"] == uid
    french = auditor.post(
        "/trace",
        data={"csrf_token": token(auditor)},
        files={"file": ("found.txt", utf16)},
        headers={"Accept-Language": "fr"},
    )
    assert french.status_code == 200
    binary = auditor.post(
        "/trace", data={"csrf_token": token(auditor)}, files={"file": ("x.csv", b"a;b\x00\x01;c\n" * 5)}
    )
    assert binary.status_code == 400 and "not a readable table" in binary.text


def test_add_and_disable_a_user(admin: TestClient, app: FastAPI, demo: Store) -> None:
    weak = admin.post(
        "/admin/users", data={"username": "nvidal", "role": "sales", "password": "password", "csrf_token": token(admin)}
    )
    assert weak.status_code == 400 and "password refused" in weak.text and get_user(demo, "nvidal") is None
    added = admin.post(
        "/admin/users",
        data={
            "username": "nvidal",
            "display_name": "Nina Vidal",
            "role": "sales",
            "password": PASSWORD,
            "csrf_token": token(admin),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and get_user(demo, "nvidal").role == "sales"  # type: ignore[union-attr]
    admin.post("/admin/users/scopes", data={"username": "nvidal", "regions": "IDF, ARA", "csrf_token": token(admin)})
    assert get_user(demo, "nvidal").scopes == {"region": ("ARA", "IDF")}  # type: ignore[union-attr]
    nina = logged_in(app, "nvidal")
    assert nina.get("/prospects").status_code == 200
    admin.post("/admin/users/disable", data={"username": "nvidal", "csrf_token": token(admin)})
    assert not get_user(demo, "nvidal").is_active  # type: ignore[union-attr]
    assert nina.get("/prospects", follow_redirects=False).status_code == 303  # its session ended
    assert login(client_of(app), "nvidal").status_code == 401
    users = {u["username"]: u for u in admin.get("/admin?format=json").json()["users"]}
    assert users["nvidal"]["status"] == "disabled"
    assert [e.action for e in list_events(demo, limit=20) if e.target == "nvidal" and e.action.startswith("user.")][
        :3
    ] == ["user.disable", "user.scope", "user.create"]
    mine = admin.post("/admin/users/disable", data={"username": "pbernard", "csrf_token": token(admin)})
    assert mine.status_code == 400 and get_user(demo, "pbernard").is_active  # type: ignore[union-attr]
    verified = admin.get("/admin?verify=1&format=json").json()["audit"]["verified"]
    assert verified["ok"] and verified["entries"] > 0


def test_backup_and_annual_review_downloads(admin: TestClient, demo: Store) -> None:
    archive = admin.post("/admin/backup", data={"csrf_token": token(admin)})
    assert archive.status_code == 200 and len(archive.content) > 1000
    assert list_events(demo, action="backup", limit=1)[0].actor == "pbernard"
    review = admin.post("/report", data={"format": "html", "lang": "fr", "csrf_token": token(admin)})
    assert review.status_code == 200 and review.headers["content-disposition"].startswith("attachment")
    assert "<html" in review.text.lower()
    assert review.headers["x-export-uid"] in [e.export_uid for e in list_exports(demo)]


FEC_DATA = __import__("pathlib").Path(__file__).parents[1] / "data" / "fec"


def test_an_fec_import_speaks_french_and_tells_what_was_set_aside(app: FastAPI, demo: Store) -> None:
    french = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    future = french.post(
        "/import",
        data={"csrf_token": token(french), "dry_run": "1"},
        files={"file": ("fec.txt", (FEC_DATA / "fec_future_date.txt").read_bytes())},
    )
    assert future.status_code == 422
    assert "date dans le futur" in future.text and "--allow-future" in future.text
    assert "importé : 2 lignes erronées." in future.text  # the two lines of the 2031 entry
    kept = french.post(
        "/import?format=json",
        data={"csrf_token": token(french), "dry_run": "1", "allow_future": "1"},
        files={"file": ("fec.txt", (FEC_DATA / "fec_future_date.txt").read_bytes())},
    )
    assert kept.status_code == 200
    tab = french.post(
        "/import",
        data={"csrf_token": token(french), "dry_run": "1"},
        files={"file": ("fec.txt", (FEC_DATA / "fec_aux_tab.txt").read_bytes())},
    )
    assert tab.status_code == 200 and "Mis de côté" in tab.text
    assert "ventes au comptant (sans compte client)" in tab.text and "Lignes de facture" in tab.text
    assert "invoice_lines" not in tab.text


def test_a_workbook_is_read_on_its_data_sheet_and_the_page_says_which(app: FastAPI, demo: Store) -> None:
    """A workbook opening on a summary: the dry run reads the sheet holding the table and says it."""
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Synthèse"
    summary.append(["Synthèse des ventes"])
    sales = book.create_sheet("Factures")
    sales.append(["N° facture", "Date", "Code client", "Raison sociale", "Montant HT"])
    sales.append(["FX-1", dt.date(2025, 3, 3), "C00001", "Client un", 120.5])
    buffer = io.BytesIO()
    book.save(buffer)
    french = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    page = french.post(
        "/import",
        data={"csrf_token": token(french), "dry_run": "1"},
        files={"file": ("ventes.xlsx", buffer.getvalue())},
    )
    assert page.status_code == 200 and re.search(r"Feuille lue\s*:\s*Factures", page.text)
