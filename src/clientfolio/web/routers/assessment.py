"""The self-assessment of the customer capital (``/assessment``): the marks
out of 20 on facts, by theme and indicator, with the reading; the team's
questionnaire (a mark per theme; several members answer, each under their
name); the results with the perception gaps; the history by date.

The facts come from the app's figures cache for the logged-in principal; an
answer is stored with the assessment of the analysis date
(``plan.records.save_assessment``: only a principal without scope
restriction stores one, since it covers the whole portfolio); it is audited
(``assessment.save``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from clientfolio.access import Principal
from clientfolio.errors import ClientfolioError
from clientfolio.plan.assessment import READINGS, THEME_INFO, THEMES
from clientfolio.plan.questionnaire import answers_from, merge_answers
from clientfolio.plan.records import assessment_history, save_assessment, stored_answers
from clientfolio.plan.run import assessment_of
from clientfolio.protect.keys import KeyRing
from clientfolio.report.charts import gauge
from clientfolio.web.deps import CsrfChecked, CurrentUser, RingDep, View, ViewDep
from clientfolio.web.pages import Reader, Writer
from clientfolio.web.render import page, wants_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Mark = Annotated[str | None, Form(max_length=10)]


def assessment_page_of(view: View, principal: Principal, ring: KeyRing) -> dict[str, Any]:
    """The page's data: the assessment (None without sales), the answers given, the history."""
    store = view.state.store
    figures = view.state.figures.get(store, principal, ring)
    history = [
        {
            "assessed_on": h.assessed_on,
            "fact_mark": h.fact_mark,
            "team_mark": h.team_mark,
            "respondents": h.respondents,
            "themes": h.themes,
        }
        for h in assessment_history(store, principal)
    ]
    if figures is None:
        return {"assessment": None, "answers": [], "history": history}
    a = figures.assessment
    reading = READINGS.get(a.reading or "")
    data = a.as_dict()
    for theme, result in zip(data["themes"], a.themes, strict=True):
        theme["label"] = view._(result.label)
        theme["objective"] = view._(result.objective)
        for indicator in theme["indicators"]:
            indicator["label"] = view._(indicator["label"])
    data["as_of"] = a.as_of
    data["reading_text"] = None if reading is None else view._(reading.text)
    answers = [a.__dict__ for a in stored_answers(store, a.as_of)]
    return {"assessment": data, "answers": answers, "history": history}


@router.get("/assessment")
def assessment_page(view: ViewDep, principal: Reader, ring: RingDep) -> Response:
    """The marks on facts and the team's, the questionnaire and the history."""
    data = assessment_page_of(view, principal, ring)
    html: dict[str, Any] = {"themes": THEMES}
    a = data["assessment"]
    if a is not None and a["fact_mark"] is not None and not wants_json(view.request):
        html["gauge"] = gauge(
            round(a["fact_mark"], 1),
            title=view._("Self-assessment of the customer capital"),
            fmt=lambda v: view.fmt.number(v, 1),
        )
    return page(view, "assessment.html", data, html=html)


def _mark(theme: str, text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise ClientfolioError(
            "{theme_msg}: '{text}' is not a mark from 0 to 20",
            theme_msg=THEME_INFO[theme].label if theme in THEME_INFO else theme,
            text=text,
        ) from None


@router.post("/assessment", dependencies=[CsrfChecked])
def answer(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    user: CurrentUser,
    respondent: Annotated[str | None, Form(max_length=100)] = None,
    portfolio: Mark = None,
    loyalty: Mark = None,
    solvency: Mark = None,
    file: Mark = None,
    follow_up: Mark = None,
    fit: Mark = None,
) -> Response:
    """Store one respondent's marks out of 20 (a blank theme is skipped; a
    new mark replaces the respondent's earlier one for that theme)."""
    store = view.state.store
    figures = view.state.figures.get(store, principal, ring)
    if figures is None:
        raise ClientfolioError("no sale to analyse yet: nothing to assess")
    given = dict(zip(THEMES, (portfolio, loyalty, solvency, file, follow_up, fit), strict=True))
    marks = {t: m for t, text in given.items() if (m := _mark(t, text)) is not None}
    if not marks:
        raise ClientfolioError("give a mark out of 20 to one theme at least")
    name = (respondent or "").strip() or user.display_name or user.username
    new = answers_from({name: marks}, "the questionnaire")
    merged = merge_answers(stored_answers(store, figures.inputs.as_of), new)
    result = assessment_of(figures.inputs, merged)
    save_assessment(store, principal, result, new, chain_key=ring.subkey("audit"))
    if wants_json(view.request):
        return page(view, "assessment.html", {"respondent": name, "marks": marks, "team_mark": result.team_mark})
    return RedirectResponse("/assessment#results", status_code=303)
