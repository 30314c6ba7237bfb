"""A demo portfolio staffed with one user of every role, for the browser
tests and the access matrix.

Every user but the unrestricted ``t.boss`` (a manager) is scoped to the
region ``HOME``; ``OTHER`` is another region, whose records none of them may
see.  Every password is ``PASSWORD``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from clientfolio.demo import generate_demo
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import ROLE_PERMISSIONS, create_user, set_scopes
from clientfolio.store import Store
from clientfolio.store.schema import Customer, Prospect, Region

__all__ = [
    "AS_OF",
    "HOME",
    "OTHER",
    "PASSWORD",
    "RING",
    "SCOPED",
    "UNRESTRICTED",
    "Outsider",
    "outsider",
    "staffed_store",
]

RING = KeyRing.for_tests(b"b" * 32)
PASSWORD = "violet tractor umbrella 42"
AS_OF = dt.date(2025, 6, 30)
HOME, OTHER = "IDF", "ARA"
SCOPED: dict[str, str] = {role: f"t.{role}" for role in ROLE_PERMISSIONS}
"""role -> the user of that role scoped to ``HOME``."""
UNRESTRICTED = "t.boss"
"""A manager without any scope: sees every region."""


def staffed_store(url: str, *, customers: int = 60, seed: int = 11) -> Store:
    """A store at ``url`` holding the demo portfolio and the users ``SCOPED``
    (each scoped to ``HOME``; the contractor's access ends in a year) and
    ``UNRESTRICTED``."""
    store = Store(url)
    generate_demo(store, customers=customers, years=2, seed=seed, as_of=AS_OF, ring=RING)
    key = RING.subkey("audit")
    for role, name in SCOPED.items():
        expires = dt.date.today() + dt.timedelta(days=365) if role == "contractor" else None
        create_user(
            store, name, PASSWORD, role, display_name=f"Test {role}", expires_on=expires, actor="test", chain_key=key
        )
        set_scopes(store, name, regions=[HOME], actor="test", chain_key=key)
    create_user(store, UNRESTRICTED, PASSWORD, "manager", display_name="Test boss", actor="test", chain_key=key)
    return store


@dataclass(frozen=True)
class Outsider:
    """Records of region ``OTHER``: a customer and a prospect (code, name,
    SIREN); and a customer of ``HOME``, for comparison."""

    customer_code: str
    customer_name: str
    siren: str | None
    prospect_code: str
    prospect_name: str
    prospect_siren: str | None
    home_customer_code: str
    home_customer_name: str

    def identifying(self) -> tuple[str, ...]:
        """The strings that must never reach a user who may not see them."""
        return tuple(
            s
            for s in (
                self.customer_code,
                self.customer_name,
                self.siren,
                self.prospect_code,
                self.prospect_name,
                self.prospect_siren,
            )
            if s
        )


def outsider(store: Store) -> Outsider:
    """The first customer and prospect of ``OTHER`` (by code), the first customer of ``HOME``."""

    def first(model: type[Customer] | type[Prospect], region: str) -> tuple[str, str, str | None]:
        with store.engine.connect() as conn:
            row = conn.execute(
                select(model.code, model.name, model.siren)
                .join(Region, Region.id == model.region_id)
                .where(Region.code == region)
                .order_by(model.code)
                .limit(1)
            ).one()
        return row[0], row[1], row[2]

    code, name, siren = first(Customer, OTHER)
    prospect = first(Prospect, OTHER)
    home_code, home_name, _ = first(Customer, HOME)
    return Outsider(code, name, siren, *prospect, home_code, home_name)
