"""The self-assessment: every indicator and mark on hand-made inputs, the
theme and overall marks, the reading, strengths, weaknesses and gaps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from clientfolio.analytics.matrix import UNKNOWN
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import gettext_for
from clientfolio.plan.assessment import READINGS, AssessmentConfig, Scale, assess, reading
from clientfolio.plan.facts import CustomerLines, Facts, file_completeness, gather_facts
from clientfolio.plan.questionnaire import Answer, answers_from, load_answers, merge_answers, team_marks
from tests.plan.builders import AS_OF, concentration, important, matrix, measures, period

DAY = dt.timedelta(days=1)
FIELDS = ("siren", "city", "potential", "owner")


def facts() -> Facts:
    return gather_facts(
        as_of=AS_OF,
        measures=measures(period(new=12, lost=10, start=100), concentration(top20=0.80, largest=0.15)),
        rfm=[
            {"customer_id": "A", "monetary_cents": 600, "profile": "very_regular"},
            {"customer_id": "B", "monetary_cents": 200, "profile": "regular"},
            {"customer_id": "C", "monetary_cents": 200, "profile": "declining"},
            {"customer_id": "D", "monetary_cents": -50, "profile": "inactive"},
        ],
        matrix=matrix({("S1", "P1"): 100, ("S1", "P2"): 50, ("S2", "P1"): 80, ("S2", "P2"): 0, (UNKNOWN, "P1"): 5}),
        lines=CustomerLines(
            now={"A": 500, "B": 300, "C": 0, "D": -10},
            before={},
            by_line={"A": {"P1": 300, "P2": 200}, "B": {"P1": 300}},
        ),
        solvency={"has_payment_data": True, "incident_revenue_share": 0.06, "dso_days": 45.0},
        file_records=[
            {"siren": "123456789", "city": "Lyon", "potential": 5, "owner": 1},
            {"siren": "  ", "city": None, "potential": 0, "owner": 2},
        ],
        key_fields=FIELDS,
        important=[
            important("A", 10, unfollowed=False),
            important("B", 20, unfollowed=False),
            important("C", None, unfollowed=True),
            important("E", 80, unfollowed=False),
        ],
        actions=[(AS_OF - DAY, 50), (AS_OF + 10 * DAY, 0), (AS_OF - 5 * DAY, 100), (None, 0)],
    )


# the hand-computed marks of ``facts()``
MARKS = {
    "renewal_ratio": (1.2 - 0.5) / 1.0 * 20,  # 12 new / 10 lost
    "top_20pct_share": (0.80 - 0.95) / (0.60 - 0.95) * 20,
    "largest_share": (0.15 - 0.20) / (0.05 - 0.20) * 20,
    "retention_rate": (0.90 - 0.70) / 0.25 * 20,  # 1 - 10 / 100
    "recurring_revenue_share": (0.80 - 0.30) / 0.60 * 20,  # (600 + 200) / 1000, D's negative amount left out
    "incident_revenue_share": (0.06 - 0.30) / (0.0 - 0.30) * 20,
    "dso_days": (45 - 90) / (30 - 90) * 20,
    "file_completeness": (0.75 - 0.5) / 0.5 * 20,  # (4/4 + 2/4) / 2: a blank siren is missing, 0 is filled
    "complete_records_share": 0.5 * 20,
    "followed_share": (0.75 - 0.5) / 0.5 * 20,  # 3 of 4 followed
    "overdue_actions_share": 0.0,  # 1 of 2 open dated actions is late: 50 % -> 0/20
    "multi_line_share": (0.5 - 0.1) / 0.5 * 20,  # A buys 2 lines, B 1; C and D are not active
    "matrix_coverage": (0.75 - 0.4) / 0.6 * 20,  # 3 of 4 known cells sold, the unknown row left out
}
THEME_MARKS = {
    "portfolio": (MARKS["renewal_ratio"] + MARKS["top_20pct_share"] + MARKS["largest_share"]) / 3,
    "loyalty": (MARKS["retention_rate"] + MARKS["recurring_revenue_share"]) / 2,
    "solvency": (MARKS["incident_revenue_share"] + MARKS["dso_days"]) / 2,
    "file": (MARKS["file_completeness"] + MARKS["complete_records_share"]) / 2,
    "follow_up": (MARKS["followed_share"] + MARKS["overdue_actions_share"]) / 2,
    "fit": (MARKS["multi_line_share"] + MARKS["matrix_coverage"]) / 2,
}


def test_facts_are_measured_from_the_results() -> None:
    f = facts()
    assert f.as_dict() == pytest.approx(
        {
            "as_of": "2025-06-30",
            "renewal_ratio": 1.2,
            "top_20pct_share": 0.80,
            "largest_share": 0.15,
            "retention_rate": 0.90,
            "recurring_revenue_share": 0.80,
            "incident_revenue_share": 0.06,
            "dso_days": 45.0,
            "file_completeness": 0.75,
            "complete_records_share": 0.5,
            "followed_share": 0.75,
            "overdue_actions_share": 0.5,
            "multi_line_share": 0.5,
            "matrix_coverage": 0.75,
        }
    )


def test_unmeasurable_facts_are_none() -> None:
    f = gather_facts(
        as_of=AS_OF,
        measures=measures(period(new=3, lost=0, start=0), concentration(customers=0)),
        rfm=[],
        matrix=matrix({}),
        lines=CustomerLines(),
        solvency={"has_payment_data": False},
        file_records=[],
        key_fields=FIELDS,
        important=[],
        actions=[(None, 0), (AS_OF, 100)],
    )
    assert f == Facts(AS_OF)


def test_every_indicator_gets_its_mark() -> None:
    a = assess(facts())
    got = {i.key: i.mark for t in a.themes for i in t.indicators}
    assert got == pytest.approx(MARKS)
    assert {t.theme: t.fact_mark for t in a.themes} == pytest.approx(THEME_MARKS)
    assert a.fact_mark == pytest.approx(sum(THEME_MARKS.values()) / 6)
    assert a.reading == "consolidate"


def test_overall_mark_weights_the_themes_and_skips_unmarked_ones() -> None:
    config = AssessmentConfig(theme_weights={"portfolio": 2, "fit": 0})
    a = assess(facts(), config=config)
    others = sum(v for k, v in THEME_MARKS.items() if k not in ("portfolio", "fit"))
    assert a.fact_mark == pytest.approx((2 * THEME_MARKS["portfolio"] + others) / 6)
    only_solvency = assess(Facts(AS_OF, incident_revenue_share=0.15))
    assert [t.fact_mark for t in only_solvency.themes] == [None, None, 10.0, None, None, None]
    assert only_solvency.fact_mark == 10.0
    assert assess(Facts(AS_OF)).fact_mark is None and assess(Facts(AS_OF)).reading is None


def test_strengths_weaknesses_and_perception_gaps() -> None:
    team = {"portfolio": [12.0, 16.0], "loyalty": [15.0], "follow_up": [1.0]}
    a = assess(facts(), team)
    assert [i.key for i in a.strengths] == [
        "recurring_revenue_share",
        "retention_rate",
        "incident_revenue_share",
        "multi_line_share",
        "dso_days",
        "renewal_ratio",
    ]  # from 14 (included)
    assert [i.key for i in a.weaknesses] == ["overdue_actions_share", "largest_share", "top_20pct_share"]  # < 10
    portfolio = a.themes[0]
    assert (portfolio.team_mark, portfolio.respondents) == (14.0, 2)
    assert portfolio.gap == pytest.approx(14.0 - THEME_MARKS["portfolio"])
    assert [(g.theme, g.direction) for g in a.gaps] == [
        ("portfolio", "overestimated"),
        ("follow_up", "underestimated"),
    ]  # loyalty: -1.3
    assert a.gaps[1].gap == pytest.approx(1.0 - THEME_MARKS["follow_up"]) == -4.0
    assert a.team_mark == pytest.approx((14.0 + 15.0 + 1.0) / 3)
    assert a.as_dict()["reading_text"] == READINGS["consolidate"].text
    assert gettext_for("fr")(READINGS["consolidate"].text).startswith("Le portefeuille client a de la valeur")


@pytest.mark.parametrize(
    ("mark", "expected"),
    [
        (0.0, "risk"),
        (9.99, "risk"),
        (10.0, "consolidate"),
        (14.99, "consolidate"),
        (15.0, "guarantee"),
        (20.0, "guarantee"),
        (None, None),
    ],
)
def test_reading_of_the_overall_mark(mark: float | None, expected: str | None) -> None:
    assert reading(mark) == expected


def test_scales_are_piecewise_linear_and_clamped() -> None:
    up, down = Scale(zero_at=0.5, full_at=1.5), Scale(zero_at=0.95, full_at=0.60)
    assert [up.mark(v) for v in (0.0, 0.5, 0.75, 1.0, 1.5, 3.0)] == pytest.approx([0, 0, 5, 10, 20, 20])
    assert [down.mark(v) for v in (1.0, 0.95, 0.775, 0.60, 0.1)] == pytest.approx([0, 0, 10, 20, 20])
    with pytest.raises(ValidationError, match="two different values"):
        Scale(zero_at=1, full_at=1)
    with pytest.raises(ValidationError, match="unknown themes in theme_weights: sales"):
        AssessmentConfig(theme_weights={"sales": 1})
    with pytest.raises(ValidationError, match="guarantee_from"):
        AssessmentConfig(risk_below=12, guarantee_from=11)


def test_file_completeness() -> None:
    records = [{"a": 1, "b": "x"}, {"a": None, "b": ""}, {"a": 0, "b": "y"}]
    assert file_completeness(records, ("a", "b")) == pytest.approx((2 / 3, 2 / 3))
    assert file_completeness([], ("a",)) == (None, None)


def test_questionnaire_files(tmp_path: Path) -> None:
    toml = tmp_path / "team.toml"
    toml.write_text("[alice]\nportfolio = 14\nloyalty = 12.5\n\n[bob]\nportfolio = 9\n", encoding="utf-8")
    got = load_answers(toml)
    assert got == [
        Answer("alice", "portfolio", 14.0),
        Answer("alice", "loyalty", 12.5),
        Answer("bob", "portfolio", 9.0),
    ]
    assert team_marks(got) == {"portfolio": [14.0, 9.0], "loyalty": [12.5]}
    js = tmp_path / "team.json"
    js.write_text('{"carla": {"fit": 20, "file": 0}}', encoding="utf-8")
    assert load_answers(js) == [Answer("carla", "fit", 20.0), Answer("carla", "file", 0.0)]
    merged = merge_answers(got, [Answer("bob", "portfolio", 11.0), Answer("bob", "fit", 3.0)])
    assert merged == [
        Answer("alice", "portfolio", 14.0),
        Answer("alice", "loyalty", 12.5),
        Answer("bob", "portfolio", 11.0),
        Answer("bob", "fit", 3.0),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"alice": {"sales": 3}}, "unknown theme 'sales'"),
        ({"alice": {"fit": 21}}, "fit = 21 is not a mark from 0 to 20"),
        ({"alice": {"fit": -1}}, "is not a mark"),
        ({"alice": {"fit": True}}, "is not a mark"),
        ({"alice": {"fit": "12"}}, "is not a mark"),
        ({"alice": 12}, "must be a table"),
    ],
)
def test_bad_answers_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ClientfolioError, match=message):
        answers_from(data)


def test_unreadable_answers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("alice = [", encoding="utf-8")
    with pytest.raises(ClientfolioError, match="bad.toml: not valid TOML or JSON"):
        load_answers(bad)
    with pytest.raises(ClientfolioError, match="cannot read"):
        load_answers(tmp_path / "missing.toml")
