"""Exports and tracing.

- ``/export`` (permission ``export``): a recipient, a purpose and a format
  (csv or xlsx) give the registered, fingerprinted export of the customers
  the user may read (``protect.exports.make_export``: trap records, signed
  manifest, alerts, audit), downloaded as a ZIP of the file and its
  manifest.  Above the hard limit the export is refused until an admin
  approves the request (the page says which).
- ``/trace`` (permission ``audit``): upload a file found outside; the page
  names the export and recipient it comes from, with the probability of a
  wrong attribution, or says "no match" (``protect.trace.trace_file``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import Response

from clientfolio.errors import ExportRefused
from clientfolio.i18n import render
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.exports import (
    EXPORT_FORMATS,
    ExportKeys,
    ExportRequest,
    fingerprint_secrets,
    list_exports,
    make_export,
    verify_keys,
)
from clientfolio.protect.trace import Candidate, trace_file, verdict
from clientfolio.protect.trace_audit import record_trace
from clientfolio.web.deps import CsrfChecked, RingDep, View, ViewDep
from clientfolio.web.pages import Auditor, Exporter, download, limited_upload, scratch
from clientfolio.web.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _history(view: View, username: str) -> list[dict[str, Any]]:
    """The user's own registered exports, newest first."""
    return [
        {
            "export_uid": e.export_uid,
            "created_at": e.created_at,
            "recipient": e.recipient,
            "purpose": e.purpose,
            "kind": e.kind,
            "format": e.format,
            "rows": e.row_count,
            "alerts": [a.kind for a in e.alerts],
        }
        for e in reversed(list_exports(view.state.store))
        if e.username == username
    ]


@router.get("/export")
def export_form(view: ViewDep, principal: Exporter) -> Response:
    """The export form and the user's past exports."""
    return page(
        view,
        "export.html",
        {"formats": list(EXPORT_FORMATS), "refused": None, "exports": _history(view, principal.username)},
    )


@router.post("/export", dependencies=[CsrfChecked])
def export(
    view: ViewDep,
    principal: Exporter,
    ring: RingDep,
    recipient: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(max_length=500)],
    format: Annotated[str, Form(pattern="^(csv|xlsx)$")] = "csv",  # noqa: A002
) -> Response:
    """Make the export: a ZIP of the fingerprinted file and its signed manifest
    (403 and the pending request's number above the hard limit)."""
    state = view.state
    name = re.sub(r"[^\w-]+", "-", recipient).strip("-")[:60] or "export"
    with scratch() as folder:
        try:
            result = make_export(
                state.store,
                principal,
                ExportRequest(recipient, purpose, "customers", format),
                folder / f"customers-{name}.{format}",
                keys=ExportKeys.from_ring(ring),
                rules=ExportRules.from_settings(state.settings),
            )
        except ExportRefused as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return page(
                view,
                "export.html",
                {
                    "formats": list(EXPORT_FORMATS),
                    "exports": _history(view, principal.username),
                    "refused": {"message": str(exc), "request_id": exc.request_id},
                },
                status_code=403,
            )
        bundle = folder / f"{result.export_uid}.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(result.path, result.path.name)
            z.write(result.manifest_path, result.manifest_path.name)
        response = download(bundle, f"{result.path.stem}-{result.export_uid}.zip", "application/zip", folder=folder)
    response.headers["X-Export-Uid"] = result.export_uid
    response.headers["X-Export-Alerts"] = ",".join(a.kind for a in result.alerts)
    return response


def _candidate(c: Candidate) -> dict[str, Any]:
    e = c.export
    return {
        "export_uid": e.export_uid,
        "recipient": e.recipient,
        "username": e.username,
        "purpose": e.purpose,
        "created_at": e.created_at,
        "checked": c.score.checked,
        "agreeing": c.score.agreeing,
        "wrong_attribution": c.wrong_attribution,
        "log10_wrong_attribution": c.log10_wrong_attribution,
        "traps": [t.code for t in c.traps],
        "anti": c.score.anti,
        "tampered": list(c.tampered),
        "signed_recipient": c.signed_recipient,
    }


@router.get("/trace")
def trace_form(view: ViewDep, principal: Auditor) -> Response:
    """The upload form of a file to trace."""
    return page(view, "trace.html", {"result": None})


@router.post("/trace", dependencies=[CsrfChecked])
async def trace(view: ViewDep, principal: Auditor, ring: RingDep, file: UploadFile) -> Response:
    """Trace the uploaded file among the registered exports."""
    state = view.state
    with tempfile.TemporaryDirectory(prefix="clientfolio-trace-") as folder:
        path = await limited_upload(view, file, Path(folder))
        found = await state.uploads.run(  # a worker thread, within the reading limits (web.uploads)
            trace_file,
            state.store,
            path,
            fingerprint_secrets(ring),
            threshold=state.settings.trace_threshold,
            verify_keys=verify_keys(ring),
        )
        record_trace(
            state.store,
            actor=principal.username,
            file_name=file.filename or path.name,
            path=path,
            result=found,
            chain_key=ring.subkey("audit"),
        )  # who traced what, and the verdict
    return page(
        view,
        "trace.html",
        {
            "result": {
                "file": file.filename,
                "rows": found.rows,
                "marked_texts": found.marked_texts,
                "attributed": None if found.attributed is None else _candidate(found.attributed),
                "evidence": found.evidence,
                "threshold": found.threshold,
                "verdict": [render(view.lang, template, params) for template, params in verdict(found)],
                "implicated": [_candidate(c) for c in found.implicated],
                "tampered": [_candidate(c) for c in found.tampered],
                "candidates": [_candidate(c) for c in found.candidates[:5]],
                "unchecked": list(found.unchecked),
            }
        },
    )
