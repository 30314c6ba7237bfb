"""Sessions after a login: random tokens, of which only the SHA-256 is stored.

A session ends when it is closed (logout), when all the user's sessions are
closed (logout everywhere, a password change, the user disabled), after
``session_idle_minutes`` without use or ``session_lifetime_hours`` after its
start, or as soon as its user is disabled, departed or expired.

The token travels in a cookie that the web app sets ``HttpOnly`` (no script
reads it), ``SameSite=Lax`` (``Strict`` for the admin pages), ``Secure`` when
served over HTTPS (always behind a TLS proxy), ``Path=/``, without
``Max-Age`` (a browser-session cookie); state-changing requests also carry a
CSRF token (``clientfolio.protect.csrf``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import insert, select, update

from clientfolio.protect.clock import now_utc, utc
from clientfolio.protect.users import UserRecord, account_refusal, load_users, revoke_sessions
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import LoginSession, User

__all__ = ["TOUCH_EVERY", "close_all_sessions", "close_session", "open_session", "session_user", "token_hash"]

TOUCH_EVERY = dt.timedelta(seconds=30)
"""How often a session's last use is written: the idle timer is this late at most."""


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    store: Store,
    user_id: int,
    *,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> str:
    """Open a session for ``user_id`` (after ``authenticate``) and return its
    token (``secrets.token_urlsafe(32)``: 256 bits), to give to the client once."""
    config = settings or Settings.model_construct()
    moment, token = now_utc(now), secrets.token_urlsafe(32)
    with store.begin() as conn:
        conn.execute(
            insert(LoginSession).values(
                token_hash=token_hash(token),
                user_id=user_id,
                created_at=moment,
                last_seen_at=moment,
                expires_at=moment + dt.timedelta(hours=config.session_lifetime_hours),
                user_agent=user_agent[:300] if user_agent else None,
            )
        )
    return token


def session_user(
    store: Store, token: str, *, now: dt.datetime | None = None, settings: Settings | None = None
) -> UserRecord | None:
    """The user of the session ``token`` when the session is open (not closed,
    expired or idle too long) and its user may still work; None otherwise.
    A valid use renews the idle timer (written ``TOUCH_EVERY`` at most, so
    that a page is not a write to the store)."""
    config = settings or Settings.model_construct()
    moment = now_utc(now)
    with store.begin() as conn:
        found = conn.execute(
            select(
                LoginSession.id.label("session_id"),
                LoginSession.last_seen_at,
                LoginSession.expires_at,
                LoginSession.revoked_at,
                User.id.label("user_id"),
                User.is_active,
                User.left_on,
                User.expires_on,
            )
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.token_hash == token_hash(token))
        ).first()
        if found is None or found.revoked_at is not None or utc(found.expires_at) <= moment:
            return None
        if moment - utc(found.last_seen_at) > dt.timedelta(minutes=config.session_idle_minutes):
            return None
        if account_refusal(found.is_active, found.left_on, found.expires_on, moment.date()):
            return None
        if moment - utc(found.last_seen_at) >= TOUCH_EVERY:  # not a write per request: the timer counts in minutes
            conn.execute(update(LoginSession).where(LoginSession.id == found.session_id).values(last_seen_at=moment))
        return load_users(conn, User.id == found.user_id)[0]


def close_session(store: Store, token: str, *, now: dt.datetime | None = None) -> bool:
    """Log out: end the session ``token``; False when it was not open."""
    with store.begin() as conn:
        result = conn.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == token_hash(token), LoginSession.revoked_at.is_(None))
            .values(revoked_at=now_utc(now))
        )
    return bool(result.rowcount)


def close_all_sessions(store: Store, username: str, *, now: dt.datetime | None = None) -> int:
    """Log out everywhere: end every open session of ``username``; how many."""
    with store.begin() as conn:
        user_id = conn.scalar(select(User.id).where(User.username == username.strip().lower()))
        return 0 if user_id is None else revoke_sessions(conn, user_id, now_utc(now))
