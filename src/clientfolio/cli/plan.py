"""``clientfolio assess`` and ``clientfolio plan``: the self-assessment out of
20, the SWOT and the commercial action plan with its suggested actions.

Registered on the application by ``clientfolio.cli``; the options, settings,
consoles and error boundary are ``clientfolio.cli._common``'s.
The plan package (which brings the analytics engine) is imported
inside the commands.  Their changes are audited with the actor
``cli:<operating-system user>`` and the audit key of the key ring (created
when missing), as the ``user`` commands' are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clientfolio.cli._common import (
    AsOfOption,
    DbOption,
    JsonOption,
    actor,
    emit_json,
    lang,
    parse_day,
    settings_for,
    stdout,
    tr,
)
from clientfolio.errors import ClientfolioError

if TYPE_CHECKING:
    from clientfolio.plan.questionnaire import Answer
    from clientfolio.plan.run import PlanInputs
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

__all__ = ["assess_command", "plan_app"]

plan_app = typer.Typer(
    help="Commercial action plan (PAC): actions, suggestions, SWOT, XLSX export.", no_args_is_help=True
)

YearOption = Annotated[
    int | None,
    typer.Option("--year", min=1900, max=2999, help="Budget year of the plan (default: the year of the as-of date)."),
]
ThisYearOption = Annotated[
    int | None, typer.Option("--year", min=1900, max=2999, help="Budget year of the plan (default: this year).")
]


def _store(db: str | None) -> Store:
    from clientfolio.store import Store

    return Store(settings_for(db).database_url)


def _ring(db: str | None) -> KeyRing | None:
    """The key ring that opens the encrypted comments, None when there is no key."""
    from clientfolio.errors import KeyMissing
    from clientfolio.protect.keys import KeyRing

    try:
        return KeyRing.load(settings_for(db))
    except KeyMissing:
        return None


def _audit(db: str | None) -> dict[str, Any]:
    """The audit keywords of a write: the chain key from the key ring (created
    when missing) and the command line's actor."""
    from clientfolio.protect.keys import KeyRing

    return {"chain_key": KeyRing.load(settings_for(db), create=True).subkey("audit"), "actor": actor()}


def _day(text: str | None) -> dt.date | None:

    return parse_day(text) if text else None


def _gather(store: Store, as_of: str | None, year: int | None, ring: KeyRing | None) -> PlanInputs:
    from clientfolio.access import SYSTEM
    from clientfolio.plan.run import gather

    with stdout().status(tr("Analysing the portfolio...")):
        return gather(store, SYSTEM, as_of=_day(as_of), year=year, ring=ring, interval=False)


def _numbers(text: str, count: int) -> list[int]:
    """Positions 1..count from ``all`` or ``N,M,...``."""
    if text.strip().lower() == "all":
        return list(range(1, count + 1))
    try:
        chosen = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ClientfolioError("{text!r}: give 'all' or numbers separated by commas", text=text) from None
    wrong = [n for n in chosen if not 1 <= n <= count]
    if wrong:
        raise ClientfolioError("no suggestion {number}: they are numbered 1 to {count}", number=wrong[0], count=count)
    return chosen


def _cents(euros: float | None) -> int | None:
    return None if euros is None else round(euros * 100)


def _ask(respondent: str | None) -> list[Answer]:
    from clientfolio.plan.assessment import THEME_INFO, THEMES
    from clientfolio.plan.questionnaire import answers_from

    name = respondent or typer.prompt(tr("Your name"))
    marks: dict[str, float] = {}
    for theme in THEMES:
        info = THEME_INFO[theme]
        text = typer.prompt(
            tr(
                "{theme_msg} ({objective_msg}) - your mark /20, blank to skip",
                theme_msg=info.label,
                objective_msg=info.objective,
            ),
            default="",
            show_default=False,
        )
        if text.strip():
            try:
                marks[theme] = float(text.replace(",", "."))
            except ValueError:
                raise ClientfolioError("{text!r} is not a mark", text=text) from None
    return answers_from({name: marks}, "your answers")


def assess_command(
    db: DbOption = None,
    as_of: AsOfOption = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="TOML or JSON file of the team's marks /20: one table per respondent, theme = mark."
        ),
    ] = None,
    ask: Annotated[bool, typer.Option("--ask", help="Ask your own marks /20, theme by theme.")] = False,
    respondent: Annotated[
        str | None, typer.Option("--respondent", help="Your name for --ask (default: asked).")
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="List the stored assessments and their progress instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Self-assessment of the customer capital out of 20: facts by theme, the team's marks, gaps."""
    from clientfolio.access import SYSTEM
    from clientfolio.cli.plan_render import assessment_tables, history_table
    from clientfolio.plan.questionnaire import load_answers, merge_answers
    from clientfolio.plan.records import assessment_history, save_assessment, stored_answers
    from clientfolio.plan.run import assessment_of

    store = _store(db)
    if history:
        rows = assessment_history(store)
        if as_json:
            emit_json(
                [
                    {
                        "assessed_on": r.assessed_on.isoformat(),
                        "fact_mark": r.fact_mark,
                        "team_mark": r.team_mark,
                        "respondents": r.respondents,
                        "themes": r.themes,
                    }
                    for r in rows
                ]
            )
        else:
            stdout().print(history_table(rows))
        return
    new = load_answers(answers) if answers else []
    if ask:
        new = merge_answers(new, _ask(respondent))
    inputs = _gather(store, as_of, None, _ring(db))
    merged = merge_answers(stored_answers(store, inputs.as_of), new)
    result = assessment_of(inputs, merged)
    save_assessment(store, SYSTEM, result, new, **_audit(db))
    if as_json:
        emit_json({**result.as_dict(), "answers": [a.__dict__ for a in merged]})
        return
    for renderable in assessment_tables(result):
        stdout().print(renderable)


@plan_app.command("list")
def list_command(
    db: DbOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Track the plan as of this date, YYYY-MM-DD (default: today).")
    ] = None,
    year: YearOption = None,
    as_json: JsonOption = False,
) -> None:
    """The plan: its header, its actions by customer typology, and their tracking."""
    from clientfolio.access import SYSTEM
    from clientfolio.cli.plan_render import plan_tables
    from clientfolio.plan.actions import PlanHeader, track
    from clientfolio.plan.records import plan_actions, plan_header

    store = _store(db)
    day = _day(as_of) or dt.date.today()
    budget_year = year or day.year
    header = plan_header(store, budget_year) or PlanHeader(budget_year)
    actions = plan_actions(store, SYSTEM, budget_year, ring=_ring(db))
    tracking = track(actions, day)
    if as_json:
        emit_json(
            {"header": header.__dict__, "actions": [a.as_dict() for a in actions], "tracking": tracking.as_dict()}
        )
        return
    for renderable in plan_tables(header, actions, tracking):
        stdout().print(renderable)


@plan_app.command("suggest")
def suggest_command(
    db: DbOption = None,
    as_of: AsOfOption = None,
    year: YearOption = None,
    accept: Annotated[
        str | None, typer.Option("--accept", help="Put suggestions into the plan: 'all' or their numbers, e.g. 1,3,4.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Actions suggested from the analysis, with their reason and expected revenue; accept them into the plan."""
    from clientfolio.access import SYSTEM
    from clientfolio.cli.plan_render import suggestion_table
    from clientfolio.plan.records import add_actions
    from clientfolio.plan.run import suggestions_of
    from clientfolio.plan.suggestions import as_action

    store = _store(db)
    ring = _ring(db)
    inputs = _gather(store, as_of, year, ring)
    found = suggestions_of(inputs)
    planned = {a.suggestion_key for a in inputs.actions}
    added: list[int] = []
    if accept is not None:
        chosen = [found[n - 1] for n in _numbers(accept, len(found))]
        added = add_actions(
            store,
            SYSTEM,
            inputs.year,
            [as_action(s, inputs.as_of) for s in chosen],
            planned_on=inputs.as_of,
            ring=ring,
            **_audit(db),
        )
        planned |= {s.key for s in chosen}
    if as_json:
        emit_json(
            {
                "as_of": inputs.as_of.isoformat(),
                "year": inputs.year,
                "added": added,
                "suggestions": [
                    {"number": n, **s.as_dict(), "in_plan": s.key in planned} for n, s in enumerate(found, start=1)
                ],
            }
        )
        return
    stdout().print(suggestion_table(found, planned, inputs.as_of))
    if accept is not None:
        stdout().print(tr("{count} actions added to the plan of {year}.", count=len(added), year=str(inputs.year)))
    else:
        stdout().print(tr("Accept them with --accept all, or --accept 1,3,4."))


@plan_app.command("swot")
def swot_command(
    db: DbOption = None,
    as_of: AsOfOption = None,
    year: YearOption = None,
    accept: Annotated[
        str | None, typer.Option("--accept", help="Keep suggested items: 'all' or their numbers, e.g. 1,2.")
    ] = None,
    reject: Annotated[
        str | None, typer.Option("--reject", help="Refuse suggested items (not suggested again): their numbers.")
    ] = None,
    add: Annotated[
        str | None,
        typer.Option(
            "--add", help="Add your own item: 'QUADRANT: text' (threats, opportunities, weaknesses, strengths)."
        ),
    ] = None,
    edit: Annotated[
        str | None, typer.Option("--edit", help="Rewrite a kept item: 'ID: new text' (its id is shown as #ID).")
    ] = None,
    delete: Annotated[int | None, typer.Option("--delete", help="Delete a kept item by its id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """SWOT (EMOFF): suggested and kept items by quadrant, with each quadrant's recommendation."""
    from clientfolio.access import SYSTEM
    from clientfolio.cli.plan_render import swot_tables
    from clientfolio.plan.records import add_swot_item, edit_swot_item, save_swot, swot_items
    from clientfolio.plan.run import assessment_of, swot_of

    store = _store(db)
    inputs = _gather(store, as_of, year, _ring(db))
    stored = {i.key for i in swot_items(store, SYSTEM, inputs.year) if i.key}
    found = [s for s in swot_of(inputs, assessment_of(inputs)) if s.key not in stored]
    audit = _audit(db) if {accept, reject, add, edit, delete} != {None} else {}
    if accept is not None:
        save_swot(store, SYSTEM, inputs.year, [found[n - 1] for n in _numbers(accept, len(found))], **audit)
    if reject is not None:
        save_swot(
            store,
            SYSTEM,
            inputs.year,
            [found[n - 1] for n in _numbers(reject, len(found))],
            accepted=False,
            **audit,
        )
    if add is not None:
        quadrant, _, text = add.partition(":")
        add_swot_item(store, inputs.year, quadrant.strip().lower(), text, **audit)
    if edit is not None:
        number, _, text = edit.partition(":")
        if not number.strip().lstrip("#").isdigit():
            raise ClientfolioError("--edit {edit!r}: give 'ID: new text'", edit=edit)
        edit_swot_item(store, SYSTEM, inputs.year, int(number.strip().lstrip("#")), text, **audit)
    if delete is not None:
        edit_swot_item(store, SYSTEM, inputs.year, delete, None, **audit)
    kept = swot_items(store, SYSTEM, inputs.year)
    decided = {i.key for i in kept if i.key}
    found = [s for s in found if s.key not in decided]
    if as_json:
        emit_json(
            {
                "as_of": inputs.as_of.isoformat(),
                "year": inputs.year,
                "suggested": [{"number": n, **s.as_dict()} for n, s in enumerate(found, start=1)],
                "items": [i.__dict__ for i in kept],
            }
        )
        return
    for renderable in swot_tables(found, kept):
        stdout().print(renderable)


@plan_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="The XLSX file to write, not existing yet.")],
    db: DbOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Track the plan as of this date, YYYY-MM-DD (default: today).")
    ] = None,
    year: YearOption = None,
) -> None:
    """Export the plan to XLSX in the seed's layout: header, actions by typology, tracking, SWOT."""
    from clientfolio.access import SYSTEM
    from clientfolio.plan.actions import PlanHeader, track
    from clientfolio.plan.records import plan_actions, plan_header, swot_items
    from clientfolio.plan.xlsx import write_plan_xlsx

    store = _store(db)
    day = _day(as_of) or dt.date.today()
    budget_year = year or day.year
    actions = plan_actions(store, SYSTEM, budget_year, ring=_ring(db))
    swot: dict[str, list[str]] = {}
    for item in swot_items(store, SYSTEM, budget_year):
        if item.accepted:
            swot.setdefault(item.quadrant, []).append(item.localized(lang()).text)
    written = write_plan_xlsx(
        out,
        plan_header(store, budget_year) or PlanHeader(budget_year),
        actions,
        track(actions, day),
        swot,
        lang=lang(),
    )
    stdout().print(tr("Written: {path} ({count} actions).", path=str(written), count=len(actions)))


@plan_app.command("header")
def header_command(
    company: Annotated[str, typer.Option("--company", help="The company (entreprise).")],
    db: DbOption = None,
    year: ThisYearOption = None,
    area: Annotated[
        str | None, typer.Option("--area", help="Strategic business area (domaine d'activité stratégique).")
    ] = None,
    vision: Annotated[
        str | None, typer.Option("--vision", help="The vision, e.g. 'leader in France in 3 years'.")
    ] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="The objective, e.g. '45 orders a month'.")
    ] = None,
) -> None:
    """Set the plan's header: company, strategic business area, budget year, vision, objective."""
    from clientfolio.plan.actions import PlanHeader
    from clientfolio.plan.records import save_header

    budget_year = year or dt.date.today().year
    save_header(_store(db), PlanHeader(budget_year, company, area, vision, objective), **_audit(db))
    stdout().print(tr("Plan of {year}: header saved.", year=str(budget_year)))


@plan_app.command("add")
def add_command(
    title: Annotated[str, typer.Option("--title", help="What the action is.")],
    db: DbOption = None,
    year: ThisYearOption = None,
    kind: Annotated[str, typer.Option("--type", help="commercial or internal.")] = "commercial",
    typology: Annotated[str | None, typer.Option("--typology", help="Customer typology, e.g. 'VIP customers'.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Code of the customer it is about.")] = None,
    prospect: Annotated[str | None, typer.Option("--prospect", help="Code of the prospect it is about.")] = None,
    steps: Annotated[str | None, typer.Option("--steps", help="Its steps.")] = None,
    priority: Annotated[int | None, typer.Option("--priority", min=1, max=9, help="Priority, 1 first.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Username of the person responsible.")] = None,
    participants: Annotated[str | None, typer.Option("--participants", help="Who takes part.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="End date, YYYY-MM-DD (sets the horizon).")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="Budget in euros.")] = None,
    current: Annotated[float | None, typer.Option("--current", help="Current revenue in euros.")] = None,
    target: Annotated[float | None, typer.Option("--target", help="Target revenue in euros.")] = None,
    comments: Annotated[str | None, typer.Option("--comments", help="Comments.")] = None,
) -> None:
    """Add your own action (commercial or internal) to the plan."""
    from clientfolio.access import SYSTEM
    from clientfolio.plan.actions import PlanAction
    from clientfolio.plan.records import add_actions

    action = PlanAction(
        id=None,
        title=title,
        typology=typology,
        kind=kind,
        customer_code=customer,
        prospect_code=prospect,
        steps=steps,
        priority=priority,
        owner=owner,
        participants=participants,
        due_on=_day(due),
        budget_cents=_cents(budget),
        current_revenue_cents=_cents(current),
        target_revenue_cents=_cents(target),
        comments=comments,
    )
    budget_year = year or dt.date.today().year
    audit = _audit(db)
    [added] = add_actions(
        _store(db), SYSTEM, budget_year, [action], planned_on=dt.date.today(), ring=_ring(db), **audit
    )
    stdout().print(tr("Action #{id} added to the plan of {year}.", id=str(added), year=str(budget_year)))


@plan_app.command("update")
def update_command(
    action_id: Annotated[int, typer.Argument(help="The action's number (#ID in plan list).")],
    db: DbOption = None,
    progress: Annotated[int | None, typer.Option("--progress", min=0, max=100, help="Progress in percent.")] = None,
    spent: Annotated[float | None, typer.Option("--spent", help="Budget spent so far, in euros.")] = None,
    result_revenue: Annotated[
        float | None, typer.Option("--result-revenue", help="Revenue the action brought, in euros.")
    ] = None,
    result: Annotated[str | None, typer.Option("--result", help="What it gave, in words.")] = None,
    comments: Annotated[str | None, typer.Option("--comments", help="Comments (replace the current ones).")] = None,
    due: Annotated[str | None, typer.Option("--due", help="New end date, YYYY-MM-DD.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Username of the person responsible.")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="Budget in euros.")] = None,
) -> None:
    """Track an action: progress, budget spent, resulting revenue, comments."""
    from clientfolio.access import SYSTEM
    from clientfolio.plan.records import update_action

    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "progress": progress,
            "spent_cents": _cents(spent),
            "result_revenue_cents": _cents(result_revenue),
            "result": result,
            "comments": comments,
            "owner": owner,
            "budget_cents": _cents(budget),
        }.items()
        if v is not None
    }
    if due is not None:
        changes["due_on"] = _day(due)
    if not changes:
        raise ClientfolioError("nothing to change: give --progress, --spent, --result-revenue ...")
    audit = _audit(db)
    action = update_action(_store(db), SYSTEM, action_id, ring=_ring(db), **audit, **changes)
    shown = action.localized(lang())
    stdout().print(
        tr(
            "Action #{id} ({title}): {progress_share} done.",
            id=str(action.id),
            title=shown.title,
            progress_share=action.progress / 100,
        )
    )
