"""Writes scoped like reads through the web (issue 14): every writing role
scoped to one region, on SQLite and PostgreSQL (the matrix's stores), tries the
attacker's writes on another region or on the whole company: refused, nothing
changed."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from clientfolio.store import Store
from clientfolio.store.schema import Customer, Plan, Region, SwotItem
from tests.browser.staff import SCOPED, UNRESTRICTED, Outsider
from tests.web.conftest import TOKEN_PAGE
from tests.web.test_access_matrix import matrix_app, record, session_of, staffed  # noqa: F401 - fixtures

WRITERS = ["admin", "manager", "sales"]


def token_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def region_of(store: Store, code: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(Region.code).join(Customer, Customer.region_id == Region.id).where(Customer.code == code)
            ).scalar_one()
        )


@pytest.mark.parametrize("role", WRITERS)
@pytest.mark.parametrize("dry_run", [True, False])
def test_import_cannot_take_another_regions_customer(
    role: str, dry_run: bool, matrix_app: FastAPI, staffed: Store, record: Outsider
) -> None:
    client = session_of(matrix_app, SCOPED[role])
    token = token_of(client, "/import")
    body = f"code;nom;region\n{record.customer_code};;IDF\n".encode()
    answer = client.post(
        "/import",
        data={"kind": "customers", "csrf_token": token, **({"dry_run": "true"} if dry_run else {})},
        files={"file": ("take.csv", body, "text/csv")},
    )
    assert answer.status_code == 422, answer.text[:500]
    assert region_of(staffed, record.customer_code) != "IDF"
    assert client.get(f"/api/v1/customers/{record.customer_code}").status_code in {403, 404}


@pytest.mark.parametrize("role", WRITERS)
def test_a_scoped_user_cannot_change_company_items(role: str, matrix_app: FastAPI, staffed: Store) -> None:
    client = session_of(matrix_app, SCOPED[role])
    token = token_of(client, TOKEN_PAGE)
    with staffed.engine.connect() as conn:
        before = conn.execute(select(Plan.budget_year, Plan.company, Plan.vision)).all()
        items = conn.execute(select(SwotItem.id, SwotItem.text)).all()
    answer = client.post(
        "/plan/header",
        data={"year": 2025, "company": "Pris", "vision": "Pris", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    answer = client.post(
        "/swot/items", data={"quadrant": "threats", "text": "Pris", "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 403
    with staffed.engine.connect() as conn:
        assert conn.execute(select(Plan.budget_year, Plan.company, Plan.vision)).all() == before
        assert conn.execute(select(SwotItem.id, SwotItem.text)).all() == items


def test_the_refusal_is_in_french(matrix_app: FastAPI) -> None:
    client = session_of(matrix_app, SCOPED["sales"])
    client.headers["Accept-Language"] = "fr"
    token = token_of(client, TOKEN_PAGE)
    answer = client.post(
        "/plan/header", data={"year": 2025, "company": "Pris", "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "toute l&#39;entreprise" in answer.text or "toute l'entreprise" in answer.text


def test_an_unrestricted_manager_may_change_the_header(matrix_app: FastAPI) -> None:
    client = session_of(matrix_app, UNRESTRICTED)
    token = token_of(client, TOKEN_PAGE)
    answer = client.post(
        "/plan/header", data={"year": 2031, "company": "Clientfolio", "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
