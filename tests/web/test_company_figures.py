"""The company's figures are not shown to scoped users (issue 14): a manager
who sees the whole company keeps every suggested SWOT item (churn, solvency,
largest customer's share, self-assessment marks... computed on the whole
company); a user scoped to one region then sees none of those stored texts on
the SWOT page (HTML and JSON), in the plan XLSX or in the annual review, but
the items suggested on its own scope.  The unrestricted manager does see them
(the control), on SQLite and PostgreSQL (the matrix's stores)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import or_, select

from clientfolio.plan.swot import COMPANY_FIGURE_KEYS
from clientfolio.store import Store
from clientfolio.store.schema import SwotItem
from tests.browser.staff import SCOPED, UNRESTRICTED
from tests.web.test_access_matrix import matrix_app, session_of, staffed, text_of  # noqa: F401 - fixtures
from tests.web.test_scoped_writes import token_of


def company_texts(store: Store) -> list[str]:
    """The stored company items' texts that hold a figure."""
    with store.engine.connect() as conn:
        texts = conn.execute(
            select(SwotItem.text).where(
                SwotItem.accepted, or_(SwotItem.customer_id.is_(None), SwotItem.key.in_(COMPANY_FIGURE_KEYS))
            )
        ).scalars()
        return [t for t in texts if re.search(r"\d", t)]


def outputs(client, exporter: bool) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every output of the SWOT items: the page, its JSON, the plan XLSX, the review (HTML)."""
    found = {
        "/swot": client.get("/swot").text,
        "/swot (JSON)": client.get("/swot", headers={"Accept": "application/json"}).text,
        "/plan/export.xlsx": text_of(client.get("/plan/export.xlsx").content),
    }
    if exporter:
        answer = client.post(
            "/report", data={"format": "html", "lang": "en", "csrf_token": token_of(client, "/report")}
        )
        assert answer.status_code == 200, answer.text[:300]
        found["/report"] = text_of(answer.content)
    return found


def shown(text: str, body: str) -> bool:
    """Whether ``text``'s figures (from its first digit on: the review marks the
    customer names before) are in ``body``, raw or escaped."""
    found = re.search(r"\d", text)
    tail = text[found.start() :] if found else text
    return any(t in body for t in (tail, str(escape(tail)), tail.replace("&", "&amp;")))


@pytest.fixture(scope="module")
def kept(matrix_app: FastAPI, staffed: Store) -> list[str]:
    """The company items kept by the unrestricted manager (each with a figure)."""
    boss = session_of(matrix_app, UNRESTRICTED)
    answer = boss.post(
        "/swot/decide", data={"all": "true", "csrf_token": token_of(boss, "/swot")}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]
    texts = company_texts(staffed)
    assert texts, "no company item with a figure: the test proves nothing"
    return texts


def test_the_unrestricted_manager_sees_the_company_figures(matrix_app: FastAPI, kept: list[str]) -> None:
    for where, body in outputs(session_of(matrix_app, UNRESTRICTED), exporter=True).items():
        assert all(shown(t, body) for t in kept), f"{where} lacks the company's items"


@pytest.mark.parametrize("role", ["manager", "sales", "auditor", "contractor"])
def test_a_scoped_user_sees_no_company_figure(role: str, matrix_app: FastAPI, kept: list[str]) -> None:
    client = session_of(matrix_app, SCOPED[role])
    page = client.get("/swot", headers={"Accept": "application/json"}).json()
    own = "\n".join(s["text"] for q in page["quadrants"] for s in q["suggested"])
    company = [t for t in kept if not shown(t, own)]  # not a figure of the scope too (100 % of both...)
    assert company, "every company figure is the scope's too: the test proves nothing"
    problems = [
        f"{where} shows {t!r}"
        for where, body in outputs(client, exporter=role == "manager").items()
        for t in company
        if shown(t, body)
    ]
    assert not problems, "\n".join(problems)


def test_a_scoped_user_is_suggested_items_of_its_scope(matrix_app: FastAPI, kept: list[str]) -> None:
    """The company's stored items do not hide the scoped user's own suggestions."""
    page = session_of(matrix_app, SCOPED["sales"]).get("/swot", headers={"Accept": "application/json"}).json()
    assert any(q["suggested"] for q in page["quadrants"])
    assert not any(i["text"] in kept for q in page["quadrants"] for i in q["items"])
