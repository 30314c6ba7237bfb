"""The plan's rows in the store: plan headers, actions, SWOT items,
assessments and the team's answers, read and written for a principal.

Actions and SWOT items about a customer or a prospect are visible when that
customer or prospect is (the access layer's rule, ``PortfolioReader.visible_about``);
those about neither are visible only to a principal without region or segment
restriction, as activities are.  The company's SWOT items (about no customer,
or stating a share of the whole revenue) are visible only to a principal who
sees the whole company: they hold the company's figures.  Writing an action
for a customer or prospect out of sight is refused, as if it did not exist.  Assessments are of the whole
portfolio: only a principal without any scope restriction stores one.

``actions.comments`` is a sensitive field: with a key ring it is written
encrypted and read decrypted (``protect.fields``); without one it is written
plain (``keys rotate`` encrypts it later).

Every operation reads and writes through ONE connection of the access layer
(``PortfolioReader.connect`` / ``begin``), bound to the principal's scope
(row-level security on PostgreSQL).

Every write takes ``chain_key`` (the audit key, ``KeyRing.subkey("audit")``):
when given, the change is audited in its transaction with its before and
after values (``plan.header``, ``plan.action.add``, ``plan.action.update``,
``swot.save``, ``swot.add``, ``swot.edit``, ``swot.delete``,
``assessment.save``); the actor is the principal's username, or ``actor``.
A comment is never audited in plain text: it shows as ``"(changed)"``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, not_, or_, select, true, update

from clientfolio.access import SYSTEM, PortfolioReader, Principal
from clientfolio.access.writes import OUTSIDE_SCOPE, require_whole_company, whole_company
from clientfolio.errors import AccessDenied, ClientfolioError
from clientfolio.i18n import N_
from clientfolio.plan.actions import ACTION_KINDS, PlanAction, PlanHeader, horizon
from clientfolio.plan.messages import dump_params, load_params, shown
from clientfolio.plan.questionnaire import Answer
from clientfolio.plan.swot import COMPANY_FIGURE_KEYS, QUADRANTS, SwotSuggestion
from clientfolio.protect.audit import record_event
from clientfolio.protect.fields import open_field, seal_field
from clientfolio.store.schema import (
    Action,
    AssessmentAnswer,
    Customer,
    Plan,
    Prospect,
    SelfAssessment,
    SwotItem,
    User,
)

if TYPE_CHECKING:
    from clientfolio.plan.assessment import Assessment
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

__all__ = [
    "COMMENT_CHANGED",
    "StoredAssessment",
    "StoredSwotItem",
    "add_actions",
    "add_swot_item",
    "assessment_history",
    "edit_swot_item",
    "plan_actions",
    "plan_header",
    "remove_actions",
    "save_assessment",
    "save_header",
    "save_swot",
    "stored_answers",
    "swot_items",
    "update_action",
]

COMMENT_CHANGED = N_("(changed)")
"""What the audit log records of an action's comment: never its text (it is sealed), only that it changed."""


@dataclass(frozen=True)
class StoredSwotItem:
    """A stored SWOT item; a suggested one has its text's template
    (``text_msg``) and parameters, shown in a language by ``localized``."""

    id: int
    quadrant: str
    text: str
    source: str
    key: str | None
    accepted: bool
    text_msg: str | None = None
    params: dict[str, str | int | float] | None = field(default=None, hash=False)

    def localized(self, lang: str) -> StoredSwotItem:
        """The item as shown in ``lang`` (the user's own text as written)."""
        return replace(self, text=shown(lang, self.text, self.text_msg, self.params))


@dataclass(frozen=True)
class StoredAssessment:
    """A stored assessment: its date, fact marks, team marks, by theme."""

    assessed_on: dt.date
    fact_mark: float | None
    team_mark: float | None
    themes: dict[str, dict[str, float | None]]
    respondents: int
    details: dict[str, Any]


def _plan_id(conn: Connection, year: int, *, create: bool) -> int | None:
    found = conn.execute(select(Plan.id).where(Plan.budget_year == year)).scalar()
    if found is None and create:
        found = conn.execute(insert(Plan).values(budget_year=year, company="").returning(Plan.id)).scalar_one()
    return found


def plan_header(store: Store, year: int) -> PlanHeader | None:
    """The header of the plan of ``year`` (None when there is no plan)."""
    with PortfolioReader(store, SYSTEM).connect() as conn:  # the plans table holds no customer data
        row = conn.execute(
            select(Plan.budget_year, Plan.company, Plan.business_area, Plan.vision, Plan.objective).where(
                Plan.budget_year == year
            )
        ).first()
    return None if row is None else PlanHeader(*row)


_HEADER = {
    "company": Plan.company,
    "business_area": Plan.business_area,
    "vision": Plan.vision,
    "objective": Plan.objective,
}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The audit details of a row changed from ``before`` to ``after``: the
    columns whose value changed, before and after."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


def save_header(
    store: Store,
    header: PlanHeader,
    *,
    chain_key: bytes | None = None,
    actor: str | None = None,
    principal: Principal = SYSTEM,
) -> PlanHeader:
    """Create or update the plan of ``header.budget_year`` with its header;
    audited as ``plan.header`` (the changed fields before/after) by ``actor``
    (default: the principal) with ``chain_key``.  The header is the whole
    company's: ``AccessDenied`` unless ``principal`` sees the whole company."""
    require_whole_company(principal)
    actor = actor or principal.username
    values = {
        "company": header.company,
        "business_area": header.business_area,
        "vision": header.vision,
        "objective": header.objective,
    }
    with PortfolioReader(store, principal).begin() as conn:
        old = conn.execute(
            select(*(c.label(n) for n, c in _HEADER.items())).where(Plan.budget_year == header.budget_year)
        ).first()
        plan = _plan_id(conn, header.budget_year, create=True)
        conn.execute(update(Plan).where(Plan.id == plan).values(**values))
        if chain_key is not None:
            before = {} if old is None else dict(old._mapping)
            record_event(
                conn,
                actor=actor,
                action="plan.header",
                target=str(header.budget_year),
                details={"created": old is None, **_changed(before, values)},
                chain_key=chain_key,
            )
    return header


_COLUMNS = {
    "id": Action.id,
    "title": Action.title,
    "typology": Action.typology,
    "kind": Action.kind,
    "customer_code": Customer.code,
    "customer_name": Customer.name,
    "prospect_code": Prospect.code,
    "steps": Action.steps,
    "priority": Action.priority,
    "owner": User.username,
    "participants": Action.participants,
    "due_on": Action.due_on,
    "horizon": Action.horizon,
    "progress": Action.progress,
    "budget_cents": Action.budget_cents,
    "spent_cents": Action.spent_cents,
    "comments": Action.comments,
    "current_revenue_cents": Action.current_revenue_cents,
    "target_revenue_cents": Action.target_revenue_cents,
    "result_revenue_cents": Action.result_revenue_cents,
    "result": Action.result,
    "reason": Action.reason,
    "suggestion_key": Action.suggestion_key,
    "created_on": Action.created_on,
    "title_msg": Action.title_msg,
    "reason_msg": Action.reason_msg,
    "steps_msg": Action.steps_msg,
    "params": Action.params,
}


def plan_actions(store: Store, principal: Principal, year: int, *, ring: KeyRing | None = None) -> list[PlanAction]:
    """The actions of the plan of ``year`` that ``principal`` sees, by id
    (comments decrypted with ``ring``)."""
    reader = PortfolioReader(store, principal)
    with reader.connect() as conn:
        return _actions(conn, reader, year, ring)


def _actions(
    conn: Connection, reader: PortfolioReader, year: int, ring: KeyRing | None, action_id: int | None = None
) -> list[PlanAction]:
    """The visible actions of the plan of ``year`` read on ``conn`` (only
    ``action_id`` when given), by id."""
    query = (
        select(*(c.label(n) for n, c in _COLUMNS.items()))
        .select_from(Action)
        .join(Plan, Plan.id == Action.plan_id)
        .outerjoin(Customer, Customer.id == Action.customer_id)
        .outerjoin(Prospect, Prospect.id == Action.prospect_id)
        .outerjoin(User, User.id == Action.owner_id)
        .where(Plan.budget_year == year, reader.visible_about(Action.customer_id, Action.prospect_id))
        .order_by(Action.id)
    )
    if action_id is not None:
        query = query.where(Action.id == action_id)
    rows = [dict(row._mapping) for row in conn.execute(query)]
    return [
        PlanAction(
            **{
                **r,
                "comments": open_field(ring, "actions", r["id"], "comments", r["comments"]),
                "params": load_params(r["params"]) or None,
            }
        )
        for r in rows
    ]


def _resolve(
    conn: Connection, reader: PortfolioReader, model: type[Customer] | type[Prospect], code: str | None
) -> int | None:
    if code is None:
        return None
    found = conn.execute(select(model.id).where(model.code == code, reader.visible(model))).scalar()
    if found is None:
        raise ClientfolioError(
            N_("no customer '{code}' in your scope") if model is Customer else N_("no prospect '{code}' in your scope"),
            code=code,
        )
    return int(found)


def _user(conn: Connection, username: str | None) -> int | None:
    if username is None:
        return None
    found = conn.execute(select(User.id).where(User.username == username)).scalar()
    if found is None:
        raise ClientfolioError("no user '{user}'", user=username)
    return int(found)


def _check(action: PlanAction) -> None:
    if not action.title.strip():
        raise ClientfolioError("an action needs a title")
    if action.kind not in ACTION_KINDS:
        raise ClientfolioError(
            "unknown action type {kind!r}; use {kinds}", kind=action.kind, kinds=" or ".join(ACTION_KINDS)
        )
    if not 0 <= action.progress <= 100:
        raise ClientfolioError("progress is a percentage, 0 to 100")


def add_actions(
    store: Store,
    principal: Principal,
    year: int,
    actions: Sequence[PlanAction],
    *,
    planned_on: dt.date,
    ring: KeyRing | None = None,
    chain_key: bytes | None = None,
    actor: str | None = None,
) -> list[int]:
    """Add ``actions`` to the plan of ``year`` (created when missing), in one
    transaction; an action whose ``suggestion_key`` is already in the plan is
    skipped; an action about no customer nor prospect is a company action, for
    a principal who sees the whole company only (``AccessDenied`` otherwise).
    The horizon is computed from the end date and ``planned_on``.
    Comments are sealed with ``ring``.  Returns the ids of the added actions.
    With ``chain_key``, each added action is audited (``plan.action.add``,
    target its id, its values ``after``) by ``actor`` (default: the principal)."""
    reader = PortfolioReader(store, principal)
    added: list[int] = []
    with reader.begin() as conn:
        plan = _plan_id(conn, year, create=True)
        known = set(
            conn.execute(
                select(Action.suggestion_key).where(Action.plan_id == plan, Action.suggestion_key.is_not(None))
            ).scalars()
        )
        for a in actions:
            _check(a)
            if a.customer_code is None and a.prospect_code is None:
                require_whole_company(principal)  # a company action: only who sees the whole company
            if a.suggestion_key is not None and a.suggestion_key in known:
                continue
            values = {
                "plan_id": plan,
                "title": a.title,
                "typology": a.typology,
                "kind": a.kind,
                "customer_id": _resolve(conn, reader, Customer, a.customer_code),
                "prospect_id": _resolve(conn, reader, Prospect, a.prospect_code),
                "owner_id": _user(conn, a.owner),
                "participants": a.participants,
                "steps": a.steps,
                "priority": a.priority,
                "due_on": a.due_on,
                "horizon": horizon(a.due_on, planned_on),
                "progress": a.progress,
                "budget_cents": a.budget_cents,
                "spent_cents": a.spent_cents,
                "current_revenue_cents": a.current_revenue_cents,
                "target_revenue_cents": a.target_revenue_cents,
                "result_revenue_cents": a.result_revenue_cents,
                "result": a.result,
                "reason": a.reason,
                "suggestion_key": a.suggestion_key,
                "created_on": planned_on,
                "title_msg": a.title_msg,
                "reason_msg": a.reason_msg,
                "steps_msg": a.steps_msg,
                "params": dump_params(a.params),
            }
            new = conn.execute(insert(Action).values(**values).returning(Action.id)).scalar_one()
            conn.execute(
                update(Action)
                .where(Action.id == new)
                .values(comments=seal_field(ring, "actions", new, "comments", a.comments))
            )
            added.append(new)
            if a.suggestion_key is not None:
                known.add(a.suggestion_key)
            if chain_key is not None:
                after = {
                    k: v
                    for k, v in values.items()
                    if k not in ("plan_id", "customer_id", "prospect_id", "owner_id", "created_on")
                }
                after |= {
                    "customer_code": a.customer_code,
                    "prospect_code": a.prospect_code,
                    "owner": a.owner,
                    "comments": None if a.comments is None else COMMENT_CHANGED,
                }
                record_event(
                    conn,
                    actor=actor or principal.username,
                    action="plan.action.add",
                    target=str(new),
                    details={"year": year, "after": after},
                    chain_key=chain_key,
                )
    return added


_UPDATABLE = {
    "progress",
    "spent_cents",
    "result_revenue_cents",
    "result",
    "comments",
    "budget_cents",
    "participants",
    "owner",
    "due_on",
    "priority",
    "target_revenue_cents",
    "steps",
}


def update_action(
    store: Store,
    principal: Principal,
    action_id: int,
    *,
    ring: KeyRing | None = None,
    chain_key: bytes | None = None,
    actor: str | None = None,
    **changes: Any,
) -> PlanAction:
    """Change the tracking columns of a visible action (``_UPDATABLE``: progress,
    spent, result revenue, result, comments, budget, participants, owner, end
    date, priority, target, steps); returns it as it is now.  With
    ``chain_key``, audited as ``plan.action.update`` (the changed columns
    before/after; a comment as ``"(changed)"``) by ``actor`` (default: the
    principal)."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ClientfolioError("cannot change {columns} of an action", columns=", ".join(sorted(unknown)))
    if "progress" in changes and not 0 <= changes["progress"] <= 100:
        raise ClientfolioError("progress is a percentage, 0 to 100")
    reader = PortfolioReader(store, principal)
    with reader.begin() as conn:
        found = conn.execute(
            select(
                Action.id,
                Plan.budget_year,
                Action.created_on,
                *(_COLUMNS[k].label(k) for k in sorted(_UPDATABLE | {"horizon"})),
            )
            .join(Plan, Plan.id == Action.plan_id)
            .outerjoin(User, User.id == Action.owner_id)
            .where(Action.id == action_id, reader.visible_about(Action.customer_id, Action.prospect_id))
        ).first()
        if found is None:
            raise ClientfolioError("no action {id} in your scope", id=str(action_id))
        values = {k: v for k, v in changes.items() if k != "owner"}
        if "comments" in changes:
            values["comments"] = seal_field(ring, "actions", action_id, "comments", changes["comments"])
        if "owner" in changes:
            values["owner_id"] = _user(conn, changes["owner"])
        if "due_on" in changes and found.created_on is not None:
            values["horizon"] = horizon(changes["due_on"], found.created_on)
        if values:
            conn.execute(update(Action).where(Action.id == action_id).values(**values))
        if chain_key is not None:
            after = {k: v for k, v in changes.items() if k == "comments" or getattr(found, k) != v}
            if values.get("horizon", found.horizon) != found.horizon:
                after["horizon"] = values["horizon"]
            before = {k: getattr(found, k) for k in after}
            if "comments" in changes:
                before["comments"] = after["comments"] = COMMENT_CHANGED
            record_event(
                conn,
                actor=actor or principal.username,
                action="plan.action.update",
                target=str(action_id),
                details={"year": found.budget_year, "before": before, "after": after},
                chain_key=chain_key,
            )
        return _actions(conn, reader, found.budget_year, ring, action_id)[0]


def remove_actions(
    store: Store,
    principal: Principal,
    year: int,
    ids: Iterable[int],
    *,
    chain_key: bytes,
    ring: KeyRing | None = None,
) -> list[int]:
    """Remove the actions ``ids`` of the plan of ``year`` that ``principal``
    sees (an "Accept all" undone); returns the ids removed.  Each removal is
    audited as ``plan.action.undo`` with what it was (title, with its template
    and parameters, suggestion, customer or prospect)."""
    wanted = set(ids)
    present = {a.id: a for a in plan_actions(store, principal, year, ring=ring) if a.id in wanted}
    with PortfolioReader(store, principal).begin() as conn:
        if present:
            conn.execute(delete(Action).where(Action.id.in_(present)))
        for action_id, action in present.items():
            shown = ("title", "title_msg", "params", "suggestion_key", "customer_code", "prospect_code")
            record_event(
                conn,
                actor=principal.username,
                action="plan.action.undo",
                target=str(action_id),
                details={"year": year, "before": {k: v for k, v in action.as_dict().items() if k in shown}},
                chain_key=chain_key,
            )
    return sorted(i for i in present if i is not None)


def _company_item(customer: Any, key: Any) -> ColumnElement[bool]:
    """SWOT items of the whole company: not tied to a customer, or stating a
    share of the whole portfolio (``COMPANY_FIGURE_KEYS``)."""
    return or_(customer.is_(None), and_(key.is_not(None), key.in_(sorted(COMPANY_FIGURE_KEYS))))


def swot_items(store: Store, principal: Principal, year: int) -> list[StoredSwotItem]:
    """The stored SWOT items of the plan of ``year`` that ``principal`` sees,
    by quadrant then id (refused suggestions included, ``accepted`` False).

    The company's items (``_company_item``: not tied to a customer, or the
    dependency item, whose share is of the whole revenue) hold figures of the
    whole company: only a principal who sees the whole company sees them.  A
    scoped principal sees the items about its visible customers, and is
    suggested the others computed on its own scope."""
    reader = PortfolioReader(store, principal)
    with reader.connect() as conn:
        rows = [
            StoredSwotItem(
                r.id, r.quadrant, r.text, r.source, r.key, r.accepted, r.text_msg, load_params(r.params) or None
            )
            for r in conn.execute(_swot_query(reader, year))
        ]
    return sorted(rows, key=lambda r: (QUADRANTS.index(r.quadrant), r.id))


def _swot_query(reader: PortfolioReader, year: int) -> Any:
    """The query of the SWOT items of the plan of ``year`` that the reader's
    principal sees (``swot_items``), by id."""
    seen = (
        true()
        if whole_company(reader.principal)
        else and_(
            not_(_company_item(SwotItem.customer_id, SwotItem.key)),
            SwotItem.customer_id.in_(reader.visible_ids(Customer)),
        )
    )
    return (
        select(
            SwotItem.id,
            SwotItem.quadrant,
            SwotItem.text,
            SwotItem.source,
            SwotItem.key,
            SwotItem.accepted,
            SwotItem.text_msg,
            SwotItem.params,
        )
        .join(Plan, Plan.id == SwotItem.plan_id)
        .where(Plan.budget_year == year, seen)
        .order_by(SwotItem.id)
    )


def save_swot(
    store: Store,
    principal: Principal,
    year: int,
    suggestions: Iterable[SwotSuggestion],
    *,
    accepted: bool = True,
    chain_key: bytes | None = None,
    actor: str | None = None,
) -> int:
    """Store suggested items as accepted (or refused); a key already stored is
    updated.  Returns the number of items written.  With ``chain_key``, audited
    as one ``swot.save`` entry (target the year; each item's key, quadrant,
    text and ``before``: its accepted flag and text when it was stored, else
    None) by ``actor`` (default: the principal)."""
    reader = PortfolioReader(store, principal)
    written: list[dict[str, Any]] = []
    visible = reader.visible_ids(Customer)
    with reader.begin() as conn:
        plan = _plan_id(conn, year, create=True)
        for s in suggestions:
            existing = conn.execute(
                select(SwotItem.id, SwotItem.accepted, SwotItem.text, SwotItem.customer_id, SwotItem.key).where(
                    SwotItem.plan_id == plan, SwotItem.key == s.key
                )
            ).first()
            if (
                existing is not None
                and existing.customer_id is not None
                and conn.execute(visible.where(Customer.id == existing.customer_id)).first() is None
            ):
                raise AccessDenied(OUTSIDE_SCOPE)  # an item about a customer out of sight
            if (s.customer_code is None or s.key in COMPANY_FIGURE_KEYS) or (
                existing is not None and (existing.customer_id is None or existing.key in COMPANY_FIGURE_KEYS)
            ):
                require_whole_company(principal)  # a company item
            if existing is not None:
                conn.execute(
                    update(SwotItem)
                    .where(SwotItem.id == existing.id)
                    .values(accepted=accepted, text=s.text, text_msg=s.text_msg or None, params=dump_params(s.params))
                )
            else:
                conn.execute(
                    insert(SwotItem).values(
                        plan_id=plan,
                        quadrant=s.quadrant,
                        text=s.text,
                        source="suggested",
                        key=s.key,
                        accepted=accepted,
                        customer_id=_resolve(conn, reader, Customer, s.customer_code),
                        text_msg=s.text_msg or None,
                        params=dump_params(s.params),
                    )
                )
            written.append(
                {
                    "key": s.key,
                    "quadrant": s.quadrant,
                    "text": s.text,
                    "before": None if existing is None else {"accepted": existing.accepted, "text": existing.text},
                }
            )
        if chain_key is not None and written:
            record_event(
                conn,
                actor=actor or principal.username,
                action="swot.save",
                target=str(year),
                details={"accepted": accepted, "items": written},
                chain_key=chain_key,
            )
    return len(written)


def add_swot_item(
    store: Store,
    year: int,
    quadrant: str,
    text: str,
    *,
    chain_key: bytes | None = None,
    actor: str | None = None,
    principal: Principal = SYSTEM,
) -> int:
    """Add the user's own item to a quadrant of the plan of ``year``; returns its
    id.  With ``chain_key``, audited as ``swot.add`` (target the item's id) by
    ``actor`` (default: the principal).  Such an item is the whole company's:
    ``AccessDenied`` unless ``principal`` sees the whole company."""
    require_whole_company(principal)
    actor = actor or principal.username
    if quadrant not in QUADRANTS:
        raise ClientfolioError(
            "unknown quadrant {quadrant!r}; use one of {quadrants}", quadrant=quadrant, quadrants=", ".join(QUADRANTS)
        )
    if not text.strip():
        raise ClientfolioError("a SWOT item needs a text")
    with PortfolioReader(store, principal).begin() as conn:
        plan = _plan_id(conn, year, create=True)
        item = int(
            conn.execute(
                insert(SwotItem)
                .values(plan_id=plan, quadrant=quadrant, text=text.strip(), source="user", accepted=True)
                .returning(SwotItem.id)
            ).scalar_one()
        )
        if chain_key is not None:
            record_event(
                conn,
                actor=actor,
                action="swot.add",
                target=str(item),
                details={"year": year, "quadrant": quadrant, "after": text.strip()},
                chain_key=chain_key,
            )
        return item


def edit_swot_item(
    store: Store,
    principal: Principal,
    year: int,
    item_id: int,
    text: str | None,
    *,
    chain_key: bytes | None = None,
    actor: str | None = None,
) -> None:
    """Rewrite a visible item of the plan of ``year``, or delete it when ``text``
    is None.  With ``chain_key``, audited as ``swot.edit`` (text before/after)
    or ``swot.delete`` (text before) by ``actor`` (default: the principal)."""
    reader = PortfolioReader(store, principal)
    with reader.begin() as conn:
        if conn.execute(_swot_query(reader, year).where(SwotItem.id == item_id)).first() is None:
            raise ClientfolioError("no SWOT item {id} in the plan of {year}", id=str(item_id), year=str(year))
        old = conn.execute(
            select(SwotItem.quadrant, SwotItem.text, SwotItem.accepted, SwotItem.customer_id, SwotItem.key).where(
                SwotItem.id == item_id
            )
        ).one()
        if old.customer_id is None or old.key in COMPANY_FIGURE_KEYS:
            require_whole_company(principal)  # a company item
        if text is None:
            conn.execute(delete(SwotItem).where(SwotItem.id == item_id))
        elif not text.strip():
            raise ClientfolioError("a SWOT item needs a text")
        else:
            conn.execute(  # the user's own text now: no template
                update(SwotItem)
                .where(SwotItem.id == item_id)
                .values(text=text.strip(), accepted=True, text_msg=None, params=None)
            )
        if chain_key is not None:
            details: dict[str, Any] = {"year": year, "quadrant": old.quadrant, "before": old.text}
            if text is not None:
                details |= {"after": text.strip(), "accepted_before": old.accepted}
            record_event(
                conn,
                actor=actor or principal.username,
                action="swot.delete" if text is None else "swot.edit",
                target=str(item_id),
                details=details,
                chain_key=chain_key,
            )


def save_assessment(
    store: Store,
    principal: Principal,
    assessment: Assessment,
    answers: Iterable[Answer],
    *,
    chain_key: bytes | None = None,
    actor: str | None = None,
) -> None:
    """Store the assessment of its date (replacing the facts of an earlier run
    that day) and its answers (replacing a respondent's earlier mark for a
    theme).  With ``chain_key``, audited as ``assessment.save`` (target the
    date; the fact mark before/after, each answer's mark before/after) by
    ``actor`` (default: the principal)."""
    if not whole_company(principal):
        raise ClientfolioError(
            "an assessment covers the whole portfolio: only a principal without scope restriction stores one"
        )
    details = json.dumps(assessment.as_dict(), default=str)
    marks: list[dict[str, Any]] = []
    with PortfolioReader(store, principal).begin() as conn:
        old = conn.execute(
            select(SelfAssessment.id, SelfAssessment.fact_mark).where(SelfAssessment.assessed_on == assessment.as_of)
        ).first()
        found = None if old is None else old.id
        values = {"fact_mark": assessment.fact_mark, "details": details, "username": principal.username}
        if found is None:
            found = conn.execute(
                insert(SelfAssessment).values(assessed_on=assessment.as_of, **values).returning(SelfAssessment.id)
            ).scalar_one()
        else:
            conn.execute(update(SelfAssessment).where(SelfAssessment.id == found).values(**values))
        for a in answers:
            mine = and_(
                AssessmentAnswer.assessment_id == found,
                AssessmentAnswer.respondent == a.respondent,
                AssessmentAnswer.theme == a.theme,
            )
            marks.append(
                {
                    "respondent": a.respondent,
                    "theme": a.theme,
                    "after": a.mark,
                    "before": conn.execute(select(AssessmentAnswer.mark).where(mine)).scalar(),
                }
            )
            conn.execute(delete(AssessmentAnswer).where(mine))
            conn.execute(
                insert(AssessmentAnswer).values(
                    assessment_id=found, respondent=a.respondent, theme=a.theme, mark=a.mark
                )
            )
        if chain_key is not None:
            record_event(
                conn,
                actor=actor or principal.username,
                action="assessment.save",
                target=assessment.as_of.isoformat(),
                chain_key=chain_key,
                details={
                    "before": None if old is None else {"fact_mark": old.fact_mark},
                    "after": {"fact_mark": assessment.fact_mark},
                    "answers": marks,
                },
            )


def stored_answers(store: Store, day: dt.date) -> list[Answer]:
    """The team's answers stored for the assessment of ``day``."""
    query = (
        select(AssessmentAnswer.respondent, AssessmentAnswer.theme, AssessmentAnswer.mark)
        .join(SelfAssessment, SelfAssessment.id == AssessmentAnswer.assessment_id)
        .where(SelfAssessment.assessed_on == day)
        .order_by(AssessmentAnswer.respondent, AssessmentAnswer.id)
    )
    with PortfolioReader(store, SYSTEM).connect() as conn:  # the team's own marks: no customer data
        return [Answer(*row) for row in conn.execute(query)]


def assessment_history(store: Store, principal: Principal = SYSTEM) -> list[StoredAssessment]:
    """Every stored assessment, oldest first, with the marks per theme.  An
    assessment is made on the whole company's figures: a principal who does
    not see the whole company gets none (no company figure to a scoped user)."""
    if not whole_company(principal):
        return []
    respondents = (
        select(AssessmentAnswer.assessment_id, func.count(AssessmentAnswer.respondent.distinct()).label("count"))
        .group_by(AssessmentAnswer.assessment_id)
        .subquery()
    )
    query = (
        select(
            SelfAssessment.assessed_on,
            SelfAssessment.fact_mark,
            SelfAssessment.details,
            func.coalesce(respondents.c.count, 0),
        )
        .outerjoin(respondents, respondents.c.assessment_id == SelfAssessment.id)
        .order_by(SelfAssessment.assessed_on)
    )
    with PortfolioReader(store, principal).connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for day, fact, details, count in rows:
        data = json.loads(details)
        themes = {t["theme"]: {"fact_mark": t["fact_mark"], "team_mark": t["team_mark"]} for t in data["themes"]}
        out.append(StoredAssessment(day, fact, data.get("team_mark"), themes, int(count), data))
    return out
