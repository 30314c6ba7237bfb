"""In a real browser: import a file with an error then the corrected one,
accept a suggested action into the plan, make an export and trace it."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, Site, log_in, screenshot
from tests.browser.staff import HOME, SCOPED, UNRESTRICTED

pytestmark = pytest.mark.browser


def luhn_siren(body: str) -> str:
    """``body`` (8 digits) and the check digit that makes a valid SIREN."""
    for last in "0123456789":
        digits = [int(d) for d in body + last]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return body + last
    raise AssertionError("no check digit")


def test_import_a_file_with_an_error_then_the_corrected_one(
    page: Page, tmp_path: Path, shot: Callable[[str], None]
) -> None:
    good_siren = luhn_siren("73282932")
    bad_siren = good_siren[:-1] + str((int(good_siren[-1]) + 1) % 10)
    head = "Code client;Raison sociale;SIREN;Région;Segment\n"
    bad, good = tmp_path / "clients.csv", tmp_path / "clients-corrige.csv"
    bad.write_text(
        head + f"Z0001;Atelier Neuf SARL;{good_siren};{HOME};IND\nZ0002;Forge du Canal SAS;{bad_siren};{HOME};IND\n",
        encoding="utf-8",
    )
    good.write_text(
        head + f"Z0001;Atelier Neuf SARL;{good_siren};{HOME};IND\n"
        f"Z0002;Forge du Canal SAS;{luhn_siren('55210055')};{HOME};IND\n",
        encoding="utf-8",
    )
    log_in(page, UNRESTRICTED, then="/import")
    page.set_input_files("input[name=file]", bad)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 bad row.")
    errors = page.locator("section.error table tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("SIREN")
    expect(errors.first).to_contain_text(bad_siren)
    shot("rejected")
    page.set_input_files("input[name=file]", good)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rows read: 2")
    shot("imported")
    page.goto("/customers?q=Z000")
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    expect(page.locator("table.list tbody")).to_contain_text("Forge du Canal SAS")


def test_accept_a_suggested_action(page: Page) -> None:
    log_in(page, SCOPED["manager"], then="/plan")
    rows = page.locator("tr", has=page.get_by_role("button", name="Accept", exact=True))
    expect(rows.first).to_be_visible()
    before = rows.count()
    title = rows.first.locator("td").nth(1).inner_text()
    rows.first.get_by_role("button", name="Accept", exact=True).click()
    expect(page).to_have_url(re.compile(r"/plan\?year=\d{4}$"))
    assert rows.count() == before - 1
    suggested = page.locator("tr", has_text=title).filter(has_text="In the plan")
    expect(suggested.first).to_be_visible()
    planned = page.locator("section.panel table").first
    expect(planned).to_contain_text(title)  # the action is in the plan now


def test_make_an_export_and_trace_it(
    page: Page, browser: Browser, site: Site, tmp_path: Path, shot: Callable[[str], None]
) -> None:
    log_in(page, SCOPED["admin"], then="/export")
    page.fill("input[name=recipient]", "Cabinet Expertise Comptable Martin")
    page.fill("input[name=purpose]", "Revue annuelle des comptes clients")
    page.select_option("select[name=headers]", "codes")  # for the check below; the default is names (labels)
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Export and download").click()
    bundle = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(bundle)
    uid = re.search(r"-(X\d{8}-[0-9a-f]{12})\.zip$", bundle.name)
    assert uid, bundle.name
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        data = next(n for n in names if n.endswith(".csv"))
        leaked = tmp_path / data
        leaked.write_bytes(z.read(data))
    assert len(names) == 2, names  # the file and its signed manifest
    text = leaked.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) > 5
    assert {row["region"] for row in rows} == {HOME}  # the admin's scope, ...
    assert site.outsider.home_customer_code in {row["code"] for row in rows}
    assert site.outsider.siren and site.outsider.siren not in text  # ... and no more (a code could be a trap's)
    page.goto("/export")
    expect(page.locator("main")).to_contain_text("Cabinet Expertise Comptable Martin")
    shot("registered")
    # the auditor traces the file found outside
    auditor = browser.new_context(base_url=site.url, locale="en-GB")
    auditor.set_default_timeout(TIMEOUT_MS)
    try:
        tab = auditor.new_page()
        log_in(tab, SCOPED["auditor"], then="/trace")
        tab.set_input_files("input[name=file]", leaked)
        tab.get_by_role("button", name="Trace", exact=True).click()
        match = tab.locator("h2.match")
        expect(match).to_contain_text("Cabinet Expertise Comptable Martin")
        expect(match).to_contain_text(uid.group(1))
        expect(tab.locator("dl.facts")).to_contain_text(SCOPED["admin"])
        screenshot(tab, SCREENSHOTS / "test_make_an_export_and_trace_it-traced.png")
    finally:
        auditor.close()


def test_log_a_call_from_a_customer_page(page: Page, shot: Callable[[str], None]) -> None:
    log_in(page, UNRESTRICTED, then="/customers")
    page.locator("table.list tbody tr a").first.click()
    expect(page.locator("#timeline")).to_be_visible()
    form = page.locator("form.log-activity")
    form.locator("select[name=kind]").select_option("call")
    form.locator("input[name=note]").fill("Called about the spring order")
    form.get_by_role("button", name="Log the activity").click()
    expect(page).to_have_url(re.compile(r"/customers/[^/?#]+$"))
    first = page.locator("ol.timeline li").filter(has_text="Called about the spring order")
    expect(first).to_have_count(1)
    expect(first).to_contain_text("Call")
    shot("logged")


def test_update_an_actions_progress(page: Page, shot: Callable[[str], None]) -> None:
    log_in(page, UNRESTRICTED, then="/")
    page.locator("#today").get_by_role("button", name="Add to plan").first.click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/plan")
    form = page.locator("form.action-update").first
    form.locator("input[name=progress]").fill("60")
    form.locator("textarea[name=comments]").fill("Quote sent")
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/plan\?year=\d{4}$"))
    row = page.locator("tr", has=page.locator("form.action-update")).filter(has_text="Quote sent").first
    expect(row).to_contain_text("60 %")
    shot("updated")
