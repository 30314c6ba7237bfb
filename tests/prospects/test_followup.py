"""Last contact of the important customers; the A / VIP customers left without contact."""

from __future__ import annotations

import datetime as dt

from clientfolio.prospects.followup import FollowUpConfig, account_activity, follow_up, important_customers
from tests.prospects.rows import activity

AS_OF = dt.date(2025, 6, 30)
LAST = {
    "C1": dt.date(2025, 6, 1),  # 29 days
    "C2": dt.date(2025, 3, 1),  # 121 days
    "C3": None,  # never contacted
    "C4": dt.date(2025, 4, 1),  # 90 days: not more than 90
    "C5": dt.date(2025, 1, 1),  # not important
}


def test_unfollowed_a_and_vip_customers() -> None:
    important = important_customers(["C1", "C2", "C3", "X9"], vip=["C4", "C2"])
    assert important == {"C1": ("A",), "C2": ("A", "VIP"), "C3": ("A",), "C4": ("VIP",), "X9": ("A",)}
    rows = follow_up(LAST, important, as_of=AS_OF, names={"C2": "Deux SA"})
    # X9 is not among the visible customers (LAST): left out.  Never contacted first, then the longest.
    assert [(r.customer_code, r.days_since, r.unfollowed) for r in rows] == [
        ("C3", None, True),
        ("C2", 121, True),
        ("C4", 90, False),
        ("C1", 29, False),
    ]
    assert rows[1].name == "Deux SA" and rows[1].reasons == ("A", "VIP")
    strict = follow_up(LAST, important, as_of=AS_OF, config=FollowUpConfig(unfollowed_days=60))
    assert [r.customer_code for r in strict if r.unfollowed] == ["C3", "C2", "C4"]


def test_activities_per_customer_and_prospect() -> None:
    rows = account_activity(
        [
            activity("2025-05-02", "ana", customer="C1"),
            activity("2025-06-03", "bob", customer="C1", kind="visit"),
            activity("2025-06-10", "ana", prospect="P1", kind="email"),
            activity("2025-06-11", "ana"),
        ]
    )
    assert [(r.customer_code, r.prospect_code, r.activities, r.by_kind, r.last_on) for r in rows] == [
        (None, "P1", 1, {"email": 1}, dt.date(2025, 6, 10)),
        ("C1", None, 2, {"call": 1, "visit": 1}, dt.date(2025, 6, 3)),
    ]
