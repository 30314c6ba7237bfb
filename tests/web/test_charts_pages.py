"""The dashboard's quarterly trend, the customer page's chart, the quadrant
chart on a log scale, and the upload size limit of the import and trace pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from clientfolio.store import Store
from clientfolio.store.schema import AuditEntry, Customer, ImportBatch
from tests.web.conftest import client_of, csrf_of, logged_in, login, make_app
from tests.web.pages_fixtures import TestClient

SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def charts_of(html: str) -> dict[str, ET.Element]:
    """The page's SVG charts by their class ``chart-<kind>`` and title."""
    found = {}
    for svg in SVG.findall(html):
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        title = root.find("{http://www.w3.org/2000/svg}title")
        found[title.text or "" if title is not None else ""] = root
    return found


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> TestClient:
    return logged_in(app, "pbernard")


def test_the_dashboard_has_the_eight_quarter_trend(admin: TestClient) -> None:
    data = admin.get("/?format=json").json()
    quarters = data["quarters"]
    assert [q["quarter"] for q in quarters] == [
        "2023-Q3",
        "2023-Q4",
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
    ]  # as of 2025-06-30
    assert all(q["revenue_cents"] >= 0 and 0 <= q["active"] <= data["customers"] for q in quarters)
    assert any(q["active"] > 0 for q in quarters)
    # the last four quarters are the last twelve months of the measures
    assert sum(q["revenue_cents"] for q in quarters[4:]) == data["measures"]["current"]["revenue_cents"]
    charts = charts_of(admin.get("/").text)
    revenue = charts["Revenue per quarter, last eight quarters"]
    customers = charts["Active customers per quarter, last eight quarters"]
    assert "chart-line" in (revenue.get("class") or "") and "chart-line" in (customers.get("class") or "")
    desc = customers.find("{http://www.w3.org/2000/svg}desc").text or ""  # type: ignore[union-attr]
    assert "Q3\u00a02023" in desc and "Q2\u00a02025" in desc and "2023-Q3" not in desc  # quarters as readers write them
    # the quadrant chart is on a log scale, and says so
    quadrant = charts["Value strategy: profitability x potential"]
    labels = [
        t.text for t in quadrant.iter("{http://www.w3.org/2000/svg}text") if "axis-label" in (t.get("class") or "")
    ]
    assert labels and all(label and label.endswith("(log scale)") for label in labels)


def test_the_customer_page_has_its_quarterly_chart(admin: TestClient) -> None:
    code = admin.get("/customers?sort=-revenue&format=json").json()["items"][0]["code"]
    detail = admin.get(f"/customers/{code}?format=json").json()
    assert detail["history"] and "chart" not in detail
    charts = charts_of(admin.get(f"/customers/{code}").text)
    bars = charts["Revenue per quarter"]
    values = [
        float(r.get("data-value", "nan"))
        for r in bars.iter("{http://www.w3.org/2000/svg}rect")
        if r.get("class") == "bar"
    ]
    assert values == [h["revenue_cents"] for h in detail["history"]]


@pytest.fixture(scope="module")
def small(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """An app that accepts uploads of 1 MB at most."""
    return make_app(demo, tmp_path_factory.mktemp("small"), web_max_upload_mb=1)


def _counts(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(Customer)).scalar_one(),
            conn.execute(select(func.count()).select_from(ImportBatch)).scalar_one(),
            conn.execute(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("import%"))
            ).scalar_one(),
        )


def _big_csv(size: int) -> bytes:
    """A valid customers file of about ``size`` bytes (it would import)."""
    lines, total, n = [b"Code client;Raison sociale\n"], 0, 0
    while total < size:
        lines.append(f"Y{n:07d};Société numéro {n} SAS\n".encode())
        total += len(lines[-1])
        n += 1
    return b"".join(lines)


@pytest.mark.parametrize("size", [1024 * 1024 + 20_000, 3 * 1024 * 1024])  # the pages' check, the length's
def test_an_upload_beyond_the_limit_is_refused_and_nothing_is_imported(small: FastAPI, demo: Store, size: int) -> None:
    client = logged_in(small, "pbernard")
    before = _counts(demo)
    body = _big_csv(size)
    answer = client.post(
        "/import",
        data={"csrf_token": csrf_of(client.get("/import").text)},
        files={"file": ("clients.csv", body, "text/csv")},
    )
    assert answer.status_code == 413 and "larger than the limit of 1 MB" in answer.text
    assert "nothing was imported" in answer.text
    as_json = client.post(
        "/import?format=json",
        data={"csrf_token": csrf_of(client.get("/import").text)},
        files={"file": ("clients.csv", body, "text/csv")},
    )
    assert as_json.status_code == 413 and "1 MB" in as_json.json()["detail"]
    trace = client.post(
        "/trace",
        data={"csrf_token": csrf_of(client.get("/trace").text)},
        files={"file": ("leak.csv", body, "text/csv")},
    )
    assert trace.status_code == 413
    assert _counts(demo) == before


def test_the_refusal_is_in_the_pages_language_and_a_small_file_passes(small: FastAPI, demo: Store) -> None:
    client = client_of(small, headers={"Accept-Language": "fr"})
    assert login(client, "pbernard").status_code == 303
    answer = client.post(
        "/import",
        data={"csrf_token": csrf_of(client.get("/import").text), "dry_run": "1"},
        files={"file": ("clients.csv", _big_csv(2 * 1024 * 1024), "text/csv")},
    )
    assert answer.status_code == 413 and "dépasse la limite de 1 Mo" in answer.text
    small_file = client.post(
        "/import?format=json",
        data={"csrf_token": csrf_of(client.get("/import").text), "dry_run": "1"},
        files={"file": ("clients.csv", _big_csv(200_000), "text/csv")},
    )
    assert small_file.status_code == 200 and small_file.json()["result"]["dry_run"] is True


def test_the_setting_is_described(tmp_path: Path) -> None:
    from clientfolio.settings import Settings

    assert Settings().web_max_upload_mb == 20
    assert any(name == "CLIENTFOLIO_WEB_MAX_UPLOAD_MB" and "413" in text for name, _, text in Settings.describe())
