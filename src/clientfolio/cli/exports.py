"""``clientfolio export``, ``trace``, ``verify`` and ``exports``: registered,
fingerprinted exports, the tracing of a leaked file, manifest signatures.

Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from clientfolio.cli._common import (
    AsOption,
    DataTable,
    DbOption,
    JsonOption,
    actor,
    emit_json,
    fmt,
    lang,
    principal_for,
    settings_for,
    stderr,
    stdout,
    tr,
)
from clientfolio.errors import ExportRefused
from clientfolio.i18n import N_

if TYPE_CHECKING:
    from clientfolio.protect.evidence import EvidencePack
    from clientfolio.protect.trace import TraceResult

__all__ = ["export_command", "exports_app", "trace_command", "verify_command"]

exports_app = typer.Typer(
    help="The export registry: list exports, approve requests above the hard limit.", no_args_is_help=True
)


def export_command(
    kind: Annotated[
        str,
        typer.Argument(
            help="What to export: customers (one row per customer) or mailing (one row per contact person)."
        ),
    ],
    recipient: Annotated[str, typer.Option("--recipient", help="Who receives the file (a person or company).")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why the file is given (recorded and audited).")],
    file_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv (in French and with codes: ';' and decimal commas; in English: ',' and decimal points) or xlsx.",
        ),
    ] = "csv",
    headers: Annotated[
        str,
        typer.Option(
            "--headers",
            help="labels: column names and values by their names, in the command's language; "
            "codes: identifiers and stored codes, for machine use.",
        ),
    ] = "labels",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write, not existing yet (default: KIND-RECIPIENT.FORMAT here)."),
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export customers or their contact persons for a recipient: fingerprinted, with traps and a signed manifest."""
    from clientfolio.protect.alerts import ExportRules
    from clientfolio.protect.exports import ExportKeys, ExportRequest, make_export
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    try:
        store = Store(settings.database_url)
        keys = ExportKeys.from_ring(KeyRing.load(settings))
        name = re.sub(r"[^\w-]+", "-", recipient).strip("-") or "export"
        target = out or Path(f"{kind}-{name}.{file_format}")
        result = make_export(
            store,
            principal_for(store, as_user),
            ExportRequest(recipient, purpose, kind, file_format, headers, lang()),
            target,
            keys=keys,
            rules=ExportRules.from_settings(settings),
        )
    except ExportRefused as exc:
        stderr().print(f"[bold red]{escape(tr('Export refused:'))}[/] {escape(exc.in_language(lang()))}", markup=True)
        stderr().print(
            tr(
                "An admin approves it with `clientfolio exports approve {request} --as ADMIN`.",
                request=str(exc.request_id),
            )
        )
        raise typer.Exit(1) from None
    alerts = [{"kind": a.kind, "message": a.message} for a in result.alerts]
    if as_json:
        emit_json(
            {
                "export_uid": result.export_uid,
                "file": str(result.path),
                "manifest": str(result.manifest_path),
                "rows": result.rows,
                "traps": result.traps,
                "sha256": result.sha256,
                "alerts": alerts,
            }
        )
        return
    written = (
        N_("Export {uid} written to {path}: {rows} contact persons for {recipient}; signed manifest {manifest}.")
        if kind == "mailing"
        else N_("Export {uid} written to {path}: {rows} customers for {recipient}; signed manifest {manifest}.")
    )
    made = tr(
        written,
        uid=result.export_uid,
        path=str(result.path),
        rows=result.rows,
        recipient=result.signed.manifest.recipient,
        manifest=str(result.manifest_path),
    )
    stdout().print(made, highlight=False)
    from clientfolio.protect.alerts import ALERT_NAMES

    for alert in result.alerts:
        shown = tr("Alert ({kind_msg}):", kind_msg=ALERT_NAMES.get(alert.kind, alert.kind))
        stdout().print(f"[yellow]{escape(shown)}[/] {escape(alert.in_language(lang()))}", highlight=False, markup=True)


def _trace_dict(result: TraceResult) -> dict[str, Any]:
    def candidate(c: Any) -> dict[str, Any]:
        return {
            "export_uid": c.export.export_uid,
            "recipient": c.export.recipient,
            "username": c.export.username,
            "created_at": str(c.export.created_at),
            "checked": c.score.checked,
            "agreeing": c.score.agreeing,
            "log10_p": round(c.score.log10_probability, 2),
            "wrong_attribution": c.wrong_attribution,
            "anti": c.score.anti,
            "traps": [t.code for t in c.traps],
            "tampered": list(c.tampered),
            "signed_recipient": c.signed_recipient,
        }

    from clientfolio.i18n import render
    from clientfolio.protect.trace import verdict

    return {
        "rows": result.rows,
        "marked_texts": result.marked_texts,
        "attributed": candidate(result.attributed) if result.attributed else None,
        "evidence": result.evidence,
        "threshold": result.threshold,
        "implicated": [candidate(c) for c in result.implicated],
        "tampered": [candidate(c) for c in result.tampered],
        "verdict": [render("en", template, params) for template, params in verdict(result)],  # locale-free
        "candidates": [candidate(c) for c in result.candidates[:10]],
        "unchecked": list(result.unchecked),
    }


def trace_command(
    file: Annotated[Path, typer.Argument(help="The leaked file (CSV or XLSX, any columns, any order).")],
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="Write the evidence pack into this new or empty directory: the file's fingerprint, the signed "
            "manifest, marks, audit extract, VERIFY.md and a PDF summary, signed and audited.",
        ),
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Name the export and recipient a leaked file comes from, with the probability of a wrong attribution."""
    from clientfolio.filelimits import ReadLimits, reading_limits
    from clientfolio.protect.exports import fingerprint_secrets, verify_keys
    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.trace import trace_file
    from clientfolio.protect.users import require
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    require(principal_for(store, as_user), "audit")
    ring = KeyRing.load(settings)
    with reading_limits(ReadLimits.from_settings(settings)):  # CLIENTFOLIO_UPLOAD_MAX_*, as the web app
        result = trace_file(
            store,
            file,
            fingerprint_secrets(ring),
            threshold=settings.trace_threshold,
            verify_keys=verify_keys(ring),
        )
    from clientfolio.protect.trace_audit import record_trace

    record_trace(
        store,
        actor=as_user or actor(),
        file_name=str(file),
        path=file,
        result=result,
        chain_key=ring.subkey("audit"),
    )
    if not as_json:
        _show_trace(stdout(), result)
    pack = None
    if evidence is not None:  # after the verdict is shown: a trace without a match has no pack
        from clientfolio.protect.evidence import write_evidence

        pack = write_evidence(store, ring, file, result, evidence, lang=lang(), actor=as_user or actor())
    if as_json:
        emit_json(_trace_dict(result) | ({} if pack is None else {"evidence": _pack_dict(pack)}))
    elif pack is not None:
        written = tr(
            "Evidence pack written to {path}: {files} files, signed (pack-manifest.sig) and audited; "
            "see VERIFY.md there.",
            path=str(pack.directory),
            files=len(pack.files),
        )
        stdout().print(written, highlight=False)


def _pack_dict(pack: EvidencePack) -> dict[str, Any]:
    return {
        "directory": str(pack.directory),
        "files": list(pack.files),
        "manifest_sha256": pack.manifest_sha256,
        "audit_seq": pack.audit_seq,
    }


_TRACE_COLUMNS = (
    N_("export id"),
    N_("recipient"),
    N_("made by"),
    N_("made on"),
    N_("marks agreeing"),
    N_("P(wrong attribution)"),
    N_("traps"),
)


def _show_trace(console: Any, result: TraceResult) -> None:
    table = DataTable(
        title=tr(
            "{rows} rows read, {texts} markable texts: the likeliest exports",
            rows=result.rows,
            texts=result.marked_texts,
        )
    )
    for name in _TRACE_COLUMNS:
        table.add_column(tr(name), justify="right" if name in ("marks agreeing", "P(wrong attribution)") else "left")
    for c in result.candidates[:5]:
        table.add_row(
            c.export.export_uid,
            c.export.recipient,
            c.export.username,
            fmt().date(c.export.created_at),
            f"{c.score.agreeing}/{c.score.checked}",
            _probability(c.log10_wrong_attribution),
            ", ".join(t.code for t in c.traps) or "-",
        )
    console.print(table)
    from clientfolio.protect.trace import verdict, verdict_in

    for (template, _params), text in zip(verdict(result), verdict_in(lang(), result), strict=True):
        style = (
            "bold green"
            if template.startswith("Match")
            else "bold red"
            if template.startswith(("Tampering", "Collusion"))
            else "bold"
            if template.startswith("No match")
            else ""
        )
        head, colon, rest = text.partition(":")  # "No match ..." has no colon in French
        console.print(
            f"[{style}]{escape(head)}{colon}[/]{escape(rest)}" if style else escape(text), highlight=False, markup=True
        )
    found = result.attributed
    if found is not None and found.traps:
        by = {"name": tr(N_("by name")), "siren": tr(N_("by SIREN"))}
        hits = ", ".join(f"{t.code} ({', '.join(by.get(m, m) for m in t.matched)})" for t in found.traps)
        console.print(tr("Trap records found: {hits}.", hits=hits), highlight=False)


def _probability(log10_p: float) -> str:
    shown = f"{10**log10_p:.2g}" if log10_p > -300 else f"1e{log10_p:.0f}"
    return shown.replace(".", ",") if lang() == "fr" else shown


def verify_command(
    file: Annotated[Path, typer.Argument(help="The exported file to check.")],
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Its manifest (default: FILE.manifest.json, else the registry).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check an exported file against its Ed25519-signed manifest."""
    from clientfolio.protect.exports import find_signed
    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.manifest import SignedManifest, manifest_path, verify_file

    settings = settings_for(db)
    beside = manifest or manifest_path(file)
    if beside.exists():
        signed = SignedManifest.from_json(beside.read_text(encoding="utf-8"))
    else:
        from clientfolio.store import Store

        signed = find_signed(Store(settings.database_url), file)
    ring = KeyRing.load(settings)
    result = verify_file(file, signed, ring.verify_key(signed.manifest.key_id))
    m = result.manifest
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "signature_valid": result.signature_valid,
                "hash_matches": result.hash_matches,
                "sha256": result.sha256,
                "manifest": m.__dict__,
            }
        )
    elif result.ok:
        made = dt.datetime.fromisoformat(m.created_at)
        valid = tr(
            "{file} is export {uid} for {recipient} ({rows} rows, {day} {time}), signature checked.",
            file=str(file),
            uid=m.export_uid,
            recipient=m.recipient,
            rows=m.row_count,
            day=fmt().date(made),
            time=made.strftime("%H:%M"),
        )
        stdout().print(f"[green]{escape(tr('Valid:'))}[/] {escape(valid)}", highlight=False, markup=True)
    else:
        problems = [
            tr(p)
            for p, bad in (
                (N_("the signature is not ours"), not result.signature_valid),
                (N_("the file is not the one signed"), not result.hash_matches),
            )
            if bad
        ]
        invalid = tr("{problems} (manifest of export {uid}).", problems="; ".join(problems), uid=m.export_uid)
        stdout().print(f"[bold red]{escape(tr('Invalid:'))}[/] {escape(invalid)}", highlight=False, markup=True)
    if not result.ok:
        raise typer.Exit(1)


@exports_app.command("list")
def list_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the registered exports and the export requests awaiting approval."""
    from clientfolio.protect.exports import list_approvals, list_exports
    from clientfolio.store import Store

    store = Store(settings_for(db).database_url)
    exports, pending = list_exports(store), list_approvals(store, status="pending")
    if as_json:
        emit_json(
            {
                "exports": [
                    {
                        "export_uid": e.export_uid,
                        "created_at": str(e.created_at),
                        "username": e.username,
                        "recipient": e.recipient,
                        "purpose": e.purpose,
                        "kind": e.kind,
                        "format": e.format,
                        "rows": e.row_count,
                        "sha256": e.file_sha256,
                        "alerts": [a.kind for a in e.alerts],
                    }
                    for e in exports
                ],
                "pending": [
                    {
                        "id": a.id,
                        "username": a.username,
                        "recipient": a.recipient,
                        "purpose": a.purpose,
                        "rows": a.row_count,
                    }
                    for a in pending
                ],
            }
        )
        return
    from clientfolio.i18n import gettext_for
    from clientfolio.protect.alerts import ALERT_NAMES
    from clientfolio.protect.exports import KIND_NAMES

    _ = gettext_for(lang())
    table = DataTable(title=tr("{count} registered exports", count=len(exports)))
    for name in (
        N_("export id"),
        N_("made on"),
        N_("made by"),
        N_("recipient"),
        N_("purpose"),
        N_("kind"),
        N_("format"),
        N_("rows"),
        N_("alerts"),
    ):
        table.add_column(_(name), justify="right" if name == "rows" else "left", overflow="fold")
    for e in exports:
        table.add_row(
            e.export_uid,
            f"{fmt().date(e.created_at)} {e.created_at:%H:%M}",
            e.username,
            e.recipient,
            e.purpose,
            _(KIND_NAMES.get(e.kind, e.kind)),
            e.format.upper(),
            fmt().number(e.row_count),
            ", ".join(_(ALERT_NAMES.get(a.kind, a.kind)) for a in e.alerts) or "-",
        )
    stdout().print(table)
    for a in pending:
        stdout().print(
            tr(
                "Request #{request} by {user}: {rows} rows for {recipient} ({purpose}) awaits an admin's approval.",
                request=str(a.id),
                user=a.username,
                rows=a.row_count,
                recipient=a.recipient,
                purpose=a.purpose,
            ),
            highlight=False,
        )


@exports_app.command("approve")
def approve_command(
    request_id: Annotated[int, typer.Argument(help="The number of the export request.")],
    as_user: Annotated[str, typer.Option("--as", help="The approving admin (not the requester).")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the approving admin's password from standard input (one line)."),
    ] = False,
    totp: Annotated[
        str | None, typer.Option("--totp", help="The approving admin's current code, when it has a second factor.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Approve an export request above the hard limit (another admin, who existed then, with its password)."""
    from clientfolio.protect.exports import approve_export
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    principal = principal_for(store, as_user)
    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt(tr("Password of {user}", user=principal.username), hide_input=True)
    approval = approve_export(
        store, request_id, principal, password=password, totp=totp, chain_key=KeyRing.load(settings).subkey("audit")
    )
    approved = tr("Request #{request} approved", request=str(approval.id))
    once = tr(
        "{user} may now export {rows} rows for {recipient} once.",
        user=approval.username,
        rows=approval.row_count,
        recipient=approval.recipient,
    )
    stdout().print(f"[green]{escape(approved)}[/]: {escape(once)}", highlight=False, markup=True)
