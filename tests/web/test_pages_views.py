"""The resource pages render for an admin (HTML and the same data as JSON);
a scoped rep sees only its region's prospects; roles without the permission
get 403, audited; a form without its CSRF token is refused."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from clientfolio.protect.audit import list_events
from clientfolio.store import Store
from tests.web.conftest import IDLE_LOCK, logged_in
from tests.web.pages_fixtures import TestClient, prospects_of_region, stages

PAGES = {
    "/prospects": ("IPA / IPO priority matrix", "Board by stage", "Hot prospect", "<svg"),
    "/plan": ("Commercial action plan", "Suggested actions", "Accept all", "Expected revenue"),
    "/swot": ("Threats", "Opportunities", "Weaknesses", "Strengths", "Suggested from the analyses"),
    "/assessment": ("Marks by theme and indicator", "Questionnaire", "Customer portfolio", "<svg"),
    "/import": ("Import a file", 'enctype="multipart/form-data"', "Dry run"),
    "/export": ("Export customers", "Recipient", "Purpose"),
    "/trace": ("Trace a leaked file",),
    "/admin": ("Users", "Audit log", "Verify the chain", "Make a backup now"),
    "/report": ("Annual review", "Download the annual review"),
}


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> TestClient:
    return logged_in(app, "pbernard")


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_renders_as_html_and_json(admin: TestClient, path: str) -> None:
    html = admin.get(path)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    for text in PAGES[path]:
        assert text in html.text, (path, text)
    assert re.findall(r"<script[^>]*>", html.text) == [IDLE_LOCK]  # our own idle lock only
    data = admin.get(path, headers={"Accept": "application/json"})
    assert data.status_code == 200 and data.json() == admin.get(f"{path}?format=json").json()


def test_the_pages_data(admin: TestClient, demo: Store) -> None:
    prospects = admin.get("/prospects?format=json").json()
    assert [c["stage"] for c in prospects["board"]] == ["suspect", "prospect", "cold", "warm", "hot", "won", "lost"]
    assert sorted(p["code"] for c in prospects["board"] for p in c["prospects"]) == sorted(stages(demo))
    assert len(prospects["matrix"]) == 9 and {c["priority"] for c in prospects["matrix"]} == {1, 2, 3, 4}
    first = admin.get("/prospects?priority=1&format=json").json()["listed"]
    assert first and {p["priority"] for p in first} == {1}
    assert sum(c["prospects"] for c in prospects["matrix"] if c["priority"] == 1) == len(first)
    plan = admin.get("/plan?format=json").json()
    assert plan["year"] == 2025 and plan["groups"] == [] and plan["tracking"]["count"] == 0
    kinds = {s["kind"] for s in plan["suggestions"]}
    assert {"follow_up", "prospect"} <= kinds and all(
        s["reason"] and s["expected_cents"] > 0 for s in plan["suggestions"]
    )
    swot = admin.get("/swot?format=json").json()
    assert [q["quadrant"] for q in swot["quadrants"]] == ["threats", "opportunities", "weaknesses", "strengths"]
    assert sum(len(q["suggested"]) for q in swot["quadrants"]) > 0
    assessment = admin.get("/assessment?format=json").json()["assessment"]
    assert len(assessment["themes"]) == 6 and 0 <= assessment["fact_mark"] <= 20 and assessment["reading"]


def test_the_pages_are_in_french(app: FastAPI) -> None:
    client = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    assert "Matrice de priorité IPA / IPO" in client.get("/prospects").text
    assert "Prospect chaud" in client.get("/prospects").text
    assert "Plan d&#39;action" in client.get("/plan").text
    swot = client.get("/swot").text
    assert all(word in swot for word in ("Menaces", "Opportunités", "Faiblesses", "Forces", "Matrice EMOFF"))


def test_a_scoped_rep_sees_only_its_region_prospects(app: FastAPI, demo: Store) -> None:
    rep = logged_in(app, "jleroy")
    data = rep.get("/prospects?format=json").json()
    shown = {p["code"] for c in data["board"] for p in c["prospects"]}
    own = prospects_of_region(demo, "IDF")
    assert shown == own and own != set(stages(demo))
    assert {p["region"] for c in data["board"] for p in c["prospects"]} == {"IDF"}
    page = rep.get("/prospects").text
    assert not any(f'id="{code}"' in page for code in set(stages(demo)) - own)


@pytest.mark.parametrize("path", ["/admin", "/export", "/trace", "/report"])
def test_a_sales_rep_is_refused_and_it_is_audited(app: FastAPI, demo: Store, path: str) -> None:
    rep = logged_in(app, "jleroy")
    assert rep.get(path).status_code == 403
    last = list_events(demo, action="web.refused", limit=1)[0]
    assert (last.actor, last.target) == ("jleroy", f"GET {path}") and "(sales) may not" in last.details["reason"]
    assert len(list_events(demo, limit=3)) == len({e.seq for e in list_events(demo, limit=3)})
    assert rep.get(path, headers={"Accept": "application/json"}).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(admin: TestClient, demo: Store) -> None:
    code, stage = next(iter(stages(demo).items()))
    target = "won" if stage != "won" else "hot"
    for data in ({"code": code, "stage": target}, {"code": code, "stage": target, "csrf_token": "forged"}):
        assert admin.post("/prospects/stage", data=data, follow_redirects=False).status_code == 403
    assert stages(demo)[code] == stage
    assert (
        admin.post(
            "/admin/users", data={"username": "mallory", "role": "admin", "password": "a long enough passphrase 77"}
        ).status_code
        == 403
    )


def test_the_navigation_shows_only_the_links_a_role_may_follow(app: FastAPI) -> None:
    def links(client: TestClient) -> set[str]:
        nav = client.get("/").text.split('<nav aria-label="', 1)[1].split("</nav>", 1)[0]
        return set(re.findall(r'href="([^"]+)"', nav))

    rep = links(logged_in(app, "jleroy"))  # a sales rep: read and write
    assert {"/", "/customers", "/prospects", "/plan", "/import"} <= rep
    assert not rep & {"/export", "/trace", "/report", "/admin"}
    assert {"/export", "/trace", "/report", "/admin"} <= links(logged_in(app, "pbernard"))
