"""Sessions: hashed tokens, idle and absolute timeouts, logout (everywhere),
and the end of every session the moment a user is disabled or expires."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from clientfolio.protect.audit import list_events
from clientfolio.protect.clock import utc
from clientfolio.protect.sessions import (
    close_all_sessions,
    close_session,
    open_session,
    session_user,
)
from clientfolio.protect.users import create_user, disable_user, set_password
from clientfolio.store import Store
from clientfolio.store.schema import LoginSession

KEY = b"a" * 32
PW = "correct horse battery staple"
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def user(store: Store, username: str = "jleroy", role: str = "sales", expires_on: dt.date | None = None) -> int:
    return create_user(store, username, PW, role, expires_on=expires_on, chain_key=KEY, now=T0)


def name(store: Store, token: str, at: dt.datetime) -> str | None:
    found = session_user(store, token, now=at)
    return None if found is None else found.username


def test_a_session_is_stored_as_the_hash_of_its_token(store: Store) -> None:
    token = open_session(store, user(store), user_agent="Firefox", now=T0)
    assert len(token) == 43  # 32 random bytes, base64url
    with store.engine.connect() as conn:
        row = conn.execute(select(LoginSession)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.user_agent)
    assert name(store, token, minutes(1)) == "jleroy"
    assert name(store, token + "x", minutes(1)) is None
    assert name(store, "", minutes(1)) is None
    assert open_session(store, 1, now=T0) != token


def test_idle_timeout_and_absolute_lifetime(store: Store) -> None:
    uid = user(store)
    idle = open_session(store, uid, now=T0)
    assert name(store, idle, minutes(30)) == "jleroy"  # renews the idle timer
    assert name(store, idle, minutes(60)) == "jleroy"
    assert name(store, idle, minutes(90.5)) is None  # 30.5 minutes unused
    busy = open_session(store, uid, now=T0)
    for step in range(1, 16):  # used every 30 minutes, up to 7 h 30
        assert name(store, busy, minutes(30 * step)) == "jleroy", step
    assert name(store, busy, minutes(8 * 60)) is None  # 8 hours after the login


def test_the_idle_timer_is_written_at_most_every_half_minute(store: Store) -> None:
    uid = user(store)
    token = open_session(store, uid, now=T0)
    assert name(store, token, minutes(29.9)) == "jleroy"  # written: 29.9 minutes after the login
    for seconds in (10, 20, 29):  # within 30 s of the last write: a read, not a write
        assert name(store, token, minutes(29.9) + dt.timedelta(seconds=seconds)) == "jleroy"
    # the timer runs from 29.9 minutes, not from the reads 29 s later: 30.25 minutes unused
    assert name(store, token, minutes(29.9 + 30.25)) is None


def test_logout_and_logout_everywhere(store: Store) -> None:
    uid = user(store)
    other = user(store, "sgirard")
    first, second, third = (open_session(store, u, now=T0) for u in (uid, uid, other))
    assert close_session(store, first, now=minutes(1))
    assert not close_session(store, first, now=minutes(2))
    assert name(store, first, minutes(2)) is None
    assert name(store, second, minutes(2)) == "jleroy"
    assert close_all_sessions(store, "JLeroy", now=minutes(3)) == 1
    assert name(store, second, minutes(4)) is None
    assert name(store, third, minutes(4)) == "sgirard"
    assert close_all_sessions(store, "nobody") == 0


def test_disabling_a_user_ends_its_sessions_at_once(store: Store) -> None:
    uid = user(store)
    tokens = [open_session(store, uid, now=T0) for _ in range(2)]
    assert disable_user(store, "jleroy", actor="admin", chain_key=KEY, now=minutes(1)) == 2
    assert [name(store, t, minutes(1)) for t in tokens] == [None, None]
    with store.engine.connect() as conn:
        assert {r and utc(r) for r in conn.scalars(select(LoginSession.revoked_at))} == {minutes(1)}
    event = list_events(store, action="user.disable")[0]
    assert (
        event.details["sessions_ended"],
        event.details["before"]["is_active"],
        event.details["after"]["is_active"],
    ) == (2, True, False)


def test_a_password_change_ends_the_sessions(store: Store) -> None:
    token = open_session(store, user(store), now=T0)
    assert set_password(store, "jleroy", "another long passphrase", actor="jleroy", chain_key=KEY) == 1
    assert name(store, token, minutes(1)) is None


def test_an_expired_contractor_loses_its_session(store: Store) -> None:
    uid = user(store, "extern", "contractor", expires_on=dt.date(2025, 3, 3))
    late = dt.datetime(2025, 3, 3, 23, 50, tzinfo=dt.UTC)
    token = open_session(store, uid, now=late)
    assert name(store, token, late + dt.timedelta(minutes=9)) == "extern"
    assert name(store, token, late + dt.timedelta(minutes=11)) is None  # the next day
