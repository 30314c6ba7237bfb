"""What the commands share: the options, the settings, the acting user, the
consoles and the one error boundary.

The consoles travel on the Typer context (``ctx.obj``, a :class:`Consoles`,
set by the application's callback in ``clientfolio.cli``); :func:`stdout` and
:func:`stderr` fetch them from the context of the command running.  Errors: a command lets :class:`ClientfolioError`
propagate; :class:`ErrorBoundary`, the application's group, prints it (an
:class:`ImportRejected` as the table of its problems) on the error console and
exits with code 1.

The language of a run (``lang``): ``--lang fr|en``, an option of every command
(:func:`localize_commands` adds it to the tree), read from the command line
before parsing by :meth:`ErrorBoundary.main`; else ``CLIENTFOLIO_LANG``, else
the locale.  The help of every command, typer's and click's own words and
their usage errors are shown in that language (French in ``i18n/fr/cli.po``).
"""

from __future__ import annotations

import copy
import datetime as dt
import getpass
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer import _click
from typer.core import TyperArgument, TyperGroup

from clientfolio.cli._fitting import fitting, glued, keep_no_break_spaces
from clientfolio.errors import ClientfolioError, os_reason
from clientfolio.i18n import LANGS, N_, Formatter, formatter, gettext_for, language_from_environment, localized, render

if TYPE_CHECKING:
    import pyarrow as pa

    from clientfolio.access import Principal
    from clientfolio.analytics.engines import SparkOptions
    from clientfolio.settings import Settings
    from clientfolio.store import Store

__all__ = [
    "ARGUMENT_NAMES",
    "AsOfOption",
    "AsOption",
    "Column",
    "Consoles",
    "DataConsole",
    "DataTable",
    "DbOption",
    "ErrorBoundary",
    "FileHeadersOption",
    "JsonArray",
    "JsonOption",
    "JsonTable",
    "Language",
    "SparkMasterOption",
    "SparkRemoteOption",
    "actor",
    "column_table",
    "emit_json",
    "fmt",
    "lang",
    "parse_day",
    "principal_for",
    "settings_for",
    "show_error",
    "spark_options",
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
FileHeadersOption = Annotated[
    str,
    typer.Option(
        "--headers",
        help="Headers of the CSV files of --out: codes (default): identifiers and codes, ',' and decimal "
        "points, for machines; labels: column names and values by their names in the command's language "
        "(in French: ';' and decimal commas).",
    ),
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (its role and scopes apply; default: the local owner, admin)."),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        envvar="CLIENTFOLIO_SPARK_MASTER",
        show_envvar=False,
        help="With --engine spark: the Spark master, spark://host:7077, yarn or k8s://... (default: "
        "CLIENTFOLIO_SPARK_MASTER, else the [spark] table of the settings file, else local[2], or the master "
        "of spark-submit).",
    ),
]
SparkRemoteOption = Annotated[
    str | None,
    typer.Option(
        "--spark-remote",
        envvar="CLIENTFOLIO_SPARK_REMOTE",
        show_envvar=False,
        help="With --engine spark: a Spark Connect endpoint, sc://host:15002, instead of a master "
        "(default: CLIENTFOLIO_SPARK_REMOTE, else the settings file's).",
    ),
]


def spark_options(master: str | None, remote: str | None, *, database_url: str | None = None) -> SparkOptions:
    """The Spark engine's options of a command: ``--spark-master`` or
    ``--spark-remote`` (or their variables) over the ``[spark]`` table of the
    settings file placed by ``database_url`` (``clientfolio.config``)."""
    from clientfolio.config import load_domain_config

    options = load_domain_config(database_url=database_url, sections=("spark",)).spark
    if master and remote:
        raise ClientfolioError("give --spark-master or --spark-remote, not both")
    if remote and not remote.startswith("sc://"):
        raise ClientfolioError("--spark-remote: a Spark Connect endpoint starts with sc:// ({value})", value=remote)
    if master or remote:  # a master named here replaces the file's endpoint, and the reverse
        options = options.model_copy(update={"master": master or "", "remote": remote or ""})
    return options


# the language chosen for the run by ErrorBoundary.main (``--lang``, else the environment)
_LANG: ContextVar[str | None] = ContextVar("clientfolio_cli_lang", default=None)


def _run_language() -> str:
    chosen = _LANG.get()
    return chosen if chosen is not None else language_from_environment(os.environ)


class DataConsole(Console):
    """A console on which a text printed is shown as written, never read as Rich
    markup (it may hold data: a file, a recipient, a customer named "[/b] …"),
    unless the call says ``markup=True``: a line styled on purpose, its data escaped
    (``rich.markup.escape``)."""

    def print(self, *objects: Any, markup: bool | None = None, **options: Any) -> None:
        if not markup:
            objects = tuple(Text(o) if isinstance(o, str) else o for o in objects)
        super().print(*objects, markup=markup, **options)


@dataclass(frozen=True)
class Consoles:
    """The standard output and the error output of one run (``ctx.obj``), and
    the language of its texts (``fr`` or ``en``)."""

    out: Console = field(default_factory=lambda: fitting(DataConsole()))
    err: Console = field(default_factory=lambda: fitting(DataConsole(stderr=True)))
    lang: str = field(default_factory=_run_language)


# the root context of the command running (set by ErrorBoundary for the run)
_RUN: ContextVar[typer.Context | None] = ContextVar("clientfolio_cli_run", default=None)


def _consoles() -> Consoles:
    ctx = _RUN.get()
    found = None if ctx is None else ctx.find_object(Consoles)
    return Consoles() if found is None else found


def stdout() -> Console:
    """The console of the results (standard output)."""
    return _consoles().out


T = TypeVar("T")
WIDE = 100
"""Terminal columns from which a table shows its ``Column.wide_only`` columns too."""


@dataclass(frozen=True)
class Column(Generic[T]):
    """A column of :func:`column_table`: its header, its cell for a row, and whether it is
    left out of a narrow terminal (where many columns fold into slivers: "Typolo/gie")."""

    header: str
    cell: Callable[[T], str]
    justify: Literal["left", "right"] = "left"
    wide_only: bool = False


class DataTable(Table):
    """A table of data: its title, caption, headers and cells given as text are
    shown as written, never read as Rich markup (a customer, a product line or a
    segment named "[/b] SAS" would otherwise break the command or restyle its
    output); a cell that is styled on purpose is given as ``Text``."""

    def __init__(self, *headers: Any, title: Any = None, caption: Any = None, **options: Any) -> None:
        title, caption = (Text(t) if isinstance(t, str) else t for t in (title, caption))
        super().__init__(*headers, title=title, caption=caption, **options)

    def add_column(self, header: Any = "", *args: Any, **options: Any) -> None:
        super().add_column(Text(header) if isinstance(header, str) else header, *args, **options)

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*(Text(r) if isinstance(r, str) else r for r in renderables), **options)


def column_table(title: str, columns: Sequence[Column[T]], rows: Iterable[T]) -> DataTable:
    """A table of ``rows`` on the results' console: the ``wide_only`` columns only from
    ``WIDE`` terminal columns (the files of ``--out`` and ``--json`` have them all), each
    cell folded, never cut (a long name)."""
    wide = stdout().width >= WIDE
    shown = [c for c in columns if wide or not c.wide_only]
    table = DataTable(title=title)
    for column in shown:
        table.add_column(column.header, justify=column.justify, overflow="fold")
    for row in rows:
        table.add_row(*(column.cell(row) for column in shown))
    return table


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
    from clientfolio.settings import Settings

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
        raise ClientfolioError("{option}: {text} is not a date YYYY-MM-DD", option=option, text=repr(text)) from None


def show_error(exc: ClientfolioError, errors: Console | None = None) -> None:
    """Print ``exc`` on ``errors`` (default: the error console) in the run's
    language: a message, or the problems of an import."""
    from clientfolio.ingest import ImportRejected

    errors = errors or stderr()
    language = lang()
    if isinstance(exc, ImportRejected):
        table = DataTable(title=tr("Nothing imported: {count} problem(s)", count=exc.total), title_style="bold red")
        for name in (N_("file"), N_("line"), N_("column"), N_("value"), N_("reason")):
            table.add_column(tr(name), overflow="fold")
        for problem in exc.errors[:200]:
            reason = localized(language, problem.reason, problem.template, problem.params)
            table.add_row(
                problem.file, str(problem.line or ""), problem.column_in(language), problem.value[:40], reason
            )
        errors.print(table)
        if exc.total > 200:
            errors.print(tr("... and {count} more (use --json for the full list)", count=exc.total - 200))
    else:
        _say_error(exc.in_language(language), errors)


def _say_error(text: str, errors: Console) -> None:
    """``Error: text`` on ``errors``, in the run's language (a [table] in the text stays visible)."""
    errors.print(f"[bold red]{escape(tr('Error:'))}[/] {escape(text)}", markup=True)


def show_os_error(exc: OSError, errors: Console | None = None) -> None:
    """Print a file error (a path given on the command line that cannot be read or
    written) as the file and the reason, in the run's language, not a traceback."""
    reason = tr(os_reason(exc))
    path = str(exc.filename) if exc.filename is not None else ""
    shown = path if len(path) <= 80 else path[:77] + "..."
    _say_error(tr("{path}: {reason}", path=shown, reason=reason) if path else reason, errors or stderr())


@dataclass(frozen=True)
class JsonArray:
    """A JSON array :func:`emit_json` writes chunk by chunk (each chunk a list
    of items, encoded and written before the next is read): large tables
    stream without being held whole as Python objects or text."""

    chunks: Iterable[list[Any]]


@dataclass(frozen=True)
class JsonTable:
    """An Arrow table :func:`emit_json` writes as a JSON array of objects (one
    per row), streamed: compact output is encoded by DuckDB in batches of
    ``size`` rows (fast, no Python object per value), indented output row by row.
    A batch of 10,000 rows is about 2 MB of JSON: memory the allocator keeps and
    reuses (batches of 50,000 were mapped afresh each time: at 10M lines, 0.4 s
    of page faults of 0.47 s of encoding and writing)."""

    table: pa.Table
    size: int = 10_000


def emit_json(value: Any) -> None:
    """Write ``value`` as plain JSON on the results' output: no colours,
    compact (indented by two spaces when the output is a terminal), non-ASCII
    characters as they are, values JSON does not know as their ``str``.  A
    :class:`JsonArray` or :class:`JsonTable` anywhere in dicts or lists is streamed."""
    out = stdout().file
    indent = 2 if out.isatty() else None
    encoder = json.JSONEncoder(
        ensure_ascii=False, indent=indent, separators=(",", ": ") if indent else (",", ":"), default=str
    )
    _write_json(value, _JsonOutput(out), encoder, " " * (indent or 0), 0)
    out.write("\n")
    out.flush()


class _JsonOutput:
    """The results' output of :func:`emit_json`: text, and the UTF-8 text DuckDB
    encoded (a compact :class:`JsonTable`), written as bytes to the output's binary
    buffer when it has one in UTF-8 (not decoded into Python strings, then encoded again)."""

    def __init__(self, out: Any) -> None:
        self.text: Callable[[str], Any] = out.write
        self._out = out
        utf8 = str(getattr(out, "encoding", "")).lower().replace("-", "") == "utf8"
        self._raw = getattr(out, "buffer", None) if utf8 else None

    def utf8(self, data: memoryview) -> None:
        if self._raw is None:
            self.text(bytes(data).decode("utf-8"))
            return
        self._out.flush()  # the text written before goes first
        self._raw.write(data)


def _table_rows(table: pa.Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """The rows of an Arrow ``table`` as dicts (``Table.to_pylist``), ``size`` at a time."""
    for batch in table.to_batches(max_chunksize=size):
        yield batch.to_pylist()


def _table_json(table: pa.Table, size: int) -> Iterator[memoryview]:
    """The rows of an Arrow ``table`` as compact JSON objects joined by commas,
    UTF-8, ``size`` rows a piece: DuckDB's ``to_json`` (strings escaped, dates as
    ISO text, as ``json`` with ``default=str`` gives them), joined by Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from clientfolio.analytics.engines import duckdb_connection

    con = duckdb_connection()
    try:
        con.register("rows_", table)
        reader = con.execute("SELECT to_json(rows_) FROM rows_").to_arrow_reader(size)
        for batch in reader:
            rows = batch.column(0)
            if not len(rows):
                continue
            piece = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows), ",")
            yield memoryview(piece[0].as_buffer())
    finally:
        con.close()


def _write_json(value: Any, out: _JsonOutput, encoder: json.JSONEncoder, step: str, depth: int) -> None:
    """Write ``value`` at nesting ``depth`` (``step``: the encoder's indentation,
    empty when compact), its :class:`JsonArray` and :class:`JsonTable` parts chunk by chunk."""
    write = out.text
    if not _streams(value):
        write(_indented(encoder.encode(value), step, depth))
        return
    if isinstance(value, JsonTable):
        if step:
            value = JsonArray(_table_rows(value.table, value.size))
        else:
            write("[")
            for i, piece in enumerate(_table_json(value.table, value.size)):
                if i:
                    write(",")
                out.utf8(piece)
            write("]")
            return
    newline = "\n" + step * (depth + 1) if step else ""
    closing = "\n" + step * depth if step else ""
    if isinstance(value, dict):
        write("{")
        for i, (key, item) in enumerate(value.items()):
            write(("," if i else "") + newline + encoder.encode(str(key)) + encoder.key_separator)
            _write_json(item, out, encoder, step, depth + 1)
        write(closing + "}")
        return
    write("[")
    written = False
    if not isinstance(value, JsonArray):  # a list holding a streamed part
        for item in value:
            write(("," if written else "") + newline)
            _write_json(item, out, encoder, step, depth + 1)
            written = True
    else:
        for chunk in value.chunks:
            if chunk:
                body = _indented(encoder.encode(chunk), step, depth)[1:-1]  # the items, without the brackets
                write(("," if written else "") + (body[: -len(closing)] if closing else body))
                written = True
    write((closing if written else "") + "]")


def _streams(value: Any) -> bool:
    """Whether ``value`` holds a :class:`JsonArray` or :class:`JsonTable` (then it is written piece by piece)."""
    if isinstance(value, JsonArray | JsonTable):
        return True
    if isinstance(value, dict):
        return any(_streams(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_streams(item) for item in value)
    return False


def _indented(text: str, step: str, depth: int) -> str:
    """``text``, encoded at depth 0, moved to ``depth`` (its lines after the first indented by ``step`` each)."""
    return text.replace("\n", "\n" + step * depth) if step and depth else text


# ---------------------------------------------------------------------------
# The run's language: ``--lang`` on every command, the help and click's own
# words in that language.


class Language(StrEnum):
    """The languages of ``--lang``."""

    fr = "fr"
    en = "en"


LANG_HELP = N_("Language of the texts: fr or en (default: CLIENTFOLIO_LANG, else the locale).")


def _lang_option() -> Any:
    """A new ``--lang`` option: a copy of the one typer builds (once, :func:`_typer_lang_option`)."""
    return copy.copy(_typer_lang_option())


@cache
def _typer_lang_option() -> Any:
    """The ``--lang`` option (typer's own parameter class, built by typer)."""
    probe = typer.Typer()

    @probe.command()
    def _probe(
        language: Annotated[Language | None, typer.Option("--lang", help=LANG_HELP, show_default=False)] = None,
    ) -> None:  # pragma: no cover - never run
        pass

    option = typer.main.get_command(probe).params[0]
    option.expose_value = False  # the language is chosen before parsing (ErrorBoundary.main)
    option.is_eager = True
    return option


def language_in(args: Sequence[str]) -> str | None:
    """The language a command line asks for (``--lang fr`` or ``--lang=fr``,
    the last one wins; not after ``--``); None without one or for a value that
    is not a language (then the option's own check reports it)."""
    found: str | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else arg.partition("=")[2]
        if (arg == "--lang" or arg.startswith("--lang=")) and value.strip().lower() in LANGS:
            found = value.strip().lower()
    return found


def _without_lang(args: Sequence[str]) -> list[str]:
    """``args`` without their ``--lang`` options."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--lang":
            skip = True
        elif not arg.startswith("--lang="):
            kept.append(arg)
    return kept


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


# typer's rich help: its English words (module constants, read when the help is shown)
_RICH_WORDS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


_TYPE_WORDS = (
    N_("str"),
    N_("bool"),
    N_("int"),
    N_("int range"),
    N_("float"),
    N_("float range"),
    N_("path"),
    N_("list[str]"),
)
"""The kinds of value typer names in the help's type column (``<str>``), as typer
writes them: the messages of the catalog, shown in the run's language."""

ARGUMENT_NAMES = (N_("username"), N_("file"), N_("kind"), N_("email"), N_("action_id"), N_("request_id"))
"""The names of the commands' arguments (their parameters' names): messages of the
catalog, shown in the run's language in the help's table, its usage line
(``{username}``) and click's errors ("Missing argument 'username'.")."""


class _Formatter(_click.formatting.HelpFormatter):
    """Click's help formatter, its "Usage: " in the run's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, gettext_for(_run_language())("Usage: ") if prefix is None else prefix)


class _Context(typer.Context):
    formatter_class = _Formatter


def _typer_rich_utils() -> ModuleType:
    """typer's help and error formatting (``typer.rich_utils``: Rich's markdown, 50 ms to import),
    loaded when typer first uses it, not by every command: the words set on it before then stay
    (importlib's ``LazyLoader`` applies them again once the module has run)."""
    name = "typer.rich_utils"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.loader is not None
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        typer.rich_utils = module  # type: ignore[attr-defined]  # as an import would
    return module


def localize_commands(root: Any, language: str) -> None:
    """Give every command of the tree under ``root`` the ``--lang`` option, and
    its help texts (commands, options, arguments, the help option, typer's own
    words) in ``language``; the English texts of the code are the messages of
    the catalog (``i18n/fr/cli.po``).  Idempotent: the English is kept aside."""
    _ = gettext_for(language)
    rich_utils = _typer_rich_utils()
    for name, english in _RICH_WORDS.items():
        setattr(rich_utils, name, _(english))
    for command in _commands(root):
        command.context_class = _Context
        if not any("--lang" in getattr(param, "opts", ()) for param in command.params):  # report has its own
            command.params.append(_lang_option())
        context = _click.Context(command)
        help_option = command.get_help_option(context)
        for item in (command, *command.params, *([help_option] if help_option is not None else [])):
            if isinstance(item, TyperArgument):  # its name: typer shows the metavar when there is one
                item.metavar = _(item.__dict__.setdefault("_english_metavar", item.metavar or item.name))
            for attr in ("help", "short_help"):
                text = getattr(item, attr, None)
                if text:
                    english = item.__dict__.setdefault(f"_english_{attr}", text)
                    translated = _(english)  # French's spaces before ":" or "%" no-break ("défaut : …")
                    setattr(item, attr, translated if language == "en" else glued(translated))
            if hasattr(item, "display_type_rich"):  # typer's parameters: the type column of the help
                shown = type(item).display_type_rich(item, context)  # "<str>", "<int range>", "<fr|en>"
                word = shown[1:-1] if shown else ""
                if word in _TYPE_WORDS:
                    label = f"<{_(word)}>"
                    setattr(item, "display_type_rich", lambda ctx, label=label: label)  # noqa: B010
        if isinstance(command, TyperGroup):
            english = command.__dict__.setdefault("_english_metavar", command.subcommand_metavar)
            command.subcommand_metavar = _(english)


# click's and typer's error messages (f-strings in their code): their English
# as templates of the catalog, ``{field}`` a part of the message kept as is
_CLICK_ERRORS = (
    N_("Missing option {name}."),
    N_("Missing argument {name}."),
    N_("Missing parameter: {name}"),
    N_("Missing command."),
    N_("No such option: {name}"),
    N_("No such command {name}."),
    N_("Did you mean {names}?"),
    N_("(Possible options: {names})"),
    N_("Got unexpected extra argument(s) ({names})"),
    N_("Option {name} requires an argument."),
    N_("Option {name} requires {count} arguments."),
    N_("Option {name} does not take a value."),
    N_("Invalid value for {name}: "),
    N_("Invalid value: "),
    N_("{name} is not one of {names}."),
    N_("Value {name} is not a valid {kind}."),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be less than or equal to {name}"),
    N_("Input should be greater than or equal to {name}"),
    N_("Input should be less than {name}"),
    N_("Input should be greater than {name}"),
)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(
            re.escape(part) if i % 2 == 0 else (f"(?P<{part}>.+?)" if part == "names" else f"(?P<{part}>\\S+)")
            for i, part in enumerate(parts)
        )
    )


_CLICK_PATTERNS = tuple((template, _pattern(template)) for template in _CLICK_ERRORS)


def translate_click_message(message: str, language: str) -> str:
    """A message of click or typer (``Missing option '--role'.``) in ``language``."""
    out = message.replace("Value error, ", "")  # pydantic's prefix of a validator's message
    if language == "en":
        return out
    for template, pattern in _CLICK_PATTERNS:
        out = pattern.sub(lambda m, t=template: render(language, t, m.groupdict()), out)  # type: ignore[misc]
    return out


def _translated(exc: _click.exceptions.ClickException, language: str) -> None:
    english: Callable[[], str] = exc.format_message
    setattr(exc, "format_message", lambda: translate_click_message(english(), language))  # noqa: B010


class ErrorBoundary(TyperGroup):
    """The application's group: the run's language chosen and its help
    translated before parsing (:meth:`main`); a :class:`ClientfolioError`
    raised by any command (or sub-command) becomes its message on the error
    console and exit code 1; click's own errors are shown in the run's language."""

    def main(self, args: Sequence[str] | None = None, *more: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            language = language_in(argv) or language_from_environment(os.environ)
        except ValueError as exc:  # CLIENTFOLIO_LANG is not a language
            Console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}")
            raise SystemExit(2) from None
        if argv and not _without_lang(argv):  # ``clientfolio --lang fr``: the help, as ``clientfolio``
            args = [*argv, "--help"]
        token = _LANG.set(language)
        keep_no_break_spaces()
        try:
            localize_commands(self, language)
            return super().main(args, *more, **extra)
        finally:
            _LANG.reset(token)

    def make_context(self, *args: Any, **extra: Any) -> Any:
        try:
            return super().make_context(*args, **extra)
        except _click.exceptions.ClickException as exc:
            _translated(exc, _run_language())
            raise

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        token = _RUN.set(ctx)
        try:
            return super().invoke(ctx)
        except ClientfolioError as exc:
            show_error(exc)
            raise typer.Exit(1) from None
        except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
            raise
        except OSError as exc:  # a file of the command line: its path and why, not a traceback
            show_os_error(exc)
            raise typer.Exit(1) from None
        except _click.exceptions.ClickException as exc:
            _translated(exc, lang())
            raise
        finally:
            _RUN.reset(token)
