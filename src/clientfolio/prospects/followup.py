"""Follow-up (*suivi*, DOMAIN.md sections 8 and 9): the activities on each
customer and prospect, the last contact of each important customer, and the
important customers left without contact.

- **Important** customers: the ABC class A customers on revenue
  (``clientfolio.analytics.abc.abc_classes``) and the VIP customers (codes
  given by the value analysis); a customer may be both.
- **Last contact**: the date of its latest activity on or before the as-of
  date (None when never contacted).
- **Unfollowed**: an important customer never contacted, or last contacted
  more than ``unfollowed_days`` days before the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # the settings load this module's rules without the access layer
    from clientfolio.access.pipeline import ActivityRow

__all__ = [
    "REASON_NAMES",
    "AccountActivity",
    "FollowUpConfig",
    "ImportantCustomer",
    "account_activity",
    "follow_up",
    "important_customers",
    "reason_names",
]


class FollowUpConfig(BaseModel):
    """When an important customer counts as left without contact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unfollowed_days: int = Field(
        90,
        ge=1,
        description="An A or VIP customer not contacted for more than this many days is "
        "unfollowed (default 90: once a quarter at least).",
    )
    quiet_factor: float = Field(
        1.5,
        gt=0,
        description="An A or VIP customer is at risk when the days since their last purchase exceed this many "
        "times their mean interval between purchases (default 1.5).",
    )
    quiet_min_purchases: int = Field(
        3,
        ge=2,
        description="Purchase days a customer needs for a rhythm of their own (default 3).",
    )


@dataclass(frozen=True)
class AccountActivity:
    """Activities about one customer or prospect: how many, of which kind, the last."""

    customer_code: str | None
    prospect_code: str | None
    activities: int
    by_kind: dict[str, int]
    last_on: dt.date


@dataclass(frozen=True)
class ImportantCustomer:
    """An A or VIP customer with its last contact; ``days_since`` None when never."""

    customer_code: str
    name: str | None
    reasons: tuple[str, ...]
    last_contact: dt.date | None
    days_since: int | None
    unfollowed: bool


def account_activity(activities: Iterable[ActivityRow]) -> list[AccountActivity]:
    """The activities grouped by customer or prospect (activities about neither
    are left out), the most recently contacted first, then by code."""
    groups: dict[tuple[str | None, str | None], list[ActivityRow]] = {}
    for a in activities:
        if a.customer_code or a.prospect_code:
            groups.setdefault((a.customer_code, a.prospect_code), []).append(a)
    rows = [
        AccountActivity(c, p, len(rows), dict(Counter(r.kind for r in rows)), max(r.occurred_on for r in rows))
        for (c, p), rows in groups.items()
    ]
    rows.sort(key=lambda r: r.customer_code or r.prospect_code or "")
    rows.sort(key=lambda r: r.last_on, reverse=True)
    return rows


REASON_NAMES = MappingProxyType({"A": "Class A", "VIP": "VIP"})
"""The English name of each reason a customer is important (``important_customers``), the
one every display shows, translated there by the i18n catalogs ("Classe A")."""


def reason_names(reasons: Iterable[str]) -> list[str]:
    """The English names of ``reasons`` (a code unknown here as it is)."""
    return [REASON_NAMES.get(r, r) for r in reasons]


def important_customers(a_customers: Iterable[str], vip: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """Why each important customer is: ``("A",)``, ``("VIP",)`` or both, by code."""
    a_set, vip_set = set(a_customers), set(vip)
    return {
        code: tuple(r for r, s in (("A", a_set), ("VIP", vip_set)) if code in s) for code in sorted(a_set | vip_set)
    }


def follow_up(
    last_contacts: Mapping[str, dt.date | None],
    important: Mapping[str, tuple[str, ...]],
    *,
    as_of: dt.date,
    names: Mapping[str, str] | None = None,
    config: FollowUpConfig = FollowUpConfig(),  # noqa: B008 - frozen, never mutated
) -> list[ImportantCustomer]:
    """The last contact of each important customer that ``last_contacts``
    lists (the visible customers, by code; others are left out), the longest
    without contact first (never contacted before all)."""
    rows = []
    for code, reasons in important.items():
        if code not in last_contacts:
            continue
        last = last_contacts[code]
        days = None if last is None else (as_of - last).days
        rows.append(
            ImportantCustomer(
                code, (names or {}).get(code), reasons, last, days, days is None or days > config.unfollowed_days
            )
        )
    rows.sort(key=lambda r: (r.days_since is not None, -(r.days_since or 0), r.customer_code))
    return rows
