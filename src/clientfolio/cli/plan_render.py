"""Rich renderings of the self-assessment, the SWOT and the action plan (no I/O here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table

from clientfolio.i18n import euros, percent

if TYPE_CHECKING:  # the plan package brings the analytics engine: imported by the commands
    from clientfolio.plan.actions import PlanAction, PlanHeader, Tracking
    from clientfolio.plan.assessment import Assessment, Indicator
    from clientfolio.plan.records import StoredAssessment, StoredSwotItem
    from clientfolio.plan.suggestions import Suggestion
    from clientfolio.plan.swot import SwotSuggestion

__all__ = ["assessment_tables", "history_table", "plan_tables", "suggestion_table", "swot_tables"]


def _mark(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return f"{value:.0%}"
    return f"{value:.0f} days" if unit == "days" else f"{value:.2f}"


def assessment_tables(a: Assessment) -> list[RenderableType]:
    """The indicators by theme, the marks and gaps, the reading, strengths and weaknesses."""
    from clientfolio.plan.assessment import READINGS

    table = Table(title=f"Self-assessment of the customer capital as of {a.as_of}")
    for name in ("theme / indicator", "value", "0/20 at", "20/20 at", "facts /20", "team /20", "gap"):
        table.add_column(name, justify="left" if name.startswith("theme") else "right")
    for t in a.themes:
        team = "-" if t.team_mark is None else f"{t.team_mark:.1f} ({t.respondents})"
        table.add_row(
            f"[bold]{t.label_en}[/]",
            "",
            "",
            "",
            f"[bold]{_mark(t.fact_mark)}[/]",
            team,
            "-" if t.gap is None else f"{t.gap:+.1f}",
        )
        for i in t.indicators:
            table.add_row(
                f"  {i.label}",
                _value(i.value, i.unit),
                _value(i.zero_at, i.unit),
                _value(i.full_at, i.unit),
                _mark(i.mark),
                "",
                "",
            )
    reading = READINGS.get(a.reading or "")
    team = "" if a.team_mark is None else f"; the team: {a.team_mark:.1f}/20"
    headline = (
        f"[bold]Overall mark on facts: {_mark(a.fact_mark)}/20[/]{team}\n"
        f"{reading.en if reading else 'Not enough data to mark the portfolio.'}"
    )

    def listing(items: Sequence[Indicator]) -> str:
        return "\n".join(f"- {i.label}: {_value(i.value, i.unit)} ({_mark(i.mark)}/20)" for i in items) or "-"

    gaps = "\n".join(f"- {g.theme}: the team {g.direction} it by {abs(g.gap):.1f} points" for g in a.gaps)
    return [
        table,
        Panel(headline, title="Reading"),
        Panel(listing(a.strengths), title="Strengths"),
        Panel(listing(a.weaknesses), title="Weaknesses"),
        Panel(gaps or "No theme where the team's marks and the facts differ much.", title="Perception and facts"),
    ]


def history_table(rows: Sequence[StoredAssessment]) -> Table:
    """The stored assessments, oldest first, with the progress of each."""
    from clientfolio.plan.assessment import THEMES

    table = Table(title=f"Assessments: {len(rows)}")
    for name in ("date", "facts /20", "progress", "team /20", "respondents", *THEMES):
        table.add_column(name, justify="left" if name == "date" else "right")
    before: float | None = None
    for r in rows:
        progress = "-" if before is None or r.fact_mark is None else f"{r.fact_mark - before:+.1f}"
        table.add_row(
            r.assessed_on.isoformat(),
            _mark(r.fact_mark),
            progress,
            _mark(r.team_mark),
            str(r.respondents),
            *(_mark(r.themes.get(t, {}).get("fact_mark")) for t in THEMES),
        )
        before = r.fact_mark if r.fact_mark is not None else before
    return table


def plan_tables(header: PlanHeader, actions: Sequence[PlanAction], tracking: Tracking) -> list[RenderableType]:
    """The header, the actions by typology, and the tracking totals."""
    from clientfolio.plan.actions import by_typology

    head = (
        f"[bold]{header.company or '(company not set: clientfolio plan header)'}[/] - budget year "
        f"{header.budget_year}\nStrategic business area: {header.business_area or '-'}\n"
        f"Vision: {header.vision or '-'}\nObjective: {header.objective or '-'}"
    )
    out: list[RenderableType] = [Panel(head, title="Commercial action plan (PAC)")]
    status = {s.id: s for s in tracking.actions}
    for number, (typology, group) in enumerate(by_typology(actions), start=1):
        table = Table(title=f"Typology {number}: {typology}")
        for name in (
            "#",
            "customer",
            "action",
            "type",
            "prio",
            "owner",
            "end",
            "horizon",
            "progress",
            "budget",
            "spent",
            "current",
            "target",
            "result",
            "achieved",
        ):
            table.add_column(
                name, justify="left" if name in ("customer", "action", "type", "owner", "horizon") else "right"
            )
        for a in group:
            s = status[a.id]
            end = "-" if a.due_on is None else a.due_on.isoformat() + (" late" if s.overdue else "")
            table.add_row(
                str(a.id),
                a.customer_name or a.customer_code or a.prospect_code or "-",
                a.title,
                a.kind,
                str(a.priority or "-"),
                a.owner or "-",
                end,
                a.horizon or "-",
                f"{a.progress} %",
                euros(a.budget_cents),
                euros(a.spent_cents),
                euros(a.current_revenue_cents),
                euros(a.target_revenue_cents),
                euros(a.result_revenue_cents),
                percent(s.achievement),
            )
        out.append(table)
    t = tracking
    mean = "-" if t.mean_progress is None else f"{t.mean_progress:.0f} %"
    out.append(
        Panel(
            f"{t.count} actions, {t.done} done, {t.overdue} overdue, mean progress {mean}\n"
            f"Budget {euros(t.budget_cents)}, spent {euros(t.spent_cents)} ({percent(t.budget_used)})\n"
            f"Revenue: current {euros(t.current_revenue_cents)}, target {euros(t.target_revenue_cents)}, "
            f"result {euros(t.result_revenue_cents)}; achievement {percent(t.achievement)}",
            title=f"Tracking as of {t.as_of}",
        )
    )
    return out


def suggestion_table(found: Sequence[Suggestion], planned: set[str | None], as_of: dt.date) -> Table:
    """The suggested actions, numbered for --accept."""
    table = Table(title=f"Suggested actions as of {as_of}: {len(found)}")
    for name in ("n", "kind", "action", "typology", "reason", "prio", "end", "expected", "in plan"):
        table.add_column(name, justify="right" if name in ("n", "prio", "expected") else "left", overflow="fold")
    for n, s in enumerate(found, start=1):
        table.add_row(
            str(n),
            s.kind,
            s.title,
            s.typology,
            s.reason,
            str(s.priority),
            s.due_on.isoformat(),
            euros(s.expected_cents),
            "yes" if s.key in planned else "",
        )
    return table


def swot_tables(found: Sequence[SwotSuggestion], kept: Sequence[StoredSwotItem]) -> list[RenderableType]:
    """The kept items in the four quadrants with their recommendations, then the suggestions."""
    from clientfolio.plan.swot import RECOMMENDATIONS

    matrix = Table(title="SWOT (EMOFF): kept items", show_lines=True)
    matrix.add_column("")
    matrix.add_column("negative", overflow="fold")
    matrix.add_column("positive", overflow="fold")

    def cell(quadrant: str) -> str:
        r = RECOMMENDATIONS[quadrant]
        items = "\n".join(f"#{i.id} {i.text}" for i in kept if i.quadrant == quadrant and i.accepted)
        return f"[bold]{quadrant}: {r.verb_en}[/] ({r.verb_fr})\n{r.text}\n{items or '-'}"

    matrix.add_row("external", cell("threats"), cell("opportunities"))
    matrix.add_row("internal", cell("weaknesses"), cell("strengths"))
    table = Table(title=f"Suggested items: {len(found)} (keep with --accept, refuse with --reject)")
    for name in ("n", "quadrant", "item"):
        table.add_column(name, justify="right" if name == "n" else "left", overflow="fold")
    for n, s in enumerate(found, start=1):
        table.add_row(str(n), s.quadrant, s.text)
    return [matrix, table]
