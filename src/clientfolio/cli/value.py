"""``clientfolio value``: the value of the portfolio and of each customer."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import RenderableType
from rich.markup import escape
from rich.panel import Panel

from clientfolio.cli._common import (
    Column,
    DataTable,
    FileHeadersOption,
    SparkMasterOption,
    SparkRemoteOption,
    column_table,
    emit_json,
    fmt,
    lang,
    parse_day,
    spark_options,
    stdout,
    tr,
)
from clientfolio.i18n import N_, gettext_for, localized

if TYPE_CHECKING:  # the value models and the store are imported only when the command runs
    from clientfolio.store import Store
    from clientfolio.value import PortfolioValue
    from clientfolio.value.equity import Equity
    from clientfolio.value.portfolio import CustomerValue

__all__ = ["Names", "backtest_table", "capital_lines", "value_command", "value_tables"]


def value_command(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: CLIENTFOLIO_DATABASE_URL, else ./clientfolio.db)."),
    ] = None,
    transactions: Annotated[
        str | None,
        typer.Option(
            help="Value CSV or Parquet transactions instead (customer_id,invoice_id,date,amount[,margin]): a file, "
            "a folder of files or a glob; with --engine spark also a URI (hdfs://, s3a://...) or table:NAME."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            help="Where the lines are summed per customer: duckdb|spark for files (default duckdb), or "
            "sqlite|postgres|duckdb|spark for the store (default its own); one row per customer comes back."
        ),
    ] = None,
    spark_master: SparkMasterOption = None,
    spark_remote: SparkRemoteOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Value as of this date, YYYY-MM-DD (default: the last sale).")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="Write value.csv, prospects.csv and equity.json into this folder; with --engine spark also a "
            "URI (hdfs://, s3a://, abfss://, gs://, file://)."
        ),
    ] = None,
    headers: FileHeadersOption = "codes",
    horizon: Annotated[
        float | None,
        typer.Option(min=0.5, max=20, help="Years of future margin in the valuation (default: the settings', 3)."),
    ] = None,
    discount: Annotated[
        float | None,
        typer.Option(
            min=0, max=0.5, help="Yearly discount rate of future margin (0.10 = 10 %; default: the settings', 0.10)."
        ),
    ] = None,
    margin_rate: Annotated[
        float | None,
        typer.Option(
            min=0, max=1, help="Gross margin rate assumed when invoices carry no margin (default: the settings', 0.30)."
        ),
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Print the one-year backtest: the models fitted a year before the as-of date, their "
            "forecast of the following year against what the customers bought (total, by ABC "
            "class, one-time buyers).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Customer value: potential, crossed ABC, lifetime value, valuation of the customer capital, solvency."""
    from clientfolio.analytics.remote_out import check_out, write_out
    from clientfolio.analytics.run import CsvStyle
    from clientfolio.config import VALUE_SECTIONS, load_domain_config
    from clientfolio.settings import Settings
    from clientfolio.value import value_source, write_value

    style = CsvStyle.of(headers, lang())  # a wrong --headers stops the command before the valuation
    settings = Settings() if db is None else Settings().model_copy(update={"database_url": db})
    given = {
        k: v
        for k, v in (("horizon_years", horizon), ("discount_rate", discount), ("assumed_margin_rate", margin_rate))
        if v is not None
    }
    # clientfolio.toml and CLIENTFOLIO_VALUE__*, then the options
    config = load_domain_config(settings, sections=VALUE_SECTIONS).value
    config = config.model_copy(update={"clv": config.clv.model_copy(update=given)})
    day = parse_day(as_of) if as_of else None
    names: Names | None = None
    interval = as_json or out is not None or not backtest  # the backtest table alone shows no interval
    spark = spark_options(spark_master, spark_remote, database_url=settings.database_url) if engine == "spark" else None
    if out is not None:
        check_out(out, spark)  # a URI --out the run cannot write stops it before the valuation
    if transactions is not None:
        result = value_source(
            transactions=transactions, as_of=day, config=config, interval=interval, engine=engine, spark=spark
        )
    else:
        from clientfolio.access import SYSTEM, PortfolioReader  # the store's: not for a file
        from clientfolio.store import Store

        store = Store(settings.database_url)
        with stdout().status(tr("Fitting the value models...")):
            result = value_source(
                store=store,
                reader=PortfolioReader(store, SYSTEM),
                as_of=day,
                config=config,
                interval=interval,
                engine=engine,
                spark=spark,
            )
        if not as_json or style.lang is not None:
            names = Names.of(store)
    if out is not None:
        segments, regions = (None, None) if names is None else (names.segments, names.regions)
        written = write_out(
            out, lambda folder: write_value(result, folder, style=style, segments=segments, regions=regions), spark
        )
        if not as_json:
            stdout().print(tr("Written: {paths}", paths=", ".join(written)))
    if as_json:
        emit_json(result.as_dict())
    elif backtest:
        stdout().print(backtest_table(result))
    elif out is None:
        for renderable in value_tables(result, names):
            stdout().print(renderable)


@dataclass(frozen=True)
class Names:
    """The names of the codes a valuation shows (customers, segments, regions),
    from the store; a code without a name is shown as it is."""

    customers: dict[str, str] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, store: Store) -> Names:
        from sqlalchemy import select

        from clientfolio.access import SYSTEM, PortfolioReader
        from clientfolio.store.schema import Customer

        with store.begin() as conn:
            customers = {code: name for code, name in conn.execute(select(Customer.code, Customer.name)) if name}
        reference = PortfolioReader(store, SYSTEM).reference_names()
        return cls(customers, reference["segment"], reference["region"])


def capital_lines(equity: Equity) -> list[str]:
    """The valuation of the customer capital in the run's language: the total
    and its interval (or why it is not valued), then the sentences said with it
    (spend model, cautions, backtest).  ``clientfolio value`` and the demo's
    summary print these."""
    here = lang()
    if equity.total_cents is None:
        return [escape(tr("Customer capital: not valued ({reason}).", reason=equity.note_in(here) or "-"))]
    head = tr("Customer capital: {total_cents}", total_cents=round(equity.total_cents))
    if equity.low_cents is not None and equity.high_cents is not None:
        head += " " + tr(
            "({level_share} interval: {low_cents} to {high_cents})",
            level_share=equity.level,
            low_cents=round(equity.low_cents),
            high_cents=round(equity.high_cents),
        )
    return [f"[bold]{escape(head)}[/]", *(escape(s.in_language(here)) for s in equity.statements())]


def value_tables(result: PortfolioValue, names: Names | None = None) -> list[RenderableType]:
    """Rich renderings of a valuation in the run's language: headline,
    breakdowns, crossed ABC, top customers (``names``: the names of the codes)."""
    from clientfolio.value.categories import category_name
    from clientfolio.value.equity import MARGIN_BASES
    from clientfolio.value.strategy import TRAJECTORY_NAMES, strategy_name, trajectory_name

    names = names or Names()
    here, f = lang(), fmt()
    _ = gettext_for(here)
    e = result.equity
    lines = capital_lines(e)
    if e.total_cents is not None:
        basis = tr(
            "{customers} customers valued; {basis_msg}.",
            customers=e.customers_valued,
            basis_msg=MARGIN_BASES.get(e.margin_basis, e.margin_basis),
        )
        method = localized(here, e.method, e.method_msg, e.method_params)
        lines = [lines[0], escape(basis), escape(method), *lines[1:]]
    out: list[RenderableType] = [Panel("\n".join(lines), title=escape(tr("Valuation as of {day}", day=result.as_of)))]
    if e.by:
        table = DataTable(title=tr("Lifetime value by class, category, segment and region"))
        table.add_column(_("Breakdown"))
        table.add_column(_("Group"))
        table.add_column(_("Customers"), justify="right")
        table.add_column(_("Lifetime value"), justify="right")
        table.add_column(_("Per customer"), justify="right")
        for name, sums in e.by.items():
            counts = e.by_customers.get(name, {})
            for group, cents in sorted(sums.items(), key=lambda item: (_rank(name, item[0]), item[0])):
                n = counts.get(group, 0)
                table.add_row(
                    _(_BREAKDOWNS.get(name, name)),
                    _group(name, group, names),
                    f.number(n),
                    f.money(round(cents), decimals=False),
                    f.money(round(cents / n), decimals=False) if n else "-",
                )
        out.append(table)
    crossed = DataTable(
        title=tr("Crossed ABC: revenue class (rows) x potential class (columns), customers / potential")
    )
    crossed.add_column("")
    for p in "ABC":
        crossed.add_column(f"{p}'", justify="right")
    for r in "ABCP":
        cells = [c for c in result.crossed if c["revenue_class"] == r]
        crossed.add_row(
            _("Prospects") if r == "P" else _class(r),
            *(f"{f.number(c['customers'])} / {f.money(c['potential_cents'], decimals=False)}" for c in cells),
        )
    out.append(crossed)
    out.append(_potential_sources(result))
    out.append(_strategies(result))

    def money(cents: float | None) -> str:
        return f.money(cents, decimals=False)

    columns: list[Column[CustomerValue]] = [
        Column(_("Customer"), lambda c: names.customers.get(c.customer_id, c.customer_id)),
        Column(_("Revenue"), lambda c: money(c.revenue_cents), "right"),
        Column(_("Potential"), lambda c: money(c.potential_cents), "right", wide_only=True),
        Column(_("Value"), lambda c: money(c.value_cents), "right"),
        Column(_("P(alive)"), lambda c: f.percent(c.p_alive), "right", wide_only=True),
        Column(_("Lifetime value"), lambda c: "-" if c.clv_cents is None else money(round(c.clv_cents)), "right"),
        Column(_("Class"), lambda c: f"{c.abc}/{c.potential_class}'"),
        Column(_("Category"), lambda c: "-" if c.category is None else _(category_name(c.category))),
        Column(_("Strategy"), lambda c: "-" if c.strategy is None else _(strategy_name(c.strategy)), wide_only=True),
        Column(
            _("Trajectory"), lambda c: "-" if c.trajectory is None else _(trajectory_name(c.trajectory)), wide_only=True
        ),
    ]
    largest = sorted(result.customers, key=lambda c: (-c.value_cents, c.customer_id))[:15]
    top = column_table(tr("The 15 most valuable customers"), columns, largest)
    out.append(top)
    moves = Counter(c.trajectory for c in result.customers if c.trajectory)
    shown = ", ".join(f"{_(trajectory_name(k))} {f.number(moves[k])}" for k in _in_order(moves, TRAJECTORY_NAMES))
    out.append(tr("Trajectories: {moves}", moves=shown or "-"))
    if result.solvency:
        out.append(_solvency(result.solvency))
    return out


_BREAKDOWNS = {"abc": N_("ABC class"), "category": N_("Category"), "segment": N_("Segment"), "region": N_("Region")}


def _rank(breakdown: str, group: str) -> int:
    """Categories in their order (VIP first), other groups by their code."""
    from clientfolio.value.categories import CATEGORIES

    return CATEGORIES.index(group) if breakdown == "category" and group in CATEGORIES else len(CATEGORIES)


def _class(letter: str) -> str:
    """``Classe A`` / ``Class A`` (``value.backtest.GROUP_LABELS``)."""
    from clientfolio.value.backtest import GROUP_LABELS

    return gettext_for(lang())(GROUP_LABELS.get(letter, letter))


def _group(breakdown: str, group: str, names: Names) -> str:
    """A group of a breakdown by its name: the class, the category's name, the segment's or region's name."""
    if group == "-":
        return gettext_for(lang())("Not given")
    if breakdown == "abc":
        return _class(group)
    if breakdown == "category":
        from clientfolio.value.categories import category_name

        return gettext_for(lang())(category_name(group))
    known = names.segments if breakdown == "segment" else names.regions if breakdown == "region" else {}
    return known.get(group, group)


def _in_order(counts: Mapping[str, int], order: Mapping[str, str]) -> list[str]:
    """The keys of ``counts``: those of ``order`` in its order, then the others sorted."""
    return [k for k in order if k in counts] + sorted(k for k in counts if k not in order)


def _solvency(s: Mapping[str, Any]) -> str:
    """One sentence: the payment incidents, the open and overdue amounts, the DSO."""
    if not s.get("has_payment_data"):
        return tr("Solvency: no payment data.")
    start = s["window_start"]
    return tr(
        "Solvency since {start}: {with_incidents} of {customers} customers with payment incidents ({at_risk} at "
        "risk, {to_watch} to watch), {revenue_share} of the revenue; {open_cents} open, {overdue_cents} overdue; "
        "days sales outstanding {dso}.",
        start=start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start)),
        with_incidents=s["customers_with_incidents"],
        customers=s["customers"],
        at_risk=s["customers_at_risk"],
        to_watch=s["customers_to_watch"],
        revenue_share="-" if s["incident_revenue_share"] is None else s["incident_revenue_share"],
        open_cents=s["open_cents"],
        overdue_cents=s["overdue_cents"],
        dso="-" if s["dso_days"] is None else tr("{days} days", days=round(s["dso_days"])),
    )


def _potential_sources(result: PortfolioValue) -> str:
    """How many customers and prospects have an entered potential, and how many
    each kind of estimate (``value.potential.SOURCE_LABELS``): one line each."""
    from clientfolio.value.potential import source_label

    _ = gettext_for(lang())
    lines = {
        "customers": N_("Potential sources of the customers: {sources}."),
        "prospects": N_("Potential sources of the prospects: {sources}."),
    }
    shown = [
        tr(
            lines[kind],
            sources=", ".join(f"{_(source_label(source))} ({fmt().number(n)})" for source, n in counts.items()),
        )
        for kind, counts in result.potential_sources.items()
        if counts and kind in lines
    ]
    return "\n".join(shown) or tr("Potential sources: none.")


def _strategies(result: PortfolioValue) -> str:
    """One line: the customers of each strategy, and where the axes are cut."""
    from clientfolio.value.strategy import BASIS_NAMES, STRATEGY_NAMES, strategy_name

    _, f = gettext_for(lang()), fmt()
    t = result.quadrant_thresholds
    counts = Counter(c.strategy for c in result.customers if c.strategy)
    idle = sum(c.quadrant is None and c.quadrant_note == "no_purchase" for c in result.customers)

    def cut(cents: float | None) -> str:
        return "-" if cents is None else f.money(round(cents), decimals=False)

    rule = (
        tr("Pareto rule, {low_share}", low_share=t["low_share"])
        if t.get("rule") == "pareto"
        else tr("fixed thresholds")
        if t.get("rule") == "fixed"
        else str(t.get("rule", "-"))
    )
    shown = ", ".join(f"{_(strategy_name(k))} {f.number(counts[k])}" for k in _in_order(counts, STRATEGY_NAMES))
    return tr(
        "Strategies: {strategies}; no quadrant (no purchase in the window, no future value): {idle}. "
        "High ({rule}): profitability ({profit_basis_msg}) from {profit}, potential ({potential_basis_msg}) "
        "from {potential}.",
        strategies=shown or "-",
        idle=idle,
        rule=rule,
        profit_basis_msg=BASIS_NAMES.get(str(t.get("profit_basis")), str(t.get("profit_basis"))),
        potential_basis_msg=BASIS_NAMES.get(str(t.get("potential_basis")), str(t.get("potential_basis"))),
        profit=cut(t.get("profit_cents")),
        potential=cut(t.get("potential_cents")),
    )


def backtest_table(result: PortfolioValue) -> RenderableType:
    """The one-year backtest of the valuation's models, in the run's language:
    the sentence, then the forecast against the outcome for all customers, each
    ABC class and the one-time buyers of the cutoff date."""
    from clientfolio.value.backtest import GROUP_LABELS
    from clientfolio.value.equity import MODEL_NAMES

    here, f = lang(), fmt()
    _ = gettext_for(here)
    e = result.equity
    if e.backtest is None or e.backtest_statement is None:
        reason = e.note_in(here) or tr("the history before the backtest's cutoff is too short to fit the models")
        return tr("No backtest: {reason}.", reason=reason)
    b = e.backtest
    table = DataTable(
        title=tr(
            "Backtest: the models fitted on the history up to {fitted_on} ({purchase_model}; spend: "
            "{spend_model_msg}), their forecast of the {months} months to {as_of}",
            fitted_on=dt.date.fromisoformat(str(b["fitted_on"])),
            purchase_model=MODEL_NAMES.get(b["purchase_model"], b["purchase_model"]),
            spend_model_msg=MODEL_NAMES.get(b["spend_model"], b["spend_model"]),
            months=b["months"],
            as_of=dt.date.fromisoformat(str(b["as_of"])),
        ),
        caption=e.backtest_statement.in_language(here),
    )
    table.add_column(_("Customers of the cutoff date"))
    for column in ("Count", "Forecast", "Bought", "Gap"):
        table.add_column(_(column), justify="right")
    for g in (b["total"], *b["groups"]):
        error = g["error"]
        gap = "-" if error is None else ("+" if error > 0 else "") + f.percent(error)
        table.add_row(
            _(GROUP_LABELS[g["name"]]),
            f.number(g["customers"]),
            f.money(round(g["predicted_cents"]), decimals=False),
            f.money(round(g["actual_cents"]), decimals=False),
            gap,
        )
    return table
