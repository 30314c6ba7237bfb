"""A tiny store holding one value of each sensitive field, some encrypted and
some still plain (as a store from before encryption), for the rotation and
backup tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from clientfolio.protect.fields import contact_values, seal_field
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import Action, Activity, Contact, Customer

PLAIN = {  # (table, id, field) -> value, as the readers must return it
    ("customers", 1, "address"): "1 rue Haute",
    ("contacts", 1, "name"): "Ann Martin",
    ("contacts", 1, "email"): "ann@example.fr",
    ("contacts", 1, "phone"): "01 02 03 04 05",
    ("contacts", 2, "name"): "Bob Petit",
    ("contacts", 3, "name"): "Cy Roux",  # written before encryption: plain
    ("contacts", 3, "email"): "cy@example.fr",  # plain too
    ("activities", 1, "outcome"): "Devis demandé",
    ("actions", 1, "comments"): "à relancer",  # plain
}
STILL_PLAIN = {("contacts", 3, "name"), ("contacts", 3, "email"), ("actions", 1, "comments")}


def fill(store: Store, ring: KeyRing) -> None:
    """Two customers, three contacts, an activity and an action (see ``PLAIN``)."""

    def sealed(table: str, record: int, field: str) -> str | None:
        value = PLAIN.get((table, record, field))
        return value if (table, record, field) in STILL_PLAIN else seal_field(ring, table, record, field, value)

    with store.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {"id": 1, "code": "C1", "name": "Un", "address": sealed("customers", 1, "address")},
                {"id": 2, "code": "C2", "name": "Deux", "address": None},
            ],
        )
        for contact in (
            {
                "id": 1,
                "customer_id": 1,
                **contact_values(ring, 1, {"name": "Ann Martin", "email": "ann@example.fr", "phone": "01 02 03 04 05"}),
            },
            {"id": 2, "customer_id": 2, **contact_values(ring, 2, {"name": "Bob Petit", "email": None})},
            {"id": 3, "customer_id": 2, "name": "Cy Roux", "email": "cy@example.fr"},
        ):
            conn.execute(insert(Contact).values(**contact))
        conn.execute(
            insert(Activity),
            [
                {
                    "id": 1,
                    "kind": "call",
                    "occurred_on": dt.date(2025, 3, 1),
                    "customer_id": 1,
                    "outcome": sealed("activities", 1, "outcome"),
                }
            ],
        )
        conn.execute(
            insert(Action),
            [
                {
                    "id": 1,
                    "title": "Relance",
                    "kind": "commercial",
                    "progress": 0,
                    "customer_id": 2,
                    "comments": "à relancer",
                }
            ],
        )
