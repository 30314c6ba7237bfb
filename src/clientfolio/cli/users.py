"""``clientfolio user`` and ``clientfolio audit``: users, roles, scopes and the audit log.

The command line is the file owner's tool (the ``SYSTEM`` principal): it is
not itself logged in.  Its changes are audited with the actor
``cli:<operating-system user>``; the audit key comes from the key ring.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from clientfolio.cli._common import (
    DataTable,
    DbOption,
    JsonOption,
    actor,
    emit_json,
    fmt,
    lang,
    parse_day,
    settings_for,
    stderr,
    stdout,
    tr,
)
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_, gettext_for

if TYPE_CHECKING:  # the protection modules and the store are imported when a command runs
    from clientfolio.protect.users import UserRecord
    from clientfolio.store import Store

__all__ = ["audit_app", "user_app"]

user_app = typer.Typer(help="Users, roles and need-to-know scopes.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log: list and verify it.", no_args_is_help=True)


def _open(db: str | None, *, key: bool = True) -> tuple[Store, bytes]:
    """The store, and the audit chain key from the key ring (created when missing,
    unless ``key`` is False: then no key is loaded)."""
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    return store, KeyRing.load(settings, create=True).subkey("audit") if key else b""


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name: 2 to 100 of a-z 0-9 . _ @ - (lower-cased).")],
    role: Annotated[str, typer.Option("--role", help="admin, manager, sales, auditor or contractor.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the login name).")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Email address.")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Last day of access, YYYY-MM-DD (required for a contractor).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input (one line) instead of prompting."),
    ] = False,
    totp: Annotated[
        bool, typer.Option("--totp", help="Turn on the TOTP second factor; its secret is printed once.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create a user; the password is prompted twice (hidden) and checked against the policy."""
    from clientfolio.protect.totp import provisioning_uri
    from clientfolio.protect.users import create_user, set_totp

    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt(tr("Password"), hide_input=True, confirmation_prompt=tr("Repeat for confirmation"))
    day = None if expires is None else parse_day(expires, "--expires")
    store, key = _open(db)
    user_id = create_user(
        store,
        username,
        password,
        role,
        display_name=name,
        email=email,
        expires_on=day,
        actor=actor(),
        chain_key=key,
    )
    secret = set_totp(store, username, True, actor=actor(), chain_key=key) if totp else None
    login = username.strip().lower()
    created = tr("User {user} ({role_msg}) created", user=login, role_msg=role)
    stdout().print(f"[green]{created}[/] " + tr("(id {id}).", id=str(user_id)), markup=True)
    if secret:
        stdout().print(tr("TOTP secret (shown once): {secret}", secret=secret))
        stdout().print(tr("Authenticator URI: {uri}", uri=provisioning_uri(secret, login)))


def _status(user: UserRecord, now: dt.datetime) -> str:
    from clientfolio.protect.users import account_refusal

    refusal = account_refusal(user.is_active, user.left_on, user.expires_on, now.date())
    if refusal:
        return refusal
    return "locked" if user.locked_until is not None and user.locked_until > now else "active"


def _scope_text(scopes: Mapping[str, tuple[str, ...]]) -> str:
    """A scope in the run's language: ``region: IDF, ARA; segment: none``, or ``all``."""
    return "; ".join(
        tr("{dimension_msg}: {codes}", dimension_msg=d.replace("_", " "), codes=", ".join(c) or tr("none"))
        for d, c in sorted(scopes.items())
    ) or tr("all")


@user_app.command("list")
def user_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the users: role, status, expiry, second factor and scopes."""
    from clientfolio.protect.users import list_users

    store, _ = _open(db, key=False)
    users = list_users(store)
    now = dt.datetime.now(dt.UTC)
    rows = [{**u.as_dict(), "status": _status(u, now)} for u in users]
    if as_json:
        emit_json(rows)
        return
    _ = gettext_for(lang())
    table = DataTable(title=tr("{count} user(s)", count=len(rows)))
    for column in (N_("user"), N_("name"), N_("role"), N_("status"), N_("expires"), N_("2FA"), N_("scopes")):
        table.add_column(tr(column), overflow="fold")
    for u, row in zip(users, rows, strict=True):
        table.add_row(
            u.username,
            u.display_name,
            _(u.role),
            _(row["status"]),
            fmt().date(u.expires_on) if u.expires_on else "",
            "TOTP" if u.totp else "",
            _scope_text(u.scopes),
        )
    stdout().print(table)


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    db: DbOption = None,
) -> None:
    """Disable a user: it can no longer log in, and its sessions end at once."""
    from clientfolio.protect.users import disable_user

    store, key = _open(db)
    ended = disable_user(store, username, actor=actor(), chain_key=key)
    stdout().print(tr("User {user} disabled; {count} session(s) ended.", user=username.strip().lower(), count=ended))


@user_app.command("scope")
def user_scope(
    username: Annotated[str, typer.Argument(help="The user whose scope to show or set.")],
    region: Annotated[list[str] | None, typer.Option("--region", help="A region code it may see (repeat).")] = None,
    segment: Annotated[list[str] | None, typer.Option("--segment", help="A segment code (repeat).")] = None,
    product_line: Annotated[
        list[str] | None, typer.Option("--product-line", help="A product line code (repeat).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="First lift every restriction.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or set a user's need-to-know scope: regions, segments, product lines."""
    from clientfolio.protect.users import get_user, set_scopes

    if region or segment or product_line or clear:
        store, key = _open(db)
        scopes = set_scopes(
            store,
            username,
            region or None,
            segment or None,
            product_line or None,
            clear=clear,
            actor=actor(),
            chain_key=key,
        )
    else:
        store, _ = _open(db, key=False)
        user = get_user(store, username)
        if user is None:
            raise ClientfolioError("no user '{user}'", user=username)
        scopes = dict(user.scopes)
    if as_json:
        emit_json({d: list(c) for d, c in scopes.items()})
    else:
        stdout().print(tr("{user} sees: {scope}.", user=username.strip().lower(), scope=_scope_text(scopes)))


def _head(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    found = re.fullmatch(r"(\d+):([0-9a-fA-F]{64})", text.strip())
    if not found:
        raise ClientfolioError("--expect-head: {text} is not SEQ:HASH (as printed by audit verify)", text=repr(text))
    return int(found.group(1)), found.group(2).lower()


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None,
        typer.Option("--expect-head", help="SEQ:HASH noted from an earlier verify: also detects deleted last entries."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify the audit hash chain; exit 1 with the first bad entry when it was tampered with,
    3 when it is intact but a key rotation was interrupted (run `keys recover`)."""
    from clientfolio.protect.audit import verify_log
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    head = _head(expect_head)
    settings = settings_for(db)
    report = verify_log(Store(settings.database_url), KeyRing.load(settings), expect_head=head)
    runs = "; ".join(
        (
            tr("#{first} to #{last} under key {key}", first=str(first), last=str(last), key=str(key))
            if last != first
            else tr("#{first} under key {key}", first=str(first), key=str(key))
        )
        for first, last, key in report.sealed_by
    )
    _ = gettext_for(lang())
    if as_json:
        emit_json(report.as_dict())
    elif report.ok:
        stdout().print(
            f"[green]{tr('Audit log intact:')}[/] " + tr("{count} entries.", count=report.entries), markup=True
        )
        if report.head_seq:
            noted = f"{report.head_seq}:{report.head_hash}"
            stdout().print(tr("Head: {head}", head=noted))
            stdout().print(
                tr("Note it down elsewhere; later, --expect-head with it also detects deleted last entries.")
            )
    else:
        broken = tr(
            "Audit log broken at entry #{seq} ({reason}):", seq=str(report.first_bad_seq), reason=_(str(report.reason))
        )
        stderr().print(f"[bold red]{escape(broken)}[/] {escape(report.detail_in(lang()))}.", markup=True)
        if report.head_seq:
            stderr().print(tr("Sound up to entry #{seq}.", seq=str(report.head_seq)))
    if report.interrupted_rotation and not as_json:
        interrupted = tr("Key rotation interrupted")
        stderr().print(
            f"[bold yellow]{interrupted}[/] "
            + (
                tr(
                    "(not tampering): the key file holds several active keys; entries sealed {runs}. "
                    "Run `clientfolio keys recover` to complete it.",
                    runs=runs,
                )
                if runs
                else tr(
                    "(not tampering): the key file holds several active keys. "
                    "Run `clientfolio keys recover` to complete it."
                )
            ),
            markup=True,
        )
    if not report.ok:
        raise typer.Exit(1)
    if report.interrupted_rotation:
        raise typer.Exit(3)


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many entries, newest first.")] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the last entries of the audit log, newest first (not verified: see audit verify)."""
    from clientfolio.protect.audit import list_events
    from clientfolio.web.audit_text import action_text, details_text, target_text

    store, _ = _open(db, key=False)
    events = list_events(store, limit=limit)
    if as_json:
        emit_json([{**e.__dict__, "at": e.at.isoformat()} for e in events])
        return
    table = DataTable(title=tr("Audit log: last {count} entries", count=len(events)))
    for column in ("#", N_("at (UTC)"), N_("actor"), N_("action"), N_("target"), N_("details")):
        table.add_column(tr(column), overflow="fold")
    for e in events:
        table.add_row(
            str(e.seq),
            f"{fmt().date(e.at.date())} {e.at:%H:%M:%S}",
            e.actor,
            action_text(e.action, lang()),
            target_text(e.target, lang()),
            details_text(e.action, e.details, lang()),
        )
    stdout().print(table)
