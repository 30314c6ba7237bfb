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

from clientfolio.errors import ClientfolioError
from clientfolio.plan.actions import PlanAction, PlanHeader, Tracking, by_typology
from clientfolio.plan.swot import RECOMMENDATIONS

__all__ = ["PAC_COLUMNS", "write_plan_xlsx"]

PAC_COLUMNS = (
    "TYPOLOGIE",
    "CLIENT",
    "ÉTAPES",
    "PRIORITÉ",
    "RESPONSABLE",
    "PARTICIPANTS",
    "DATE FIN",
    "AVANCEMENT",
    "BUDGET",
    "COMMENTAIRES",
    "CA ACTUEL",
    "CA CIBLE",
    "RÉSULTATS",
    "TYPE",
    "HORIZON",
    "BUDGET CONSOMMÉ",
    "ATTEINTE",
    "COMMENTAIRE RÉSULTAT",
)
_EUROS = '#,##0 "€"'
_BOLD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TYPES = {"commercial": "Commerciale", "internal": "Interne"}
_HORIZONS = {"short": "CT (0-6 mois)", "medium": "MT (6-24 mois)", "long": "LT (+24 mois)"}
_QUADRANTS_FR = {
    "threats": "MENACES",
    "opportunities": "OPPORTUNITÉS",
    "weaknesses": "FAIBLESSES",
    "strengths": "FORCES",
}


def _euros(cents: int | None) -> float | None:
    return None if cents is None else cents / 100


def _who(a: PlanAction) -> str:
    return a.customer_name or a.customer_code or a.prospect_code or "-"


def _pac(ws: Worksheet, header: PlanHeader, actions: Sequence[PlanAction], tracking: Tracking) -> None:
    ws.append(
        [
            f"PAC ENTREPRISE : {header.company}",
            None,
            f"DOMAINE D'ACTIVITÉ STRATÉGIQUE : {header.business_area or ''}",
            None,
            None,
            f"ANNÉE BUDGÉTAIRE : {header.budget_year}",
            None,
            f"VISION : {header.vision or ''}",
            None,
            None,
            None,
            f"OBJECTIF : {header.objective or ''}",
        ]
    )
    for first, last in (("A", "B"), ("C", "E"), ("F", "G"), ("H", "K"), ("L", "R")):
        ws.merge_cells(f"{first}1:{last}1")
    ws.append([])
    ws.append(list(PAC_COLUMNS))
    for cell in (*ws[1], *ws[3]):
        cell.font, cell.fill = _BOLD, _FILL
    achieved = {s.id: s for s in tracking.actions}
    for number, (typology, group) in enumerate(by_typology(actions), start=1):
        top = ws.max_row + 1
        for a in group:
            status = achieved.get(a.id)
            steps = a.title if not a.steps else f"{a.title}. {a.steps}"
            ws.append(
                [
                    f"TYPOLOGIE N°{number} : {typology}",
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
                    _TYPES.get(a.kind, a.kind),
                    _HORIZONS.get(a.horizon or "", ""),
                    _euros(a.spent_cents),
                    status.achievement if status else None,
                    a.result,
                ]
            )
        if ws.max_row > top:
            ws.merge_cells(start_row=top, start_column=1, end_row=ws.max_row, end_column=1)
    ws.append(
        [
            "TOTAL",
            None,
            f"{tracking.count} actions, {tracking.done} terminées, {tracking.overdue} en retard",
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


def _tracking(ws: Worksheet, tracking: Tracking) -> None:
    rows = [
        ("Date de suivi", tracking.as_of),
        ("Actions", tracking.count),
        ("Terminées", tracking.done),
        ("En retard", tracking.overdue),
        ("Avancement moyen", None if tracking.mean_progress is None else tracking.mean_progress / 100),
        ("Budget", _euros(tracking.budget_cents)),
        ("Budget consommé", _euros(tracking.spent_cents)),
        ("Part du budget consommée", tracking.budget_used),
        ("CA actuel", _euros(tracking.current_revenue_cents)),
        ("CA cible", _euros(tracking.target_revenue_cents)),
        ("Résultats", _euros(tracking.result_revenue_cents)),
        ("Atteinte de l'objectif", tracking.achievement),
    ]
    for label, value in rows:
        ws.append([label, value])
        cell = ws.cell(ws.max_row, 2)
        if label.startswith(("Budget", "CA", "Résultats")) and "Part" not in label:
            cell.number_format = _EUROS
        elif label.startswith(("Avancement", "Part", "Atteinte")):
            cell.number_format = "0%"
        elif label.startswith("Date"):
            cell.number_format = "DD/MM/YYYY"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 16


def _swot(ws: Worksheet, swot: dict[str, list[str]]) -> None:
    ws.append([None, "EXTERNE", None])
    for left, right in (("threats", "opportunities"), ("weaknesses", "strengths")):
        if left == "weaknesses":
            ws.append([None, "INTERNE", None])
        ws.append([None, _QUADRANTS_FR[left], _QUADRANTS_FR[right]])
        ws.append([None, RECOMMENDATIONS[left].verb_fr.upper(), RECOMMENDATIONS[right].verb_fr.upper()])
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
) -> Path:
    """Write the plan to ``path`` (sheets ``PAC``, ``Suivi`` and ``EMOFF``);
    ``swot`` is the accepted items' texts by quadrant.  Returns ``path``."""
    wb = Workbook()
    pac = wb.active
    assert pac is not None
    pac.title = "PAC"
    _pac(pac, header, actions, tracking)
    _tracking(wb.create_sheet("Suivi"), tracking)
    _swot(wb.create_sheet("EMOFF"), swot or {})
    try:
        wb.save(path)
    except OSError as exc:
        raise ClientfolioError(f"cannot write {path}: {exc.strerror}") from None
    return path
