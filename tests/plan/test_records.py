"""The plan's rows in the store, read and written for a principal (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from clientfolio.access import SYSTEM, Principal, Scope
from clientfolio.errors import ClientfolioError
from clientfolio.plan.actions import PlanAction, PlanHeader
from clientfolio.plan.assessment import assess
from clientfolio.plan.facts import Facts
from clientfolio.plan.questionnaire import Answer
from clientfolio.plan.records import (
    add_actions,
    add_swot_item,
    assessment_history,
    edit_swot_item,
    plan_actions,
    plan_header,
    save_assessment,
    save_header,
    save_swot,
    stored_answers,
    swot_items,
    update_action,
)
from clientfolio.plan.swot import SwotSuggestion
from clientfolio.store import Store
from clientfolio.store.schema import Customer, Prospect, Region, User
from tests.conftest import ordinary_role

DAY = dt.date(2025, 6, 30)
NORTH = Principal("rep", "sales", Scope(regions=frozenset({"N"})))


@pytest.fixture
def filled(store: Store) -> Store:
    with store.begin() as conn:
        conn.execute(insert(Region), [{"id": 1, "code": "N", "name": "Nord"}, {"id": 2, "code": "S", "name": "Sud"}])
        conn.execute(
            insert(Customer),
            [
                {"id": 1, "code": "C1", "name": "Un", "region_id": 1},
                {"id": 2, "code": "C2", "name": "Deux", "region_id": 2},
            ],
        )
        conn.execute(insert(Prospect), [{"id": 1, "code": "P1", "name": "Pro", "region_id": 2, "stage": "warm"}])
        conn.execute(insert(User), [{"id": 1, "username": "kam", "display_name": "K", "role": "sales"}])
    return store


def rows() -> list[PlanAction]:
    return [
        PlanAction(
            None,
            "Visit",
            typology="VIP customers",
            customer_code="C1",
            owner="kam",
            due_on=dt.date(2025, 12, 30),
            target_revenue_cents=500,
            suggestion_key="follow_up:C1",
        ),
        PlanAction(None, "Call", customer_code="C2", due_on=dt.date(2026, 1, 15), suggestion_key="win_back:C2"),
        PlanAction(None, "Call the prospect", prospect_code="P1", due_on=dt.date(2028, 1, 1)),
        PlanAction(None, "Training", kind="internal", budget_cents=300_000),
    ]


def test_actions_are_added_once_and_read_in_scope(filled: Store) -> None:
    ids = add_actions(filled, SYSTEM, 2025, rows(), planned_on=DAY)
    assert len(ids) == 4
    again = add_actions(filled, SYSTEM, 2025, rows()[:2], planned_on=DAY)
    assert again == []  # their suggestion keys are already in the plan
    got = plan_actions(filled, SYSTEM, 2025)
    assert [
        (a.title, a.customer_code, a.customer_name, a.prospect_code, a.owner, a.horizon, a.created_on) for a in got
    ] == [
        ("Visit", "C1", "Un", None, "kam", "short", DAY),
        ("Call", "C2", "Deux", None, None, "medium", DAY),
        ("Call the prospect", None, None, "P1", None, "long", DAY),
        ("Training", None, None, None, None, None, DAY),
    ]
    assert [a.title for a in plan_actions(filled, NORTH, 2025)] == ["Visit"]  # C2, P1 in the south; internal hidden
    assert plan_actions(filled, SYSTEM, 2024) == []
    assert plan_header(filled, 2025) == PlanHeader(2025, "")


def test_refused_actions(filled: Store) -> None:
    with pytest.raises(ClientfolioError, match="no customer 'C2' in your scope"):
        add_actions(filled, NORTH, 2025, [PlanAction(None, "x", customer_code="C2")], planned_on=DAY)
    with pytest.raises(ClientfolioError, match="no prospect 'P9' in your scope"):
        add_actions(filled, SYSTEM, 2025, [PlanAction(None, "x", prospect_code="P9")], planned_on=DAY)
    with pytest.raises(ClientfolioError, match="no user 'zoe'"):
        add_actions(filled, SYSTEM, 2025, [PlanAction(None, "x", owner="zoe")], planned_on=DAY)
    with pytest.raises(ClientfolioError, match="unknown action type 'other'"):
        add_actions(filled, SYSTEM, 2025, [PlanAction(None, "x", kind="other")], planned_on=DAY)
    with pytest.raises(ClientfolioError, match="needs a title"):
        add_actions(filled, SYSTEM, 2025, [PlanAction(None, " ")], planned_on=DAY)
    assert plan_actions(filled, SYSTEM, 2025) == []  # all or nothing


def test_tracking_updates(filled: Store) -> None:
    first, second, *_ = add_actions(filled, SYSTEM, 2025, rows(), planned_on=DAY)
    a = update_action(
        filled,
        NORTH,
        first,
        progress=60,
        spent_cents=1_000,
        result_revenue_cents=250,
        result="2 orders",
        due_on=dt.date(2027, 1, 1),
    )
    assert (a.progress, a.spent_cents, a.result_revenue_cents, a.result, a.due_on, a.horizon) == (
        60,
        1_000,
        250,
        "2 orders",
        dt.date(2027, 1, 1),
        "medium",
    )
    assert update_action(filled, SYSTEM, first, owner=None).owner is None
    with pytest.raises(ClientfolioError, match=f"no action {second} in your scope"):
        update_action(filled, NORTH, second, progress=10)
    with pytest.raises(ClientfolioError, match="cannot change title"):
        update_action(filled, SYSTEM, first, title="x")
    with pytest.raises(ClientfolioError, match="percentage"):
        update_action(filled, SYSTEM, first, progress=101)


def test_header(filled: Store) -> None:
    header = PlanHeader(2026, "CONNECT +", "GPS nautiques", "Leader en 3 ans", "45 commandes / mois")
    save_header(filled, header)
    save_header(filled, header)
    assert plan_header(filled, 2026) == header


def test_swot_items(filled: Store) -> None:
    suggested = [
        SwotSuggestion("threat:dependency", "threats", "Dependency on Deux", "C2"),
        SwotSuggestion("opportunity:prospects", "opportunities", "3 prospects"),
    ]
    assert save_swot(filled, SYSTEM, 2025, suggested[:1]) == 1
    save_swot(filled, SYSTEM, 2025, suggested[1:], accepted=False)
    mine = add_swot_item(filled, 2025, "strengths", "  A stable team ")
    items = swot_items(filled, SYSTEM, 2025)
    assert [(i.quadrant, i.text, i.source, i.key, i.accepted) for i in items] == [
        ("threats", "Dependency on Deux", "suggested", "threat:dependency", True),
        ("opportunities", "3 prospects", "suggested", "opportunity:prospects", False),
        ("strengths", "A stable team", "user", None, True),
    ]
    assert swot_items(filled, NORTH, 2025) == []  # company items (and the dependency's share): not to a scope
    edit_swot_item(filled, SYSTEM, 2025, mine, "A stable, trained team")
    edit_swot_item(filled, SYSTEM, 2025, items[0].id, None)
    assert [i.text for i in swot_items(filled, SYSTEM, 2025)] == ["3 prospects", "A stable, trained team"]
    with pytest.raises(ClientfolioError, match="unknown quadrant 'risks'"):
        add_swot_item(filled, 2025, "risks", "x")
    with pytest.raises(ClientfolioError, match=f"no SWOT item {mine} in the plan of 2024"):
        edit_swot_item(filled, SYSTEM, 2024, mine, "x")


def test_assessments_kept_per_date(filled: Store) -> None:
    first = assess(Facts(dt.date(2024, 6, 30), renewal_ratio=1.0), {"portfolio": [8.0]})
    save_assessment(filled, SYSTEM, first, [Answer("alice", "portfolio", 8.0)])
    team = {"portfolio": [12.0, 14.0]}
    later = assess(Facts(DAY, renewal_ratio=1.5), team)
    save_assessment(filled, SYSTEM, later, [Answer("alice", "portfolio", 10.0), Answer("bob", "portfolio", 14.0)])
    save_assessment(filled, SYSTEM, later, [Answer("alice", "portfolio", 12.0)])  # alice changes her mind
    assert stored_answers(filled, DAY) == [Answer("alice", "portfolio", 12.0), Answer("bob", "portfolio", 14.0)]
    history = assessment_history(filled)
    assert [(h.assessed_on, h.fact_mark, h.team_mark, h.respondents, h.themes["portfolio"]) for h in history] == [
        (dt.date(2024, 6, 30), 10.0, 8.0, 1, {"fact_mark": 10.0, "team_mark": 8.0}),
        (DAY, 20.0, 13.0, 2, {"fact_mark": 20.0, "team_mark": 13.0}),
    ]
    with pytest.raises(ClientfolioError, match="whole portfolio"):
        save_assessment(filled, NORTH, later, [])


def test_comments_are_encrypted_with_a_key_ring(filled: Store) -> None:
    from sqlalchemy import select

    from clientfolio.errors import KeyMissing
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store.schema import Action

    ring = KeyRing.generate()
    [first] = add_actions(
        filled, SYSTEM, 2025, [PlanAction(None, "Visit", comments="secret reason")], planned_on=DAY, ring=ring
    )
    with filled.engine.connect() as conn:
        stored = conn.execute(select(Action.comments).where(Action.id == first)).scalar_one()
    assert stored.startswith("v1:") and "secret" not in stored
    assert plan_actions(filled, SYSTEM, 2025, ring=ring)[0].comments == "secret reason"
    assert update_action(filled, SYSTEM, first, ring=ring, comments="new").comments == "new"
    with pytest.raises(KeyMissing):
        plan_actions(filled, SYSTEM, 2025)


@pytest.mark.postgres
def test_plan_rows_through_row_level_security(pg_url: str) -> None:
    """As an ordinary role (row-level security binds it, and fails closed), each
    operation reads and writes on the one connection the access layer bound to
    the principal's scope: the scoped user sees, changes and adds the rows of
    its scope; nothing is seen through an unbound connection."""
    admin = Store(pg_url)
    try:
        with admin.begin() as conn:
            conn.execute(
                insert(Region), [{"id": 1, "code": "N", "name": "Nord"}, {"id": 2, "code": "S", "name": "Sud"}]
            )
            conn.execute(
                insert(Customer),
                [
                    {"id": 1, "code": "C1", "name": "Un", "region_id": 1},
                    {"id": 2, "code": "C2", "name": "Deux", "region_id": 2},
                ],
            )
            conn.execute(insert(Prospect), [{"id": 1, "code": "P1", "name": "Pro", "region_id": 2, "stage": "warm"}])
            conn.execute(insert(User), [{"id": 1, "username": "kam", "display_name": "K", "role": "sales"}])
        add_actions(admin, SYSTEM, 2025, rows(), planned_on=DAY)
        save_swot(
            admin,
            SYSTEM,
            2025,
            [
                SwotSuggestion("customer:C1", "strengths", "C1 buys", "C1"),
                SwotSuggestion("customer:C2", "threats", "C2 leaves", "C2"),
            ],
        )
    finally:
        admin.dispose()
    with ordinary_role(pg_url, write=True) as url:
        store = Store(url)
        try:
            with store.engine.connect() as conn:  # nothing bound: nothing seen
                assert conn.execute(select(func.count()).select_from(Customer)).scalar_one() == 0
            visit = plan_actions(store, NORTH, 2025)
            assert [a.title for a in visit] == ["Visit"]
            assert update_action(store, NORTH, visit[0].id, progress=40).progress == 40
            added = add_actions(store, NORTH, 2025, [PlanAction(None, "Lunch", customer_code="C1")], planned_on=DAY)
            with pytest.raises(ClientfolioError, match="no customer 'C2' in your scope"):
                add_actions(store, NORTH, 2025, [PlanAction(None, "Lunch", customer_code="C2")], planned_on=DAY)
            assert [a.id for a in plan_actions(store, NORTH, 2025)] == [visit[0].id, *added]
            assert len(plan_actions(store, SYSTEM, 2025)) == 5
            mine = swot_items(store, NORTH, 2025)
            assert [i.key for i in mine] == ["customer:C1"]
            edit_swot_item(store, NORTH, 2025, mine[0].id, "C1 buys more")
            assert [i.text for i in swot_items(store, NORTH, 2025)] == ["C1 buys more"]
            assert {i.key for i in swot_items(store, SYSTEM, 2025)} == {"customer:C1", "customer:C2"}
        finally:
            store.dispose()
