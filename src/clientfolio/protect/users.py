"""Users, roles and permissions, login with throttling, and principals.

Roles and what they may do (``ROLE_PERMISSIONS``, documented in
docs/security.md):

=============  ====  =====  ======  =====  =====
role           read  write  export  audit  admin
=============  ====  =====  ======  =====  =====
admin          yes   yes    yes     yes    yes
manager        yes   yes    yes
sales          yes   yes
auditor        yes                  yes
contractor     yes
=============  ====  =====  ======  =====  =====

``read`` and ``write`` are always within the user's scopes.  Exports, the way a
whole file leaves the company, are for managers and admins only.  A contractor
has an expiry date (its last day of access) and, until given scopes, sees no
customer at all.

Login (``authenticate``) answers every refusal with the same
``AuthenticationFailed`` message and about the same work: an unknown user's
password is checked against a dummy argon2 hash.  The cause goes to the audit
log.  Failures are counted by client address (``address``; the command line
is ``local``), so that nobody can lock a colleague out:

* an address with ``login_address_max_failures`` failures (any accounts, known
  or not) within ``login_address_window_minutes`` is refused at once, the
  password not even checked (``LoginThrottled``, telling when to try again);
* after ``login_max_failures`` consecutive bad passwords or codes on an account
  from one address, the account is locked ``login_lockout_minutes`` *for that
  address only*; each further run of as many failures doubles the lock, up to
  24 hours; during a lock even the right password is refused from that address
  (and attempts are not counted), while the right password from another
  address still works.  A success resets the count of its address.

``users.failed_logins`` and ``users.locked_until`` still show the last run of
failures and lock (for the admin's list), but no longer refuse anyone.
Failures older than a day are forgotten.  Days (expiry, departure) are UTC days.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from clientfolio.access.principal import Principal, Scope
from clientfolio.errors import AccessDenied, AuthenticationFailed, ClientfolioError, LoginThrottled
from clientfolio.protect import passwords
from clientfolio.protect.audit import record_event
from clientfolio.protect.clock import now_utc, utc
from clientfolio.protect.totp import new_totp_secret, verify_totp
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import (
    ROLES,
    SCOPE_DIMENSIONS,
    LoginFailure,
    LoginSession,
    ProductLine,
    Region,
    Segment,
    User,
    UserScope,
)

__all__ = [
    "LOCAL_ADDRESS",
    "LOGIN_FAILED",
    "LOGIN_THROTTLED",
    "PERMISSIONS",
    "ROLE_PERMISSIONS",
    "UserRecord",
    "account_refusal",
    "authenticate",
    "can",
    "create_user",
    "disable_user",
    "get_user",
    "list_users",
    "load_users",
    "principal_for",
    "require",
    "revoke_sessions",
    "set_password",
    "set_scopes",
    "set_totp",
]

PERMISSIONS = ("read", "write", "export", "audit", "admin")
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "admin": frozenset(PERMISSIONS),
        "manager": frozenset({"read", "write", "export"}),
        "sales": frozenset({"read", "write"}),
        "auditor": frozenset({"read", "audit"}),
        "contractor": frozenset({"read"}),
    }
)
PERMISSION_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "read": "read the data",
        "write": "change the data",
        "export": "export",
        "audit": "read the audit log",
        "admin": "administer",
    }
)
"""What each permission allows, in English (a message of the catalogs: a
refusal shows it in the reader's language)."""
LOGIN_FAILED = "unknown user name or wrong password"
LOGIN_THROTTLED = "Too many failed logins from your address: try again in {minutes} minutes."
LOCAL_ADDRESS = "local"  # the address of logins from the command line
_MAX_LOCK = dt.timedelta(hours=24)
_MEMORY = dt.timedelta(hours=24)  # failures older than this are forgotten
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,99}")
_SCOPE_TABLES: dict[str, type[Region] | type[Segment] | type[ProductLine]] = {
    "region": Region,
    "segment": Segment,
    "product_line": ProductLine,
}


def can(principal: Principal, permission: str) -> bool:
    """Whether ``principal``'s role grants ``permission`` (one of ``PERMISSIONS``)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(principal.role, frozenset())


def require(principal: Principal, permission: str) -> None:
    """Raise ``AccessDenied`` unless ``principal`` may ``permission``."""
    if not can(principal, permission):
        raise AccessDenied(
            "{user} ({role_msg}) may not {permission_msg}",
            user=principal.username,
            role_msg=principal.role,
            permission_msg=PERMISSION_NAMES[permission],
        )


@dataclass(frozen=True)
class UserRecord:
    """A user as the application sees it (never the password hash nor the TOTP secret).
    ``scopes`` maps a dimension to its codes; a dimension absent is unrestricted."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    is_active: bool
    expires_on: dt.date | None
    left_on: dt.date | None
    locked_until: dt.datetime | None
    totp: bool
    scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "scopes"},
            "scopes": {k: list(v) for k, v in self.scopes.items()},
        }


def _name(username: str) -> str:
    return username.strip().lower()


def account_refusal(is_active: bool, left_on: dt.date | None, expires_on: dt.date | None, today: dt.date) -> str | None:
    """Why an account may not be used on ``today`` (``disabled``, ``left``,
    ``expired``), or None.  ``expires_on`` is the last day of access; from
    ``left_on`` on, no access."""
    if not is_active:
        return "disabled"
    if left_on is not None and left_on <= today:
        return "left"
    if expires_on is not None and expires_on < today:
        return "expired"
    return None


def _scopes(conn: Connection, user_ids: Iterable[int]) -> dict[int, dict[str, tuple[str, ...]]]:
    found: dict[int, dict[str, list[str]]] = {}
    query = (
        select(UserScope.user_id, UserScope.dimension, UserScope.code)
        .where(UserScope.user_id.in_(list(user_ids)))
        .order_by(UserScope.user_id, UserScope.dimension, UserScope.code)
    )
    for user_id, dimension, code in conn.execute(query):
        found.setdefault(user_id, {}).setdefault(dimension, []).append(code)
    return {uid: {d: tuple(c) for d, c in dims.items()} for uid, dims in found.items()}


def load_users(conn: Connection, where: ColumnElement[bool]) -> list[UserRecord]:
    rows = conn.execute(select(User).where(where).order_by(User.username)).all()
    scopes = _scopes(conn, [r.id for r in rows])
    return [
        UserRecord(
            r.id,
            r.username,
            r.display_name,
            r.email,
            r.role,
            r.is_active,
            r.expires_on,
            r.left_on,
            utc(r.locked_until) if r.locked_until else None,
            r.totp_secret is not None,
            scopes.get(r.id, {}),
        )
        for r in rows
    ]


def get_user(store: Store, username: str) -> UserRecord | None:
    """The user ``username``, or None."""
    with store.engine.connect() as conn:
        found = load_users(conn, User.username == _name(username))
    return found[0] if found else None


def list_users(store: Store) -> list[UserRecord]:
    """Every user, by username."""
    with store.engine.connect() as conn:
        return load_users(conn, User.id.is_not(None))


def _summary(record: UserRecord) -> dict[str, Any]:
    """What the audit log keeps of a user (before/after a change)."""
    return {k: v for k, v in record.as_dict().items() if k not in ("id", "locked_until")}


def _one(conn: Connection, username: str) -> UserRecord:
    found = load_users(conn, User.username == _name(username))
    if not found:
        raise ClientfolioError("no user '{user}'", user=username)
    return found[0]


def create_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    expires_on: dt.date | None = None,
    actor: str = "system",
    chain_key: bytes,
    now: dt.datetime | None = None,
) -> int:
    """Create a user and return its id.  ``password`` must pass the policy
    (``PasswordRejected`` otherwise); ``role`` is one of ``ROLES``; a
    contractor needs ``expires_on`` (its last day of access, not past).
    Audited as ``user.create`` by ``actor``."""
    name, moment = _name(username), now_utc(now)
    if not _USERNAME.fullmatch(name):
        raise ClientfolioError(
            "user name '{user}': 2 to 100 of a-z 0-9 . _ @ -, starting with a letter or digit", user=username
        )
    if role not in ROLES:
        raise ClientfolioError("unknown role '{role}'; use one of {roles}", role=role, roles=", ".join(ROLES))
    if role == "contractor" and expires_on is None:
        raise ClientfolioError("a contractor needs an expiry date")
    if expires_on is not None and expires_on < moment.date():
        raise ClientfolioError("the expiry date {day} is already past", day=expires_on)
    passwords.check_password(password, username=name, email=email)
    hashed = passwords.hash_password(password)
    with store.begin() as conn:
        if conn.execute(select(User.id).where(User.username == name)).first():
            raise ClientfolioError("user '{user}' already exists", user=name)
        user_id = conn.execute(
            insert(User)
            .values(
                username=name,
                display_name=display_name or name,
                email=email,
                role=role,
                password_hash=hashed,
                is_active=True,
                expires_on=expires_on,
                failed_logins=0,
                password_changed_at=moment,
            )
            .returning(User.id)
        ).scalar_one()
        record_event(
            conn,
            actor=actor,
            action="user.create",
            target=name,
            chain_key=chain_key,
            details={"after": _summary(_one(conn, name))},
            at=moment,
        )
    return int(user_id)


def revoke_sessions(conn: Connection, user_id: int, now: dt.datetime) -> int:
    """End every open session of ``user_id`` (within the caller's transaction); how many."""
    return conn.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utc(now))
    ).rowcount


def set_password(
    store: Store, username: str, password: str, *, actor: str, chain_key: bytes, now: dt.datetime | None = None
) -> int:
    """Give ``username`` a new password (policy checked), unlock it (for every
    address) and end its sessions (how many are returned).  Audited as ``user.password``."""
    moment = now_utc(now)
    with store.begin() as conn:
        user = _one(conn, username)
        passwords.check_password(password, username=user.username, email=user.email)
        conn.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                password_hash=passwords.hash_password(password),
                password_changed_at=moment,
                failed_logins=0,
                locked_until=None,
            )
        )
        conn.execute(delete(LoginFailure).where(LoginFailure.username == user.username))  # unlocked everywhere
        ended = revoke_sessions(conn, user.id, moment)
        record_event(
            conn,
            actor=actor,
            action="user.password",
            target=user.username,
            details={"sessions_ended": ended},
            chain_key=chain_key,
            at=moment,
        )
    return ended


def disable_user(
    store: Store,
    username: str,
    *,
    actor: str,
    chain_key: bytes,
    left_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Disable ``username`` (and record its departure day ``left_on``, when
    given): it can no longer log in, and its sessions end at once (how many
    are returned).  Audited as ``user.disable`` with before/after."""
    moment = now_utc(now)
    with store.begin() as conn:
        before = _one(conn, username)
        values: dict[str, Any] = {"is_active": False}
        if left_on is not None:
            values["left_on"] = left_on
        conn.execute(update(User).where(User.id == before.id).values(**values))
        ended = revoke_sessions(conn, before.id, moment)
        record_event(
            conn,
            actor=actor,
            action="user.disable",
            target=before.username,
            chain_key=chain_key,
            at=moment,
            details={"before": _summary(before), "after": _summary(_one(conn, username)), "sessions_ended": ended},
        )
    return ended


def set_scopes(
    store: Store,
    username: str,
    regions: Iterable[str] | None = None,
    segments: Iterable[str] | None = None,
    product_lines: Iterable[str] | None = None,
    *,
    clear: bool = False,
    actor: str,
    chain_key: bytes,
    now: dt.datetime | None = None,
) -> dict[str, tuple[str, ...]]:
    """Set the need-to-know scope of ``username``, dimension by dimension:
    codes given replace that dimension's codes; an empty list lifts its
    restriction; None leaves it as it is; ``clear`` first lifts them all.
    Unknown codes are refused.  Returns the new scopes; audited as
    ``user.scope`` with before/after."""
    wanted = {"region": regions, "segment": segments, "product_line": product_lines}
    with store.begin() as conn:
        before = _one(conn, username)
        if clear:
            conn.execute(delete(UserScope).where(UserScope.user_id == before.id))
        for dimension in SCOPE_DIMENSIONS:
            given = wanted[dimension]
            if given is None:
                continue
            codes = sorted(set(given))
            table = _SCOPE_TABLES[dimension]
            known = set(conn.scalars(select(table.code).where(table.code.in_(codes))))
            if unknown := [c for c in codes if c not in known]:
                raise ClientfolioError(
                    "unknown {dimension_msg} code(s): {codes}",
                    dimension_msg=dimension.replace("_", " "),
                    codes=", ".join(unknown),
                )
            conn.execute(delete(UserScope).where(UserScope.user_id == before.id, UserScope.dimension == dimension))
            if codes:
                conn.execute(
                    insert(UserScope), [{"user_id": before.id, "dimension": dimension, "code": c} for c in codes]
                )
        after = _one(conn, username)
        record_event(
            conn,
            actor=actor,
            action="user.scope",
            target=before.username,
            chain_key=chain_key,
            at=now_utc(now),
            details={"before": dict(before.scopes), "after": dict(after.scopes)},
        )
    return dict(after.scopes)


def set_totp(
    store: Store, username: str, enabled: bool, *, actor: str, chain_key: bytes, now: dt.datetime | None = None
) -> str | None:
    """Turn the TOTP second factor of ``username`` on (returns the new base32
    secret, to show once) or off (returns None).  Audited as ``user.totp``."""
    secret = new_totp_secret() if enabled else None
    with store.begin() as conn:
        user = _one(conn, username)
        conn.execute(update(User).where(User.id == user.id).values(totp_secret=secret, totp_last_step=None))
        record_event(
            conn,
            actor=actor,
            action="user.totp",
            target=user.username,
            details={"enabled": enabled},
            chain_key=chain_key,
            at=now_utc(now),
        )
    return secret


def _lock_for(run: int, settings: Settings) -> dt.timedelta:
    """The lock after the ``run``-th run of failures: the base lock, doubled each run."""
    lock: dt.timedelta = min(dt.timedelta(minutes=settings.login_lockout_minutes) * 2 ** (run - 1), _MAX_LOCK)
    return lock


def _pair_lock(conn: Connection, username: str, address: str, settings: Settings) -> tuple[int, dt.datetime | None]:
    """(failures of ``username`` from ``address`` since its last success, the
    end of the lock they placed, or None)."""
    count, last = conn.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.username == username, LoginFailure.address == address
        )
    ).one()
    if not count or count % settings.login_max_failures:
        return int(count), None
    return int(count), utc(last) + _lock_for(count // settings.login_max_failures, settings)


def _address_retry(conn: Connection, address: str, moment: dt.datetime, settings: Settings) -> dt.datetime | None:
    """When ``address`` may try again, if it has reached its limit of failures
    in the window; None when it may try now."""
    window = dt.timedelta(minutes=settings.login_address_window_minutes)
    recent = conn.scalars(
        select(LoginFailure.at)
        .where(LoginFailure.address == address, LoginFailure.at > moment - window)
        .order_by(LoginFailure.at.desc())
        .limit(settings.login_address_max_failures)
    ).all()
    if len(recent) < settings.login_address_max_failures:
        return None
    return utc(recent[-1]) + window  # then the failures in the window drop below the limit


def _attempt(
    row: Any,
    password: str,
    code: str | None,
    moment: dt.datetime,
    settings: Settings,
    failures: int,
    locked_until: dt.datetime | None,
) -> tuple[str | None, dict[str, Any]]:
    """Check a login of the known user ``row`` from an address with
    ``failures`` consecutive failures on it (locked for that address until
    ``locked_until``): (refusal reason or None, the user columns to update)."""
    if row.password_hash:
        good = passwords.verify_password(row.password_hash, password)
    else:  # no password yet (a demo user): the same work, then a refusal
        passwords.dummy_verify(password)
        good = False
    refusal = account_refusal(row.is_active, row.left_on, row.expires_on, moment.date())
    if refusal is not None:
        return refusal, {}
    if locked_until is not None and locked_until > moment:
        return "locked", {}
    step = None
    if good and row.totp_secret is not None:
        step = verify_totp(row.totp_secret, code or "", now=moment, last_step=row.totp_last_step)
    if not good or (row.totp_secret is not None and step is None):
        failures += 1
        values: dict[str, Any] = {"failed_logins": failures}
        if failures % settings.login_max_failures == 0:
            values["locked_until"] = moment + _lock_for(failures // settings.login_max_failures, settings)
        reason = "no password" if not row.password_hash else "bad password" if not good else "bad code"
        return reason, values
    values = {"failed_logins": 0, "locked_until": None}
    if step is not None:
        values["totp_last_step"] = step
    if passwords.needs_rehash(row.password_hash):
        values["password_hash"] = passwords.hash_password(password)
    return None, values


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    totp: str | None = None,
    now: dt.datetime | None = None,
    chain_key: bytes,
    settings: Settings | None = None,
    address: str | None = None,
) -> UserRecord:
    """The user ``username`` when ``password`` (and ``totp``, the current code,
    for a user with a second factor) are right and the account is usable;
    ``AuthenticationFailed`` with the one message ``LOGIN_FAILED`` otherwise.
    ``address`` is the client's (the web app's ``request.client.host``; None:
    ``LOCAL_ADDRESS``, the command line): an address at its limit of failures
    gets ``LoginThrottled`` without its password being checked, and an account
    locks only for the address that failed on it (see the module).
    Every attempt is audited (``login.success`` / ``login.failure`` with its
    cause, and the address when given) in the transaction that counts
    failures (the user's row is locked meanwhile on PostgreSQL, so that
    concurrent failures all count).  ``settings`` gives the limits
    (``login_max_failures``, ``login_lockout_minutes``,
    ``login_address_max_failures``, ``login_address_window_minutes``;
    documented defaults when None)."""
    config = settings or Settings.model_construct()
    moment, name = now_utc(now), _name(username)
    where = (address or LOCAL_ADDRESS)[:64]
    with store.begin() as conn:
        conn.execute(delete(LoginFailure).where(LoginFailure.at < moment - _MEMORY))
        details: dict[str, Any] = {} if address is None else {"address": where}
        retry = _address_retry(conn, where, moment, config)
        if retry is not None:  # refused before any password work: the address is at its limit
            minutes = max(1, math.ceil((retry - moment).total_seconds() / 60))
            record_event(
                conn,
                actor=name[:100],
                action="login.failure",
                target=name[:200],
                details={"reason": "address throttled", **details, "retry_after_minutes": minutes},
                chain_key=chain_key,
                at=moment,
            )
            throttled = LoginThrottled(LOGIN_THROTTLED.format(minutes=minutes), minutes)
        else:
            throttled = None
    if throttled is not None:
        raise throttled
    with store.begin() as conn:
        row = conn.execute(select(User.__table__).where(User.username == name).with_for_update()).first()
        reason: str | None
        values: dict[str, Any] = {}
        if row is None:
            passwords.dummy_verify(password)
            reason = "unknown user"
        else:
            failures, locked_until = _pair_lock(conn, name, where, config)
            reason, values = _attempt(row, password, totp, moment, config, failures, locked_until)
            if values:
                conn.execute(update(User).where(User.id == row.id).values(**values))
        if reason is None:
            conn.execute(delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.address == where))
        elif reason != "locked":  # a refusal during a lock is not counted
            conn.execute(insert(LoginFailure).values(username=name[:100], address=where, at=moment))
        if reason is not None:
            details["reason"] = reason
        if "failed_logins" in values and reason is not None:
            details["failures"] = values["failed_logins"]
            if "locked_until" in values:
                details["locked_until"] = values["locked_until"]
        record_event(
            conn,
            actor=name[:100],
            action="login.failure" if reason else "login.success",
            target=name[:200],
            details=details,
            chain_key=chain_key,
            at=moment,
        )
        user = None if reason else _one(conn, name)
    if user is None:
        raise AuthenticationFailed(LOGIN_FAILED)
    return user


def principal_for(store: Store, username: str, *, now: dt.datetime | None = None) -> Principal:
    """The ``Principal`` (username, role, scope) reading for ``username``.
    Raises ``AccessDenied`` for an unknown, disabled, departed or expired user.
    A contractor without any scope sees nothing (regions: none)."""
    user = get_user(store, username)
    if user is None or account_refusal(user.is_active, user.left_on, user.expires_on, now_utc(now).date()):
        raise AccessDenied("user '{user}' may not use Clientfolio", user=username)
    codes = {d: frozenset(c) for d, c in user.scopes.items()}
    if user.role == "contractor" and not codes:
        codes = {"region": frozenset()}
    return Principal(
        user.username,
        user.role,
        Scope(regions=codes.get("region"), segments=codes.get("segment"), product_lines=codes.get("product_line")),
    )
