"""The access matrix: every route of the app (pages and ``/api/v1``, taken
from ``app.routes``, so that a new page is covered at once) x every role,
each user scoped to one region, asked for records of another region.

- every GET answers without the other region's customer and prospect (code,
  name, SIREN), as HTML and as JSON: a page without them, 403 or 404;
- every 403, and every 404 of an out-of-scope record, writes an audit entry
  of that user;
- every POST without its CSRF token is refused (403, audited);
- a manager without scope does see the record (the matrix can fail).

A route whose path parameters have no value in ``PATH_VALUES`` fails the
matrix: give it the out-of-scope record it should refuse.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from markupsafe import escape
from sqlalchemy import select, text

from clientfolio.access import SYSTEM
from clientfolio.protect.audit import AuditEvent, list_events
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import Prospect
from clientfolio.web import create_app
from tests.browser.staff import PASSWORD, RING, SCOPED, UNRESTRICTED, Outsider, outsider
from tests.web.conftest import StaffedTemplates

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PATH_VALUES: dict[str, Callable[[Outsider], dict[str, str]]] = {
    "/customers/{code}": lambda o: {"code": o.customer_code},
    "/api/v1/customers/{code}": lambda o: {"code": o.customer_code},
    "/customers/{code}/activities": lambda o: {"code": o.customer_code},
    "/plan/actions/{action_id}": lambda o: {"action_id": "999999"},  # no such action in the scope
}
"""Route path -> its path parameters, filled with a record OUTSIDE the users' scope."""

ALLOWED = {200, 303, 403, 404}
"""What a GET may answer: the page (without the record), a redirect, a refusal."""


@dataclass(frozen=True)
class Endpoint:
    """A route of the app: method, path template and the URL asked for."""

    method: str
    template: str
    url: str
    params: dict[str, str]


def endpoints(app: FastAPI, record: Outsider) -> Iterator[Endpoint]:
    """Every (method, route) of ``app`` (HEAD and the static files left out),
    its path filled with ``record``; ``KeyError`` names a route without values."""
    for route in iter_route_contexts(app.routes):
        if not route.methods:  # the /static mount: files of the app, no data
            continue
        path = route.path or ""
        names = re.findall(r"{(\w+)(?::\w+)?}", path)
        values = PATH_VALUES[path](record) if names else {}
        if set(names) != set(values):
            raise KeyError(f"{path}: PATH_VALUES gives {sorted(values)}, the route takes {sorted(names)}")
        url = re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)
        for method in sorted(route.methods - {"HEAD"}):
            yield Endpoint(method, path, url, values)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def staffed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, staffed_templates: StaffedTemplates
) -> Iterator[Store]:
    """The staffed demo portfolio (``STAFFED_CUSTOMERS``) on SQLite, then on a new
    PostgreSQL database: this module's own copy of the session's."""
    with staffed_templates.copy(request.param, tmp_path_factory.mktemp("matrix")) as store:
        yield store


@pytest.fixture(scope="module")
def matrix_app(staffed: Store, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(database_url=staffed.url, key_file=str(tmp_path_factory.mktemp("k") / "absent.key"))
    return create_app(settings, store=staffed, ring=RING)


@pytest.fixture(scope="module")
def record(staffed: Store) -> Outsider:
    return outsider(staffed)


def session_of(app: FastAPI, username: str) -> TestClient:
    """A client logged in as ``username`` through the login form (a session cookie)."""
    client = TestClient(app, headers={"Accept-Language": "en"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token, "no CSRF token on the login page"
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def text_of(content: bytes) -> str:
    """A response's text; the text of every member of a ZIP (XLSX, export bundle)."""
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())
    return content.decode("utf-8", "replace")


def leaks(body: str, record: Outsider, asked: str) -> list[str]:
    """The identifying strings of ``record`` found in ``body`` (raw or
    HTML-escaped), once the URL asked for (echoed in the page's forms) is taken out."""
    body = body.replace(asked, "")
    return [s for s in record.identifying() if s in body or str(escape(s)) in body]


def last_seq(store: Store) -> int:
    events = list_events(store, limit=1)
    return events[0].seq if events else 0


def events_since(store: Store, seq: int) -> list[AuditEvent]:
    return [e for e in list_events(store, limit=50) if e.seq > seq]


def test_every_route_has_out_of_scope_values(matrix_app: FastAPI, record: Outsider) -> None:
    found = list(endpoints(matrix_app, record))
    assert {e.template for e in found if e.params} == set(PATH_VALUES), "PATH_VALUES names a route that is gone"
    assert any(e.template.startswith("/api/v1/") for e in found) and any(e.template == "/" for e in found)


@pytest.mark.parametrize("role", sorted(SCOPED))
def test_no_route_shows_another_regions_records(
    role: str, matrix_app: FastAPI, staffed: Store, record: Outsider
) -> None:
    username = SCOPED[role]
    client = session_of(matrix_app, username)
    problems: list[str] = []
    for endpoint in endpoints(matrix_app, record):
        if endpoint.method != "GET":
            continue
        for accept in ("text/html", "application/json"):
            before = last_seq(staffed)
            answer = client.get(endpoint.url, headers={"Accept": accept}, follow_redirects=False)
            where = f"{role} GET {endpoint.url} ({accept}) -> {answer.status_code}"
            if answer.status_code not in ALLOWED:
                problems.append(f"{where}: unexpected status")
            body = text_of(answer.content)
            for sent in (record.customer_code, record.prospect_code):  # the code asked for, echoed
                body = body.replace(sent, "")
            if found := leaks(body, record, endpoint.url):
                problems.append(f"{where}: shows {found}")
            refused = answer.status_code == 403 or (answer.status_code == 404 and endpoint.params)
            if refused and not any(e.actor == username for e in events_since(staffed, before)):
                problems.append(f"{where}: refusal not in the audit log")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", sorted(SCOPED))
def test_every_post_without_csrf_token_is_refused_and_audited(
    role: str, matrix_app: FastAPI, staffed: Store, record: Outsider
) -> None:
    username = SCOPED[role]
    client = session_of(matrix_app, username)
    posts = [e for e in endpoints(matrix_app, record) if e.method not in ("GET", "HEAD")]
    assert posts, "no state-changing route found"
    problems: list[str] = []
    for endpoint in posts:
        before = last_seq(staffed)
        answer = client.request(
            endpoint.method,
            endpoint.url,
            data={"lang": "fr", "username": username},
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )
        where = f"{role} {endpoint.method} {endpoint.url} without CSRF token -> {answer.status_code}"
        if answer.status_code != 403:
            problems.append(f"{where}: not refused")
        elif not any(e.actor == username and e.action == "web.refused" for e in events_since(staffed, before)):
            problems.append(f"{where}: refusal not in the audit log")
        if found := leaks(answer.text, record, endpoint.url):
            problems.append(f"{where}: shows {found}")
    assert client.get("/api/v1/me").status_code == 200, "a refused POST ended the session"
    assert not problems, "\n".join(problems)


def test_an_anonymous_request_sees_nothing(matrix_app: FastAPI, record: Outsider) -> None:
    client = TestClient(matrix_app)
    for endpoint in endpoints(matrix_app, record):
        if endpoint.method == "GET":
            answer = client.get(endpoint.url, follow_redirects=False)
            assert answer.status_code in {200, 303, 401}, endpoint
            assert not leaks(answer.text, record, endpoint.url), endpoint


def test_a_manager_without_scope_sees_the_record(matrix_app: FastAPI, record: Outsider) -> None:
    """The control: the matrix does catch the record when it is shown."""
    client = session_of(matrix_app, UNRESTRICTED)
    for url in (f"/customers/{record.customer_code}", f"/api/v1/customers/{record.customer_code}"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert record.customer_name in leaks(answer.text, record, url)
    listed = client.get("/api/v1/customers", params={"q": record.customer_code}).text
    assert record.customer_code in leaks(listed, record, "/api/v1/customers")


def stage_of(store: Store, code: str) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(select(Prospect.stage).where(Prospect.code == code)).scalar_one())


@pytest.mark.parametrize("role", ["admin", "manager", "sales"])
def test_a_writer_cannot_move_another_regions_prospect(
    role: str, matrix_app: FastAPI, staffed: Store, record: Outsider
) -> None:
    client = session_of(matrix_app, SCOPED[role])
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/prospects").text)
    assert token
    stage = stage_of(staffed, record.prospect_code)
    target = "lost" if stage != "lost" else "hot"
    answer = client.post(
        "/prospects/stage",
        data={"code": record.prospect_code, "stage": target, "reason": "test", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code in {400, 403, 404}
    assert not leaks(answer.text.replace(record.prospect_code, ""), record, "")
    assert stage_of(staffed, record.prospect_code) == stage


def test_moving_another_regions_prospect_is_audited(matrix_app: FastAPI, staffed: Store, record: Outsider) -> None:
    client = session_of(matrix_app, SCOPED["sales"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/prospects").text)
    assert token
    before = last_seq(staffed)
    client.post(
        "/prospects/stage",
        data={"code": record.prospect_code, "stage": "hot", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert any(e.actor == SCOPED["sales"] and e.action != "login.success" for e in events_since(staffed, before))


SESSION_ROUTES = {"/login", "/logout", "/logout-everywhere", "/lang"}
"""POST routes of the session itself (no stored row of the portfolio changes)."""

DOWNLOADS = {"/export", "/report", "/trace"}
"""POST routes that read (a download, an upload traced): the scope's own data may be answered (200)."""

REFUSED = {400, 403, 404, 422}

WRITE_TABLES = (
    "regions",
    "segments",
    "product_lines",
    "products",
    "users",
    "user_scopes",
    "customers",
    "prospects",
    "contacts",
    "invoices",
    "invoice_lines",
    "payments",
    "activities",
    "actions",
    "prospect_stage_changes",
    "plans",
    "assessments",
    "assessment_answers",
    "swot_items",
)
"""The tables a write could change (the audit log, sessions, exports registry left out)."""


def digest(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of ``WRITE_TABLES``, sorted (read without scope)."""
    with store.engine.connect() as conn:
        return {t: sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))), key=repr) for t in WRITE_TABLES}


def write_attempts(o: Outsider, company_item: int) -> dict[str, dict[str, object]]:
    """POST route -> the form (and files) aimed OUTSIDE the users' scope: a
    record of another region, or a company-level item."""
    take = f"code;nom;region\n{o.customer_code};Pris;IDF\n".encode()
    return {
        "/swot/decide": {"data": {"all": "true"}},
        "/swot/items": {"data": {"quadrant": "threats", "text": "Pris"}},
        "/swot/items/edit": {"data": {"item_id": str(company_item), "delete": "true"}},
        "/plan/accept": {"data": {"key": f"customer:{o.customer_code}"}},
        "/plan/header": {"data": {"year": "2025", "company": "Pris", "vision": "Pris"}},
        "/plan/undo": {"data": {"year": "2025", "id": "1", "token": "0" * 64}},  # an unsigned undo
        "/plan/add": {"data": {"customer_code": o.customer_code, "title": "Pris"}},
        "/plan/actions/{action_id}": {"data": {"year": "2025", "progress": "50", "comments": "Pris"}},
        "/customers/{code}/activities": {"data": {"kind": "call", "note": "Pris"}},
        "/assessment": {"data": {"portfolio": "1", "loyalty": "1"}},
        "/prospects/stage": {"data": {"code": o.prospect_code, "stage": "lost", "reason": "Pris"}},
        "/import": {"data": {"kind": "customers"}, "files": {"file": ("take.csv", take, "text/csv")}},
        "/admin/users": {"data": {"username": "t.pris", "role": "manager", "password": PASSWORD + " pris"}},
        "/admin/users/disable": {"data": {"username": UNRESTRICTED}},
        "/admin/users/scopes": {"data": {"username": SCOPED["sales"], "regions": ""}},
        "/admin/approvals/approve": {"data": {"request_id": "1", "password": PASSWORD}},
        "/admin/backup": {"data": {}},
        "/admin/settings": {"data": {"section": "abc", "key": "a", "value": "0.7"}},  # the whole company's settings
        "/export": {"data": {"recipient": "Pris", "purpose": "Pris", "format": "csv"}},
        "/report": {"data": {"format": "html", "lang": "en"}},
        "/trace": {"files": {"file": ("t.csv", f"{o.customer_code}\n".encode(), "text/csv")}},
    }


@pytest.fixture(scope="module")
def company_item(staffed: Store) -> int:
    """A SWOT item of the whole company in the plan of the analysis year."""
    from clientfolio.plan.records import add_swot_item

    return add_swot_item(staffed, 2025, "threats", "Company item", principal=SYSTEM)


def test_every_post_route_has_a_write_attempt(matrix_app: FastAPI, record: Outsider) -> None:
    posts = {e.template for e in endpoints(matrix_app, record) if e.method == "POST"} - SESSION_ROUTES
    assert posts == set(write_attempts(record, 0)), "a POST route without its write attempt (or one gone)"


@pytest.mark.parametrize("role", sorted(SCOPED))
def test_no_scoped_user_writes_outside_its_scope(
    role: str, matrix_app: FastAPI, staffed: Store, record: Outsider, company_item: int
) -> None:
    """Every POST route x every role scoped to one region, aimed at another
    region's record or at the whole company: refused, nothing changed."""
    username = SCOPED[role]
    client = session_of(matrix_app, username)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token, "no CSRF token on the dashboard"
    attempts = write_attempts(record, company_item)
    problems: list[str] = []
    after = digest(staffed)
    for endpoint in endpoints(matrix_app, record):
        if endpoint.method != "POST" or endpoint.template in SESSION_ROUTES:
            continue
        attempt = attempts[endpoint.template]
        data = {**attempt.get("data", {}), "csrf_token": token.group(1)}  # type: ignore[dict-item]
        for accept in ("text/html", "application/json"):
            before = after  # the rows after the last attempt: the test writes nothing in between
            answer = client.post(
                endpoint.url,
                data=data,
                files=attempt.get("files"),  # type: ignore[arg-type]
                headers={"Accept": accept},
                follow_redirects=False,
            )
            where = f"{role} POST {endpoint.url} ({accept}) -> {answer.status_code}"
            allowed = REFUSED | ({200} if endpoint.template in DOWNLOADS else set())
            if answer.status_code not in allowed:
                problems.append(f"{where}: not refused")
            after = digest(staffed)
            if changed := [t for t in WRITE_TABLES if before[t] != after[t]]:
                problems.append(f"{where}: changed {changed}")
            body = text_of(answer.content)
            for sent in (record.customer_code, record.prospect_code):  # the code asked for, echoed
                body = body.replace(sent, "")
            if found := leaks(body, record, endpoint.url):
                problems.append(f"{where}: shows {found}")
    assert client.get("/api/v1/me").status_code == 200, "a write attempt ended the session"
    assert not problems, "\n".join(problems)
