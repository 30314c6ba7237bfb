"""In a real browser: log in, read the dashboard and its charts, open a
customer, switch the language; a sales rep of one region never sees another
region's customer."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, log_in
from tests.browser.staff import HOME, OTHER, PASSWORD, SCOPED, UNRESTRICTED

pytestmark = pytest.mark.browser


def test_a_wrong_password_is_refused_then_the_right_one_opens_the_dashboard(
    page: Page,
    shot: Callable[[str], None],
) -> None:
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", UNRESTRICTED)
    page.fill("input[name=password]", "not the password at all")
    page.click("form[action='/login'] button")
    expect(page.get_by_role("alert")).to_contain_text("unknown user name or wrong password")
    shot("refused")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button")
    expect(page).to_have_url(re.compile(r"/customers$"))  # back where the user was going
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")


def test_the_dashboard_draws_its_charts(page: Page) -> None:
    log_in(page, UNRESTRICTED)
    charts = page.locator("svg[role=img]")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 3
    marks = [
        charts.nth(i).locator("path, rect, polyline, polygon, circle, line").count() for i in range(charts.count())
    ]
    drawn = charts.nth(max(range(len(marks)), key=marks.__getitem__))
    assert max(marks) > 3, marks
    drawn.scroll_into_view_if_needed()
    expect(drawn).to_be_visible()
    box = drawn.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    assert (drawn.locator(":scope > title").text_content() or "").strip()  # the chart's accessible name


def test_open_a_customer_from_the_list(page: Page, site: Site) -> None:
    log_in(page, UNRESTRICTED, then="/customers")
    page.fill("input[name=q]", site.outsider.home_customer_code)
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=site.outsider.home_customer_code, exact=True).click()
    expect(page).to_have_url(re.compile(f"/customers/{site.outsider.home_customer_code}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(site.outsider.home_customer_name)
    expect(page.locator("dl.facts")).to_contain_text("SIREN")


def test_switch_to_french_and_back(page: Page) -> None:
    log_in(page, SCOPED["sales"], then="/customers")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Français").click()
    expect(page).to_have_url(re.compile(r"/customers$"))  # the same page ...
    expect(page.locator("html")).to_have_attribute("lang", "fr")  # ... in French
    expect(page.get_by_role("navigation", name="Principal").get_by_role("link", name="Tableau de bord")).to_be_visible()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")  # kept for the user
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_sales_rep_never_sees_another_regions_customer(page: Page, site: Site, shot: Callable[[str], None]) -> None:
    other = site.outsider
    log_in(page, SCOPED["sales"], then="/customers?per_page=200")
    table = page.locator("table.list tbody")
    expect(table.get_by_role("link", name=other.home_customer_code, exact=True)).to_be_visible()
    assert other.customer_code not in table.inner_text()
    assert other.customer_name not in page.content()
    regions = page.locator("select[name=region] option").evaluate_all("options => options.map(o => o.value)")
    assert set(regions) == {"", HOME}, regions  # the region filter offers only the rep's region
    page.fill("input[name=q]", other.customer_code)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.list tbody")).to_contain_text("No customer matches.")
    shot("search")
    # typing the URL: the same 404 as an unknown customer
    response = page.goto(f"/customers/{other.customer_code}")
    assert response is not None and response.status == 404
    refused = page.locator("main").inner_text()
    assert other.customer_name not in page.content()
    shot("url")
    unknown = page.goto("/customers/C99999")
    assert unknown is not None and unknown.status == 404
    assert page.locator("main").inner_text() == refused.replace(other.customer_code, "C99999")
    # and through the API, with the browser's session
    api = page.request.get(f"/api/v1/customers/{other.customer_code}")
    assert api.status == 404 and other.customer_name not in api.text()
    listed = page.request.get("/api/v1/customers?per_page=200").json()
    assert listed["total"] > 0
    assert other.customer_code not in {row["code"] for row in listed["items"]}
    assert all(row["region"] != OTHER for row in listed["items"])
