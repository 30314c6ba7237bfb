"""Fixtures of the browser tests: the web app served by uvicorn in a
background thread on a free port, on a staffed demo portfolio
(``tests.browser.staff``), and Debian's Chromium driven by Playwright.

Chromium missing: the tests fail when ``CI`` is set, are skipped otherwise.
Each test leaves a screenshot of its last page in
``test-artifacts/screenshots/<test>.png`` (``shot`` saves intermediate ones),
taken by ``screenshot``.

axe-core (``AXE``) is fetched from the npm registry by ``scripts/test`` into
the git-ignored ``.cache/npm/``; missing, the tests that use ``axe`` fail when
``CI`` is set, are skipped otherwise.  ``with_axe`` loads it into every page of
a browser context, ``axe_violations`` runs it.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web import create_app
from tests.browser.staff import PASSWORD, RING, Outsider, outsider, staffed_store
from tests.serving import serving

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 90_000
"""How long an action or an expectation waits: the dashboard's figures take
seconds to compute on a slow, shared machine, again after each change of the data."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parents[2] / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core, installed by ``scripts/test`` (``npm install --prefix .cache/npm axe-core@4``)."""
SERIOUS = ("critical", "serious")
"""The impacts of an axe violation that fail a test."""


@dataclass(frozen=True)
class Site:
    """The served app: its base URL, store, and the out-of-scope records."""

    url: str
    store: Store
    outsider: Outsider


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a staffed demo portfolio, served on 127.0.0.1 and a free port."""
    tmp = tmp_path_factory.mktemp("browser")
    store = staffed_store(f"sqlite:///{tmp}/demo.db")
    settings = Settings(database_url=store.url, key_file=str(tmp / "absent.key"))
    app = create_app(settings, store=store, ring=RING)
    try:
        with serving(app) as url:
            yield Site(url, store, outsider(store))
    finally:
        store.dispose()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (scripts/test installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def axe() -> Path:
    """The path of ``axe.min.js`` (skip, or fail in CI, when it is missing)."""
    if not AXE.exists():
        message = f"axe-core not found at {AXE} (scripts/test installs it from the npm registry)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def with_axe(context: BrowserContext, axe_js: Path) -> None:
    """Load axe-core into every page of ``context`` as it starts, before the
    page's own scripts: an init script, sent to the browser once per context
    (``axe_violations`` adding a ``<script>`` to each page sent its 650 kB
    through the driver every time, and left it in the DOM that axe audited).
    It defines ``window.axe`` and touches nothing else: on every page, axe's
    violations, passes, incomplete and inapplicable rules, and the page's
    width, are the same either way."""
    context.add_init_script(path=str(axe_js))


def axe_violations(page: Page, axe_js: Path) -> list[str]:
    """The critical and serious axe-core violations of ``page`` as it is now:
    ``rule (impact): target, ...``; axe is injected into the page when its
    context did not load it (``with_axe``; the CSP is bypassed by the context,
    so the script can be injected)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(
            v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
                   count: v.nodes.length}))"""
    )
    return [
        f"{v['id']} ({v['impact']}, {v['count']}x): {', '.join(v['targets'])}" for v in found if v["impact"] in SERIOUS
    ]


_PAGE_SIZE = """async () => {
    await document.fonts.ready;
    const b = document.body, d = document.documentElement;
    return b && d && [
        Math.max(b.scrollWidth, d.scrollWidth, b.offsetWidth, d.offsetWidth, b.clientWidth, d.clientWidth),
        Math.max(b.scrollHeight, d.scrollHeight, b.offsetHeight, d.offsetHeight, b.clientHeight, d.clientHeight)];
}"""
"""The size of the whole page, measured as Playwright's ``full_page`` screenshot does, once the fonts are ready."""


def screenshot(page: Page, path: Path) -> None:
    """Save the whole page as a PNG at ``path``: the pixels of
    ``page.screenshot(path=path, full_page=True)`` (same area, same capture),
    but encoded by Chromium's fast PNG encoder (``optimizeForSpeed``: a third
    less CPU for a quarter larger file) and without hiding the text caret."""
    size = page.evaluate(_PAGE_SIZE)
    if not size:  # no document to measure
        page.screenshot(path=path, full_page=True)
        return
    width, height = size
    view = page.viewport_size or {"width": 0, "height": 0}
    capture = {
        "format": "png",
        "optimizeForSpeed": True,
        "captureBeyondViewport": width > view["width"] or height > view["height"],
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    }
    cdp = page.context.new_cdp_session(page)
    try:
        data = cdp.send("Page.captureScreenshot", capture)["data"]
    finally:
        cdp.detach()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(data))


def _artifact_name(node_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name).strip("_")


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookie), in English, downloads accepted."""
    ctx = browser.new_context(
        base_url=site.url, locale="en-GB", accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A tab of ``context``; its last view is saved as ``<test>.png``."""
    tab = context.new_page()
    yield tab
    screenshot(tab, SCREENSHOTS / f"{_artifact_name(request.node.name)}.png")


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``shot(step)``: save the page now as ``<test>-<step>.png``."""

    def save(step: str) -> None:
        screenshot(page, SCREENSHOTS / f"{_artifact_name(request.node.name)}-{step}.png")

    return save


def log_in(page: Page, username: str, password: str = PASSWORD, *, then: str = "/") -> None:
    """Log in through the login form, and land on ``then``."""
    page.goto(f"/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button")
    page.wait_for_url(re.compile(re.escape(then) + r"$"))
