"""Every change to the plan is audited with its before and after values, in
the change's transaction, when the audit key is given (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from clientfolio.access import SYSTEM, Principal, Scope
from clientfolio.errors import ClientfolioError
from clientfolio.plan.actions import PlanAction, PlanHeader
from clientfolio.plan.assessment import assess
from clientfolio.plan.facts import Facts
from clientfolio.plan.questionnaire import Answer
from clientfolio.plan.records import (
    add_actions,
    add_swot_item,
    edit_swot_item,
    save_assessment,
    save_header,
    save_swot,
    update_action,
)
from clientfolio.plan.swot import SwotSuggestion
from clientfolio.protect.audit import AuditEvent, list_events, verify_chain
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import AuditEntry, Customer, Region, User

KEY = b"k" * 32
DAY = dt.date(2025, 6, 30)
ADMIN = Principal("kam", "admin")
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
        conn.execute(
            insert(User),
            [
                {"id": 1, "username": "kam", "display_name": "K", "role": "admin"},
                {"id": 2, "username": "lea", "display_name": "L", "role": "sales"},
            ],
        )
    return store


def events(store: Store) -> list[AuditEvent]:
    """The audit log, oldest first."""
    return list(reversed(list_events(store, limit=1000)))


def raw_details(store: Store) -> str:
    with store.engine.connect() as conn:
        return " ".join(conn.execute(select(AuditEntry.details)).scalars())


def test_the_header_is_audited_with_the_fields_changed(filled: Store) -> None:
    save_header(filled, PlanHeader(2025, "Demo SA", vision="Lead"), chain_key=KEY, actor="cli:me")
    save_header(filled, PlanHeader(2025, "Demo SA", vision="Grow"), chain_key=KEY, actor="kam")
    first, second = events(filled)
    assert (first.action, first.target, first.actor) == ("plan.header", "2025", "cli:me")
    assert first.details == {
        "created": True,
        "before": {"company": None, "vision": None},
        "after": {"company": "Demo SA", "vision": "Lead"},
    }
    assert (second.actor, second.details) == (
        "kam",
        {"created": False, "before": {"vision": "Lead"}, "after": {"vision": "Grow"}},
    )
    assert verify_chain(filled, KEY).ok


def test_actions_added_and_updated_are_audited_without_the_comments(filled: Store) -> None:
    ring = KeyRing.generate()
    actions = [
        PlanAction(
            None,
            "Visit",
            customer_code="C1",
            owner="kam",
            due_on=dt.date(2025, 12, 30),
            budget_cents=500,
            comments="secret plan",
            suggestion_key="follow_up:C1",
        ),
        PlanAction(None, "Training", kind="internal"),
    ]
    [visit, training] = add_actions(filled, ADMIN, 2025, actions, planned_on=DAY, ring=ring, chain_key=KEY)
    assert add_actions(filled, ADMIN, 2025, actions[:1], planned_on=DAY, chain_key=KEY) == []  # skipped: no entry
    added = events(filled)
    assert [(e.action, e.target, e.actor) for e in added] == [
        ("plan.action.add", str(visit), "kam"),
        ("plan.action.add", str(training), "kam"),
    ]
    after = added[0].details["after"]
    assert added[0].details["year"] == 2025
    assert (
        after["title"],
        after["customer_code"],
        after["owner"],
        after["due_on"],
        after["budget_cents"],
        after["suggestion_key"],
        after["comments"],
    ) == ("Visit", "C1", "kam", "2025-12-30", 500, "follow_up:C1", "(changed)")
    assert added[1].details["after"]["comments"] is None

    update_action(
        filled,
        ADMIN,
        visit,
        ring=ring,
        chain_key=KEY,
        progress=40,
        owner="lea",
        due_on=dt.date(2028, 1, 31),
        comments="still secret",
        budget_cents=500,
    )
    update_action(filled, SYSTEM, visit, ring=ring, chain_key=KEY, actor="cli:me", progress=100)
    first, second = events(filled)[2:]
    assert (first.action, first.target, first.actor) == ("plan.action.update", str(visit), "kam")
    assert first.details == {  # the budget was not changed: not listed
        "year": 2025,
        "before": {"progress": 0, "owner": "kam", "due_on": "2025-12-30", "horizon": "short", "comments": "(changed)"},
        "after": {"progress": 40, "owner": "lea", "due_on": "2028-01-31", "horizon": "long", "comments": "(changed)"},
    }
    assert (second.actor, second.details["before"], second.details["after"]) == (
        "cli:me",
        {"progress": 40},
        {"progress": 100},
    )
    assert "secret" not in raw_details(filled)
    assert verify_chain(filled, KEY).ok


def test_a_refused_change_writes_no_entry(filled: Store) -> None:
    [out_of_scope] = add_actions(filled, SYSTEM, 2025, [PlanAction(None, "Call", customer_code="C2")], planned_on=DAY)
    with pytest.raises(ClientfolioError, match="in your scope"):
        update_action(filled, NORTH, out_of_scope, chain_key=KEY, progress=50)
    with pytest.raises(ClientfolioError, match="in your scope"):
        add_actions(filled, NORTH, 2025, [PlanAction(None, "Call", customer_code="C2")], planned_on=DAY, chain_key=KEY)
    with pytest.raises(ClientfolioError, match="needs a text"):
        add_swot_item(filled, 2025, "threats", " ", chain_key=KEY)
    assert events(filled) == []


def test_swot_changes_are_audited_with_the_text_before_and_after(filled: Store) -> None:
    found = [
        SwotSuggestion("drop:C1", "threats", "C1 buys less", "C1"),
        SwotSuggestion("loyal", "strengths", "Loyal customers"),
    ]
    assert save_swot(filled, ADMIN, 2025, found, chain_key=KEY) == 2
    save_swot(filled, ADMIN, 2025, found[1:], accepted=False, chain_key=KEY)
    own = add_swot_item(filled, 2025, "opportunities", " New market ", chain_key=KEY, actor="kam")
    edit_swot_item(filled, ADMIN, 2025, own, "A new market", chain_key=KEY)
    edit_swot_item(filled, SYSTEM, 2025, own, None, chain_key=KEY, actor="cli:me")
    saved, refused, added, edited, deleted = events(filled)
    assert (saved.action, saved.target, saved.details) == (
        "swot.save",
        "2025",
        {
            "accepted": True,
            "items": [
                {"key": "drop:C1", "quadrant": "threats", "text": "C1 buys less", "before": None},
                {"key": "loyal", "quadrant": "strengths", "text": "Loyal customers", "before": None},
            ],
        },
    )
    assert refused.details == {
        "accepted": False,
        "items": [
            {
                "key": "loyal",
                "quadrant": "strengths",
                "text": "Loyal customers",
                "before": {"accepted": True, "text": "Loyal customers"},
            }
        ],
    }
    assert (added.action, added.target, added.actor, added.details) == (
        "swot.add",
        str(own),
        "kam",
        {"year": 2025, "quadrant": "opportunities", "after": "New market"},
    )
    assert (edited.action, edited.target, edited.details) == (
        "swot.edit",
        str(own),
        {
            "year": 2025,
            "quadrant": "opportunities",
            "before": "New market",
            "after": "A new market",
            "accepted_before": True,
        },
    )
    assert (deleted.action, deleted.target, deleted.actor, deleted.details) == (
        "swot.delete",
        str(own),
        "cli:me",
        {"year": 2025, "quadrant": "opportunities", "before": "A new market"},
    )
    assert verify_chain(filled, KEY).ok


def test_an_assessment_is_audited_with_the_marks_before_and_after(filled: Store) -> None:
    first = assess(Facts(DAY, renewal_ratio=1.0), {"portfolio": [8.0]})
    save_assessment(filled, ADMIN, first, [Answer("alice", "portfolio", 8.0)], chain_key=KEY)
    later = assess(Facts(DAY, renewal_ratio=1.5), {"portfolio": [12.0]})
    save_assessment(
        filled,
        SYSTEM,
        later,
        [Answer("alice", "portfolio", 12.0), Answer("bob", "loyalty", 9.0)],
        chain_key=KEY,
        actor="cli:me",
    )
    created, changed = events(filled)
    assert (created.action, created.target, created.actor) == ("assessment.save", "2025-06-30", "kam")
    assert created.details == {
        "before": None,
        "after": {"fact_mark": 10.0},
        "answers": [{"respondent": "alice", "theme": "portfolio", "before": None, "after": 8.0}],
    }
    assert (changed.actor, changed.details) == (
        "cli:me",
        {
            "before": {"fact_mark": 10.0},
            "after": {"fact_mark": 20.0},
            "answers": [
                {"respondent": "alice", "theme": "portfolio", "before": 8.0, "after": 12.0},
                {"respondent": "bob", "theme": "loyalty", "before": None, "after": 9.0},
            ],
        },
    )
    assert verify_chain(filled, KEY).ok


def test_without_the_audit_key_nothing_is_written(filled: Store) -> None:
    save_header(filled, PlanHeader(2025, "Demo SA"))
    [action] = add_actions(filled, SYSTEM, 2025, [PlanAction(None, "Visit", customer_code="C1")], planned_on=DAY)
    update_action(filled, SYSTEM, action, progress=10)
    save_swot(filled, SYSTEM, 2025, [SwotSuggestion("risk", "threats", "Risk")])
    item = add_swot_item(filled, 2025, "strengths", "Team")
    edit_swot_item(filled, SYSTEM, 2025, item, "Our team")
    edit_swot_item(filled, SYSTEM, 2025, item, None)
    save_assessment(filled, SYSTEM, assess(Facts(DAY, renewal_ratio=1.0), {}), [Answer("al", "portfolio", 9.0)])
    assert events(filled) == []
