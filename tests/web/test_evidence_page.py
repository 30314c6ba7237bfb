"""The trace page's second button: the evidence pack of the traced file, as a ZIP."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi import FastAPI

from clientfolio.protect.audit import list_events
from clientfolio.store import Store
from tests.web.conftest import logged_in
from tests.web.pages_fixtures import token


def test_the_evidence_pack_is_downloaded_in_the_pages_language(app: FastAPI, demo: Store) -> None:
    manager = logged_in(app, "cmorel")
    made = manager.post(
        "/export",
        data={"recipient": "Agence X", "purpose": "salon", "format": "csv", "csrf_token": token(manager)},
    )
    uid = made.headers["x-export-uid"]
    bundle = zipfile.ZipFile(io.BytesIO(made.content))
    leaked = bundle.read(next(n for n in bundle.namelist() if n.endswith(".csv")))
    auditor = logged_in(app, "pbernard")
    packed = auditor.post(
        "/trace",
        data={"csrf_token": token(auditor), "evidence": "1"},
        files={"file": ("found.csv", leaked, "text/csv")},
    )
    assert packed.status_code == 200 and packed.headers["content-type"] == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(packed.content))
    assert {"report.pdf", "VERIFY.md", "manifest.json", "pack-manifest.sig"} <= set(pack.namelist())
    assert json.loads(pack.read("pack-manifest.json"))["exports"] == [uid]
    assert list_events(demo, limit=1, action="trace.evidence")[0].actor == "pbernard"

    other = b"code;name;city\nA1;Dupont SA;Lyon\nA2;Martin SARL;Paris\n"
    page = auditor.post(
        "/trace", data={"csrf_token": token(auditor), "evidence": "1"}, files={"file": ("other.csv", other)}
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
