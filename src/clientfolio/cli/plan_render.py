"""Rich renderings of the self-assessment, the SWOT and the action plan (no I/O
here), in the run's language (``cli._common``: ``lang``, ``tr``, ``fmt``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from clientfolio.cli._common import Column, DataTable, column_table, fmt, lang, tr
from clientfolio.i18n import N_, gettext_for
from clientfolio.plan.suggestions import SUGGESTION_KIND_NAMES

if TYPE_CHECKING:  # the plan package brings the analytics engine: imported by the commands
    from clientfolio.plan.actions import PlanAction, PlanHeader, Tracking
    from clientfolio.plan.assessment import Assessment, Indicator
    from clientfolio.plan.records import StoredAssessment, StoredSwotItem
    from clientfolio.plan.suggestions import Suggestion
    from clientfolio.plan.swot import SwotSuggestion

__all__ = ["assessment_tables", "history_table", "plan_tables", "suggestion_table", "swot_tables"]

KIND_NAMES = {"commercial": N_("Commercial"), "internal": N_("Internal")}
HORIZON_NAMES = {
    "short": N_("Short term (0-6 months)"),
    "medium": N_("Medium term (6-24 months)"),
    "long": N_("Long term (over 24 months)"),
}


def _(message: str) -> str:
    return gettext_for(lang())(message)


def _labelled(label: str, value: str) -> str:
    """``label: value`` in the run's language's typography (``label : value`` in French)."""
    return tr("{label}: {value}", label=label, value=value)


def _mark(value: float | None) -> str:
    return fmt().number(value, 1)


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return fmt().percent(value)
    return tr("{days} days", days=round(value)) if unit == "days" else fmt().number(value, 2)


def _date(day: dt.date | None) -> str:
    return fmt().date(day)


def assessment_tables(a: Assessment) -> list[RenderableType]:
    """The indicators by theme, the marks and gaps, the reading, strengths and weaknesses."""
    from clientfolio.plan.assessment import READINGS, THEME_INFO

    table = DataTable(title=tr("Self-assessment of the customer capital as of {day}", day=a.as_of))
    for name in (
        _("Theme / indicator"),
        _("Value"),
        _("0/20 at"),
        _("20/20 at"),
        _("Facts /20"),
        _("Team /20"),
        _("Gap"),
    ):
        table.add_column(name, justify="right")
    table.columns[0].justify = "left"
    for t in a.themes:
        team = "-" if t.team_mark is None else f"{_mark(t.team_mark)} ({t.respondents})"
        table.add_row(
            Text(_(THEME_INFO[t.theme].label), style="bold"),
            "",
            "",
            "",
            Text(_mark(t.fact_mark), style="bold"),
            team,
            "-" if t.gap is None else ("+" if t.gap > 0 else "") + fmt().number(t.gap, 1),
        )
        for i in t.indicators:
            table.add_row(
                f"  {_(i.label)}",
                _value(i.value, i.unit),
                _value(i.zero_at, i.unit),
                _value(i.full_at, i.unit),
                _mark(i.mark),
                "",
                "",
            )
    reading = READINGS.get(a.reading or "")
    team = "" if a.team_mark is None else tr("; the team: {mark}/20", mark=_mark(a.team_mark))
    headline = (
        f"[bold]{escape(tr('Overall mark on facts: {mark}/20', mark=_mark(a.fact_mark)))}[/]{escape(team)}\n"
        f"{escape(_(reading.text) if reading else _('Not enough data to mark the portfolio.'))}"
    )

    def listing(items: Sequence[Indicator]) -> str:
        return (
            "\n".join(escape(f"- {_labelled(_(i.label), _value(i.value, i.unit))} ({_mark(i.mark)}/20)") for i in items)
            or "-"
        )

    gaps = "\n".join(
        tr(
            N_("- {theme_msg}: the team overestimates it by {points} points")
            if g.direction == "overestimates"
            else N_("- {theme_msg}: the team underestimates it by {points} points"),
            theme_msg=THEME_INFO[g.theme].label if g.theme in THEME_INFO else g.theme,
            points=float(abs(g.gap)),
        )
        for g in a.gaps
    )
    return [
        table,
        Panel(headline, title=_("Reading")),
        Panel(listing(a.strengths), title=_("Strengths")),
        Panel(listing(a.weaknesses), title=_("Weaknesses")),
        Panel(
            escape(gaps or _("No theme where the team's marks and the facts differ much.")),
            title=_("Perception and facts"),
        ),
    ]


def history_table(rows: Sequence[StoredAssessment]) -> DataTable:
    """The stored assessments, oldest first, with the progress of each."""
    from clientfolio.plan.assessment import THEME_INFO, THEMES

    table = DataTable(title=tr("Assessments: {count}", count=len(rows)))
    for name in (
        _("Date"),
        _("Facts /20"),
        _("Progress"),
        _("Team /20"),
        _("Respondents"),
        *(_(THEME_INFO[t].label) for t in THEMES),
    ):
        table.add_column(name, justify="right")
    table.columns[0].justify = "left"
    before: float | None = None
    for r in rows:
        step = None if before is None or r.fact_mark is None else r.fact_mark - before
        progress = "-" if step is None else ("+" if step > 0 else "") + fmt().number(step, 1)
        table.add_row(
            _date(r.assessed_on),
            _mark(r.fact_mark),
            progress,
            _mark(r.team_mark),
            fmt().number(r.respondents),
            *(_mark(r.themes.get(t, {}).get("fact_mark")) for t in THEMES),
        )
        before = r.fact_mark if r.fact_mark is not None else before
    return table


def plan_tables(header: PlanHeader, actions: Sequence[PlanAction], tracking: Tracking) -> list[RenderableType]:
    """The header, the actions by typology (in the run's language), and the tracking totals."""
    from clientfolio.plan.actions import by_typology

    f = fmt()
    company = header.company or _("(company not set: clientfolio plan header)")
    head = (
        f"[bold]{escape(company)}[/] - {escape(tr('budget year {year}', year=str(header.budget_year)))}\n"
        f"{escape(_labelled(_('Strategic business area'), header.business_area or '-'))}\n"
        f"{escape(_labelled(_('The vision'), header.vision or '-'))}\n"
        f"{escape(_labelled(_('Objective'), header.objective or '-'))}"
    )
    out: list[RenderableType] = [Panel(head, title=_("Commercial action plan (PAC)"))]
    status = {s.id: s for s in tracking.actions}
    shown = [a.localized(lang()) for a in actions]

    def end(a: PlanAction) -> str:
        if a.due_on is None:
            return "-"
        return _date(a.due_on) + (f" {_('overdue')}" if status[a.id].overdue else "")

    def money(cents: float | None) -> str:
        return f.money(cents, decimals=False)

    columns: list[Column[PlanAction]] = [  # the plan's own: narrow, the action, who, when, how far
        Column("#", lambda a: str(a.id), "right"),
        Column(_("Customer"), lambda a: a.customer_name or a.customer_code or a.prospect_code or "-"),
        Column(_("Action"), lambda a: a.title),
        Column(_("Action type"), lambda a: _(KIND_NAMES[a.kind]) if a.kind in KIND_NAMES else a.kind, wide_only=True),
        Column(_("Priority"), lambda a: "-" if a.priority is None else f.number(a.priority), "right"),
        Column(_("Owner"), lambda a: a.owner or "-", wide_only=True),
        Column(_("End date"), end, "right"),
        Column(
            _("Time horizon"),
            lambda a: _(HORIZON_NAMES[a.horizon]) if a.horizon in HORIZON_NAMES else "-",
            wide_only=True,
        ),
        Column(_("Progress"), lambda a: f.percent(a.progress / 100), "right"),
        Column(_("Budget planned"), lambda a: money(a.budget_cents), "right", wide_only=True),
        Column(_("Spent"), lambda a: money(a.spent_cents), "right", wide_only=True),
        Column(_("Current revenue"), lambda a: money(a.current_revenue_cents), "right", wide_only=True),
        Column(_("Target revenue"), lambda a: money(a.target_revenue_cents), "right", wide_only=True),
        Column(_("Results"), lambda a: money(a.result_revenue_cents), "right", wide_only=True),
        Column(_("Achievement"), lambda a: f.percent(status[a.id].achievement), "right", wide_only=True),
    ]
    for number, (typology, group) in enumerate(by_typology(shown), start=1):
        out.append(column_table(tr("Typology {n}: {name}", n=str(number), name=_(typology)), columns, group))
    t = tracking
    out.append(
        Panel(
            escape(
                "\n".join(
                    (
                        tr(
                            "{count} actions, {done} done, {overdue} overdue, mean progress {progress}",
                            count=t.count,
                            done=t.done,
                            overdue=t.overdue,
                            progress=f.percent(None if t.mean_progress is None else t.mean_progress / 100),
                        ),
                        tr(
                            "Budget {budget_cents}, spent {spent_cents} ({used})",
                            budget_cents=t.budget_cents,
                            spent_cents=t.spent_cents,
                            used=f.percent(t.budget_used),
                        ),
                        tr(
                            "Revenue: current {current_cents}, target {target_cents}, result {result_cents}; "
                            "achievement {achieved}",
                            current_cents=t.current_revenue_cents,
                            target_cents=t.target_revenue_cents,
                            result_cents=t.result_revenue_cents,
                            achieved=f.percent(t.achievement),
                        ),
                    )
                )
            ),
            title=tr("Tracking as of {day}", day=_date(t.as_of)),
        )
    )
    return out


def suggestion_table(found: Sequence[Suggestion], planned: set[str | None], as_of: dt.date) -> DataTable:
    """The suggested actions, numbered for --accept, in the run's language."""
    from clientfolio.plan.messages import shown

    here, f = lang(), fmt()
    numbered = list(enumerate(found, start=1))
    columns: list[Column[tuple[int, Suggestion]]] = [
        Column("n", lambda r: str(r[0]), "right"),
        Column(_("Kind"), lambda r: _(SUGGESTION_KIND_NAMES.get(r[1].kind, r[1].kind)), wide_only=True),
        Column(_("Action"), lambda r: shown(here, r[1].title, r[1].title_msg, r[1].params)),
        Column(_("Typology"), lambda r: _(r[1].typology), wide_only=True),
        Column(_("Reason"), lambda r: shown(here, r[1].reason, r[1].reason_msg, r[1].params)),
        Column(_("Priority"), lambda r: f.number(r[1].priority), "right"),
        Column(_("End date"), lambda r: _date(r[1].due_on), wide_only=True),
        Column(_("Expected revenue"), lambda r: f.money(r[1].expected_cents, decimals=False), "right"),
        Column(_("In the plan"), lambda r: _("yes") if r[1].key in planned else ""),
    ]
    title = tr("Suggested actions as of {day}: {count}", day=_date(as_of), count=len(found))
    return column_table(title, columns, numbered)


def swot_tables(found: Sequence[SwotSuggestion], kept: Sequence[StoredSwotItem]) -> list[RenderableType]:
    """The kept items in the four quadrants with their recommendations, then the suggestions."""
    from clientfolio.plan.messages import shown
    from clientfolio.plan.swot import QUADRANT_NAMES, RECOMMENDATIONS

    here = lang()
    matrix = DataTable(title=_("SWOT (EMOFF): kept items"), show_lines=True)
    matrix.add_column("")
    matrix.add_column(_("negative"), overflow="fold")
    matrix.add_column(_("positive"), overflow="fold")

    def cell(quadrant: str) -> Text:
        r = RECOMMENDATIONS[quadrant]
        items = "\n".join(
            f"#{i.id} {escape(i.localized(here).text)}" for i in kept if i.quadrant == quadrant and i.accepted
        )
        return Text.from_markup(
            f"[bold]{escape(_labelled(_(QUADRANT_NAMES[quadrant]), _(r.verb)))}[/]\n{escape(_(r.text))}\n{items or '-'}"
        )

    matrix.add_row(_("external"), cell("threats"), cell("opportunities"))
    matrix.add_row(_("internal"), cell("weaknesses"), cell("strengths"))
    table = DataTable(title=tr("Suggested items: {count} (keep with --accept, refuse with --reject)", count=len(found)))
    for name, justify in (("n", "right"), (_("Quadrant"), "left"), (_("Item"), "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for n, s in enumerate(found, start=1):
        table.add_row(str(n), _(QUADRANT_NAMES[s.quadrant]), shown(here, s.text, s.text_msg, s.params))
    return [matrix, table]
