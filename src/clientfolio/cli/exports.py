"""``clientfolio export``, ``trace``, ``verify`` and ``exports``: registered,
fingerprinted exports, the tracing of a leaked file, manifest signatures.

Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from clientfolio.cli._common import AsOption, DbOption, JsonOption, actor, principal_for, settings_for, stderr, stdout
from clientfolio.errors import ExportRefused

if TYPE_CHECKING:
    from clientfolio.protect.trace import TraceResult

__all__ = ["export_command", "exports_app", "trace_command", "verify_command"]

exports_app = typer.Typer(
    help="The export registry: list exports, approve requests above the hard limit.", no_args_is_help=True
)


def export_command(
    kind: Annotated[str, typer.Argument(help="What to export: customers.")],
    recipient: Annotated[str, typer.Option("--recipient", help="Who receives the file (a person or company).")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why the file is given (recorded and audited).")],
    fmt: Annotated[str, typer.Option("--format", help="csv (French: ';' and decimal commas) or xlsx.")] = "csv",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write, not existing yet (default: KIND-RECIPIENT.FORMAT here)."),
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export customer data for a named recipient: fingerprinted, with trap records and a signed manifest."""
    from clientfolio.protect.alerts import ExportRules
    from clientfolio.protect.exports import ExportKeys, ExportRequest, make_export
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    try:
        store = Store(settings.database_url)
        keys = ExportKeys.from_ring(KeyRing.load(settings))
        name = re.sub(r"[^\w-]+", "-", recipient).strip("-") or "export"
        target = out or Path(f"{kind}-{name}.{fmt}")
        result = make_export(
            store,
            principal_for(store, as_user),
            ExportRequest(recipient, purpose, kind, fmt),
            target,
            keys=keys,
            rules=ExportRules.from_settings(settings),
        )
    except ExportRefused as exc:
        stderr().print(f"[bold red]Export refused:[/] {exc}")
        stderr().print(f"An admin approves it with `clientfolio exports approve {exc.request_id} --as ADMIN`.")
        raise typer.Exit(1) from None
    alerts = [{"kind": a.kind, "message": a.message} for a in result.alerts]
    if as_json:
        stdout().print_json(
            json.dumps(
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
        )
        return
    stdout().print(
        f"[green]Export {result.export_uid}[/] written to {result.path}: {result.rows:,} customers "
        f"for {result.signed.manifest.recipient}; signed manifest {result.manifest_path}."
    )
    for alert in result.alerts:
        stdout().print(f"[yellow]Alert ({alert.kind}):[/] {alert.message}")


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
        "verdict": [render("en", template, params) for template, params in verdict(result)],
        "candidates": [candidate(c) for c in result.candidates[:10]],
        "unchecked": list(result.unchecked),
    }


def trace_command(
    file: Annotated[Path, typer.Argument(help="The leaked file (CSV or XLSX, any columns, any order).")],
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
    if as_json:
        stdout().print_json(json.dumps(_trace_dict(result)))
    else:
        _show_trace(stdout(), result)


def _show_trace(console: Any, result: TraceResult) -> None:
    table = Table(title=f"{result.rows:,} rows read, {result.marked_texts:,} markable texts: the likeliest exports")
    for name in ("export", "recipient", "made by", "on", "marks agreeing", "P(wrong attribution)", "traps"):
        table.add_column(name, justify="right" if name in ("marks agreeing", "P(wrong attribution)") else "left")
    for c in result.candidates[:5]:
        table.add_row(
            c.export.export_uid,
            c.export.recipient,
            c.export.username,
            f"{c.export.created_at:%Y-%m-%d}",
            f"{c.score.agreeing}/{c.score.checked}",
            _probability(c.log10_wrong_attribution),
            ", ".join(t.code for t in c.traps) or "-",
        )
    console.print(table)
    from clientfolio.i18n import render
    from clientfolio.protect.trace import verdict

    for template, params in verdict(result):
        text = render("en", template, params)
        style = (
            "bold green"
            if text.startswith("Match")
            else "bold red"
            if text.startswith(("Tampering", "Collusion"))
            else "bold"
            if text.startswith("No match")
            else ""
        )
        head, _, rest = text.partition(":")
        console.print(f"[{style}]{head}:[/]{rest}" if style else text, highlight=False)
    found = result.attributed
    if found is not None and found.traps:
        hits = ", ".join(f"{t.code} ({'+'.join(t.matched)})" for t in found.traps)
        console.print(f"Trap records found: {hits}.")


def _probability(log10_p: float) -> str:
    return f"{10**log10_p:.2g}" if log10_p > -300 else f"1e{log10_p:.0f}"


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
        stdout().print_json(
            json.dumps(
                {
                    "ok": result.ok,
                    "signature_valid": result.signature_valid,
                    "hash_matches": result.hash_matches,
                    "sha256": result.sha256,
                    "manifest": m.__dict__,
                }
            )
        )
    elif result.ok:
        stdout().print(
            f"[green]Valid:[/] {file} is export {m.export_uid} for {m.recipient} "
            f"({m.row_count:,} rows, {m.created_at}), signature checked."
        )
    else:
        problems = [
            p
            for p, bad in (
                ("the signature is not ours", not result.signature_valid),
                ("the file is not the one signed", not result.hash_matches),
            )
            if bad
        ]
        stdout().print(f"[bold red]Invalid:[/] {'; '.join(problems)} (manifest of export {m.export_uid}).")
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
        stdout().print_json(
            json.dumps(
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
        )
        return
    table = Table(title=f"{len(exports)} registered exports")
    for name in ("export", "on", "by", "recipient", "purpose", "format", "rows", "alerts"):
        table.add_column(name, justify="right" if name == "rows" else "left", overflow="fold")
    for e in exports:
        table.add_row(
            e.export_uid,
            f"{e.created_at:%Y-%m-%d %H:%M}",
            e.username,
            e.recipient,
            e.purpose,
            e.format,
            f"{e.row_count:,}",
            ", ".join(a.kind for a in e.alerts) or "-",
        )
    stdout().print(table)
    for a in pending:
        stdout().print(
            f"Request #{a.id} by {a.username}: {a.row_count:,} rows for {a.recipient} "
            f"({a.purpose}) awaits an admin's approval."
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
    """Approve an export request above the hard limit (an admin other than the requester,
    who existed when it was made, confirming with its own password and code)."""
    from clientfolio.protect.exports import approve_export
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    principal = principal_for(store, as_user)
    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"Password of {principal.username}", hide_input=True)
    approval = approve_export(
        store, request_id, principal, password=password, totp=totp, chain_key=KeyRing.load(settings).subkey("audit")
    )
    stdout().print(
        f"[green]Request #{approval.id} approved[/]: {approval.username} may now export "
        f"{approval.row_count:,} rows for {approval.recipient} once."
    )
