"""Helpers of the resource pages' tests: a CSRF token of the session, and
the scope reads the tests compare the pages with."""

from __future__ import annotations

import warnings

from clientfolio.access import PipelineReader, Principal, Scope
from clientfolio.store import Store
from tests.web.conftest import csrf_of

__all__ = ["EVERYTHING", "TestClient", "prospects_of_region", "stages", "token"]

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EVERYTHING = Principal("test", "admin", Scope())


def token(client: TestClient) -> str:
    """A CSRF token of the client's session (from the import form: every role with ``write`` has it)."""
    return csrf_of(client.get("/import").text)


def stages(store: Store) -> dict[str, str]:
    """Every prospect's stage, by code (read without scope restriction)."""
    return {p.code: p.stage for p in PipelineReader(store, EVERYTHING).prospects()}


def prospects_of_region(store: Store, region: str) -> set[str]:
    return {p.code for p in PipelineReader(store, EVERYTHING).prospects() if p.region == region}
