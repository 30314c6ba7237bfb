"""What the commands share: the options, the settings, the acting user, the
consoles and the one error boundary.

The consoles travel on the Typer context (``ctx.obj``, a :class:`Consoles`,
set by the application's callback in ``clientfolio.cli``); :func:`stdout` and
:func:`stderr` fetch them from the context of the command running.  Errors: a command lets :class:`ClientfolioError`
propagate; :class:`ErrorBoundary`, the application's group, prints it (an
:class:`ImportRejected` as the table of its problems) on the error console and
exits with code 1.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from clientfolio.errors import ClientfolioError
from clientfolio.i18n import Formatter, formatter, language_from_environment, render
from clientfolio.settings import Settings

if TYPE_CHECKING:
    from clientfolio.access import Principal
    from clientfolio.store import Store

__all__ = [
    "AsOfOption",
    "AsOption",
    "Consoles",
    "DbOption",
    "ErrorBoundary",
    "JsonOption",
    "actor",
    "parse_day",
    "principal_for",
    "settings_for",
    "fmt",
    "lang",
    "show_error",
    "stderr",
    "stdout",
    "tr",
]

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: CLIENTFOLIO_DATABASE_URL, else ./clientfolio.db)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Analyse as of this date, YYYY-MM-DD (default: the last sale).")
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (its role and scopes apply; default: the local owner, admin)."),
]


@dataclass(frozen=True)
class Consoles:
    """The standard output and the error output of one run (``ctx.obj``), and
    the language of its texts (``fr`` or ``en``)."""

    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    lang: str = field(default_factory=lambda: language_from_environment(os.environ))


# the root context of the command running (set by ErrorBoundary for the run)
_RUN: ContextVar[typer.Context | None] = ContextVar("clientfolio_cli_run", default=None)


def _consoles() -> Consoles:
    ctx = _RUN.get()
    found = None if ctx is None else ctx.find_object(Consoles)
    return Consoles() if found is None else found


def stdout() -> Console:
    """The console of the results (standard output)."""
    return _consoles().out


def stderr() -> Console:
    """The console of the errors and the progress bars (standard error)."""
    return _consoles().err


def lang() -> str:
    """The language of the run's texts: ``--lang``, else ``CLIENTFOLIO_LANG``,
    else the locale (``clientfolio.i18n.language_from_environment``)."""
    return _consoles().lang


def tr(message: str, /, **params: Any) -> str:
    """``message`` (English, a message of the catalogs, with ``{field}``
    parameters) in the run's language, its parameters shown in that language
    (``clientfolio.i18n.render``: ``_cents`` amounts, ``_share`` shares, dates,
    ``_msg`` messages translated)."""
    return render(lang(), message, params)


def fmt() -> Formatter:
    """Numbers, money, percentages, dates and quarters in the run's language."""
    return formatter(lang())


def settings_for(db: str | None) -> Settings:
    """The settings, with ``--db`` (when given) as the database URL."""
    settings = Settings()
    return settings.model_copy(update={"database_url": db}) if db else settings


def principal_for(store: Store, username: str | None) -> Principal:
    """Who acts: the user ``--as`` names, else the local owner (SYSTEM, admin)."""
    from clientfolio.access import SYSTEM
    from clientfolio.protect.users import principal_for as user_principal

    return SYSTEM if username is None else user_principal(store, username)


def actor() -> str:
    """The audit log's actor for a command run by the local user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in this environment
        return "cli"


def parse_day(text: str, option: str = "--as-of") -> dt.date:
    """``text`` as a date YYYY-MM-DD; a :class:`ClientfolioError` naming ``option`` otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ClientfolioError(f"{option}: {text!r} is not a date YYYY-MM-DD") from None


def show_error(exc: ClientfolioError, errors: Console | None = None) -> None:
    """Print ``exc`` on ``errors`` (default: the error console): a message, or the problems of an import."""
    from clientfolio.ingest import ImportRejected

    errors = errors or stderr()
    if isinstance(exc, ImportRejected):
        table = Table(title=f"Nothing imported: {exc.total} problem(s)", title_style="bold red")
        for name in ("file", "line", "column", "value", "reason"):
            table.add_column(name, overflow="fold")
        for problem in exc.errors[:200]:
            table.add_row(problem.file, str(problem.line or ""), problem.column, problem.value[:40], problem.reason)
        errors.print(table)
        if exc.total > 200:
            errors.print(f"... and {exc.total - 200} more (use --json for the full list)")
    else:
        errors.print(f"[bold red]Error:[/] {escape(str(exc))}")  # a [table] in a message stays visible


class ErrorBoundary(TyperGroup):
    """The application's group: a :class:`ClientfolioError` raised by any command
    (or sub-command) becomes its message on the error console and exit code 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        token = _RUN.set(ctx)
        try:
            return super().invoke(ctx)
        except ClientfolioError as exc:
            show_error(exc)
            raise typer.Exit(1) from None
        finally:
            _RUN.reset(token)
