"""``clientfolio value``: the value of the portfolio and of each customer."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.cli._common import parse_day, stdout
from clientfolio.i18n import euros
from clientfolio.settings import Settings
from clientfolio.store import Store

if TYPE_CHECKING:  # the value models are imported only when the command runs
    from clientfolio.value import PortfolioValue

__all__ = ["backtest_table", "value_command", "value_tables"]


def value_command(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: CLIENTFOLIO_DATABASE_URL, else ./clientfolio.db)."),
    ] = None,
    transactions: Annotated[
        Path | None,
        typer.Option(
            help="Value a CSV or Parquet transactions file instead (customer_id,invoice_id,date,amount[,margin])."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Value as of this date, YYYY-MM-DD (default: the last sale).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write value.csv, prospects.csv and equity.json here.")] = None,
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
    from clientfolio.config import load_domain_config
    from clientfolio.value import value_source, write_value

    settings = Settings() if db is None else Settings().model_copy(update={"database_url": db})
    given = {
        k: v
        for k, v in (("horizon_years", horizon), ("discount_rate", discount), ("assumed_margin_rate", margin_rate))
        if v is not None
    }
    config = load_domain_config(settings).value  # clientfolio.toml and CLIENTFOLIO_VALUE__*, then the options
    config = config.model_copy(update={"clv": config.clv.model_copy(update=given)})
    day = parse_day(as_of) if as_of else None
    if transactions is not None:
        result = value_source(transactions=transactions, as_of=day, config=config)
    else:
        store = Store(settings.database_url)
        with stdout().status("Fitting the value models..."):
            result = value_source(store=store, reader=PortfolioReader(store, SYSTEM), as_of=day, config=config)
    if out is not None:
        written = write_value(result, out)
        if not as_json:
            stdout().print(f"Written: {', '.join(str(p) for p in written)}")
    if as_json:
        stdout().print_json(json.dumps(result.as_dict(), default=str))
    elif backtest:
        stdout().print(backtest_table(result))
    elif out is None:
        for renderable in value_tables(result):
            stdout().print(renderable)


def value_tables(result: PortfolioValue) -> list[RenderableType]:
    """Rich renderings of a valuation: headline, breakdowns, crossed ABC, top customers."""
    e = result.equity
    if e.total_cents is None:
        headline = f"Customer capital: not valued ({e.note})"
    else:
        interval = (
            f" ({e.level:.0%} interval {euros(round(e.low_cents))} - {euros(round(e.high_cents))})"
            if e.low_cents is not None and e.high_cents is not None
            else ""
        )
        told = [s.text for s in e.statements()]
        headline = (
            f"[bold]Customer capital: {euros(round(e.total_cents))}[/]{interval}\n"
            f"{e.customers_valued} customers valued, margin basis: {e.margin_basis}\n{e.method}\n" + "\n".join(told)
        )
    out: list[RenderableType] = [Panel(headline, title=f"Valuation as of {result.as_of.isoformat()}")]
    if e.by:
        table = Table(title="Value by class, category, segment, region")
        for column in ("breakdown", "group", "lifetime value"):
            table.add_column(column, justify="right" if column == "lifetime value" else "left")
        for name, sums in e.by.items():
            for group, cents in sums.items():
                table.add_row(name, group, euros(round(cents)))
        out.append(table)
    crossed = Table(title="Crossed ABC: revenue (rows) x potential (columns), customers / potential")
    crossed.add_column("")
    for p in "ABC":
        crossed.add_column(f"{p}'", justify="right")
    for r in "ABCP":
        cells = [c for c in result.crossed if c["revenue_class"] == r]
        crossed.add_row(r, *(f"{c['customers']} / {euros(c['potential_cents'])}" for c in cells))
    out.append(crossed)
    out.append(_potential_sources(result))
    out.append(_strategies(result))
    top = Table(title="The 15 most valuable customers")
    for column in (
        "customer",
        "revenue",
        "potential",
        "value",
        "P(alive)",
        "CLV",
        "class",
        "category",
        "strategy",
        "trajectory",
    ):
        top.add_column(column)
    for c in sorted(result.customers, key=lambda c: (-c.value_cents, c.customer_id))[:15]:
        top.add_row(
            c.customer_id,
            euros(c.revenue_cents),
            euros(c.potential_cents),
            euros(c.value_cents),
            "-" if c.p_alive is None else f"{c.p_alive:.0%}",
            euros(None if c.clv_cents is None else round(c.clv_cents)),
            f"{c.abc}/{c.potential_class}'",
            c.category or "-",
            c.strategy or "-",
            c.trajectory or "-",
        )
    out.append(top)
    moves = Counter(c.trajectory for c in result.customers if c.trajectory)
    out.append(f"Trajectories: {', '.join(f'{k} {v}' for k, v in sorted(moves.items())) or '-'}")
    if result.solvency:
        s = result.solvency
        if not s.get("has_payment_data"):
            out.append("Solvency: no payment data.")
        else:
            dso = "-" if s["dso_days"] is None else f"{s['dso_days']:.0f} days"
            share = "-" if s["incident_revenue_share"] is None else f"{s['incident_revenue_share']:.0%}"
            out.append(
                f"Solvency since {s['window_start']}: {s['customers_with_incidents']} of {s['customers']} "
                f"customers with payment incidents ({s['customers_at_risk']} at risk, "
                f"{s['customers_to_watch']} to watch), "
                f"{share} of the revenue; {euros(s['open_cents'])} open, "
                f"{euros(s['overdue_cents'])} overdue; DSO {dso}."
            )
    return out


def _potential_sources(result: PortfolioValue) -> str:
    """One line: how many customers and prospects have an entered potential,
    and how many each kind of estimate (``value.potential.SOURCE_LABELS``)."""
    from clientfolio.value.potential import source_label

    parts = [
        f"{kind} " + ", ".join(f"{n} {source_label(source)}" for source, n in counts.items())
        for kind, counts in result.potential_sources.items()
        if counts
    ]
    return f"Potential sources: {'; '.join(parts) or '-'}"


def _strategies(result: PortfolioValue) -> str:
    """One line: the customers of each strategy, and where the axes are cut."""
    t = result.quadrant_thresholds
    counts = Counter(c.strategy for c in result.customers if c.strategy)
    idle = sum(c.quadrant is None and c.quadrant_note == "no_purchase" for c in result.customers)

    def cut(cents: float | None) -> str:
        return "-" if cents is None else euros(round(cents))

    rule = f"pareto {t['low_share'] * 100:g} %" if t.get("rule") == "pareto" else t.get("rule", "-")
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"
    return (
        f"Strategies: {shown}; no quadrant (no purchase in the window, no future value) {idle}. "
        f"High ({rule}): profitability ({t.get('profit_basis')}) from {cut(t.get('profit_cents'))}, "
        f"potential ({t.get('potential_basis')}) from {cut(t.get('potential_cents'))}."
    )


def backtest_table(result: PortfolioValue) -> RenderableType:
    """The one-year backtest of the valuation's models: the sentence, then the
    forecast against the outcome for all customers, each ABC class and the
    one-time buyers of the cutoff date."""
    from clientfolio.value.backtest import GROUP_LABELS

    e = result.equity
    if e.backtest is None or e.backtest_statement is None:
        reason = e.note or "the history before the backtest's cutoff is too short to fit the models"
        return f"No backtest: {reason}."
    b = e.backtest
    table = Table(
        title=f"Backtest: the models fitted on the history up to {b['fitted_on']} ({b['purchase_model']}, "
        f"{b['spend_model']} spend), their forecast of the {b['months']} months to {b['as_of']}",
        caption=e.backtest_statement.text,
    )
    for column in ("customers of the cutoff", "count", "forecast", "bought", "gap"):
        table.add_column(column, justify="left" if column.startswith("customers") else "right")
    for g in (b["total"], *b["groups"]):
        gap = "-" if g["error"] is None else f"{g['error']:+.0%}"
        table.add_row(
            GROUP_LABELS[g["name"]],
            str(g["customers"]),
            euros(round(g["predicted_cents"])),
            euros(round(g["actual_cents"])),
            gap,
        )
    return table
