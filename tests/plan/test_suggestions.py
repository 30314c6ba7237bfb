"""Each kind of suggested action, on hand-made results of the analyses."""

from __future__ import annotations

import datetime as dt

from clientfolio.analytics.matrix import WhiteSpace
from clientfolio.plan.facts import CustomerLines
from clientfolio.plan.suggestions import SuggestionConfig, SuggestionInputs, as_action, suggest_actions
from tests.plan.builders import AS_OF, concentration, customer, important, prospect


def inputs(**changes: object) -> SuggestionInputs:
    values: dict[str, object] = {
        "as_of": AS_OF,
        "customers": [
            customer("C1", category="vip", revenue_cents=100_000, margin_cents=20_000, segment="S1"),
            customer("C2", category="economy", revenue_cents=10_000, margin_cents=-3_000, segment="S2"),
            customer("C3", category="development", revenue_cents=0, segment="S2"),
            customer("C4", category="core", revenue_cents=40_000, segment="S1"),
        ],
        "rfm": [
            {"customer_id": "C1", "profile": "very_regular", "quarters": "1111"},
            {"customer_id": "C2", "profile": "declining", "quarters": "1100"},  # buys more than the year before
            {"customer_id": "C3", "profile": "inactive", "quarters": "0000"},
            {"customer_id": "C4", "profile": "declining", "quarters": "1100"},
            {"customer_id": "C5", "profile": "inactive", "quarters": "0000"},  # nothing the year before either
        ],
        "lines": CustomerLines(
            now={"C1": 100_000, "C2": 10_000, "C3": 0, "C4": 40_000},
            before={"C2": 8_000, "C3": 30_000, "C4": 60_000, "C5": 0},
            by_line={"C1": {"P1": 60_000, "P2": 40_000}, "C2": {"P1": 10_000}, "C4": {"P2": 40_000}},
        ),
        "white_spaces": [
            WhiteSpace("S2", "P2", ("P1",), (1,)),
            WhiteSpace("S1", "P3", ("P1",), (0,)),
        ],  # nobody buys P3: no figure, no suggestion
        "prospects": [prospect("P1", 1, 50_000), prospect("P2", 2, 90_000), prospect("P3", 1, None, owner=None)],
        "important": [
            important("C1", 120, unfollowed=True, reasons=("A", "VIP")),
            important("C4", 10, unfollowed=False),
        ],
        "concentration": concentration(largest=0.25, alert=True, largest_id="C1"),
        "dependency_threshold": 0.10,
        "annual_churn": 0.12,
        "owners": {"C1": "alice", "C3": "bob"},
    }
    values.update(changes)
    return SuggestionInputs(**values)  # type: ignore[arg-type]


def summary(kind: str, found: list) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (
            s.key,
            s.typology,
            s.current_revenue_cents,
            s.target_revenue_cents,
            s.expected_cents,
            s.priority,
            s.due_on,
            s.owner,
        )
        for s in found
        if s.kind == kind
    ]


def test_every_kind_in_order() -> None:
    found = suggest_actions(inputs())
    assert [s.kind for s in found] == [
        "follow_up",
        "prospect",
        "prospect",
        "win_back",
        "win_back",
        "cross_sell",
        "dependency",
        "negative_margin",
    ]


def test_follow_up_the_unfollowed_important_customers() -> None:
    [s] = suggest_actions(inputs())[:1]
    assert summary("follow_up", [s]) == [
        ("follow_up:C1", "VIP customers", 100_000, 100_000, 12_000, 1, dt.date(2025, 7, 30), "alice")
    ]
    assert s.reason == "A+VIP customer last contact 2025-03-02 (120 days ago); 1\u202f000 € a year at stake"
    assert s.customer_name == "Name C1"
    unknown_churn = suggest_actions(inputs(annual_churn=None))
    assert summary("follow_up", unknown_churn)[0][4] == 0


def test_call_the_priority_1_prospects() -> None:
    assert summary("prospect", suggest_actions(inputs())) == [
        ("prospect:P1", "Prospects", 0, 15_000, 15_000, 1, dt.date(2025, 9, 30), "rep"),  # 30 % of 50,000
        ("prospect:P3", "Prospects", 0, 0, 0, 1, dt.date(2025, 9, 30), None),
    ]


def test_win_back_inactive_and_declining_customers() -> None:
    assert summary("win_back", suggest_actions(inputs())) == [
        ("win_back:C3", "Development potential customers", 0, 15_000, 15_000, 2, dt.date(2025, 9, 30), "bob"),
        ("win_back:C4", "Core business customers", 40_000, 50_000, 10_000, 2, dt.date(2025, 9, 30), None),
    ]
    capped = suggest_actions(inputs(), SuggestionConfig(max_per_kind=1, win_back_share=0.2))
    assert summary("win_back", capped) == [
        ("win_back:C3", "Development potential customers", 0, 6_000, 6_000, 2, dt.date(2025, 9, 30), "bob")
    ]


def test_cross_sell_the_white_spaces() -> None:
    found = suggest_actions(inputs())
    # 10 % of S2's one active customer (C2; C3 bought nothing) x 40,000, the mean of P2's two buyers
    assert summary("cross_sell", found) == [
        ("cross_sell:S2/P2", "Segment S2", 0, 4_000, 4_000, 2, dt.date(2026, 6, 30), None)
    ]
    assert [s.reason for s in found if s.kind == "cross_sell"] == [
        "White space: segment S2 buys P1 but not P2, which 2 customers buy (400 € a year each); customers "
        "buying both (P1: 1)"
    ]


def test_reduce_the_dependency_on_the_largest_customer() -> None:
    # 1,000 € at 25 %: the others make 3,000; at 10 % they must make 9,000, 6,000 € more
    assert summary("dependency", suggest_actions(inputs())) == [
        ("dependency:C1", "VIP customers", 0, 600_000, 600_000, 1, dt.date(2027, 6, 30), "alice")
    ]
    no_alert = inputs(concentration=concentration(largest=0.08, alert=False))
    assert summary("dependency", suggest_actions(no_alert)) == []


def test_reconsider_negative_margin_customers() -> None:
    assert summary("negative_margin", suggest_actions(inputs())) == [
        ("negative_margin:C2", "Economy customers", 10_000, 10_000, 3_000, 2, dt.date(2025, 12, 30), None)
    ]


def test_accepted_suggestion_becomes_a_plan_row() -> None:
    s = next(s for s in suggest_actions(inputs()) if s.kind == "cross_sell")
    a = as_action(s, AS_OF)
    assert (a.title, a.typology, a.kind, a.horizon, a.target_revenue_cents, a.suggestion_key, a.comments) == (
        "Cross-sell P2 to segment S2",
        "Segment S2",
        "commercial",
        "medium",
        4_000,
        "cross_sell:S2/P2",
        s.reason,
    )
