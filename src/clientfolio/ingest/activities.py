"""Loading sales activities (calls, visits, meetings, e-mails, quotes) into
``activities``, and the checks shared with ``prospects.activity_log``.

Each row is dated (a past date), typed (a code of ``ACTIVITY_TYPES`` or a
French or English word for it, ``TYPE_WORDS``), done by a rep (a user of the
store, by username or full name, case and accents ignored; empty: the
importer's own user) about exactly one customer or prospect, which must exist
inside the importer's scope (``access.writes``).  A rep without the right to
write for others (``SELF_ONLY_ROLES``) logs only their own activities.

Importing rows already stored changes nothing: rows are compared as a
multiset on (date, type, customer, prospect, rep, subject), and only the rows
beyond those the store holds are added (two identical calls on one day in the
file, one in the store: one is added).  The outcome, a sensitive field, is
stored encrypted with the key ring when one is given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select

from clientfolio.access.principal import Principal
from clientfolio.access.writes import OUTSIDE_SCOPE, WriteGuard
from clientfolio.ingest.columns import normalize
from clientfolio.ingest.lookups import ErrorSink
from clientfolio.ingest.report import ImportResult, Reason
from clientfolio.ingest.values import DateParser, fits
from clientfolio.protect.fields import seal_field
from clientfolio.protect.keys import KeyRing
from clientfolio.store import IdBlock
from clientfolio.store.schema import Activity, Customer, Prospect, User

__all__ = [
    "ACTIVITY_TYPES",
    "SELF_ONLY_ROLES",
    "TYPE_WORDS",
    "Parties",
    "Users",
    "load_activities",
    "parse_duration",
    "parse_type",
]

ACTIVITY_TYPES = ("call", "visit", "meeting", "email", "quote")
"""The stored codes of ``Activity.kind`` (the demo's four, and quotes)."""

_WORDS = {
    "call": ("call", "phone", "phone call", "appel", "appel telephonique", "tel", "telephone", "coup de fil"),
    "visit": ("visit", "visite", "rdv terrain", "visite terrain", "visite client"),
    "meeting": ("meeting", "rendez-vous", "rdv", "reunion", "visio", "visioconference", "video"),
    "email": ("email", "e-mail", "mail", "courriel", "mel"),
    "quote": ("quote", "devis", "offre", "proposition", "proposition commerciale"),
}
TYPE_WORDS: dict[str, str] = {normalize(word): code for code, words in _WORDS.items() for word in words}
"""Each accepted word (normalized: lower case, no accents, punctuation as spaces) -> its code."""

_ACCEPTED = "; ".join(f"{code}: {', '.join(w for w in words if w != code)}" for code, words in _WORDS.items())
UNKNOWN_TYPE = "unknown activity type; use {types} or a word for one ({words})"
UNKNOWN_USER = "unknown user: create it with clientfolio user add"
NO_REP = "no rep: give the rep (the importer is not a user of the store)"
SELF_ONLY = "a sales rep logs only their own activities: leave the rep empty or give yourself"
SELF_ONLY_ROLES = frozenset({"sales", "contractor", "auditor"})
"""Roles that may log activities only as themselves (admins and managers log for their reps)."""

MAX_MINUTES = 24 * 60


def parse_type(raw: Any) -> str:
    """The code of an activity type from a code or a French or English word."""
    code = TYPE_WORDS.get(normalize(str(raw)))
    if code is None:
        raise Reason(UNKNOWN_TYPE, types=", ".join(ACTIVITY_TYPES), words=_ACCEPTED)
    return code


_MINUTES = re.compile(r"(\d+)\s*(?:min|mn|minutes?|m)?")
_HOURS = re.compile(r"(\d+)\s*h(?:eures?|ours?)?\s*(\d{1,2})?\s*(?:min|mn)?")


def parse_duration(raw: Any) -> int:
    """Minutes from ``30``, ``30 min``, ``1h30`` or ``2 h`` (0 to 1,440)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not float(raw).is_integer():
            raise ValueError("a duration is a whole number of minutes (30, 1h30)")
        minutes = int(raw)
    else:
        text = str(raw).strip().lower()
        if m := _MINUTES.fullmatch(text):
            minutes = int(m[1])
        elif m := _HOURS.fullmatch(text):
            minutes = int(m[1]) * 60 + int(m[2] or 0)
        else:
            raise ValueError("a duration is a whole number of minutes (30, 1h30)")
    if not 0 <= minutes <= MAX_MINUTES:
        raise Reason("a duration goes from 0 to {limit} minutes", limit=MAX_MINUTES)
    return minutes


class Users:
    """The users of the store by username or full name (case and accents ignored)."""

    def __init__(self, conn: Connection) -> None:
        self.by_username: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, list[tuple[int, str]]] = {}
        for id_, username, display_name in conn.execute(select(User.id, User.username, User.display_name)):
            self.by_username[username.lower()] = (id_, username)
            self.by_name.setdefault(normalize(username), []).append((id_, username))
            if normalize(display_name) != normalize(username):
                self.by_name.setdefault(normalize(display_name), []).append((id_, username))

    def find(self, raw: str) -> tuple[int, str]:
        """(id, username) of the user named ``raw``; ``ValueError`` when unknown or ambiguous."""
        found = self.by_username.get(raw.strip().lower())
        if found is not None:
            return found
        matches = sorted(set(self.by_name.get(normalize(raw), [])))
        if len(matches) > 1:
            raise Reason(
                "several users have this name ({users}): give the username", users=", ".join(u for _, u in matches)
            )
        if not matches:
            raise ValueError(UNKNOWN_USER)
        return matches[0]

    def rep(self, raw: str, principal: Principal) -> tuple[int, str]:
        """The rep of an activity: ``raw`` (empty: the principal's own user),
        which a self-only principal may only give as itself."""
        own = self.by_username.get(principal.username.lower())
        if not raw.strip():
            if own is None:
                raise ValueError(NO_REP)
            return own
        found = self.find(raw)
        if principal.role in SELF_ONLY_ROLES and (own is None or found[0] != own[0]):
            raise ValueError(SELF_ONLY)
        return found


class Parties:
    """The customers and prospects an actor may log activities on (inside its
    scope), by code; those out of scope are out of sight, as unknown ones.
    ``codes`` limits what is read to those codes (one activity logged reads
    one row, not every customer and prospect); ``None`` reads them all, for a
    file."""

    _MODELS = (("customers", Customer), ("prospects", Prospect))

    def __init__(self, conn: Connection, guard: WriteGuard, codes: list[str] | None = None) -> None:
        self.guard = guard
        self.ids: dict[str, dict[str, int]] = {}
        for kind, model in self._MODELS:
            query = select(model.id, model.code, model.region_id, model.segment_id)
            if codes is not None:
                query = query.where(model.code.in_(codes))
            self.ids[kind] = {
                code: id_
                for id_, code, region_id, segment_id in conn.execute(query)
                if guard.unlimited or guard.inside(region_id, segment_id)
            }

    def find(self, kind: str, code: str) -> int:
        """The id of customer or prospect ``code``; ``ValueError`` when unknown or out of scope
        (one reason, ``OUTSIDE_SCOPE``, for both when the actor has a scope)."""
        found = self.ids[kind].get(code)
        if found is None:
            if not self.guard.unlimited:
                raise ValueError(OUTSIDE_SCOPE)
            if kind == "customers":
                raise ValueError("unknown customer: import the customers file first")
            raise ValueError("unknown prospect: import the prospects file first")
        return found


Key = tuple[str, str, int | None, int | None, int | None, str | None]


def stored_keys(conn: Connection) -> Counter[Key]:
    """How many stored activities have each (date, type, customer, prospect, rep, subject)."""
    query = select(
        Activity.occurred_on,
        Activity.kind,
        Activity.customer_id,
        Activity.prospect_id,
        Activity.user_id,
        Activity.subject,
    )
    return Counter((day.isoformat(), kind, c, p, u, s) for day, kind, c, p, u, s in conn.execute(query))


def load_activities(
    conn: Connection,
    rows: Iterable[tuple[int, list[Any]]],
    idx: dict[str, int],
    errors: ErrorSink,
    result: ImportResult,
    dates: DateParser,
    ring: KeyRing | None,
    guard: WriteGuard,
) -> int:
    """Validate every row of an activities file and add those the store does
    not hold yet (see the module docstring); returns the rows read.  Nothing is
    written when ``errors`` has any (the caller rolls back anyway)."""
    users = Users(conn)
    parties = Parties(conn, guard)
    stored = stored_keys(conn)
    principal = guard.principal
    new: list[dict[str, Any]] = []
    count = 0
    for line, row in rows:
        count += 1

        def cell(name: str, row: list[Any] = row) -> Any:
            i = idx.get(name, -1)
            v = row[i] if 0 <= i < len(row) else ""
            v = "" if v is None else v
            return v.strip() if isinstance(v, str) else v

        bad = errors.total
        values: dict[str, Any] = {}
        raw_date = cell("date")
        if raw_date == "":
            errors.add(line, "date", "", "empty date")
        else:
            try:
                values["occurred_on"] = dates.past(raw_date)
            except ValueError as exc:
                errors.add(line, "date", raw_date, exc)
        raw_type = cell("type")
        try:
            values["kind"] = parse_type(raw_type)
        except ValueError as exc:
            errors.add(line, "type", raw_type, exc)
        raw_rep = str(cell("rep"))
        try:
            values["user_id"] = users.rep(raw_rep, principal)[0]
        except ValueError as exc:
            errors.add(line, "rep", raw_rep, exc)
        customer, prospect = str(cell("customer_code")), str(cell("prospect_code"))
        if customer and prospect:
            errors.add(line, "prospect_code", prospect, "give a customer or a prospect, not both")
        elif not customer and not prospect:
            errors.add(line, "customer_code", "", "no customer nor prospect: give one of them")
        else:
            field, kind, code = (
                ("customer_code", "customers", customer) if customer else ("prospect_code", "prospects", prospect)
            )
            try:
                values["customer_id" if customer else "prospect_id"] = parties.find(kind, code)
            except ValueError as exc:
                errors.add(line, field, code, exc)
        subject = str(cell("subject")) or None
        if subject is not None:
            try:
                values["subject"] = fits(subject, "activities", "subject")
            except ValueError as exc:
                errors.add(line, "subject", subject, exc)
        outcome = cell("outcome")
        if outcome != "":
            values["outcome"] = str(outcome)
        raw_duration = cell("duration")
        if raw_duration != "":
            try:
                values["duration_minutes"] = parse_duration(raw_duration)
            except ValueError as exc:
                errors.add(line, "duration", raw_duration, exc)
        if errors.total > bad:
            continue
        key: Key = (
            values["occurred_on"],
            values["kind"],
            values.get("customer_id"),
            values.get("prospect_id"),
            values["user_id"],
            values.get("subject"),
        )
        if stored[key] > 0:
            stored[key] -= 1
            result.count("unchanged", "activities")
            continue
        new.append(values)
    if errors or not new:
        return count
    ids = IdBlock(conn, Activity.__table__, block=max(1, len(new)))  # type: ignore[arg-type]
    records = []
    for values in new:
        id_ = ids.take()
        records.append(
            {
                "id": id_,
                "kind": values["kind"],
                "occurred_on": dt.date.fromisoformat(values["occurred_on"]),
                "customer_id": values.get("customer_id"),
                "prospect_id": values.get("prospect_id"),
                "user_id": values["user_id"],
                "subject": values.get("subject"),
                "outcome": seal_field(ring, "activities", id_, "outcome", values.get("outcome")),
                "duration_minutes": values.get("duration_minutes"),
            }
        )
    conn.execute(insert(Activity), records)
    result.count("created", "activities", len(records))
    return count
