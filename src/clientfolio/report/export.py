"""The annual review as an audited, fingerprinted, registered export.

``write_report`` is what the CLI and the web app call:

1. the principal must hold the ``export`` permission (a refusal is audited
   as ``report.refused``);
2. the review is gathered on what the principal may read (its scope);
3. every customer and prospect name it shows is marked with the export's
   fingerprint (``protect.fingerprint.mark_text`` keyed by the export uid,
   as ``protect.exports`` marks its files), so a leaked copy of the HTML or
   XLSX names its export; no trap record is added (fictitious customers would
   falsify the figures);
4. the file is written, its SHA-256 signed in a manifest beside it
   (``FILE.manifest.json``, so ``clientfolio verify FILE`` checks it) and the
   export registered with its audit entry (action ``export``, kind
   ``report``) in one transaction, by ``protect.exports``; the export alerts
   (volume, hour, departing user) are computed on the number of customers
   the review names.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from clientfolio.access import Principal
from clientfolio.errors import AccessDenied, ClientfolioError
from clientfolio.i18n import N_
from clientfolio.plan.run import PlanConfig, PlanInputs
from clientfolio.protect.alerts import Alert, ExportRules, export_alerts
from clientfolio.protect.audit import record_event, refusal
from clientfolio.protect.exports import ExportKeys, ExportRequest, export_history, register_export
from clientfolio.protect.fingerprint import export_key, mark_text
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.manifest import Manifest, SignedManifest, file_sha256, manifest_path, sign_manifest
from clientfolio.protect.users import require
from clientfolio.report.annual import gather_review
from clientfolio.report.sections import build_report
from clientfolio.store import Store

__all__ = ["REPORT_FORMATS", "ReportResult", "write_report"]

REPORT_FORMATS = ("pdf", "xlsx", "html")
DEFAULT_RECIPIENT = N_("internal")
"""The recipient a review is made for by default (shown in the form's or the command's language)."""
DEFAULT_PURPOSE = N_("annual portfolio review")
"""The purpose of a review by default (shown in the form's or the command's language)."""


@dataclass(frozen=True)
class ReportResult:
    """A written review: its file, manifest, export uid and what it names."""

    export_uid: str
    path: Path
    manifest_path: Path
    customers: int
    sha256: str
    alerts: tuple[Alert, ...]
    signed: SignedManifest


def write_report(
    store: Store,
    principal: Principal,
    out: Path,
    *,
    fmt: str,
    lang: str,
    keys: ExportKeys,
    rules: ExportRules,
    as_of: dt.date | None = None,
    recipient: str = DEFAULT_RECIPIENT,
    purpose: str = DEFAULT_PURPOSE,
    ring: KeyRing | None = None,
    config: PlanConfig | None = None,
    now: dt.datetime | None = None,
    inputs: PlanInputs | None = None,
) -> ReportResult:
    """Write the annual review of what ``principal`` may read at ``out`` as
    ``fmt`` (``pdf``, ``xlsx``, ``html``) in ``lang`` (``fr``, ``en``), as of
    ``as_of`` (default: the last sale), for ``recipient`` and ``purpose``;
    registered, signed and audited with ``keys``.  ``inputs``: the analyses
    already gathered for the principal's scope from the current data
    (``gather_review``).  Raises ``ClientfolioError`` for an unknown format or
    language, an existing ``out`` or nothing to analyse, ``AccessDenied`` when
    the principal may not export."""
    if fmt not in REPORT_FORMATS:
        raise ClientfolioError(
            "unknown report format '{format}'; use one of {formats}", format=fmt, formats=", ".join(REPORT_FORMATS)
        )
    if lang not in ("fr", "en"):
        raise ClientfolioError("unknown language '{lang}'; use fr or en", lang=lang)
    recipient, purpose = " ".join(recipient.split()), " ".join(purpose.split())
    if not recipient or not purpose:
        raise ClientfolioError(N_("a report is made for a named recipient and a stated purpose"))
    if out.exists():
        raise ClientfolioError("{path} exists: an export never overwrites a file", path=str(out))
    now = now or dt.datetime.now(dt.UTC)
    request = ExportRequest(recipient[:200], purpose[:500], "report", fmt)
    try:
        require(principal, "export")
    except AccessDenied as exc:
        with store.begin() as conn:
            record_event(
                conn,
                actor=principal.username,
                action="report.refused",
                target="report",
                details={"recipient": request.recipient, "purpose": request.purpose, "format": fmt, **refusal(exc)},
                chain_key=keys.audit,
                at=now,
            )
        raise
    data = gather_review(store, principal, as_of=as_of, ring=ring, config=config, inputs=inputs)
    uid = f"R{now:%Y%m%d}-{secrets.token_hex(6)}"
    key = export_key(keys.fingerprint, uid)
    report = build_report(data, lang, mark=lambda text: mark_text(key, text))
    past, left_on, _ = export_history(store, principal.username)
    alerts = tuple(export_alerts(len(report.named), now, past, left_on, rules))
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        # each format's writer imported when asked for (fpdf2, openpyxl)
        if fmt == "pdf":
            from clientfolio.report.pdf import write_pdf

            write_pdf(report, temp, export_uid=uid, made_at=now)
        elif fmt == "xlsx":
            from clientfolio.report.xlsx import write_xlsx

            write_xlsx(report, temp, export_uid=uid)
        else:
            from clientfolio.report.html import write_html

            write_html(report, temp, export_uid=uid)
        digest = file_sha256(temp)
        signed = sign_manifest(
            Manifest(
                export_uid=uid,
                recipient=request.recipient,
                purpose=request.purpose,
                created_at=now.isoformat(),
                row_count=len(report.named),
                sha256=digest,
                format=fmt,
                file_name=out.name,
                key_id=keys.key_id,
            ),
            keys.signing,
        )
        register_export(store, principal, request, signed, (), alerts, len(report.named), None, keys, now)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    written = manifest_path(out)
    written.write_text(signed.to_json(), encoding="utf-8")
    return ReportResult(uid, out, written, len(report.named), digest, alerts, signed)
