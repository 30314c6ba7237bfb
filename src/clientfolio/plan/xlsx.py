"""The commercial action plan as an XLSX workbook, in the seed's layout
(seed 002: *PAC ENTREPRISE ... DOMAINE D'ACTIVITÉ STRATÉGIQUE ... ANNÉE
BUDGÉTAIRE ... VISION ... OBJECTIF*, then the actions grouped by customer
typology).

Sheets:

- ``PAC``: the header on row 1, the column titles on row 3, then for each
  typology (``TYPOLOGIE N°k : ...`` in column A, merged down its rows) its
  actions: client, steps, priority, owner, participants, end date, progress,
  budget, comments, current revenue, target revenue, results (the seed's
  columns), then type, horizon, budget spent, achievement and the result's
  comment; a total row last.  Amounts in euros.
- ``Suivi``: the tracking figures of the plan at the as-of date.
- ``EMOFF``: the accepted SWOT items in the seed's 2 x 2 matrix with the
  recommendation of each quadrant.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from clientfolio.errors import ClientfolioError, os_reason
from clientfolio.i18n import N_, gettext_for, render
from clientfolio.plan.actions import PlanAction, PlanHeader, Tracking, by_typology
from clientfolio.plan.swot import QUADRANT_NAMES, RECOMMENDATIONS

__all__ = ["PAC_COLUMNS", "texts_only", "write_plan_xlsx"]

PAC_COLUMNS = (
    N_("Typology"),
    N_("Customer"),
    N_("Steps"),
    N_("Priority"),
    N_("Owner"),
    N_("Who takes part"),
    N_("End date"),
    N_("Progress"),
    N_("Budget planned"),
    N_("Comments"),
    N_("Current revenue"),
    N_("Target revenue"),
    N_("Results"),
    N_("Action type"),
    N_("Time horizon"),
    N_("Spent"),
    N_("Achievement"),
    N_("Comment on the result"),
)
"""The column titles of the PAC sheet: English messages, shown translated and
in capitals (the seed's ``TYPOLOGIE``, ``CLIENT``, ``ÉTAPES`` ... in French)."""
_EUROS = '#,##0 "€"'
_BOLD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TYPES = {"commercial": "Commercial", "internal": "Internal"}
_HORIZONS = {
    "short": "Short term (0-6 months)",
    "medium": "Medium term (6-24 months)",
    "long": "Long term (over 24 months)",
}


def _euros(cents: int | None) -> float | None:
    return None if cents is None else cents / 100


def _who(a: PlanAction) -> str:
    return a.customer_name or a.customer_code or a.prospect_code or "-"


def _pac(ws: Worksheet, header: PlanHeader, actions: Sequence[PlanAction], tracking: Tracking, lang: str) -> None:
    _ = gettext_for(lang)
    ws.append(
        [
            render(lang, "COMPANY ACTION PLAN: {company}", {"company": header.company}),
            None,
            render(lang, "STRATEGIC BUSINESS AREA: {area}", {"area": header.business_area or ""}),
            None,
            None,
            render(lang, "BUDGET YEAR: {year}", {"year": str(header.budget_year)}),
            None,
            render(lang, "VISION: {vision}", {"vision": header.vision or ""}),
            None,
            None,
            None,
            render(lang, "OBJECTIVE: {objective}", {"objective": header.objective or ""}),
        ]
    )
    for first, last in (("A", "B"), ("C", "E"), ("F", "G"), ("H", "K"), ("L", "R")):
        ws.merge_cells(f"{first}1:{last}1")
    ws.append([])
    ws.append([_(c).upper() for c in PAC_COLUMNS])
    for cell in (*ws[1], *ws[3]):
        cell.font, cell.fill = _BOLD, _FILL
    achieved = {s.id: s for s in tracking.actions}
    for number, (typology, group) in enumerate(by_typology(a.localized(lang) for a in actions), start=1):
        top = ws.max_row + 1
        for a in group:
            status = achieved.get(a.id)
            steps = a.title if not a.steps else f"{a.title}. {a.steps}"
            ws.append(
                [
                    render(lang, "TYPOLOGY No. {n}: {name}", {"n": str(number), "name": _(typology)}),
                    _who(a),
                    steps,
                    a.priority,
                    a.owner,
                    a.participants,
                    a.due_on,
                    a.progress / 100,
                    _euros(a.budget_cents),
                    a.comments,
                    _euros(a.current_revenue_cents),
                    _euros(a.target_revenue_cents),
                    _euros(a.result_revenue_cents),
                    _(_TYPES[a.kind]) if a.kind in _TYPES else a.kind,
                    _(_HORIZONS[a.horizon]) if a.horizon in _HORIZONS else "",
                    _euros(a.spent_cents),
                    status.achievement if status else None,
                    a.result,
                ]
            )
        if ws.max_row > top:
            ws.merge_cells(start_row=top, start_column=1, end_row=ws.max_row, end_column=1)
    ws.append(
        [
            _("Total").upper(),
            None,
            render(
                lang,
                "{count} actions, {done} done, {overdue} overdue",
                {"count": tracking.count, "done": tracking.done, "overdue": tracking.overdue},
            ),
            None,
            None,
            None,
            None,
            None if tracking.mean_progress is None else tracking.mean_progress / 100,
            _euros(tracking.budget_cents),
            None,
            _euros(tracking.current_revenue_cents),
            _euros(tracking.target_revenue_cents),
            _euros(tracking.result_revenue_cents),
            None,
            None,
            _euros(tracking.spent_cents),
            tracking.achievement,
            None,
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = _BOLD
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = _WRAP
            if cell.column in (9, 11, 12, 13, 16):
                cell.number_format = _EUROS
            elif cell.column in (8, 17):
                cell.number_format = "0%"
            elif cell.column == 7:
                cell.number_format = "DD/MM/YYYY"
    widths = (26, 28, 48, 9, 14, 18, 12, 12, 12, 40, 13, 13, 13, 12, 14, 14, 10, 30)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "C4"


def _tracking(ws: Worksheet, tracking: Tracking, lang: str) -> None:
    _ = gettext_for(lang)
    rows = [
        (N_("Tracking date"), tracking.as_of, "DD/MM/YYYY"),
        (N_("Actions"), tracking.count, None),
        (N_("Done"), tracking.done, None),
        (N_("Overdue"), tracking.overdue, None),
        (N_("Mean progress"), None if tracking.mean_progress is None else tracking.mean_progress / 100, "0%"),
        (N_("Budget planned"), _euros(tracking.budget_cents), _EUROS),
        (N_("Budget spent"), _euros(tracking.spent_cents), _EUROS),
        (N_("Share of the budget spent"), tracking.budget_used, "0%"),
        (N_("Current revenue"), _euros(tracking.current_revenue_cents), _EUROS),
        (N_("Target revenue"), _euros(tracking.target_revenue_cents), _EUROS),
        (N_("Results"), _euros(tracking.result_revenue_cents), _EUROS),
        (N_("Achievement of the objective"), tracking.achievement, "0%"),
    ]
    for label, value, number_format in rows:
        ws.append([_(label), value])
        if number_format is not None:
            ws.cell(ws.max_row, 2).number_format = number_format
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 16


def _swot(ws: Worksheet, swot: dict[str, list[str]], lang: str) -> None:
    _ = gettext_for(lang)
    ws.append([None, _("External").upper(), None])
    for left, right in (("threats", "opportunities"), ("weaknesses", "strengths")):
        if left == "weaknesses":
            ws.append([None, _("Internal").upper(), None])
        ws.append([None, _(QUADRANT_NAMES[left]).upper(), _(QUADRANT_NAMES[right]).upper()])
        ws.append([None, _(RECOMMENDATIONS[left].verb).upper(), _(RECOMMENDATIONS[right].verb).upper()])
        for row in ws.iter_rows(min_row=ws.max_row - 1, max_row=ws.max_row):
            for cell in row:
                cell.font, cell.fill = _BOLD, _FILL
        ws.append(
            [None, "\n".join(f"- {t}" for t in swot.get(left, [])), "\n".join(f"- {t}" for t in swot.get(right, []))]
        )
        for cell in ws[ws.max_row]:
            cell.alignment = _WRAP
    ws.column_dimensions["B"].width = ws.column_dimensions["C"].width = 70


def write_plan_xlsx(
    path: Path,
    header: PlanHeader,
    actions: Sequence[PlanAction],
    tracking: Tracking,
    swot: dict[str, list[str]] | None = None,
    *,
    lang: str = "fr",
) -> Path:
    """Write the plan to ``path``, a new file (sheets ``PAC``, ``Suivi`` and ``EMOFF``);
    ``swot`` is the accepted items' texts by quadrant, as shown in ``lang``.
    Every title, label and action's text is shown in ``lang`` (in French:
    the seed's layout and titles).
    Returns ``path``."""
    wb = Workbook()
    pac = wb.active
    assert pac is not None
    pac.title = "PAC"  # the plan's name in both languages
    _pac(pac, header, actions, tracking, lang)
    _ = gettext_for(lang)
    _tracking(wb.create_sheet(_("Tracking")), tracking, lang)
    _swot(wb.create_sheet(_("SWOT matrix")), swot or {}, lang)
    texts_only(wb)
    try:
        with path.open("xb") as file:  # created here, never over an existing file
            wb.save(file)
    except FileExistsError:
        raise ClientfolioError("{path} exists: an export never overwrites a file", path=str(path)) from None
    except OSError as exc:
        raise ClientfolioError("cannot write {path}: {why_msg}", path=str(path), why_msg=os_reason(exc)) from None
    return path


def texts_only(book: Workbook) -> None:
    """No cell of ``book`` is a formula: a text that begins with ``=`` (a customer
    named ``=HYPERLINK(...)``, a comment) is kept as text, which a spreadsheet shows
    and never runs (openpyxl takes such a string for a formula)."""
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if cell.data_type == "f":
                    cell.data_type = "s"
