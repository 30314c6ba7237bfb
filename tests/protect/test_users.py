"""Users and roles: creation, login with throttling and lockout, expiry,
TOTP, scopes and principals, permissions, and their audit entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, update

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.errors import AccessDenied, AuthenticationFailed, ClientfolioError, LoginThrottled, PasswordRejected
from clientfolio.protect import passwords
from clientfolio.protect.audit import list_events, verify_chain
from clientfolio.protect.totp import totp
from clientfolio.protect.users import (
    LOGIN_FAILED,
    authenticate,
    can,
    create_user,
    disable_user,
    get_user,
    list_users,
    principal_for,
    require,
    set_password,
    set_scopes,
    set_totp,
)
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import Customer, ProductLine, Region, Segment, User

KEY = b"a" * 32
PW = "correct horse battery staple"
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def add(store: Store, username: str = "jleroy", role: str = "sales", **kw: object) -> int:
    return create_user(store, username, PW, role, chain_key=KEY, actor="admin", now=T0, **kw)  # type: ignore[arg-type]


def login(store: Store, username: str = "jleroy", password: str = PW, at: dt.datetime = T0, **kw: object) -> object:
    return authenticate(store, username, password, now=at, chain_key=KEY, **kw)  # type: ignore[arg-type]


def refused(call: Callable[[], object]) -> str:
    with pytest.raises(AuthenticationFailed) as caught:
        call()
    return str(caught.value)


def last_login(store: Store) -> tuple[str, dict[str, object]]:
    event = list_events(store, limit=1)[0]
    return event.action, event.details


def test_create_and_list_users(store: Store) -> None:
    user_id = add(store, "JLeroy", display_name="Julien Leroy", email="julien@example.fr")
    add(store, "extern", "contractor", expires_on=dt.date(2025, 6, 30))
    users = list_users(store)
    assert [
        (u.id == user_id, u.username, u.display_name, u.role, u.is_active, u.expires_on, u.totp) for u in users
    ] == [
        (False, "extern", "extern", "contractor", True, dt.date(2025, 6, 30), False),
        (True, "jleroy", "Julien Leroy", "sales", True, None, False),
    ]
    with store.engine.connect() as conn:
        hashed = conn.scalar(select(User.password_hash).where(User.username == "jleroy"))
    assert hashed is not None and hashed.startswith("$argon2id$") and PW not in hashed
    event = list_events(store, action="user.create")[-1]
    assert (event.actor, event.target) == ("admin", "jleroy")
    assert event.details["after"] == {
        "username": "jleroy",
        "display_name": "Julien Leroy",
        "email": "julien@example.fr",
        "role": "sales",
        "is_active": True,
        "expires_on": None,
        "left_on": None,
        "totp": False,
        "scopes": {},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", PW, "sales"), "user name 'x': 2 to 100 of a-z 0-9 . _ @ -, starting with a letter or digit"),
        (("bob", PW, "boss"), "unknown role 'boss'; use one of admin, manager, sales, auditor, contractor"),
        (("bob", PW, "contractor"), "a contractor needs an expiry date"),
    ],
)
def test_create_user_refusals(store: Store, args: tuple[str, str, str], message: str) -> None:
    with pytest.raises(ClientfolioError) as caught:
        create_user(store, *args, chain_key=KEY, now=T0)
    assert str(caught.value) == message


def test_create_user_refuses_duplicates_past_expiry_and_weak_passwords(store: Store) -> None:
    add(store)
    with pytest.raises(ClientfolioError, match="user 'jleroy' already exists"):
        add(store, "JLEROY ")
    with pytest.raises(ClientfolioError, match="the expiry date 2 March 2025 is already past"):
        add(store, "late", "contractor", expires_on=dt.date(2025, 3, 2))
    with pytest.raises(PasswordRejected) as caught:
        create_user(store, "bob", "azerty123456", "sales", chain_key=KEY)
    assert caught.value.reasons == [
        "a common password (or one with digits around it)",
        "a keyboard or alphabet sequence",
    ]
    assert [u.username for u in list_users(store)] == ["jleroy"]


def test_login_success_and_failure_are_audited_with_one_answer(store: Store) -> None:
    add(store)
    user = login(store, "JLeroy ")
    assert user.username == "jleroy"
    assert last_login(store) == ("login.success", {})
    assert refused(lambda: login(store, password="wrong horse battery staple")) == LOGIN_FAILED
    assert last_login(store) == ("login.failure", {"reason": "bad password", "failures": 1})
    assert refused(lambda: login(store, "nobody")) == LOGIN_FAILED
    assert last_login(store) == ("login.failure", {"reason": "unknown user"})
    assert list_events(store, limit=1)[0].actor == "nobody"
    assert verify_chain(store, KEY).ok


@pytest.mark.usefixtures("owasp_hashes")
def test_unknown_users_cost_one_password_verification_too(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add(store)
    calls: list[str] = []
    real = passwords.verify_password

    def spy(hashed: str, password: str) -> bool:
        calls.append(hashed[:30])
        return real(hashed, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    refused(lambda: login(store, "nobody"))
    refused(lambda: login(store, password="wrong horse battery staple"))
    assert len(calls) == 2
    assert calls[0] == calls[1] == "$argon2id$v=19$m=19456,t=2,p=1"


def test_lockout_after_five_failures_then_unlock_after_the_delay(store: Store) -> None:
    add(store)
    for n in range(5):
        refused(lambda: login(store, password=f"bad password {n}", at=T0 + dt.timedelta(seconds=n)))
    assert last_login(store)[1]["failures"] == 5
    locked_until = T0 + dt.timedelta(seconds=4, minutes=15)
    assert get_user(store, "jleroy").locked_until == locked_until  # type: ignore[union-attr]
    refused(lambda: login(store, at=T0 + dt.timedelta(minutes=14)))  # the right password, locked
    assert last_login(store) == ("login.failure", {"reason": "locked"})
    refused(lambda: login(store, password="bad again", at=T0 + dt.timedelta(minutes=15)))
    assert last_login(store) == ("login.failure", {"reason": "locked"})  # not counted
    assert login(store, at=locked_until + dt.timedelta(seconds=1)).locked_until is None


def test_each_further_run_of_failures_doubles_the_lock(store: Store) -> None:
    add(store)
    settings = Settings.model_construct(login_max_failures=3, login_lockout_minutes=10)
    at = T0
    for run, minutes in ((1, 10), (2, 20), (3, 40)):
        for _ in range(3):
            at += dt.timedelta(seconds=1)
            refused(lambda: login(store, password="nope nope nope", at=at, settings=settings))
        assert get_user(store, "jleroy").locked_until == at + dt.timedelta(minutes=minutes), run  # type: ignore[union-attr]
        at += dt.timedelta(minutes=minutes)
    assert last_login(store)[1]["failures"] == 9
    login(store, at=at + dt.timedelta(seconds=1), settings=settings)
    assert (
        refused(lambda: login(store, password="nope", at=at + dt.timedelta(seconds=2), settings=settings))
        == LOGIN_FAILED
    )
    assert last_login(store)[1]["failures"] == 1  # a success reset the count


def test_expired_contractor_and_disabled_or_departed_users_are_refused(store: Store) -> None:
    add(store, "extern", "contractor", expires_on=dt.date(2025, 3, 31))
    last_day = dt.datetime(2025, 3, 31, 23, 59, tzinfo=dt.UTC)
    login(store, "extern", at=last_day)
    assert principal_for(store, "extern", now=last_day).role == "contractor"
    refused(lambda: login(store, "extern", at=last_day + dt.timedelta(minutes=1)))
    assert last_login(store) == ("login.failure", {"reason": "expired"})
    with pytest.raises(AccessDenied, match="user 'extern' may not use Clientfolio"):
        principal_for(store, "extern", now=last_day + dt.timedelta(minutes=1))
    add(store)
    disable_user(store, "jleroy", actor="admin", chain_key=KEY, left_on=dt.date(2025, 4, 1), now=T0)
    refused(lambda: login(store))
    assert last_login(store) == ("login.failure", {"reason": "disabled"})
    with pytest.raises(AccessDenied):
        principal_for(store, "jleroy", now=T0)
    with pytest.raises(AccessDenied):
        principal_for(store, "nobody", now=T0)


def test_departure_day_ends_access(store: Store) -> None:
    add(store)
    with store.begin() as conn:
        conn.execute(update(User).values(left_on=dt.date(2025, 3, 4)))
    login(store, at=dt.datetime(2025, 3, 3, 23, 0, tzinfo=dt.UTC))
    refused(lambda: login(store, at=dt.datetime(2025, 3, 4, 0, 1, tzinfo=dt.UTC)))
    assert last_login(store) == ("login.failure", {"reason": "left"})


def test_totp_second_factor(store: Store) -> None:
    add(store)
    secret = set_totp(store, "jleroy", True, actor="admin", chain_key=KEY)
    assert secret is not None and get_user(store, "jleroy").totp  # type: ignore[union-attr]
    refused(lambda: login(store))
    assert last_login(store) == ("login.failure", {"reason": "bad code", "failures": 1})
    code = totp(secret, T0)
    login(store, totp=code)
    refused(lambda: login(store, totp=code, at=T0 + dt.timedelta(seconds=5)))  # replayed
    login(store, totp=totp(secret, T0 + dt.timedelta(seconds=30)), at=T0 + dt.timedelta(seconds=31))
    refused(
        lambda: login(
            store,
            password="bad password here",
            totp=totp(secret, T0 + dt.timedelta(minutes=1)),
            at=T0 + dt.timedelta(minutes=1),
        )
    )
    assert last_login(store) == ("login.failure", {"reason": "bad password", "failures": 1})
    assert set_totp(store, "jleroy", False, actor="admin", chain_key=KEY) is None
    login(store, at=T0 + dt.timedelta(minutes=2))


@pytest.mark.usefixtures("owasp_hashes")
def test_login_rehashes_a_hash_made_with_older_parameters(store: Store) -> None:
    add(store)
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    with store.begin() as conn:
        conn.execute(update(User).values(password_hash=weaker))
    login(store)
    with store.engine.connect() as conn:
        assert conn.scalar(select(User.password_hash)).startswith("$argon2id$v=19$m=19456,t=2,p=1$")  # type: ignore[union-attr]


def test_users_without_password_cannot_log_in(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(insert(User).values(username="demo", display_name="Demo", role="sales", is_active=True))
    refused(lambda: login(store, "demo"))
    assert last_login(store) == ("login.failure", {"reason": "no password", "failures": 1})


def test_set_password_checks_the_policy_and_unlocks(store: Store) -> None:
    add(store)
    for n in range(5):
        refused(lambda: login(store, password=f"bad password {n}"))
    with pytest.raises(PasswordRejected):
        set_password(store, "jleroy", "jleroy jleroy jleroy", actor="admin", chain_key=KEY)
    set_password(store, "jleroy", "a new and long passphrase", actor="admin", chain_key=KEY, now=T0)
    login(store, password="a new and long passphrase", at=T0 + dt.timedelta(minutes=1))
    refused(lambda: login(store, at=T0 + dt.timedelta(minutes=2)))
    assert list_events(store, action="user.password")[0].details == {"sessions_ended": 0}


def scoped_store(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(
            insert(Region),
            [
                {"id": 1, "code": "IDF", "name": "Île-de-France"},
                {"id": 2, "code": "ARA", "name": "Auvergne-Rhône-Alpes"},
            ],
        )
        conn.execute(insert(Segment), [{"id": 1, "code": "IND", "name": "Industrie"}])
        conn.execute(insert(ProductLine), [{"id": 1, "code": "SRV", "name": "Services"}])
        conn.execute(
            insert(Customer),
            [
                {"code": "C1", "name": "Un", "region_id": 1, "segment_id": 1},
                {"code": "C2", "name": "Deux", "region_id": 2, "segment_id": 1},
            ],
        )


def test_scopes_make_the_principal(store: Store) -> None:
    scoped_store(store)
    add(store)
    assert principal_for(store, "jleroy", now=T0) == Principal("jleroy", "sales", Scope())
    after = set_scopes(store, "jleroy", regions=["IDF", "ARA", "IDF"], segments=["IND"], actor="admin", chain_key=KEY)
    assert after == {"region": ("ARA", "IDF"), "segment": ("IND",)}
    set_scopes(store, "jleroy", regions=["IDF"], product_lines=["SRV"], actor="admin", chain_key=KEY)
    assert principal_for(store, "jleroy", now=T0) == Principal(
        "jleroy",
        "sales",
        Scope(regions=frozenset({"IDF"}), segments=frozenset({"IND"}), product_lines=frozenset({"SRV"})),
    )
    event = list_events(store, action="user.scope")[0]
    assert event.details == {
        "before": {"region": ["ARA", "IDF"], "segment": ["IND"]},
        "after": {"product_line": ["SRV"], "region": ["IDF"], "segment": ["IND"]},
    }
    set_scopes(store, "jleroy", segments=[], actor="admin", chain_key=KEY)  # lifts that dimension
    assert get_user(store, "jleroy").scopes == {"product_line": ("SRV",), "region": ("IDF",)}  # type: ignore[union-attr]
    with pytest.raises(ClientfolioError, match="unknown region code\\(s\\): NOPE"):
        set_scopes(store, "jleroy", regions=["IDF", "NOPE"], actor="admin", chain_key=KEY)
    set_scopes(store, "jleroy", clear=True, actor="admin", chain_key=KEY)
    assert principal_for(store, "jleroy", now=T0).scope == Scope()
    with pytest.raises(ClientfolioError, match="no user 'nobody'"):
        set_scopes(store, "nobody", clear=True, actor="admin", chain_key=KEY)


def test_a_contractor_sees_nothing_until_scoped(store: Store) -> None:
    scoped_store(store)
    add(store, "extern", "contractor", expires_on=dt.date(2025, 12, 31))
    principal = principal_for(store, "extern", now=T0)
    assert principal.scope == Scope(regions=frozenset())
    assert PortfolioReader(store, principal).customers() == []
    set_scopes(store, "extern", regions=["ARA"], actor="admin", chain_key=KEY)
    reader = PortfolioReader(store, principal_for(store, "extern", now=T0))
    assert [c.code for c in reader.customers()] == ["C2"]


def test_reading_a_customer_record_is_audited(store: Store) -> None:
    scoped_store(store)
    add(store)
    set_scopes(store, "jleroy", regions=["IDF"], actor="admin", chain_key=KEY)
    reader = PortfolioReader(store, principal_for(store, "jleroy", now=T0))
    found = reader.customer("C1", chain_key=KEY)
    assert found is not None and found.name == "Un"
    assert reader.customer("C2", chain_key=KEY) is None  # out of scope
    assert reader.customer("C9", chain_key=KEY) is None  # unknown: the same answer
    reads = list_events(store, action="customer.read")
    assert [(e.actor, e.target, e.details) for e in reads] == [
        ("jleroy", "C9", {"visible": False}),
        ("jleroy", "C2", {"visible": False}),
        ("jleroy", "C1", {"visible": True}),
    ]
    assert verify_chain(store, KEY).ok


@pytest.mark.parametrize(
    ("role", "granted"),
    [
        ("admin", {"read", "write", "export", "audit", "admin"}),
        ("manager", {"read", "write", "export"}),
        ("sales", {"read", "write"}),
        ("auditor", {"read", "audit"}),
        ("contractor", {"read"}),
        ("someone", set()),
    ],
)
def test_role_permissions(role: str, granted: set[str]) -> None:
    principal = Principal("x", role)
    assert {p for p in ("read", "write", "export", "audit", "admin") if can(principal, p)} == granted
    if "export" not in granted:
        with pytest.raises(AccessDenied, match=f"x \\({role}\\) may not export"):
            require(principal, "export")
    require(Principal("boss", "admin"), "admin")
    with pytest.raises(ValueError, match="unknown permission 'fly'"):
        can(principal, "fly")


ATTACKER, OFFICE = "203.0.113.66", "198.51.100.7"


def test_an_address_with_too_many_failures_is_throttled_without_a_password_check(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("jleroy", "amartin", "pdurand"):
        add(store, name)
    settings = Settings.model_construct(login_address_max_failures=6, login_address_window_minutes=15)
    at = T0
    for n in range(6):  # two guesses on each account, and one on a name that does not exist
        at += dt.timedelta(seconds=1)
        name = ("jleroy", "amartin", "pdurand", "nobody")[n % 4]
        refused(lambda: login(store, name, f"guess {n}", at=at, settings=settings, address=ATTACKER))
    checked: list[str] = []
    monkeypatch.setattr(passwords, "verify_password", lambda stored, pw: checked.append(pw) or True)
    monkeypatch.setattr(passwords, "dummy_verify", lambda pw: checked.append(pw))
    with pytest.raises(LoginThrottled) as caught:  # even the right password: refused unchecked
        login(store, "jleroy", at=at + dt.timedelta(minutes=1), settings=settings, address=ATTACKER)
    assert checked == [] and caught.value.minutes == 14
    assert str(caught.value) == "Too many failed logins from your address: try again in 14 minutes."
    assert last_login(store) == (
        "login.failure",
        {"reason": "address throttled", "address": ATTACKER, "retry_after_minutes": 14},
    )
    monkeypatch.undo()
    # the victims log in from their own address meanwhile
    assert (
        login(store, "jleroy", at=at + dt.timedelta(minutes=1), settings=settings, address=OFFICE).username == "jleroy"
    )
    # once the oldest failure has left the window, the address may try again
    assert (
        refused(
            lambda: login(
                store,
                "amartin",
                "guess",
                at=T0 + dt.timedelta(minutes=15, seconds=1),
                settings=settings,
                address=ATTACKER,
            )
        )
        == LOGIN_FAILED
    )
    assert last_login(store)[1]["reason"] == "bad password"


def test_an_account_locks_only_for_the_address_that_failed(store: Store) -> None:
    add(store)
    for n in range(5):
        refused(lambda: login(store, password=f"bad password {n}", at=T0 + dt.timedelta(seconds=n), address=ATTACKER))
    assert last_login(store)[1]["locked_until"] == "2025-03-03T09:15:04+00:00"
    refused(lambda: login(store, at=T0 + dt.timedelta(minutes=1), address=ATTACKER))  # the right password
    assert last_login(store) == ("login.failure", {"reason": "locked", "address": ATTACKER})
    user = login(store, at=T0 + dt.timedelta(minutes=2), address=OFFICE)  # the owner, from the office
    assert last_login(store) == ("login.success", {"address": OFFICE})
    assert user.locked_until is None
    refused(lambda: login(store, at=T0 + dt.timedelta(minutes=3), address=ATTACKER))  # still locked there
    assert last_login(store)[1]["reason"] == "locked"
    login(store, at=T0 + dt.timedelta(minutes=16), address=ATTACKER)  # the lock is over


def test_set_password_unlocks_every_address(store: Store) -> None:
    add(store)
    for n in range(5):
        refused(lambda: login(store, password=f"bad password {n}", at=T0, address=ATTACKER))
    set_password(store, "jleroy", "another horse battery staple", actor="admin", chain_key=KEY, now=T0)
    login(store, password="another horse battery staple", at=T0 + dt.timedelta(seconds=1), address=ATTACKER)
