"""The ``clientfolio`` command: a thin shell over the library.

It parses options, builds the settings and the store, calls the library and
renders the result with Rich.  The commands live in their modules and share
``clientfolio.cli._common`` (options, settings, consoles, the error boundary that
turns domain errors into messages and exit code 1); they are registered here.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.text import Text

from clientfolio.cli._common import (
    AsOfOption,
    Consoles,
    DataConsole,
    DataTable,
    DbOption,
    ErrorBoundary,
    FileHeadersOption,
    JsonOption,
    JsonTable,
    SparkMasterOption,
    SparkRemoteOption,
    actor,
    emit_json,
    fmt,
    lang,
    parse_day,
    principal_for,
    settings_for,
    show_error,
    spark_options,
    stderr,
    stdout,
    tr,
)
from clientfolio.cli._fitting import fitting
from clientfolio.cli.exports import export_command, exports_app, trace_command, verify_command
from clientfolio.cli.gdpr import gdpr_app
from clientfolio.cli.plan import assess_command, plan_app
from clientfolio.cli.prospects import activity_app, prospects_command
from clientfolio.cli.protect import backup_command, keys_app, restore_command
from clientfolio.cli.report import report_command
from clientfolio.cli.users import audit_app, user_app
from clientfolio.cli.value import capital_lines, value_command
from clientfolio.cli.web import demo_users, open_hint, serve_command
from clientfolio.i18n import N_, gettext_for
from clientfolio.ingest.columns import KINDS, field_name

if TYPE_CHECKING:
    from clientfolio.access import PortfolioReader
    from clientfolio.analytics import PortfolioSummary
    from clientfolio.analytics.measures import MeasuresConfig
    from clientfolio.ingest import ImportResult
    from clientfolio.store import Store

__all__ = ["app", "console", "errors", "main"]

# the run's consoles: the callback below puts them on the context (tests swap them here)
console: Console = DataConsole()
errors: Console = DataConsole(stderr=True)

app = typer.Typer(
    name="clientfolio",
    cls=ErrorBoundary,
    help="Measure, develop and protect your customer portfolio.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the customer store (migrations).", no_args_is_help=True)


def _version(shown: bool) -> None:
    if shown:
        from clientfolio import __version__

        typer.echo(f"clientfolio {__version__}")
        raise typer.Exit()


@app.callback()
def _consoles(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    if not isinstance(ctx.obj, Consoles):
        ctx.obj = Consoles(out=fitting(console), err=fitting(errors))


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or FEC file to import.")],
    kind: Annotated[
        str | None, typer.Option(help=f"What the file holds: {'|'.join(KINDS)} (default: guessed).")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="TOML or JSON file naming the column of each field.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count, write nothing.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Import as this user (its scopes apply; default: the local owner, admin)."),
    ] = None,
    header_row: Annotated[
        int | None,
        typer.Option(
            "--header-row", min=1, help="Line (CSV) or sheet row (XLSX) of the header, when the one found is wrong."
        ),
    ] = None,
    allow_future: Annotated[
        bool,
        typer.Option(
            "--allow-future",
            help="Keep invoice, payment, entry, activity and creation dates after today (refused by default).",
        ),
    ] = False,
    discounts_as_products: Annotated[
        bool,
        typer.Option(
            "--discounts-as-products",
            help="FEC: the discounts granted (709) as a product line (default: lines "
            "without product, kept out of the product lines).",
        ),
    ] = False,
) -> None:
    """Import invoices, customers, products, prospects, activities or an FEC: all or nothing."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from clientfolio.filelimits import SETTINGS, FileLimitExceeded, ReadLimits, reading_limits
    from clientfolio.ingest import ImportRejected, import_file, load_mapping
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    try:
        store = Store(settings.database_url)
        loaded = load_mapping(mapping) if mapping else None
        principal = principal_for(store, as_user)
        ring = KeyRing.load(settings, create=True)
        with (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=stderr(),
                transient=True,
                disable=as_json,
            ) as bar,
            reading_limits(ReadLimits.from_settings(settings)),
        ):  # CLIENTFOLIO_UPLOAD_MAX_*
            task = bar.add_task(tr("Importing {file}", file=file.name), total=None)
            result = import_file(
                store,
                file,
                kind=kind,
                mapping=loaded,
                dry_run=dry_run,
                settings=settings,
                ring=ring,
                chain_key=ring.subkey("audit"),
                principal=principal,
                actor=actor() if as_user is None else principal.username,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                header_row=header_row,
                allow_future=allow_future,
                discounts_as_products=discounts_as_products,
            )
    except ImportRejected as exc:
        if as_json:
            emit_json(
                {
                    "imported": False,
                    "total_errors": exc.total,
                    "errors": [
                        {k: v for k, v in e.__dict__.items() if k not in ("template", "params")} for e in exc.errors
                    ],
                }
            )
            raise typer.Exit(1) from None
        raise
    except FileLimitExceeded as exc:
        if exc.limit not in SETTINGS or as_json:
            raise
        show_error(exc)  # then how to read a larger file of one's own
        stderr().print(
            tr(
                "The limit is the setting {setting} (docs/settings.md): raise it to import a larger file.",
                setting=SETTINGS[exc.limit],
            )
        )
        raise typer.Exit(1) from None
    if as_json:
        emit_json({"imported": not dry_run, **result.as_dict()})
        return
    _show_import(result)


# the tables an import counts, and what a file holds (``--kind``), by their English names
TABLE_NAMES = {
    "activities": N_("activities"),
    "contacts": N_("contacts"),
    "credit_notes": N_("credit notes"),
    "customers": N_("customers"),
    "fec": N_("FEC"),
    "invoice_lines": N_("invoice lines"),
    "invoices": N_("invoices"),
    "payments": N_("payments"),
    "product_lines": N_("product lines"),
    "products": N_("products"),
    "prospects": N_("prospects"),
    "segments": N_("segments"),
    "regions": N_("regions"),
}


# where a domain setting's value comes from
SOURCE_NAMES = {"default": N_("default"), "file": N_("file"), "env": N_("environment")}


def _table_name(code: str) -> str:
    return gettext_for(lang())(TABLE_NAMES.get(code, code.replace("_", " ")))


def _show_import(result: ImportResult) -> None:
    _ = gettext_for(lang())
    if result.already_imported:
        shown = tr(
            "{file} was already imported (import #{import_id}): nothing to do.",
            file=str(result.file),
            import_id=str(result.import_id),
        )
        stdout().print(shown, style="yellow")
        return
    if result.sheet:
        stdout().print(tr("Sheet read: {sheet}", sheet=result.sheet))
    if result.columns:
        table = DataTable(title=tr("Columns matched"), show_edge=False)
        table.add_column(tr("field"))
        table.add_column(tr("column in the file"))
        for name, header in result.columns.items():
            table.add_row(_(field_name(name, result.kind)), header)
        stdout().print(table)
    counts = DataTable(
        title=tr("{kind}: {rows} rows read", kind=_table_name(result.kind), rows=result.rows_read), show_edge=False
    )
    for name in (N_("table"), N_("created"), N_("updated"), N_("unchanged")):
        counts.add_column(tr(name), justify="right" if name != "table" else "left")
    for name in sorted({*result.created, *result.updated, *result.unchanged}):
        # the credit notes are counted among the invoices
        shown = "  " + tr("of which credit notes") if name == "credit_notes" else _table_name(name)
        counts.add_row(
            shown, *(fmt().number(getattr(result, b).get(name, 0)) for b in ("created", "updated", "unchanged"))
        )
    stdout().print(counts)
    if result.set_aside:
        aside = DataTable(title=tr("Set aside (not imported, on purpose)"), show_edge=False)
        for name in (N_("why"), N_("rows"), N_("amount")):
            aside.add_column(tr(name), justify="left" if name == "why" else "right")
        for item in result.set_aside:
            aside.add_row(
                _(item.reason),
                fmt().number(item.rows),
                fmt().money(item.amount_cents, decimals=False) if item.amount_cents else "-",
            )
        stdout().print(aside)
    if result.dry_run:
        stdout().print(tr("Dry run: nothing written."), style="yellow")
    else:
        stdout().print(tr("Imported (import #{import_id}).", import_id=str(result.import_id)), style="green")


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=10, help="Number of customers.")] = 300,
    years: Annotated[int, typer.Option(min=1, max=15, help="Years of sales history.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same portfolio).")] = 7,
    fec: Annotated[Path | None, typer.Option(help="Also write the sales as an FEC file here.")] = None,
    db: DbOption = None,
) -> None:
    """Create a realistic French B2B demo portfolio, then show its summary."""
    from clientfolio.access import SYSTEM, PortfolioReader
    from clientfolio.analytics import summarize
    from clientfolio.demo import generate_demo, write_fec
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    reader = PortfolioReader(store, SYSTEM)
    if reader.customers():
        held = tr(
            "{url} already holds a portfolio: showing it (give --db to build the demo elsewhere).", url=store.safe_url
        )
        stdout().print(held, style="yellow")
    else:
        ring = KeyRing.load(settings, create=True)
        with stdout().status(tr("Building the demo portfolio...")):
            made = generate_demo(store, customers=customers, years=years, seed=seed, ring=ring)
        created = tr("Demo portfolio created in {url}:", url=store.safe_url)
        counts = tr(
            "{customers} customers, {prospects} prospects, {invoices} invoices, {lines} invoice lines, "
            "{activities} activities, {users} users.",
            customers=made.customers,
            prospects=made.prospects,
            invoices=made.invoices,
            lines=made.lines,
            activities=made.activities,
            users=made.users,
        )
        stdout().print(f"[green]{escape(created)}[/] {escape(counts)}", markup=True)
        demo_users(store, ring)
    if fec:
        written_to, lines = write_fec(store, fec)
        stdout().print(tr("FEC written to {path} ({lines} lines).", path=str(written_to), lines=lines))
    _show_summary(summarize(reader.revenue_by_customer_date(), config=_measures_config(store)))
    _show_capital(store, reader)
    stdout().print(open_hint())


def _measures_config(store: Store) -> MeasuresConfig:
    """The measures' rules in effect for ``store`` (clientfolio.toml beside it, CLIENTFOLIO_MEASURES__*)."""
    from clientfolio.analytics.measures import MeasuresConfig
    from clientfolio.config import load_domain_config

    return load_domain_config(database_url=store.url, sections=("measures",)).section("measures", MeasuresConfig)


@app.command()
def summary(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Portfolio summary by twelve-month period: customers active, new, lost, revenue, concentration."""
    from clientfolio.access import SYSTEM, PortfolioReader
    from clientfolio.analytics import summarize
    from clientfolio.store import Store

    store = Store(settings_for(db).database_url)
    result = summarize(PortfolioReader(store, SYSTEM).revenue_by_customer_date(), config=_measures_config(store))
    if as_json:
        emit_json(
            {
                "customers": result.customers,
                "periods": [
                    {**p.__dict__, "start": p.start.isoformat(), "end": p.end.isoformat()} for p in result.periods
                ],
            }
        )
    else:
        _show_summary(result)


def _show_capital(store: Store, reader: PortfolioReader) -> None:
    """The headline: the valuation of the customer capital (``clientfolio value`` tells more)."""
    from clientfolio.value import value_source

    with stdout().status(tr("Valuing the customer capital...")):
        equity = value_source(store=store, reader=reader).equity
    head, *statements = capital_lines(equity)
    if equity.total_cents is None:
        stdout().print(head, markup=True)
        return
    stdout().print(
        head
        + tr(
            ": the gross margin expected from today's customers over {years} years, discounted at "
            "{rate_share} (`clientfolio value` for the method and the details).",
            years=fmt().number(equity.horizon_years, 0 if equity.horizon_years == int(equity.horizon_years) else 1),
            rate_share=equity.discount_rate,
        ),
        markup=True,
    )
    for statement in statements:
        stdout().print(statement, markup=True)  # escaped by ``capital_lines``


def _show_summary(result: PortfolioSummary) -> None:
    f = fmt()
    table = DataTable(
        title=tr("Portfolio: {count} customers with sales, by twelve-month period", count=result.customers)
    )
    for name in (
        N_("12 months to"),
        N_("active customers"),
        N_("new customers"),
        N_("lost customers"),
        N_("renewal new/lost"),
        N_("revenue excl. tax"),
        N_("top 20 % share"),
    ):
        table.add_column(tr(name), justify="right")
    for p in result.periods:
        ratio = "-" if p.renewal_ratio is None else f.number(p.renewal_ratio, 2)
        end = f.date(p.end) + ("" if p.complete else " " + tr("(partial)"))
        table.add_row(
            end,
            f.number(p.active),
            f.number(p.new),
            f.number(p.lost),
            ratio,
            f.money(p.revenue_cents, decimals=False),
            f.percent(p.top20_share),
        )
    stdout().print(table)
    if result.periods and not result.periods[0].complete:
        stdout().print(tr("(partial): the data starts inside that period."))


@app.command()
def analyze(
    db: DbOption = None,
    transactions: Annotated[
        str | None,
        typer.Option(
            help="CSV or Parquet transactions: customer_id,invoice_id,date,amount[,product,segment,margin]. "
            "A file, a folder of files (month=.../ sub-folders too) or a glob; with --engine spark also a URI "
            "(hdfs://, s3a://, abfss://...) or a catalog table, table:sales.invoices."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            help="duckdb|sqlite|postgres|spark (default: the store's own, or duckdb for files; the store on "
            "duckdb or spark is analysed from a private copy of its visible lines)."
        ),
    ] = None,
    spark_master: SparkMasterOption = None,
    spark_remote: SparkRemoteOption = None,
    as_of: AsOfOption = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="Write measures.json, abc.csv, rfm.csv and segment_product.csv into this folder; with "
            "--engine spark also a URI (hdfs://, s3a://, abfss://, gs://, file://)."
        ),
    ] = None,
    headers: FileHeadersOption = "codes",
    as_json: JsonOption = False,
) -> None:
    """Portfolio analysis: measures, ABC classes, RFM patterns, segment x product matrix."""
    from clientfolio.analytics.remote_out import check_out, write_out
    from clientfolio.analytics.run import CsvStyle, analyze_source, write_analysis

    style = CsvStyle.of(headers, lang())  # a wrong --headers stops the command before the analysis
    day = parse_day(as_of) if as_of else None
    names: dict[str, str] = {}
    url = settings_for(db).database_url if transactions is None else None
    spark = spark_options(spark_master, spark_remote, database_url=url) if engine == "spark" else None
    if out is not None:
        check_out(out, spark)  # a URI --out the run cannot write stops it before the analysis
    store: Store | None = None
    reader: PortfolioReader | None = None
    if transactions is None:  # the access layer and the store are loaded for a store only
        from clientfolio.access import SYSTEM, PortfolioReader
        from clientfolio.store import Store

        store = Store(settings_for(db).database_url)
        reader = PortfolioReader(store, SYSTEM)
        names = _segment_and_line_names(store)
    elif engine is None:
        engine = "duckdb"
    if out is None and not as_json:  # the tables on the terminal: no per-customer row is fetched
        from clientfolio.cli.render import analysis_tables

        shown = analyze_source(
            transactions=transactions,
            store=store,
            reader=reader,
            engine=engine,
            spark=spark,
            as_of=day,
            per_customer=False,
        )
        for renderable in analysis_tables(shown, names):
            stdout().print(renderable)
        return
    result = analyze_source(
        transactions=transactions, store=store, reader=reader, engine=engine, spark=spark, as_of=day
    )
    if out is not None:
        profiles = None
        if style.lang is not None:  # the profiles' names of the settings the analysis used
            from clientfolio.analytics.rfm import RfmConfig
            from clientfolio.config import load_domain_config

            rfm = load_domain_config(database_url=url, sections=("rfm",)).section("rfm", RfmConfig)
            profiles = rfm.profiles()
        written = write_out(
            out, lambda folder: write_analysis(result, folder, style=style, profiles=profiles, names=names), spark
        )
        if not as_json:
            stdout().print(tr("Written: {paths}", paths=", ".join(written)))
    if as_json:
        emit_json(
            {
                "as_of": result.as_of.isoformat(),
                "measures": result.measures.as_dict(),
                "abc_summary": result.abc_summary.to_pylist(),
                "abc": JsonTable(result.abc),
                "rfm": JsonTable(result.rfm),
                "segment_product": result.matrix.as_dict(),
            }
        )


def _segment_and_line_names(store: Store) -> dict[str, str]:
    """The names of the segments and of the product lines, by code (the matrix shows them)."""
    from clientfolio.access import SYSTEM, PortfolioReader

    names = PortfolioReader(store, SYSTEM).reference_names()
    return {**names["segment"], **names["product_line"]}


@app.command("settings")
def settings_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the settings: environment variable, current value and help.

    Then the domain settings (the thresholds and rules of the analyses, docs/settings.md): table, key,
    value, source (default, file or env) and help.
    """
    from clientfolio.config import load_domain_config
    from clientfolio.settings import Settings

    current = settings_for(db)
    rows = [
        (env, repr(getattr(current, env.removeprefix("CLIENTFOLIO_").lower())), help_)
        for env, _default, help_ in Settings.describe()
    ]
    domain = load_domain_config(current)
    if as_json:
        emit_json(
            {
                "settings": [{"variable": v, "value": val, "help": h} for v, val, h in rows],
                "file": None if domain.file is None else str(domain.file),
                "domain": [row.as_dict() for row in domain.rows()],
            }
        )
        return
    _ = gettext_for(lang())
    console = stdout()
    lines = [Text(tr("Settings (set them as environment variables)"), style="bold"), Text()]
    for variable, value, help_ in rows:  # Text: plain text, never read as Rich markup
        lines += [Text.assemble((variable, "bold"), f" = {value}"), *_wrapped(_(help_), 4, console.width)]
    read = (
        tr("defaults only: no settings file found") if domain.file is None else tr("file {path}", path=str(domain.file))
    )
    title = tr("Domain settings ({read}; CLIENTFOLIO_<TABLE>__<KEY> wins over the file)", read=read)
    lines += [Text(), Text(title, style="bold")]
    section = None
    for item in domain.rows(lang()):  # the catalogs' texts in values (the RFM rules') in the user's language
        if item.section != section:
            section = item.section
            lines += [Text(), Text(f"[{section}]", style="bold")]
        value = json.dumps(item.value, ensure_ascii=False, default=str)
        source = _(SOURCE_NAMES.get(item.source, item.source))
        lines.append(Text.assemble(("  " + item.key, "bold"), f" = {value}  ", (f"{source} · {item.variable}", "dim")))
        # the English description is the msgid (i18n/fr/settings.po)
        lines += _wrapped(_(item.help) if item.help else "", 6, console.width)
    # wrapped here, one line per setting (greppable): a group, which the consoles' wrapping of texts
    # (``fitting``) leaves alone; one print, no table to lay out
    console.print(Group(Text("\n").join(lines)), soft_wrap=True)


def _wrapped(text: str, indent: int, width: int) -> list[Text]:
    """``text`` wrapped to ``width`` columns, each line indented by ``indent`` spaces."""
    margin = " " * indent
    return [
        Text(line) for line in textwrap.wrap(text, max(20, width - 1), initial_indent=margin, subsequent_indent=margin)
    ]


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the store or bring it to the latest schema migration."""
    from clientfolio.store import Store

    store = Store(settings_for(db).database_url)
    stdout().print(
        tr("{url} is at schema revision {revision}.", url=store.safe_url, revision=str(store.current_revision()))
    )


@db_app.command("status")
def db_status(db: DbOption = None) -> None:
    """Show the store's schema revision and the latest one, without changing anything."""
    from clientfolio.store import Store

    store = Store(settings_for(db).database_url, upgrade=False)
    current = store.current_revision()
    head = Store.head_revision()
    state = tr("up to date") if current == head else tr("needs `clientfolio db upgrade`")
    stdout().print(
        tr(
            "{url}: revision {revision} (latest {head}): {state}.",
            url=store.safe_url,
            revision=current or tr("none"),
            head=str(head),
            state=state,
        )
    )


app.add_typer(db_app, name="db")
app.command("prospects")(prospects_command)
app.add_typer(activity_app, name="activity")
app.command("value")(value_command)
app.add_typer(keys_app, name="keys")
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("export")(export_command)
app.command("trace")(trace_command)
app.command("verify")(verify_command)
app.add_typer(exports_app, name="exports")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(gdpr_app, name="gdpr")
app.command("assess")(assess_command)
app.add_typer(plan_app, name="plan")
app.command("report")(report_command)
app.command("serve")(serve_command)


def main() -> None:
    app()
