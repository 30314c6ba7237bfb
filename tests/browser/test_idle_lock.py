"""In a real browser: the idle lock (``static/idle.js``) closes the session
after ``session_idle_minutes`` without activity and shows the login page
saying so; activity before then keeps the page.  The page's clock is
Playwright's fake clock, fast-forwarded."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, log_in
from tests.browser.staff import UNRESTRICTED

pytestmark = pytest.mark.browser


def test_an_idle_page_locks_the_session(page: Page, site: Site) -> None:
    page.clock.install()
    log_in(page, UNRESTRICTED, then="/security/awareness")
    page.clock.fast_forward("29:00")
    page.mouse.move(10, 10)  # activity restarts the 30 minutes
    page.clock.fast_forward("29:00")
    expect(page).to_have_url(re.compile(r"/security/awareness$"))
    page.clock.fast_forward("01:01")
    page.wait_for_url(re.compile(r"/login\?locked=1&next=%2Fsecurity%2Fawareness$"))
    expect(page.get_by_role("status")).to_contain_text("locked after 30 minutes without activity")
    page.goto("/security/awareness")  # the session was closed on the server too
    expect(page).to_have_url(re.compile(r"/login"))
