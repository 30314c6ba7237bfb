"""Issue 14: every use of ``/trace`` is audited (who, file name, SHA-256, verdict)."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI

from clientfolio.protect.audit import list_events
from clientfolio.store import Store
from tests.web.conftest import logged_in
from tests.web.pages_fixtures import token


def test_a_trace_is_audited(app: FastAPI, demo: Store) -> None:
    auditor = logged_in(app, "pbernard")
    other = b"code;name;city\nA1;Dupont SA;Lyon\nA2;Martin SARL;Paris\n"
    answer = auditor.post(
        "/trace?format=json", data={"csrf_token": token(auditor)}, files={"file": ("found on a USB key.csv", other)}
    )
    assert answer.status_code == 200, answer.text
    entry = list_events(demo, action="trace", limit=1)[0]
    assert (entry.actor, entry.target) == ("pbernard", "found on a USB key.csv")
    assert entry.details["sha256"] == hashlib.sha256(other).hexdigest()
    assert (entry.details["verdict"], entry.details["export_uid"]) == ("no match", None)
