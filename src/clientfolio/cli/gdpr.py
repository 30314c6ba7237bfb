"""``clientfolio gdpr``: the customer file's GDPR duties (``clientfolio.protect.gdpr``).

The record of processing, the rights of a contact person (access,
rectification, erasure, objection to prospecting) and the retention purge.
Admins only (``--as`` names the acting user; default: the local owner, audited
as ``cli:<operating-system user>``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clientfolio.cli._common import (
    AsOption,
    DataTable,
    DbOption,
    JsonOption,
    actor,
    emit_json,
    fmt,
    parse_day,
    principal_for,
    settings_for,
    stdout,
    tr,
)
from clientfolio.i18n import N_

if TYPE_CHECKING:
    from clientfolio.access import Principal
    from clientfolio.protect.keys import KeyRing
    from clientfolio.settings import Settings
    from clientfolio.store import Store

__all__ = ["gdpr_app"]

gdpr_app = typer.Typer(
    help="The customer file's GDPR duties: record of processing, a person's rights, retention.",
    no_args_is_help=True,
)
YES = frozenset({"y", "yes", "o", "oui"})
ACCOUNT_KINDS = {"customer": N_("customer"), "prospect": N_("prospect")}
EmailArgument = Annotated[str, typer.Argument(help="The contact person's e-mail address (exact, case ignored).")]


def _open(db: str | None, as_user: str | None) -> tuple[Settings, Store, KeyRing, Principal]:
    """The settings, the store, the key ring and the acting principal (the
    local owner is audited under its operating-system name)."""
    from clientfolio.access import SYSTEM, Principal
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    principal = principal_for(store, as_user)
    if principal == SYSTEM:
        principal = Principal(actor(), SYSTEM.role, SYSTEM.scope)
    return settings, store, KeyRing.load(settings), principal


def _confirm(question: str) -> None:
    answer = typer.prompt(f"{question} {tr('[y/N]')}", default="", show_default=False)
    if answer.strip().lower() not in YES:
        raise typer.Abort()


@gdpr_app.command("record")
def gdpr_record(as_json: JsonOption = False, as_user: AsOption = None, db: DbOption = None) -> None:
    """Show the record of processing (registre des traitements): data held, purposes, recipients, retention."""
    from clientfolio.protect.gdpr import processing_record

    settings, store, _, principal = _open(db, as_user)
    record = processing_record(store, principal, settings)
    if as_json:
        emit_json(record.as_dict())
        return
    data = DataTable(title=tr("Personal data held"), show_edge=False)
    for heading in (tr("table"), tr("fields"), tr("rows")):
        data.add_column(heading)
    for category in record.categories:
        data.add_row(category.table, ", ".join(category.columns), fmt().number(category.rows))
    stdout().print(data)
    stdout().print(tr("Purposes:"))
    for purpose in record.purposes:
        stdout().print(f"- {tr(purpose)}", highlight=False)
    recipients = DataTable(title=tr("Recipients (the export registry)"), show_edge=False)
    for heading in (tr("recipient"), tr("kinds"), tr("exports"), tr("last")):
        recipients.add_column(heading)
    for r in record.recipients:
        recipients.add_row(r.recipient, ", ".join(r.kinds), fmt().number(r.exports), fmt().date(r.last.date()))
    stdout().print(recipients)
    stdout().print(
        tr(
            "Retention: prospects {prospect} years without contact; customers' contact persons {customer} years "
            "after the relationship; invoices {invoice} years.",
            prospect=record.retention["prospect_years"],
            customer=record.retention["customer_contact_years"],
            invoice=record.retention["invoice_years"],
        )
    )


@gdpr_app.command("access")
def gdpr_access(
    email: EmailArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the answer to this JSON file (mode 0600) instead of printing it."),
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Everything held about one contact person (right of access), as JSON."""
    from clientfolio.protect.gdpr import subject_access

    _, store, ring, principal = _open(db, as_user)
    answer = subject_access(store, ring, email, principal, chain_key=ring.subkey("audit"))
    if out is None:
        emit_json(answer)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(answer, f, ensure_ascii=False, indent=2)
    stdout().print(tr("Written to {path}: {count} contact rows.", path=str(out), count=len(answer["contacts"])))


@gdpr_app.command("rectify")
def gdpr_rectify(
    email: EmailArgument,
    field: Annotated[str, typer.Option("--field", help="name, function, email or phone.")],
    value: Annotated[str, typer.Option("--value", help="The new value (empty: cleared).")],
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Correct a field of a contact person (right of rectification)."""
    from clientfolio.protect.gdpr import rectify

    _, store, ring, principal = _open(db, as_user)
    count = rectify(store, ring, email, field, value, principal, chain_key=ring.subkey("audit"))
    stdout().print(tr("Rectified: {count} contact rows.", count=count))


@gdpr_app.command("erase")
def gdpr_erase(
    email: EmailArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking.")] = False,
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Erase a contact person (right to erasure); what the law keeps is said."""
    from clientfolio.protect.gdpr import erase

    _, store, ring, principal = _open(db, as_user)
    if not yes:
        _confirm(tr("Erase every record of {email}? This cannot be undone.", email=email))
    result = erase(store, ring, email, principal, chain_key=ring.subkey("audit"))
    stdout().print(
        tr(
            "Erased: {contacts} contact rows; {activities} activities cleared of their text.",
            contacts=result.contacts,
            activities=result.activities,
        )
    )
    for message, params in result.kept:
        stdout().print(f"- {tr(message, **params)}", highlight=False)


@gdpr_app.command("object")
def gdpr_object(email: EmailArgument, as_user: AsOption = None, db: DbOption = None) -> None:
    """Record a contact person's objection to prospecting: mailing exports leave them out."""
    from clientfolio.protect.gdpr import object_to_prospecting

    _, store, ring, principal = _open(db, as_user)
    count = object_to_prospecting(store, ring, email, principal, chain_key=ring.subkey("audit"))
    stdout().print(tr("Objection recorded: {count} contact rows left out of mailings.", count=count))


@gdpr_app.command("retention")
def gdpr_retention(
    purge_now: Annotated[
        bool, typer.Option("--purge", help="Delete the contact persons listed (after confirmation).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --purge: purge without asking.")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to reckon from, YYYY-MM-DD (default: today).")
    ] = None,
    as_json: JsonOption = False,
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """List the contact persons past their retention (a dry run); --purge deletes them."""
    from clientfolio.protect.gdpr_retention import purge, retention_due

    settings, store, ring, principal = _open(db, as_user)
    today = dt.date.today() if as_of is None else parse_day(as_of)
    due = retention_due(store, principal, today, settings)
    if as_json and not purge_now:
        emit_json([i.as_dict() for i in due])
        return
    table = DataTable(title=tr("Past their retention on {day}", day=fmt().date(today)), show_edge=False)
    for heading in (tr("account"), tr("kind"), tr("last contact"), tr("contact persons")):
        table.add_column(heading)
    for item in due:
        table.add_row(
            item.code, tr(ACCOUNT_KINDS[item.kind]), fmt().date(item.last_contact), fmt().number(item.contacts)
        )
    stdout().print(table)
    if not purge_now:
        stdout().print(tr("A dry run: nothing changed (purge with --purge)."))
        return
    if not due:
        return
    if not yes:
        _confirm(tr("Delete the contact persons of these {count} accounts?", count=len(due)))
    done = purge(store, ring, due, principal, today, chain_key=ring.subkey("audit"), settings=settings)
    stdout().print(
        tr(
            "Purged: {contacts} contact persons of {count} accounts.",
            contacts=sum(i.contacts for i in done),
            count=len(done),
        )
    )
