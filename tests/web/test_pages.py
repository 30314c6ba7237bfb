"""The dashboard, the customer list and page, the REST API and its schema,
the need-to-know scope, and the French catalog of the pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.i18n import gettext_for
from clientfolio.protect.audit import list_events
from clientfolio.protect.users import principal_for
from clientfolio.store import Store
from clientfolio.value import value_source
from tests.web.conftest import IDLE_LOCK, client_of, fill_demo, logged_in, make_app

WEB = Path(__file__).resolve().parents[2] / "src" / "clientfolio" / "web"


def test_dashboard_answers_its_figures_as_json(app: FastAPI, demo: Store) -> None:
    client = logged_in(app, "pbernard")
    data = client.get("/?format=json").json()
    assert data == client.get("/", headers={"Accept": "application/json"}).json()
    assert data == client.get("/api/v1/dashboard").json()
    expected = value_source(store=demo, reader=PortfolioReader(demo, principal_for(demo, "pbernard")))
    assert data["as_of"] == expected.as_of.isoformat() and data["customers"] == 40
    assert data["equity"]["total_cents"] == expected.equity.total_cents and data["equity"]["total_cents"] > 0
    assert data["equity"]["low_cents"] < data["equity"]["total_cents"] < data["equity"]["high_cents"]  # JSON: Any
    m = data["measures"]
    assert m["current"]["active_customers"] > 0 and m["current"]["revenue_cents"] > 0
    assert m["current"]["end"] == data["as_of"] and m["previous"]["end"] < m["current"]["start"]
    assert [r["abc"] for r in data["abc"]] == ["A", "B", "C"]
    assert sum(r["customers"] for r in data["abc"]) == len(data["pareto"])
    assert data["pareto"] == sorted(data["pareto"]) and abs(data["pareto"][-1] - 1) < 1e-9
    assert sum(c["customers"] for c in data["crossed"] if c["revenue_class"] != "P") == 40
    assert [s["stage"] for s in data["funnel"]] == ["suspect", "prospect", "cold", "warm", "hot", "won"]
    assert 0 <= data["assessment"]["fact_mark"] <= 20 and len(data["assessment"]["themes"]) == 6
    page = client.get("/").text
    for title in (
        "Valuation of the customer capital",
        "ABC analysis: Pareto curve",
        "RFM profiles: customers",
        "Segment x product line matrix",
        "Value strategy: profitability x potential",
        "Prospecting funnel",
        "Self-assessment of the customer capital",
    ):
        assert title in page, title
    assert (
        page.count("<svg") >= 8
        and re.findall(r"<script[^>]*>", page) == [IDLE_LOCK]  # our own idle lock only
        and "http" not in page.split("<body>")[1].replace("http://www.w3.org", "")
    )  # no script, no outside asset


def test_customer_list_filters_sorts_and_pages(app: FastAPI) -> None:
    client = logged_in(app, "pbernard")

    def get(**params: str | int) -> Any:
        return client.get("/api/v1/customers", params=params).json()

    everyone = get(per_page=200)
    assert everyone["total"] == 40 and len(everyone["items"]) == 40
    pages = [get(per_page=15, page=n)["items"] for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [15, 15, 10] and get(per_page=15, page=9)["page"] == 3
    assert [c["code"] for p in pages for c in p] == sorted(c["code"] for c in everyone["items"])
    by_revenue = [c["revenue_cents"] for c in get(sort="-revenue", per_page=200)["items"]]
    assert by_revenue == sorted(by_revenue, reverse=True)
    a_class = get(abc="A", per_page=200)
    dashboard = client.get("/api/v1/dashboard").json()
    assert a_class["total"] == next(r["customers"] for r in dashboard["abc"] if r["abc"] == "A") > 0
    assert {c["abc"] for c in a_class["items"]} == {"A"}
    some = everyone["items"][7]
    for key in ("region", "category", "profile"):
        found = get(**{key: some[key]}, per_page=200)
        assert found["total"] == sum(c[key] == some[key] for c in everyone["items"]) and some in found["items"]
    word = some["name"].split()[0].lower()
    assert some in get(q=word, per_page=200)["items"]
    assert all(word in c["name"].lower() or word in c["code"].lower() for c in get(q=word, per_page=200)["items"])
    assert client.get("/api/v1/customers", params={"sort": "password"}).status_code == 422
    html = client.get("/customers", params={"abc": "A", "sort": "-value"}).text
    assert html.count('href="/customers/') == a_class["total"] and 'aria-sort="descending"' in html


def test_customer_page_is_an_audited_read(app: FastAPI, demo: Store) -> None:
    client = logged_in(app, "pbernard")
    detail = client.get("/customers/C00001?format=json").json()
    assert detail["code"] == "C00001" and detail["history"] and detail["contacts"]
    assert re.fullmatch(r"[01]{4}", detail["rfm_code"]) and detail["abc"] in "ABC"
    assert sum(h["revenue_cents"] for h in detail["history"]) > 0 and 0 <= detail["p_alive"] <= 1
    last = list_events(demo, action="customer.read", limit=1)[0]
    assert (last.actor, last.target, last.details) == ("pbernard", "C00001", {"visible": True})
    page = client.get("/customers/C00001").text
    assert detail["name"].replace("'", "&#39;") in page and detail["contacts"][0]["name"] in page
    assert client.get("/api/v1/customers/C00001").json() == detail


def _scoped(store: Store, app: FastAPI) -> None:
    """jleroy, a sales rep of Île-de-France, sees only its region, and a
    customer of another region is "not found", like an unknown one."""
    everyone = PortfolioReader(store, Principal("t", "admin", Scope())).accounts()
    own = [a.code for a in everyone if a.kind == "customer" and a.region == "IDF"]
    other = next(a.code for a in everyone if a.kind == "customer" and a.region != "IDF")
    rep = logged_in(app, "jleroy")
    listed = rep.get("/api/v1/customers", params={"per_page": 200}).json()
    assert sorted(c["code"] for c in listed["items"]) == sorted(own) and {c["region"] for c in listed["items"]} == {
        "IDF"
    }
    assert rep.get("/api/v1/dashboard").json()["customers"] == len(own)
    assert rep.get(f"/api/v1/customers/{own[0]}").status_code == 200
    hidden, unknown = rep.get(f"/api/v1/customers/{other}"), rep.get("/api/v1/customers/ZZZ999")
    assert hidden.status_code == unknown.status_code == 404 and hidden.json() == unknown.json()
    page, missing = rep.get(f"/customers/{other}"), rep.get("/customers/ZZZ999")

    def body(html: str) -> str:
        return html.split("<main>")[1]

    assert page.status_code == 404 and body(page.text) == body(missing.text) and "No such customer." in page.text
    assert other not in rep.get("/customers", params={"per_page": 200}).text
    reads = [(e.actor, e.target, e.details["visible"]) for e in list_events(store, action="customer.read", limit=5)]
    assert reads[:4] == [
        ("jleroy", "ZZZ999", False),
        ("jleroy", other, False),
        ("jleroy", "ZZZ999", False),
        ("jleroy", other, False),
    ]


def test_a_sales_rep_sees_only_its_region(store: Store, tmp_path: Path) -> None:
    _scoped(fill_demo(store), make_app(store, tmp_path))


def test_api_schema_lists_the_routes_and_needs_a_login(app: FastAPI) -> None:
    client = client_of(app)
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/v1/me",
        "/api/v1/dashboard",
        "/api/v1/today",
        "/api/v1/customers",
        "/api/v1/customers/{code}",
    }
    assert {"Dashboard", "CustomerList", "CustomerDetail"} <= set(schema["components"]["schemas"])
    ok = schema["paths"]["/api/v1/customers/{code}"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CustomerDetail"}
    for path in ("/api/v1/me", "/api/v1/dashboard", "/api/v1/customers", "/api/v1/customers/C00001"):
        answer = client.get(path)
        assert answer.status_code == 401 and answer.json() == {"detail": "log in first"}
    assert client.get("/customers/C00001", follow_redirects=False).headers["location"] == (
        "/login?next=%2Fcustomers%2FC00001"
    )


def test_every_message_of_the_pages_is_in_french() -> None:
    mine = ("base", "login", "error", "dashboard", "customers", "customer")  # the core's pages
    sources = [
        *(WEB / "templates" / f"{name}.html" for name in mine),
        *(WEB / f"{name}.py" for name in ("app", "build", "charts", "deps", "render")),
        *(WEB / "routers" / f"{name}.py" for name in ("auth", "dashboard", "customers", "api")),
    ]
    found = {
        m.group(2)
        for path in sources
        for m in re.finditer(r"""_\(\s*(['"])(.+?)\1\s*\)""", path.read_text(encoding="utf-8"))
    }
    from clientfolio.prospects.stages import STAGE_NAMES
    from clientfolio.web.app import NAV
    from clientfolio.web.build import TERMS

    found |= {label for _, label, _ in NAV} | set(STAGE_NAMES.values()) | set(TERMS.values())
    same = {
        "Menu",
        "Note",
        "Type",
        "Segment",
        "Action",
        "Contacts",
        "Date",
        "Code",
        "Pages",
        "conversion",
        "incidents",
        "Suspect",
        "Prospect",
        "Prospects",
        "Stable",
        "auditor",
    }
    fr = gettext_for("fr")
    untranslated = sorted(m for m in found if fr(m) == m and m not in same)
    assert len(found) > 100 and untranslated == []
