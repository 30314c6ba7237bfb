"""Every page on a laptop (1366 x 900) and on a phone (390 x 844), in French
and in English, for the admin and for a sales rep of one region: no
horizontal scroll of the page (wide tables and charts scroll inside their
own box), and no critical or serious axe-core violation.  Each page's
screenshot is saved as ``responsive-<user>-<lang>-<width>-<page>.png``.

One logged-in browser context per user, language and size walks its pages,
from the dashboard the login lands on (not loaded a second time), with
axe-core loaded into each page as it starts (``with_axe``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import SCREENSHOTS, TIMEOUT_MS, Site, axe_violations, log_in, screenshot, with_axe
from tests.browser.staff import SCOPED

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1366, 900), "phone": (390, 844)}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
USERS = {"admin": SCOPED["admin"], "rep": SCOPED["sales"]}
PAGES = ("/", "/customers", "customer", "/prospects", "/plan", "/swot", "/assessment", "/import", "/export", "/report")
ADMIN_PAGES = ("/trace", "/admin")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("who", USERS)
def test_every_page_fits_the_screen_and_passes_axe(
    browser: Browser, site: Site, axe: Path, who: str, lang: str, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=site.url, locale=LOCALES[lang], viewport={"width": width, "height": height}, bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    with_axe(context, axe)
    problems: list[str] = []
    try:
        page = context.new_page()
        log_in(page, USERS[who])  # on the dashboard, the first page of the walk
        if page.evaluate("document.documentElement.lang") != lang:  # another test left the user's language
            with page.expect_navigation():
                page.click(f"button[name=lang][value={lang}]")  # back to the dashboard, in ``lang``
        for path in PAGES + (ADMIN_PAGES if who == "admin" else ()):
            url = f"/customers/{site.outsider.home_customer_code}" if path == "customer" else path
            if page.url != site.url + url:  # the dashboard is already there: the same GET, not reloaded
                page.goto(url)
            assert page.evaluate("document.documentElement.lang") == lang, url
            name = re.sub(r"[^a-z]+", "-", path.strip("/")) or "dashboard"
            screenshot(page, SCREENSHOTS / f"responsive-{who}-{lang}-{width}-{name}.png")
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                problems.append(f"{url}: the page is {scroll} px wide on a {inner} px screen")
            problems.extend(f"{url}: {v}" for v in axe_violations(page, axe))
    finally:
        context.close()
    assert not problems, "\n".join(problems)
