"""Exports and tracing.

- ``/export`` (permission ``export``): a kind (customers, or mailing: their
  contact persons), a recipient, a purpose, a format (csv or xlsx) and headers
  (labels in the page's language, or codes) give the registered,
  fingerprinted export of what the user may read
  (``protect.exports.make_export``: trap records, signed manifest, alerts,
  audit), downloaded as a ZIP of the file and its manifest.  Above the hard limit the export is refused until an admin
  approves the request (the page says which).
- ``/trace`` (permission ``audit``): upload a file found outside; the page
  names the export and recipient it comes from, with the probability of a
  wrong attribution, or says "no match" (``protect.trace.trace_file``); its
  second button downloads the evidence pack (``protect.evidence``) as a ZIP
  when an export is implicated.
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
from clientfolio.i18n import N_, gettext_for
from clientfolio.protect.alerts import ALERT_NAMES, ExportRules
from clientfolio.protect.evidence import write_evidence
from clientfolio.protect.exports import (
    EXPORT_FORMATS,
    EXPORT_KINDS,
    HEADER_STYLES,
    KIND_NAMES,
    ExportKeys,
    ExportRequest,
    fingerprint_secrets,
    list_exports,
    make_export,
    verify_keys,
)
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.trace import Candidate, TraceResult, trace_file, verdict_in
from clientfolio.protect.trace_audit import record_trace
from clientfolio.web.deps import CsrfChecked, RingDep, View, ViewDep
from clientfolio.web.pages import Auditor, Exporter, download, limited_upload, scratch
from clientfolio.web.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _history(view: View, username: str) -> list[dict[str, Any]]:
    """The user's own registered exports, newest first (kinds and alerts by
    their names in the page's language)."""
    _ = gettext_for(view.lang)
    return [
        {
            "export_uid": e.export_uid,
            "created_at": e.created_at,
            "recipient": e.recipient,
            "purpose": e.purpose,
            "kind": _(KIND_NAMES.get(e.kind, e.kind)) if e.kind in KIND_NAMES else e.kind,
            "format": e.format.upper(),
            "rows": e.row_count,
            "alerts": [a.in_language(view.lang) for a in e.alerts],
            "alert_names": [_(ALERT_NAMES.get(a.kind, a.kind)) for a in e.alerts],
        }
        for e in reversed(list_exports(view.state.store))
        if e.username == username
    ]


HEADER_NAMES = {
    "labels": N_("Names and labels, in this page's language (for people)"),
    "codes": N_("Codes (for software)"),
}
"""The English names of the header styles shown on the form (translated there)."""


def _form(view: View, username: str, refused: dict[str, Any] | None = None) -> dict[str, Any]:
    _ = gettext_for(view.lang)
    return {
        "formats": list(EXPORT_FORMATS),
        "kinds": [(k, _(KIND_NAMES[k])) for k in EXPORT_KINDS],
        "headers": [(h, _(HEADER_NAMES[h])) for h in HEADER_STYLES],
        "refused": refused,
        "exports": _history(view, username),
    }


@router.get("/export")
def export_form(view: ViewDep, principal: Exporter) -> Response:
    """The export form and the user's past exports."""
    return page(view, "export.html", _form(view, principal.username))


@router.post("/export", dependencies=[CsrfChecked])
def export(
    view: ViewDep,
    principal: Exporter,
    ring: RingDep,
    recipient: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(max_length=500)],
    format: Annotated[str, Form(pattern="^(csv|xlsx)$")] = "csv",  # noqa: A002
    kind: Annotated[str, Form(pattern="^(customers|mailing)$")] = "customers",
    headers: Annotated[str, Form(pattern="^(labels|codes)$")] = "labels",
) -> Response:
    """Make the export: a ZIP of the fingerprinted file and its signed manifest
    (403 and the pending request's number above the hard limit).  Labels are
    in the page's language."""
    state = view.state
    name = re.sub(r"[^\w-]+", "-", recipient).strip("-")[:60] or "export"
    stem = gettext_for(view.lang)("customers") if kind == "customers" else "mailing"
    stem = re.sub(r"[^\w-]+", "-", stem) if headers == "labels" else kind
    with scratch() as folder:
        try:
            result = make_export(
                state.store,
                principal,
                ExportRequest(recipient, purpose, kind, format, headers, view.lang),
                folder / f"{stem}-{name}.{format}",
                keys=ExportKeys.from_ring(ring),
                rules=ExportRules.from_settings(state.settings),
            )
        except ExportRefused as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return page(
                view,
                "export.html",
                _form(
                    view,
                    principal.username,
                    {"message": exc.in_language(view.lang), "request_id": exc.request_id},
                ),
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
async def trace(
    view: ViewDep, principal: Auditor, ring: RingDep, file: UploadFile, evidence: Annotated[str, Form()] = ""
) -> Response:
    """Trace the uploaded file among the registered exports; with ``evidence``
    (the second button) and an export implicated, download the evidence pack
    (``protect.evidence``) as a ZIP instead of the page."""
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
        if evidence and found.implicated:
            return await _evidence_zip(view, principal.username, ring, path, found)
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
                "verdict": verdict_in(view.lang, found),
                "implicated": [_candidate(c) for c in found.implicated],
                "tampered": [_candidate(c) for c in found.tampered],
                "candidates": [_candidate(c) for c in found.candidates[:5]],
                "unchecked": list(found.unchecked),
            }
        },
    )


async def _evidence_zip(view: View, username: str, ring: KeyRing, path: Path, found: TraceResult) -> Response:
    """The evidence pack of the trace ``found`` of ``path``, in the page's language, as a ZIP download."""
    with scratch() as folder:
        pack = await view.state.uploads.run(
            write_evidence, view.state.store, ring, path, found, folder / "pack", lang=view.lang, actor=username
        )
        bundle = folder / "evidence.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            for name in pack.files:
                z.write(pack.directory / name, name)
        uid = found.implicated[0].export.export_uid
        return download(bundle, f"evidence-{uid}.zip", "application/zip", folder=folder)
