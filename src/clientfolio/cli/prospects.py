"""``clientfolio prospects`` and ``clientfolio activity``: the pipeline commands.

``activity`` is a group: without a sub-command it shows the activity index
(``activity_command``, its callback); ``activity log`` records one activity.
Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from clientfolio.cli._common import DbOption, JsonOption, actor, parse_day, principal_for, settings_for, stdout
from clientfolio.i18n import euros, gettext_for, percent
from clientfolio.prospects.priority import LEVELS, POTENTIAL_SIGNS, PRIORITY
from clientfolio.prospects.stages import FUNNEL_STAGES, STAGE_NAMES

if TYPE_CHECKING:  # the analyses bring the analytics engine: imported when a command runs
    from clientfolio.prospects.run import ProspectsView

__all__ = ["activity_app", "activity_command", "activity_log_command", "prospects_command"]

activity_app = typer.Typer(no_args_is_help=False)


def _stage(stage: str) -> str:
    """A stage as the terminal shows it: its name in French ("Prospect froid")."""
    return gettext_for("fr")(STAGE_NAMES[stage])


ActivityAsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Analyse as of this date, YYYY-MM-DD (default: the last sale or activity)."),
]


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def prospects_command(
    db: DbOption = None,
    as_of: ActivityAsOfOption = None,
    priority: Annotated[
        int | None,
        typer.Option("--priority", min=1, max=4, help="List only the open prospects of this priority (1-4)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Prospects: IPA / IPO priority matrix, funnel, conversions, time in stage, backward funnel."""
    from clientfolio.access import SYSTEM
    from clientfolio.prospects.run import prospects_view
    from clientfolio.store import Store

    day = parse_day(as_of) if as_of else None
    view = prospects_view(Store(settings_for(db).database_url), SYSTEM, as_of=day)
    if priority is not None:
        listed = [p for p in view.as_dict()["prospects"] if p["priority"] == priority]
        if as_json:
            stdout().print_json(
                json.dumps({"as_of": view.as_of.isoformat(), "priority": priority, "prospects": listed})
            )
            return
        table = Table(title=f"Priority {priority} prospects as of {view.as_of}: {len(listed)}")
        for name in ("code", "name", "stage", "owner", "potential", "IPA", "IPO", "cell"):
            table.add_column(name, justify="right" if name in ("potential", "IPA", "IPO") else "left")
        for p in listed:
            table.add_row(
                p["code"],
                p["name"],
                _stage(p["stage"]),
                p["owner"] or "-",
                euros(p["potential_cents"]),
                f"{p['ipa']:.1f}",
                f"{p['ipo']:.1f}",
                f"{POTENTIAL_SIGNS[p['potential']]} / {p['accessibility']}",
            )
        stdout().print(table)
        return
    if as_json:
        stdout().print_json(json.dumps(view.as_dict()))
        return
    for table in _prospect_tables(view):
        stdout().print(table)
    first = sum(1 for p in view.prospects if p.priority == 1)
    stdout().print(f"{first} priority 1 prospects: `clientfolio prospects --priority 1` lists them.")


def _prospect_tables(view: ProspectsView) -> list[Table]:
    matrix = Table(title=f"Priority matrix IPA / IPO, open prospects as of {view.as_of}")
    matrix.add_column("potential \\ accessibility")
    for access in LEVELS:
        matrix.add_column(access, justify="right")
    for potential in LEVELS:
        matrix.add_row(
            f"{POTENTIAL_SIGNS[potential]} {potential}",
            *(f"P{PRIORITY[potential, access]}: {view.matrix[potential, access]}" for access in LEVELS),
        )

    f = view.funnel
    times = {t.stage: t for t in f.stage_times}
    funnel = Table(title="Funnel")
    for name in ("stage", "now", "reached", "to next stage", "days (left)", "days (still there)"):
        funnel.add_column(name, justify="left" if name == "stage" else "right")
    for stage in (*FUNNEL_STAGES, "lost"):
        t = times.get(stage)
        funnel.add_row(
            _stage(stage),
            str(f.counts[stage]),
            str(f.reached.get(stage, "")),
            percent(f.conversions.get(stage)) if stage in f.conversions else "",
            _days(t.mean_days_completed) if t else "",
            _days(t.mean_days_current) if t else "",
        )

    tables = [matrix, funnel]
    if view.backward is not None:
        b = view.backward
        back = Table(title=f"To win {b.target} new customers a year (churn projection: {b.new_customers_per_year:.1f})")
        for name in ("stage", "rate to next", "rate from", "needed a year", "now", "missing"):
            back.add_column(name, justify="left" if name in ("stage", "rate from") else "right")
        for need in b.stages:
            back.add_row(
                _stage(need.stage),
                percent(need.rate_to_next),
                need.rate_source or "",
                "-" if need.needed is None else str(need.needed),
                str(need.current),
                "-" if need.missing is None else str(need.missing),
            )
        tables.append(back)
    lost = Table(title="Lost reasons")
    lost.add_column("reason")
    lost.add_column("prospects", justify="right")
    for reason, count in f.lost_reasons.items():
        lost.add_row(reason, str(count))
    tables.append(lost)
    for title, groups in (("Funnel by source", f.by_source), ("Funnel by owner", f.by_owner)):
        table = Table(title=title)
        table.add_column(title.rsplit(" ", 1)[-1])
        for stage in (*FUNNEL_STAGES, "lost"):
            table.add_column(stage, justify="right")
        table.add_column("win rate", justify="right")
        for g in groups:
            table.add_row(g.key or "-", *(str(g.counts[s]) for s in (*FUNNEL_STAGES, "lost")), percent(g.win_rate))
        tables.append(table)
    return tables


@activity_app.callback(invoke_without_command=True)
def activity_command(
    ctx: typer.Context,
    db: DbOption = None,
    as_of: ActivityAsOfOption = None,
    months: Annotated[int, typer.Option("--months", min=1, max=24, help="Length of the period, in months.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """Sales activity index per rep (quantity x orientation x efficiency), what-if, unfollowed A/VIP customers."""
    if ctx.invoked_subcommand is not None:  # ``activity log``: the index is not shown
        return
    from clientfolio.access import SYSTEM, PortfolioReader
    from clientfolio.prospects.run import activity_view
    from clientfolio.store import Store
    from clientfolio.value import vip_customers

    day = parse_day(as_of) if as_of else None
    store = Store(settings_for(db).database_url)
    vip = vip_customers(store, PortfolioReader(store, SYSTEM), as_of=day)
    view = activity_view(store, SYSTEM, as_of=day, months=months, vip=vip)
    if as_json:
        stdout().print_json(json.dumps(view.as_dict()))
        return
    report = view.activity
    stdout().print(
        "Q quantity, O orientation (share on A/VIP customers and priority 1-2 prospects), "
        "E efficiency (moves forward and revenue per activity), each 0-10."
    )
    index = Table(title=f"Sales activity index, {report.start} to {report.end} ({report.months} months)")
    for name in ("rep", "acts", "on targets", "moves", "revenue", "Q", "O", "E", "Q×O×E", "first lever"):
        index.add_column(name, justify="left" if name in ("rep", "first lever") else "right")
    for s in (*report.reps, report.team):
        lever = s.levers[0]
        index.add_row(
            s.who or "team",
            str(s.activities),
            str(s.on_priority_targets),
            str(s.conversions),
            euros(s.revenue_cents),
            f"{s.quantity:.1f}",
            f"{s.orientation:.1f}",
            f"{s.efficiency:.1f}",
            f"{s.index:.0f}",
            f"{lever.factor} +{lever.gain:.0f}",
        )
    what_if = Table(title="What if the team raised one factor")
    for name in ("factor", "now", "raised to", "index", "gain", "gain %"):
        what_if.add_column(name, justify="left" if name == "factor" else "right")
    for lever in report.team.levers:
        what_if.add_row(
            lever.factor,
            f"{lever.value:.1f}",
            f"{lever.raised_to:.1f}",
            f"{lever.index:.0f}",
            f"{lever.gain:+.0f}",
            percent(lever.gain_rate),
        )
    unfollowed = [c for c in view.important if c.unfollowed]
    follow = Table(title=f"A / VIP customers without contact: {len(unfollowed)} of {len(view.important)}")
    for name in ("code", "name", "why", "last contact", "days"):
        follow.add_column(name, justify="right" if name == "days" else "left")
    for c in unfollowed:
        follow.add_row(
            c.customer_code,
            c.name or "",
            "+".join(c.reasons),
            c.last_contact.isoformat() if c.last_contact else "never",
            "-" if c.days_since is None else str(c.days_since),
        )
    for table in (index, what_if, follow):
        stdout().print(table)


@activity_app.command("log")
def activity_log_command(
    kind: Annotated[
        str,
        typer.Option(
            "--type",
            help="call, visit, meeting, email or quote, or a French word (appel, visite, rendez-vous, "
            "e-mail, devis ...).",
        ),
    ],
    customer: Annotated[
        str | None, typer.Option("--customer", help="Code of the customer (or give --prospect).")
    ] = None,
    prospect: Annotated[
        str | None, typer.Option("--prospect", help="Code of the prospect (or give --customer).")
    ] = None,
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="Day of the activity, YYYY-MM-DD or DD/MM/YYYY, not in the future (default: today)."
        ),
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="The rep: username or full name of a user (default: the --as user).")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Subject or note (300 characters at most).")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Outcome, stored encrypted.")] = None,
    duration: Annotated[str | None, typer.Option("--duration", help="Duration in minutes (30, 1h30).")] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Log as this user (its scopes apply; a sales rep logs only their own activities; "
            "default: the local owner, admin).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log one sales activity (call, visit, meeting, e-mail or quote) on a customer or a prospect."""
    from clientfolio.prospects.activity_log import log_activity
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    store = Store(settings.database_url)
    principal = principal_for(store, as_user)
    ring = KeyRing.load(settings, create=True)
    logged = log_activity(
        store,
        principal,
        kind=kind,
        occurred_on=day or dt.date.today(),
        customer_code=customer,
        prospect_code=prospect,
        user=rep,
        subject=subject,
        outcome=outcome,
        duration_minutes=duration,
        ring=ring,
        chain_key=ring.subkey("audit"),
        actor=actor() if as_user is None else principal.username,
        date_order=settings.date_order,
    )
    if as_json:
        stdout().print_json(json.dumps({"logged": True, **logged.as_dict()}))
        return
    about = f"customer {logged.customer_code}" if logged.customer_code else f"prospect {logged.prospect_code}"
    stdout().print(
        f"[green]Logged activity #{logged.id}:[/] {logged.kind} on {logged.occurred_on} with {about} by {logged.user}."
    )
