"""Logging one sales activity (a call, visit, meeting, e-mail or quote), as
the command line and the web application enter them.

The checks are those of an activities import (``clientfolio.ingest.activities``):
a past date, a known type word, exactly one customer or prospect inside the
actor's scope (one refusal for a code out of scope and an unknown one), a rep
who is a user of the store (default: the actor's own user), and a sales rep
logs only their own activities.  The outcome is stored encrypted with the key
ring when one is given; with the audit key the activity is audited
(``activity.log``) in its transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, update

from clientfolio.access.principal import Principal
from clientfolio.access.rls import limit_connection
from clientfolio.access.writes import WriteGuard
from clientfolio.errors import ClientfolioError
from clientfolio.ingest.activities import Parties, Users, parse_duration, parse_type
from clientfolio.ingest.values import DateParser, FutureDate, fits
from clientfolio.protect.audit import record_event
from clientfolio.protect.fields import seal_field
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import Activity

__all__ = ["LoggedActivity", "log_activity"]


@dataclass(frozen=True)
class LoggedActivity:
    """The activity written (``user`` is the rep's username)."""

    id: int
    kind: str
    occurred_on: dt.date
    customer_code: str | None
    prospect_code: str | None
    user: str
    subject: str | None
    duration_minutes: int | None
    planned: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "occurred_on": self.occurred_on.isoformat()}


def log_activity(
    store: Store,
    principal: Principal,
    *,
    kind: str,
    occurred_on: dt.date | str,
    customer_code: str | None = None,
    prospect_code: str | None = None,
    user: str | None = None,
    subject: str | None = None,
    outcome: str | None = None,
    duration_minutes: int | str | None = None,
    ring: KeyRing | None = None,
    chain_key: bytes | None = None,
    actor: str | None = None,
    today: dt.date | None = None,
    allow_future: bool = False,
    planned: bool = False,
    date_order: str = "dmy",
) -> LoggedActivity:
    """Write one activity for ``principal`` and return it.

    ``kind`` is a code (call, visit, meeting, email, quote) or a French or
    English word for one (appel, visite, rendez-vous, e-mail, devis ...);
    ``occurred_on`` a date, or a text as files write them, not after ``today``
    (default: the current day) unless ``allow_future``; exactly one of
    ``customer_code`` and ``prospect_code``; ``user`` the rep's username or
    full name (default: the principal's own user).  Raises
    ``ClientfolioError`` naming what is wrong.  Audited as ``activity.log`` by
    ``actor`` (default: the principal's username) when ``chain_key`` is given.
    ``planned``: the activity is scheduled for that day, not made (any date;
    no contact until an activity is logged after it)."""
    problems: list[str] = []

    def check(what: str, parse: Any, raw: Any) -> Any:
        try:
            return parse(raw)
        except ValueError as exc:
            problems.append(f"{what} {raw!r}: {exc}")
            return None

    dates = DateParser(date_order, None if allow_future or planned else (today or dt.date.today()))
    day = ""  # the ISO date, once read
    try:
        day = dates.past(occurred_on)
    except FutureDate as exc:
        raise ClientfolioError(
            "the activity's date {day} is after today ({today}): an activity to come is logged as planned",
            day=dates(occurred_on),
            today=exc.params["today"],
        ) from None
    except ValueError as exc:
        problems.append(f"date {occurred_on!r}: {exc}")
    code = check("type", parse_type, kind)
    minutes = None if duration_minutes in (None, "") else check("duration", parse_duration, duration_minutes)
    subject = (subject or "").strip() or None
    if subject is not None:
        check("subject", lambda s: fits(s, "activities", "subject"), subject)
    outcome = (outcome or "").strip() or None
    customer_code = (customer_code or "").strip() or None
    prospect_code = (prospect_code or "").strip() or None
    if (customer_code is None) == (prospect_code is None):
        problems.append("give a customer or a prospect (one of them)")
    with store.begin() as conn:
        limit_connection(conn, principal.scope)
        try:
            user_id, username = Users(conn).rep(user or "", principal)
        except ValueError as exc:
            problems.append(f"rep {user!r}: {exc}" if user else str(exc))
            user_id, username = 0, ""
        party: dict[str, int] = {}
        if not problems:
            kind_of, party_code = ("customers", customer_code) if customer_code else ("prospects", prospect_code)
            assert party_code is not None
            try:
                party[f"{kind_of[:-1]}_id"] = Parties(conn, WriteGuard(conn, principal), [party_code]).find(
                    kind_of, party_code
                )
            except ValueError as exc:
                problems.append(f"{kind_of[:-1]} {party_code!r}: {exc}")
        if problems:
            raise ClientfolioError("; ".join(problems))
        new_id = conn.execute(
            insert(Activity)
            .values(
                kind=code,
                occurred_on=dt.date.fromisoformat(day),
                user_id=user_id,
                subject=subject,
                duration_minutes=minutes,
                planned=planned,
                **party,
            )
            .returning(Activity.id)
        ).scalar_one()
        if outcome is not None:
            conn.execute(
                update(Activity)
                .where(Activity.id == new_id)
                .values(outcome=seal_field(ring, "activities", new_id, "outcome", outcome))
            )
        logged = LoggedActivity(
            new_id, code, dt.date.fromisoformat(day), customer_code, prospect_code, username, subject, minutes, planned
        )
        if chain_key is not None:
            details = {k: v for k, v in logged.as_dict().items() if k != "subject"}
            record_event(
                conn,
                actor=actor or principal.username,
                action="activity.log",
                target=customer_code or prospect_code,
                chain_key=chain_key,
                details={**details, "outcome": outcome is not None},
            )
    return logged
