"""``clientfolio report``: the annual portfolio review as PDF, XLSX or HTML,
in French or English, written as an audited, fingerprinted export.

Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
The report package (which brings the analytics engine and
fpdf2) is imported inside the command.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from clientfolio.cli._common import Language, emit_json, parse_day, settings_for, stdout, tr
from clientfolio.cli._common import lang as run_lang
from clientfolio.i18n import render

__all__ = ["report_command"]


def report_command(
    fmt: Annotated[str, typer.Option("--format", help="pdf, xlsx or html (one self-contained file).")] = "pdf",
    review_lang: Annotated[
        Language | None,
        typer.Option("--lang", help="Language of the review: fr or en (default: the run's language)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Review as of this date, YYYY-MM-DD (default: the last sale).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write, not existing yet (default: review-AS_OF-LANG.FORMAT here)."),
    ] = None,
    recipient: Annotated[
        str | None,
        typer.Option("--recipient", help="Who receives the review (recorded and audited; default: internal)."),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(
            "--purpose", help="Why the review is made (recorded and audited; default: annual portfolio review)."
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Act as this user (its role and scopes apply; default: the local owner, admin)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: CLIENTFOLIO_DATABASE_URL, else ./clientfolio.db)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Annual portfolio review as PDF, XLSX or HTML, in French or English: an audited, fingerprinted export.

    Every analysis with its charts, the valuation, the self-assessment, the SWOT and the action plan,
    within the user's scope."""
    from clientfolio.access import SYSTEM
    from clientfolio.protect.alerts import ExportRules
    from clientfolio.protect.exports import ExportKeys
    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.users import principal_for
    from clientfolio.report.export import DEFAULT_PURPOSE, DEFAULT_RECIPIENT, write_report
    from clientfolio.store import Store

    lang = review_lang.value if review_lang is not None else run_lang()
    recipient = render(lang, DEFAULT_RECIPIENT) if recipient is None else recipient
    purpose = render(lang, DEFAULT_PURPOSE) if purpose is None else purpose
    settings = settings_for(db)
    day = parse_day(as_of) if as_of else None
    store = Store(settings.database_url)
    ring = KeyRing.load(settings, create=True)
    principal = SYSTEM if as_user is None else principal_for(store, as_user)
    stem = re.sub(r"[^\w-]+", "-", f"review-{as_of or 'latest'}-{lang}")
    with nullcontext() if as_json else stdout().status(tr("Analysing the portfolio, writing the review...")):
        result = write_report(
            store,
            principal,
            out or Path(f"{stem}.{fmt}"),
            fmt=fmt,
            lang=lang,
            keys=ExportKeys.from_ring(ring),
            rules=ExportRules.from_settings(settings),
            as_of=day,
            recipient=recipient,
            purpose=purpose,
            ring=ring,
        )
    alerts = [{"kind": a.kind, "message": a.message} for a in result.alerts]
    if as_json:
        emit_json(
            {
                "export_uid": result.export_uid,
                "file": str(result.path),
                "manifest": str(result.manifest_path),
                "customers": result.customers,
                "sha256": result.sha256,
                "alerts": alerts,
            }
        )
        return
    written = tr(
        "Review {uid} written to {path} ({customers} customers named, fingerprinted); signed manifest {manifest}.",
        uid=result.export_uid,
        path=str(result.path),
        customers=result.customers,
        manifest=str(result.manifest_path),
    )
    stdout().print(written, style="green")
    for alert in result.alerts:
        shown = alert.in_language(lang) if hasattr(alert, "in_language") else alert.message
        stdout().print(f"[yellow]{escape(tr('Alert:'))}[/] {escape(shown)}", markup=True)
