"""Issue 18, points 1-3: the dashboard's "Today" block (customers at risk,
overdue follow-ups, plan actions due, with one-click forms), the customer
page's timeline and its form to log an activity, and editing a plan action's
progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI

from clientfolio.access import PortfolioReader
from clientfolio.prospects.at_risk import quiet_customers
from clientfolio.prospects.followup import FollowUpConfig
from clientfolio.protect.audit import list_events
from clientfolio.store import Store
from tests.web.conftest import logged_in
from tests.web.pages_fixtures import EVERYTHING, TestClient, token

QUIET = "C00010"  # an important customer of the demo gone quiet at 2025-06-30


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> TestClient:
    return logged_in(app, "pbernard")


def today_of(client: TestClient) -> dict[str, Any]:
    today: dict[str, Any] = client.get("/?format=json").json()["today"]
    return today


def test_the_rule_is_the_customers_own_rhythm() -> None:
    day = dt.date
    bought = [("X", day(2025, 1, 1)), ("X", day(2025, 1, 11)), ("X", day(2025, 1, 21)), ("Y", day(2025, 1, 21))]
    important = {"X": ("A",), "Y": ("VIP",)}
    # every 10 days; 16 days later is within 1.5 x 10, 16 days is not with a factor of 1.5 ... 15 is the cut
    assert quiet_customers(bought, important, as_of=day(2025, 2, 5)) == []
    found = quiet_customers(bought, important, as_of=day(2025, 2, 6))
    assert [(q.customer_code, q.mean_interval_days, q.days_since) for q in found] == [("X", 10.0, 16)]
    assert quiet_customers(bought, important, as_of=day(2025, 2, 6), config=FollowUpConfig(quiet_factor=2)) == []
    assert quiet_customers(bought, {"Y": ("VIP",)}, as_of=day(2025, 6, 1)) == []  # one purchase: no rhythm


def test_a_customer_gone_quiet_is_at_risk_with_its_value(admin: TestClient, demo: Store) -> None:
    days = sorted({d for c, d, cents in PortfolioReader(demo, EVERYTHING).revenue_by_customer_date() if c == QUIET})
    mean = (days[-1] - days[0]).days / (len(days) - 1)
    as_of = dt.date.fromisoformat(admin.get("/?format=json").json()["as_of"])
    since = (as_of - days[-1]).days
    assert (since, round(mean)) == (147, 78) and since > 1.5 * mean  # checked by hand
    today = today_of(admin)
    item = next(i for i in today["at_risk"] if i["code"] == QUIET)
    customer = admin.get(f"/customers/{QUIET}?format=json").json()
    assert customer["abc"] == "A" or customer["category"] == "vip"
    assert item["reason"] == "quiet" and item["value_cents"] == customer["clv_cents"]  # its part of the capital
    assert f"{since} days" in item["detail"] and item["next_step"] == "Call them"
    stakes = [i["value_cents"] or 0 for i in today["at_risk"]]
    assert stakes == sorted(stakes, reverse=True)
    assert admin.get("/api/v1/dashboard").json()["today"]["at_risk"] == today["at_risk"]
    page = admin.get("/").text
    assert f'href="/customers/{QUIET}"' in page and "Add to plan" in page and "Log a call" in page


def test_the_stake_of_the_customers_at_risk_is_a_share_of_the_capital(admin: TestClient) -> None:
    # the stake and the capital above it on one basis (lifetime value): before, the yearly revenue of the
    # customers at risk (3.1 M EUR on the demo) stood under a capital of 3.7 M EUR, read as 84 % of it at risk
    data = admin.get("/?format=json").json()
    capital, stake = data["equity"]["total_cents"], data["today"]["at_risk_value_cents"]
    customers = {
        c["code"]: c
        for page in (1, 2)  # the demo's 300 customers
        for c in admin.get(f"/customers?format=json&per_page=200&page={page}").json()["items"]
    }
    at_risk = admin.get("/api/v1/today").json()["today"]["at_risk"]
    assert stake == round(sum(customers[i["code"]]["clv_cents"] or 0 for i in at_risk))
    assert 0 < stake < capital
    assert f"{round(100 * stake / capital)}% of the customer capital" in admin.get("/").text


def test_a_rep_sees_only_their_scope(app: FastAPI, admin: TestClient) -> None:
    rep = logged_in(app, "jleroy")
    visible = {r["code"] for r in rep.get("/customers?format=json&per_page=200").json()["items"]}
    today = today_of(rep)
    codes = {i["code"] for key in ("at_risk", "follow_ups") for i in today[key]}
    assert codes <= visible
    everyone = {i["code"] for key in ("at_risk", "follow_ups") for i in today_of(admin)[key]}
    assert everyone - visible  # the admin's list holds customers the rep does not see


def test_add_to_plan_and_log_a_call_from_the_dashboard(admin: TestClient, demo: Store) -> None:
    added = admin.post(
        "/plan/add",
        data={"customer_code": QUIET, "title": "Call them", "back": "/", "csrf_token": token(admin)},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/"
    event = list_events(demo, limit=1, action="plan.action.add")
    assert event, "the added action is audited"
    due = today_of(admin)["actions_due"]
    assert any(a["customer_code"] == QUIET and a["title"] == "Call them" for a in due)
    logged = admin.post(
        f"/customers/{QUIET}/activities",
        data={"kind": "call", "note": "Gone quiet", "back": "/", "csrf_token": token(admin)},
        follow_redirects=False,
    )
    assert logged.status_code == 303 and logged.headers["location"] == "/"
    audit = list_events(demo, limit=1, action="activity.log")[0]
    assert audit.target == QUIET and audit.actor == "pbernard"


def test_the_timeline_and_logging_an_activity(admin: TestClient, app: FastAPI) -> None:
    code = "C00002"
    page = admin.get(f"/customers/{code}")
    assert 'action="/customers/C00002/activities"' in page.text
    sent = admin.post(
        f"/customers/{code}/activities",
        data={
            "kind": "visit",
            "occurred_on": "2025-06-20",
            "note": "Showroom visit",
            "next_on": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
            "csrf_token": token(admin),
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/customers/{code}"
    timeline = admin.get(f"/customers/{code}?format=json").json()["timeline"]
    kinds = {e["kind"] for e in timeline}
    assert {"invoice", "payment", "visit"} <= kinds
    days = [e["occurred_on"] for e in timeline]
    assert days == sorted(days, reverse=True)
    visit = next(e for e in timeline if e["note"] == "Showroom visit" and not e["planned"])
    assert visit["occurred_on"] == "2025-06-20" and visit["user"] == "pbernard"
    planned = [e for e in timeline if e["planned"]]  # the next activity, planned on its day
    assert [(e["kind"], e["note"], e["occurred_on"]) for e in planned] == [
        ("visit", "Showroom visit", (dt.date.today() + dt.timedelta(days=10)).isoformat())
    ]
    invoice = next(e for e in timeline if e["kind"] == "invoice")
    assert invoice["amount_cents"] and invoice["label"].startswith("Invoice ")
    html = admin.get(f"/customers/{code}", headers={"Accept-Language": "fr"}).text
    assert "Historique" in html and "Enregistrer l&#39;activité" in html
    assert '<span class="badge">À faire</span>' in html
    # a rep logs only on their customers
    rep = logged_in(app, "jleroy")
    visible = {r["code"] for r in rep.get("/customers?format=json&per_page=200").json()["items"]}
    other = next(c for c in ("C00001", "C00002", "C00003", "C00004", "C00005", "C00006") if c not in visible)
    refused = rep.post(f"/customers/{other}/activities", data={"kind": "call", "csrf_token": token(rep)})
    assert refused.status_code == 400


def test_update_an_actions_progress(admin: TestClient, demo: Store) -> None:
    admin.post("/plan/add", data={"customer_code": "C00003", "title": "Review", "csrf_token": token(admin)})
    plan = admin.get("/plan?format=json").json()
    action = next(a for g in plan["groups"] for a in g["actions"] if a["title"] == "Review")
    assert f'action="/plan/actions/{action["id"]}"' in admin.get("/plan").text
    sent = admin.post(
        f"/plan/actions/{action['id']}",
        data={"year": plan["year"], "progress": 40, "comments": "Half way", "csrf_token": token(admin)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    plan = admin.get("/plan?format=json").json()
    now = next(a for g in plan["groups"] for a in g["actions"] if a["id"] == action["id"])
    assert now["progress"] == 40 and now["comments"] == "Half way" and not now["done"]
    audit = list_events(demo, limit=1, action="plan.action.update")[0]
    assert audit.target == str(action["id"]) and audit.details["after"]["progress"] == 40
    admin.post(
        f"/plan/actions/{action['id']}",
        data={"year": plan["year"], "progress": 40, "done": "true", "csrf_token": token(admin)},
    )
    plan = admin.get("/plan?format=json").json()
    now = next(a for g in plan["groups"] for a in g["actions"] if a["id"] == action["id"])
    assert now["progress"] == 100 and now["done"]
    bad = admin.post(
        f"/plan/actions/{action['id']}", data={"year": plan["year"], "progress": 140, "csrf_token": token(admin)}
    )
    assert bad.status_code in (400, 422)


def test_the_dashboard_shows_the_first_customers_and_today_all_of_them(admin: TestClient) -> None:
    from clientfolio.web.routers.dashboard import TODAY_PAGE, TODAY_ROWS

    today = today_of(admin)
    whole = admin.get("/api/v1/today").json()
    assert whole["pages"] == 1 and whole["page"] == 1  # the demo's lists fit on one page of /today
    at_risk, follow_ups = whole["today"]["at_risk"], whole["today"]["follow_ups"]
    assert len(at_risk) <= TODAY_PAGE and len(follow_ups) <= TODAY_PAGE
    assert today["at_risk_count"] == len(at_risk) > TODAY_ROWS  # the demo has more than the dashboard shows
    assert today["at_risk"] == at_risk[:TODAY_ROWS] and today["follow_ups"] == follow_ups[:TODAY_ROWS]
    assert today["follow_ups_count"] == len(follow_ups)
    assert today["at_risk_value_cents"] == round(sum(i["value_cents"] or 0 for i in at_risk))
    page = admin.get("/").text
    assert 'href="/today"' in page
    listed = admin.get("/today").text
    assert all(f'href="/customers/{i["code"]}"' in listed for i in at_risk)
    assert 'name="back" value="/today"' in listed
    assert admin.get("/today?page=0").status_code == 422  # pages count from 1
    assert admin.get("/today?page=7&format=json").json()["page"] == 1  # past the last page: the last one


def test_a_planned_activity_not_made_is_a_follow_up_overdue_today(admin: TestClient, demo: Store) -> None:
    from clientfolio.access import SYSTEM
    from clientfolio.prospects.activity_log import log_activity

    code = "C00004"
    day = dt.date.today() - dt.timedelta(days=2)
    log_activity(demo, SYSTEM, kind="visit", occurred_on=day, customer_code=code, user="pbernard", planned=True)
    follow_ups = admin.get("/today?format=json").json()["today"]["follow_ups"]
    item = next(i for i in follow_ups if i["code"] == code)
    assert item["reason"] == "planned" and item["next_step"] == "Plan a visit"
    french = admin.get("/today?format=json", headers={"Accept-Language": "fr"}).json()["today"]["follow_ups"]
    item = next(i for i in french if i["code"] == code)
    assert item["label"] == "Activité prévue non faite"
    assert item["detail"].startswith("Visite à faire le ")
    log_activity(demo, SYSTEM, kind="call", occurred_on=dt.date.today(), customer_code=code, user="pbernard")
    follow_ups = admin.get("/today?format=json").json()["today"]["follow_ups"]
    assert all(i["code"] != code or i["reason"] != "planned" for i in follow_ups)
