"""``clientfolio prospects`` and ``clientfolio activity``: the pipeline commands.

``activity`` is a group: without a sub-command it shows the activity index
(``activity_command``, its callback); ``activity log`` records one activity.
Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
"""

from __future__ import annotations

import datetime as dt
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
    principal_for,
    settings_for,
    stdout,
    tr,
)
from clientfolio.i18n import N_, gettext_for
from clientfolio.prospects.stages import FUNNEL_STAGES, STAGE_NAMES

if TYPE_CHECKING:  # the analyses bring the analytics engine: imported when a command runs
    from clientfolio.prospects.run import ProspectsView

__all__ = ["activity_app", "activity_command", "activity_log_command", "prospects_command"]

activity_app = typer.Typer(no_args_is_help=False)


# the levels of potential and accessibility, the activity kinds, the what-if
# factors and the sources of a funnel rate, by their English names
LEVEL_NAMES = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
ACTIVITY_NAMES = {
    "call": N_("call"),
    "visit": N_("visit"),
    "meeting": N_("meeting"),
    "email": N_("e-mail"),
    "quote": N_("quote"),
}
FACTOR_NAMES = {"quantity": N_("quantity"), "orientation": N_("orientation"), "efficiency": N_("efficiency")}
RATE_SOURCE_NAMES = {"observed": N_("observed"), "reference": N_("reference")}
SOURCE_NAMES = {
    "network": N_("network"),
    "press": N_("press"),
    "recommendation": N_("recommendation"),
    "bought_file": N_("bought file"),
    "event": N_("event"),
    "web": N_("web"),
    "other": N_("other"),
}


def _stage(stage: str) -> str:
    """A stage as the terminal shows it: its name in the run's language ("Prospect froid")."""
    return gettext_for(lang())(STAGE_NAMES[stage])


def _name(names: dict[str, str], code: str | None) -> str:
    """A code by its name in the run's language (the code itself when it has none)."""
    if code is None:
        return ""
    return gettext_for(lang())(names.get(code, code))


def _percent(share: float | None) -> str:
    return fmt().percent(share)


ActivityAsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Analyse as of this date, YYYY-MM-DD (default: the last sale or activity)."),
]


def _days(value: float | None) -> str:
    return fmt().number(value)


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
    from clientfolio.prospects.priority import POTENTIAL_SIGNS
    from clientfolio.prospects.run import prospects_view
    from clientfolio.store import Store

    day = parse_day(as_of) if as_of else None
    view = prospects_view(Store(settings_for(db).database_url), SYSTEM, as_of=day)
    if priority is not None:
        listed = [p for p in view.as_dict()["prospects"] if p["priority"] == priority]
        if as_json:
            emit_json({"as_of": view.as_of.isoformat(), "priority": priority, "prospects": listed})
            return
        f = fmt()
        table = DataTable(
            title=tr(
                "Priority {priority} prospects as of {day}: {count}",
                priority=str(priority),
                day=f.date(view.as_of),
                count=len(listed),
            )
        )
        for name in (N_("code"), N_("name"), N_("stage"), N_("owner"), N_("potential"), "IPA", "IPO", N_("cell")):
            table.add_column(tr(name), justify="right" if name in ("potential", "IPA", "IPO") else "left")
        for p in listed:
            table.add_row(
                p["code"],
                p["name"],
                _stage(p["stage"]),
                p["owner"] or "-",
                f.money(p["potential_cents"], decimals=False),
                f.number(p["ipa"], 1),
                f.number(p["ipo"], 1),
                f"{POTENTIAL_SIGNS[p['potential']]} / {_name(LEVEL_NAMES, p['accessibility'])}",
            )
        stdout().print(table)
        return
    if as_json:
        emit_json(view.as_dict())
        return
    for table in _prospect_tables(view):
        stdout().print(table)
    first = sum(1 for p in view.prospects if p.priority == 1)
    stdout().print(tr("{count} priority 1 prospects: `clientfolio prospects --priority 1` lists them.", count=first))


def _prospect_tables(view: ProspectsView) -> list[DataTable]:
    from clientfolio.prospects.priority import LEVELS, POTENTIAL_SIGNS, PRIORITY

    f_ = fmt()
    matrix = DataTable(title=tr("Priority matrix IPA / IPO, open prospects as of {day}", day=f_.date(view.as_of)))
    matrix.add_column(tr("potential \\ accessibility"))
    for access in LEVELS:
        matrix.add_column(_name(LEVEL_NAMES, access), justify="right")
    for potential in LEVELS:
        matrix.add_row(
            f"{POTENTIAL_SIGNS[potential]} {_name(LEVEL_NAMES, potential)}",
            *(
                tr("P{priority}: {count}", priority=PRIORITY[potential, access], count=view.matrix[potential, access])
                for access in LEVELS
            ),
        )

    f = view.funnel
    times = {t.stage: t for t in f.stage_times}
    funnel = DataTable(title=tr("Funnel"))
    for name in (
        N_("stage"),
        N_("now"),
        N_("reached"),
        N_("to next stage"),
        N_("days (left)"),
        N_("days (still there)"),
    ):
        funnel.add_column(tr(name), justify="left" if name == "stage" else "right")
    for stage in (*FUNNEL_STAGES, "lost"):
        t = times.get(stage)
        funnel.add_row(
            _stage(stage),
            f_.number(f.counts[stage]),
            f_.number(f.reached[stage]) if stage in f.reached else "",
            _percent(f.conversions.get(stage)) if stage in f.conversions else "",
            _days(t.mean_days_completed) if t else "",
            _days(t.mean_days_current) if t else "",
        )

    tables = [matrix, funnel]
    if view.backward is not None:
        b = view.backward
        back = DataTable(
            title=tr(
                "To win {target} new customers a year (churn projection: {projected})",
                target=b.target,
                projected=float(b.new_customers_per_year),
            )
        )
        for name in (N_("stage"), N_("rate to next"), N_("rate from"), N_("needed a year"), N_("now"), N_("missing")):
            back.add_column(tr(name), justify="left" if name in ("stage", "rate from") else "right")
        for need in b.stages:
            back.add_row(
                _stage(need.stage),
                _percent(need.rate_to_next),
                _name(RATE_SOURCE_NAMES, need.rate_source),
                f_.number(need.needed),
                f_.number(need.current),
                f_.number(need.missing),
            )
        tables.append(back)
    lost = DataTable(title=tr("Lost reasons"))
    lost.add_column(tr("reason"))
    lost.add_column(tr("prospects"), justify="right")
    for reason, count in f.lost_reasons.items():
        lost.add_row(gettext_for(lang())(reason), f_.number(count))
    tables.append(lost)
    for title, key, names, groups in (
        (N_("Funnel by source"), N_("source"), SOURCE_NAMES, f.by_source),
        (N_("Funnel by owner"), N_("owner"), {}, f.by_owner),
    ):
        table = DataTable(title=tr(title))
        table.add_column(tr(key))
        for stage in (*FUNNEL_STAGES, "lost"):
            table.add_column(_stage(stage), justify="right")
        table.add_column(tr("win rate"), justify="right")
        for g in groups:
            table.add_row(
                _name(names, g.key) or "-",
                *(f_.number(g.counts[s]) for s in (*FUNNEL_STAGES, "lost")),
                _percent(g.win_rate),
            )
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
    """Sales activity index per rep (quantity x orientation x efficiency), what-if, follow-ups overdue."""
    if ctx.invoked_subcommand is not None:  # ``activity log``: the index is not shown
        return
    from clientfolio.access import SYSTEM, PortfolioReader
    from clientfolio.prospects.followup import reason_names
    from clientfolio.prospects.run import activity_view
    from clientfolio.store import Store
    from clientfolio.value import vip_customers

    day = parse_day(as_of) if as_of else None
    store = Store(settings_for(db).database_url)
    vip = vip_customers(store, PortfolioReader(store, SYSTEM), as_of=day)
    view = activity_view(store, SYSTEM, as_of=day, months=months, vip=vip)
    if as_json:
        emit_json(view.as_dict())
        return
    report = view.activity
    f = fmt()
    letters = gettext_for(lang())
    q, o, e = letters("Q"), letters("O"), letters("E")
    stdout().print(
        tr(
            "Q quantity, O orientation (share on A/VIP customers and priority 1-2 prospects), "
            "E efficiency (moves forward and revenue per activity), each 0-10."
        )
    )
    index = DataTable(
        title=tr(
            "Sales activity index, {start} to {end} ({months} months)",
            start=f.date(report.start),
            end=f.date(report.end),
            months=report.months,
        )
    )
    headings = (N_("rep"), N_("acts"), N_("on targets"), N_("moves"), N_("revenue"))
    for name in (*(tr(h) for h in headings), q, o, e, f"{q}×{o}×{e}", tr("first lever")):
        index.add_column(name, justify="left" if name in (tr("rep"), tr("first lever")) else "right")
    for s in (*report.reps, report.team):
        lever = s.levers[0]
        index.add_row(
            s.who or tr("team"),
            f.number(s.activities),
            f.number(s.on_priority_targets),
            f.number(s.conversions),
            f.money(s.revenue_cents, decimals=False),
            f.number(s.quantity, 1),
            f.number(s.orientation, 1),
            f.number(s.efficiency, 1),
            f.number(s.index),
            f"{_name(FACTOR_NAMES, lever.factor)} +{f.number(lever.gain)}",
        )
    what_if = DataTable(title=tr("What if the team raised one factor"))
    for name in (N_("factor"), N_("now"), N_("raised to"), N_("index"), N_("gain"), N_("gain %")):
        what_if.add_column(tr(name), justify="left" if name == "factor" else "right")
    for lever in report.team.levers:
        what_if.add_row(
            _name(FACTOR_NAMES, lever.factor),
            f.number(lever.value, 1),
            f.number(lever.raised_to, 1),
            f.number(lever.index),
            ("+" if lever.gain >= 0 else "") + f.number(lever.gain),
            _percent(lever.gain_rate),
        )
    unfollowed = [c for c in view.important if c.unfollowed]
    follow = DataTable(
        title=tr(
            "A / VIP customers without contact: {count} of {total}", count=len(unfollowed), total=len(view.important)
        )
    )
    for name in (N_("code"), N_("name"), N_("why"), N_("last contact"), N_("days")):
        follow.add_column(tr(name), justify="right" if name == "days" else "left")
    for c in unfollowed:
        follow.add_row(
            c.customer_code,
            c.name or "",
            "+".join(letters(n) for n in reason_names(c.reasons)),
            f.date(c.last_contact) if c.last_contact else tr("never"),
            f.number(c.days_since),
        )
    due = DataTable(title=tr("Planned activities not made: {count}", count=len(view.due)))
    for name in (N_("code"), N_("type"), N_("planned on"), N_("rep")):
        due.add_column(tr(name))
    for a in view.due:
        due.add_row(a.customer_code or "", _name(ACTIVITY_NAMES, a.kind), f.date(a.occurred_on), a.user or "")
    for table in (index, what_if, follow, due):
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
            "--date",
            help="Day of the activity, YYYY-MM-DD or DD/MM/YYYY, not in the future unless --planned (default: today).",
        ),
    ] = None,
    planned: Annotated[
        bool,
        typer.Option(
            "--planned",
            help="Schedule the activity for --date instead of logging it as made: no contact until made, a "
            "follow-up overdue once the day has passed.",
        ),
    ] = False,
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
        planned=planned,
        date_order=settings.date_order,
    )
    if as_json:
        emit_json({"logged": True, **logged.as_dict()})
        return
    about = (
        tr("customer {code}", code=logged.customer_code)
        if logged.customer_code
        else tr("prospect {code}", code=str(logged.prospect_code))
    )
    head = (
        tr("Planned activity #{id}:", id=str(logged.id)) if planned else tr("Logged activity #{id}:", id=str(logged.id))
    )
    said = tr(
        "{kind} on {day} with {about} by {user}.",
        kind=_name(ACTIVITY_NAMES, logged.kind),
        day=fmt().date(logged.occurred_on),
        about=about,
        user=logged.user,
    )
    stdout().print(f"[green]{escape(head)}[/] {escape(said)}", markup=True)
