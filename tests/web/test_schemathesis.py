"""A fuzz run of the REST API: schemathesis generates requests for every
operation of the OpenAPI schema (``/api/v1/openapi.json``) and sends them to
the app in-process (ASGI), with the bearer token of a logged-in manager.  No
answer may be a server error; status codes and bodies must be those the
schema declares.  The number of examples is bounded, to keep the run short."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web import create_app
from tests.browser.staff import PASSWORD, RING, UNRESTRICTED, outsider, staffed_store

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EXAMPLES = 50
"""Examples per operation and kind of request (valid, invalid, on a known record)."""


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("fuzz")
    store: Store = staffed_store(f"sqlite:///{tmp}/demo.db", customers=30)
    yield create_app(Settings(database_url=store.url, key_file=str(tmp / "absent.key")), store=store, ring=RING)
    store.dispose()


@pytest.fixture(scope="module")
def bearer(fuzzed_app: FastAPI) -> dict[str, str]:
    """The ``Authorization`` header of a manager's session (``POST /login`` asked for JSON)."""
    client = TestClient(fuzzed_app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login",
        data={"username": UNRESTRICTED, "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzzed_app)


def test_the_schema_lists_the_api(api_schema: schemathesis.BaseSchema) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert {"/api/v1/me", "/api/v1/customers", "/api/v1/customers/{code}"} <= paths
    assert all(path.startswith("/api/v1/") for path in paths)  # the pages stay out of the API's schema


def strategies(operation: APIOperation, known: dict[str, str]) -> dict[str, SearchStrategy[schemathesis.Case]]:
    """Requests for ``operation`` by kind: valid ones, invalid ones, and, when
    its path takes parameters, valid ones on an existing record (``known``:
    name -> value)."""
    found = {
        "valid": operation.as_strategy(GenerationMode.POSITIVE),
        "invalid": operation.as_strategy(GenerationMode.NEGATIVE),
    }
    names = {p.name for p in operation.path_parameters}
    if names and names <= set(known):
        found["known record"] = operation.as_strategy(path_parameters={n: known[n] for n in names})
    return found


def test_the_api_never_fails(
    api_schema: schemathesis.BaseSchema, bearer: dict[str, str], fuzzed_app: FastAPI, subtests: pytest.Subtests
) -> None:
    """Every operation, with every kind of request: no server error, and the
    status and body the schema declares."""
    known = {"code": outsider(fuzzed_app.state.web.store).home_customer_code}
    operations = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the schema itself is valid
        operations.append(result.ok())
    assert len(operations) >= 4
    for operation in operations:
        for kind, strategy in strategies(operation, known).items():
            with subtests.test(msg=f"{operation.label} ({kind})"):

                @given(case=strategy)
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: schemathesis.Case) -> None:
                    case.call_and_validate(
                        headers=bearer,
                        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
                    )

                try:
                    run()
                except Unsatisfiable:
                    if kind != "invalid":
                        raise  # an operation without any parameter has no invalid request
