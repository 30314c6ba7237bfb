"""The scoped pipeline reads and ``move_prospect``, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select

from clientfolio.access import SYSTEM, PipelineReader, Principal, Scope, move_prospect
from clientfolio.errors import ClientfolioError
from clientfolio.store import Store
from clientfolio.store.schema import (
    Activity,
    Contact,
    Customer,
    Prospect,
    Region,
    Segment,
    StageChange,
    User,
)

NORTH = Principal("nina", "sales", Scope(regions=frozenset({"N"})))
DAY = dt.date(2025, 6, 1)


def rows(*dicts: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows with the same keys (None where one is missing), as executemany needs."""
    keys = {key for d in dicts for key in d}
    return [{key: d.get(key) for key in keys} for d in dicts]


@pytest.fixture
def pipeline(store: Store) -> Store:
    """Two regions: customer CN, prospects PN1 PN2 in the north; CS, PS in the south."""
    with store.begin() as conn:
        conn.execute(insert(Region), [{"id": 1, "code": "N", "name": "Nord"}, {"id": 2, "code": "S", "name": "Sud"}])
        conn.execute(insert(Segment), [{"id": 1, "code": "IND", "name": "Industrie"}])
        conn.execute(
            insert(User),
            [
                {"id": 1, "username": "nina", "display_name": "Nina", "role": "sales"},
                {"id": 2, "username": "sam", "display_name": "Sam", "role": "sales"},
            ],
        )
        conn.execute(
            insert(Customer),
            [
                {"id": 1, "code": "CN", "name": "Nord SA", "region_id": 1, "segment_id": 1, "status": "active"},
                {"id": 2, "code": "CS", "name": "Sud SA", "region_id": 2, "segment_id": 1, "status": "active"},
            ],
        )
        conn.execute(
            insert(Prospect),
            rows(
                {
                    "id": 1,
                    "code": "PN1",
                    "name": "Nord 1",
                    "region_id": 1,
                    "segment_id": 1,
                    "stage": "cold",
                    "owner_id": 1,
                    "receptivity": 7,
                },
                {"id": 2, "code": "PN2", "name": "Nord 2", "region_id": 1, "segment_id": 1, "stage": "suspect"},
                {"id": 3, "code": "PS", "name": "Sud", "region_id": 2, "segment_id": 1, "stage": "warm", "owner_id": 2},
            ),
        )
        conn.execute(
            insert(Contact),
            rows(
                {"prospect_id": 1, "name": "Jeanne Roux", "function": "Acheteuse", "email": "j@n.example"},
                {"prospect_id": 1, "name": "Paul Roux"},
                {"prospect_id": 2, "name": "Luc Petit", "function": "Gérant"},
            ),
        )
        conn.execute(
            insert(StageChange),
            rows(
                {"prospect_id": 1, "from_stage": None, "to_stage": "cold", "changed_on": DAY, "user_id": 1},
                {"prospect_id": 3, "from_stage": "hot", "to_stage": "warm", "changed_on": DAY, "user_id": 2},
            ),
        )
        conn.execute(
            insert(Activity),
            rows(
                {"kind": "call", "occurred_on": dt.date(2025, 6, 2), "customer_id": 1, "user_id": 1},
                {"kind": "visit", "occurred_on": dt.date(2025, 6, 3), "prospect_id": 1, "user_id": 1},
                {"kind": "call", "occurred_on": dt.date(2025, 6, 4), "customer_id": 2, "user_id": 2},
                {"kind": "email", "occurred_on": dt.date(2025, 6, 5), "prospect_id": 3, "user_id": 2},
                {"kind": "meeting", "occurred_on": dt.date(2025, 6, 6), "user_id": 2},
            ),
        )  # internal
    return store


def test_a_scoped_principal_sees_only_its_region(pipeline: Store) -> None:
    north, everyone = PipelineReader(pipeline, NORTH), PipelineReader(pipeline, SYSTEM)
    assert [(p.code, p.region, p.owner, p.contact, p.receptivity) for p in north.prospects()] == [
        ("PN1", "N", "nina", "identified", 7),
        ("PN2", "N", None, "named", None),
    ]
    assert [p.code for p in everyone.prospects()] == ["PN1", "PN2", "PS"]
    assert [(c.prospect_code, c.to_stage, c.user) for c in north.stage_changes()] == [("PN1", "cold", "nina")]
    assert len(everyone.stage_changes()) == 2
    assert [(a.kind, a.customer_code, a.prospect_code) for a in north.activities()] == [
        ("call", "CN", None),
        ("visit", None, "PN1"),
    ]
    assert [a.kind for a in everyone.activities()] == ["call", "visit", "call", "email", "meeting"]
    assert [a.kind for a in everyone.activities(dt.date(2025, 6, 3), dt.date(2025, 6, 4))] == ["visit", "call"]
    assert north.last_contacts(dt.date(2025, 6, 30)) == {"CN": dt.date(2025, 6, 2)}
    assert everyone.last_contacts(dt.date(2025, 6, 3)) == {"CN": dt.date(2025, 6, 2), "CS": None}
    assert north.customer_names() == {"CN": "Nord SA"}


def test_move_prospect_records_who_and_when(pipeline: Store) -> None:
    row = move_prospect(pipeline, NORTH, "PN1", "warm", on=dt.date(2025, 6, 10))
    assert (row.from_stage, row.to_stage, row.user) == ("cold", "warm", "nina")
    move_prospect(pipeline, NORTH, "PN1", "lost", on=dt.date(2025, 6, 12), reason=" Prix ")
    reader = PipelineReader(pipeline, NORTH)
    assert [(c.from_stage, c.to_stage, c.changed_on, c.user) for c in reader.stage_changes()] == [
        (None, "cold", DAY, "nina"),
        ("cold", "warm", dt.date(2025, 6, 10), "nina"),
        ("warm", "lost", dt.date(2025, 6, 12), "nina"),
    ]
    pn1 = reader.prospects()[0]
    assert (pn1.stage, pn1.lost_reason) == ("lost", "Prix")
    back = move_prospect(pipeline, SYSTEM, "PN1", "prospect", on=dt.date(2025, 6, 13))
    assert back.user is None  # no user named "system"
    assert reader.prospects()[0].lost_reason is None


def test_move_prospect_refusals(pipeline: Store) -> None:
    with pytest.raises(ClientfolioError, match="no prospect 'PS' in your scope"):
        move_prospect(pipeline, NORTH, "PS", "hot", on=DAY)
    with pytest.raises(ClientfolioError, match="no prospect 'NOPE'"):
        move_prospect(pipeline, NORTH, "NOPE", "hot", on=DAY)
    with pytest.raises(ClientfolioError, match="unknown stage"):
        move_prospect(pipeline, NORTH, "PN1", "tiede", on=DAY)
    with pytest.raises(ClientfolioError, match="already at stage"):
        move_prospect(pipeline, NORTH, "PN1", "cold", on=DAY)
    with pytest.raises(ClientfolioError, match="reason"):
        move_prospect(pipeline, NORTH, "PN1", "lost", on=DAY, reason=" ")
    with pipeline.engine.connect() as conn:
        assert conn.execute(select(StageChange.id)).all() == [(1,), (2,)]


def test_move_prospect_audits_moves_and_refusals(pipeline: Store) -> None:
    from clientfolio.protect.audit import list_events, verify_chain

    key = b"k" * 32
    move_prospect(pipeline, NORTH, "PN1", "warm", on=dt.date(2025, 6, 10), chain_key=key)
    with pytest.raises(ClientfolioError):
        move_prospect(pipeline, NORTH, "PS", "hot", on=DAY, chain_key=key)  # another region's
    events = [(e.actor, e.action, e.target, e.details) for e in list_events(pipeline)]
    assert (
        "nina",
        "prospect.stage",
        "PN1",
        {"before": "cold", "after": "warm", "on": "2025-06-10", "reason": None},
    ) in events
    assert ("nina", "prospect.stage.refused", "PS", {"stage": "hot", "reason": "not in scope or unknown"}) in events
    assert verify_chain(pipeline, key).ok
