"""One home per rule (issue 16): the funnel's stage names come from
``prospects.stages.STAGE_NAMES`` and the SWOT quadrants' from
``plan.swot.QUADRANT_NAMES`` wherever they are shown (the web's dashboard,
the annual report, the plan's suggestions), translated by the i18n catalogs;
amounts are formatted by ``clientfolio.i18n`` only (``Formatter.money`` for a
reader, ``euros`` for the library's English texts and the terminal)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clientfolio.access.principal import SYSTEM
from clientfolio.cli import render as cli_render
from clientfolio.cli._common import fmt as cli_fmt
from clientfolio.i18n import LANGS, Formatter, euros, gettext_for, localized
from clientfolio.plan import suggestions as plan_suggestions
from clientfolio.plan import swot as plan_swot
from clientfolio.plan.suggestions import suggest_actions
from clientfolio.plan.swot import QUADRANT_NAMES, QUADRANTS, SwotSuggestion
from clientfolio.prospects.stages import FUNNEL_STAGES, STAGE_NAMES
from clientfolio.report.annual import ReviewData, gather_review
from clientfolio.report.layout import money_axis
from clientfolio.report.sections import build_report
from clientfolio.store import Store
from clientfolio.web.build import dashboard
from clientfolio.web.figures import compute_figures
from tests.plan.test_suggestions import inputs
from tests.web.conftest import RING, fill_demo

AMOUNTS = (0, 123_456, -123_456, 99_999_950, None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = fill_demo(Store(f"sqlite:///{tmp_path_factory.mktemp('labels')}/demo.db"))
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def review(demo: Store) -> ReviewData:
    return gather_review(demo, SYSTEM, ring=RING)


def test_every_stage_and_quadrant_has_its_french_name() -> None:
    fr = gettext_for("fr")
    same = {"Suspect", "Prospect"}
    assert [s for s in (*FUNNEL_STAGES, "lost") if s not in STAGE_NAMES] == []
    assert [n for n in STAGE_NAMES.values() if fr(n) == n and n not in same] == []
    assert set(QUADRANT_NAMES) == set(QUADRANTS)
    assert [n for n in QUADRANT_NAMES.values() if fr(n) == n] == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_funnel_names_the_stages_from_the_one_dict(demo: Store, lang: str) -> None:
    figures = compute_figures(demo, SYSTEM, RING)
    assert figures is not None
    d = dashboard(figures, len(figures.inputs.value.customers), lang)
    _ = gettext_for(lang)
    assert [(f.stage, f.label) for f in d.funnel] == [(s, _(STAGE_NAMES[s])) for s in FUNNEL_STAGES]


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_names_stages_and_quadrants_from_the_one_dicts(review: ReviewData, lang: str) -> None:
    _ = gettext_for(lang)
    sections = {s.key: s for s in build_report(review, lang).sections}
    prospects = sections["prospects"]
    [funnel] = prospects.charts
    for s in FUNNEL_STAGES:  # the funnel chart draws every stage
        assert f">{_(STAGE_NAMES[s])}<" in funnel, s
    shown = {row[1] for t in prospects.tables if _("Stage") in t.columns for row in t.rows}
    names = {_(n) for n in STAGE_NAMES.values()}
    assert shown and shown <= names
    if lang == "en":  # the old English report had its own names ("Cold", "Won")
        assert "Cold" not in shown and "Won" not in shown
    swot = sections["swot"]
    assert [note.split(":")[0].strip() for note in swot.notes] == [_(QUADRANT_NAMES[q]) for q in QUADRANTS]
    quadrants = {row[0] for t in swot.tables for row in t.rows}
    assert quadrants and quadrants <= {_(n) for n in QUADRANT_NAMES.values()}


@pytest.mark.parametrize("lang", LANGS)
def test_the_suggestions_name_the_stage_from_the_one_dict(lang: str) -> None:
    calls = [s for s in suggest_actions(inputs()) if s.kind == "prospect"]
    assert calls
    for s in calls:
        assert s.params["stage_msg"] == STAGE_NAMES["warm"]  # the builders' prospects are warm
        shown = localized(lang, s.reason, s.reason_msg, s.params)
        assert gettext_for(lang)(STAGE_NAMES["warm"]) in shown or lang == "en"


def test_no_private_money_helper_is_left() -> None:
    for module in (plan_suggestions, plan_swot, cli_render):
        assert not hasattr(module, "_euros"), module
    assert cli_render.fmt is cli_fmt  # the terminal's amounts are i18n's Formatter, in the run's language


@pytest.mark.parametrize("cents", AMOUNTS)
def test_the_plain_format_is_the_one_function(cents: int | None) -> None:
    expected = "-" if cents is None else f"{cents / 100:,.0f} €".replace(",", "\u202f")
    assert euros(cents) == expected
    if cents is not None:  # the terminal's analysis tables: an amount in cents
        assert cli_render._value("revenue_cents", cents) == cli_fmt().money(cents, decimals=False)


def test_the_plain_format_of_some_amounts() -> None:
    assert [euros(c) for c in AMOUNTS] == ["0 €", "1\u202f235 €", "-1\u202f235 €", "1\u202f000\u202f000 €", "-"]


def test_the_library_texts_show_the_plain_format() -> None:
    follow_up = next(s for s in suggest_actions(inputs()) if s.kind == "follow_up")
    assert f"{euros(100_000)} a year at stake" in follow_up.reason  # 1 000 €
    item = SwotSuggestion(
        "threat:x",
        "threats",
        f"{euros(123_456)} of revenue",
        text_msg="{revenue_cents} of revenue",
        params={"revenue_cents": 123_456},
    )
    assert localized("en", item.text, item.text_msg, item.params) == "1\u202f235 € of revenue"
    # in French the text is rendered again from its template, by Formatter.money
    assert localized("fr", item.text, item.text_msg, item.params).startswith(
        Formatter("fr").money(123_456, decimals=False)
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("cents", AMOUNTS)
def test_the_charts_amounts_are_formatter_money(lang: str, cents: int | None) -> None:
    fmt = Formatter(lang)
    if cents is not None:  # the web's and the report's chart labels
        assert money_axis(fmt)(cents) == fmt.money(cents, decimals=False)
    assert fmt.money(None) == "-"
    assert Formatter("fr").money(123_456) == "1\u202f234,56\u00a0€"
    assert Formatter("en").money(-123_456) == "-€1,234.56"
    assert Formatter("fr").money(0) == "0,00\u00a0€"
