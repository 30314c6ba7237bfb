"""Scoped reads (and the one write) of the sales pipeline: prospects, their
stage history, sales activities and the customers' last contact.

A prospect is visible when its region and its segment are in the principal's
scope, exactly as a customer is; an activity is visible when the customer or
prospect it is about is visible (an activity about neither is visible only to a
principal without region or segment restriction).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, insert, null, select, update
from sqlalchemy.orm import aliased

from clientfolio.access.principal import Principal
from clientfolio.access.reader import PortfolioReader
from clientfolio.audit_log import record_event
from clientfolio.errors import ClientfolioError
from clientfolio.store import Store
from clientfolio.store.schema import (
    PROSPECT_STAGES,
    Activity,
    Contact,
    Customer,
    Prospect,
    Region,
    Segment,
    StageChange,
    User,
)

__all__ = ["ActivityRow", "PipelineReader", "ProspectRow", "StageChangeRow", "move_prospect"]


@dataclass(frozen=True)
class ProspectRow:
    """A prospect with its qualification, as the prospects package takes it.

    ``contact`` tells the best contact on file: ``"identified"`` (a person with
    a function and an email), ``"named"`` (a person, function or email missing)
    or None (nobody).  ``owner`` is a username; marks are 0-10.
    """

    code: str
    name: str
    stage: str
    source: str | None
    region: str | None
    segment: str | None
    owner: str | None
    potential_cents: int | None
    accessibility_score: int | None
    potential_score: int | None
    has_project: bool | None
    last_similar_purchase_on: dt.date | None
    contact_knowledge: int | None
    receptivity: int | None
    timing: int | None
    contact: str | None
    lost_reason: str | None
    created_on: dt.date | None
    customer_code: str | None


@dataclass(frozen=True)
class StageChangeRow:
    """A prospect's move ``from_stage`` (None at its entry) -> ``to_stage``."""

    prospect_code: str
    from_stage: str | None
    to_stage: str
    changed_on: dt.date
    user: str | None


@dataclass(frozen=True)
class ActivityRow:
    """A call, visit, email or meeting about a customer or a prospect, by
    ``user``; ``planned``: scheduled for ``occurred_on``, not made yet."""

    kind: str
    occurred_on: dt.date
    customer_code: str | None
    prospect_code: str | None
    user: str | None
    planned: bool = False


class PipelineReader(PortfolioReader):
    """``PortfolioReader`` with the reads of prospects and sales activity."""

    def prospects(self) -> list[ProspectRow]:
        """Visible prospects, by code."""
        best = (
            select(
                Contact.prospect_id,
                func.max(case((Contact.function.is_not(None) & Contact.email.is_not(None), 2), else_=1)).label("level"),
            )
            .where(Contact.prospect_id.is_not(None))
            .group_by(Contact.prospect_id)
            .subquery()
        )
        columns = {
            "code": Prospect.code,
            "name": Prospect.name,
            "stage": Prospect.stage,
            "source": Prospect.source,
            "region": Region.code,
            "segment": Segment.code,
            "owner": User.username,
            "potential_cents": Prospect.potential_cents,
            "accessibility_score": Prospect.accessibility_score,
            "potential_score": Prospect.potential_score,
            "has_project": Prospect.has_project,
            "last_similar_purchase_on": Prospect.last_similar_purchase_on,
            "contact_knowledge": Prospect.contact_knowledge,
            "receptivity": Prospect.receptivity,
            "timing": Prospect.timing,
            "contact": best.c.level,
            "lost_reason": Prospect.lost_reason,
            "created_on": Prospect.created_on,
            "customer_code": Customer.code,
        }
        query: Select[*tuple[Any, ...]] = (
            select(*(column.label(name) for name, column in columns.items()))
            .select_from(Prospect)
            .outerjoin(Region, Region.id == Prospect.region_id)
            .outerjoin(Segment, Segment.id == Prospect.segment_id)
            .outerjoin(User, User.id == Prospect.owner_id)
            .outerjoin(Customer, Customer.id == Prospect.customer_id)
            .outerjoin(best, best.c.prospect_id == Prospect.id)
            .where(self.visible(Prospect))
            .order_by(Prospect.code)
        )
        levels = {2: "identified", 1: "named", None: None}
        with self.connect() as conn:
            return [ProspectRow(**{**row._mapping, "contact": levels[row.contact]}) for row in conn.execute(query)]

    def stage_changes(self) -> list[StageChangeRow]:
        """The stage history of the visible prospects, by date then record order."""
        query = (
            select(Prospect.code, StageChange.from_stage, StageChange.to_stage, StageChange.changed_on, User.username)
            .join(Prospect, Prospect.id == StageChange.prospect_id)
            .outerjoin(User, User.id == StageChange.user_id)
            .where(self.visible(Prospect))
            .order_by(StageChange.changed_on, StageChange.id)
        )
        with self.connect() as conn:
            return [StageChangeRow(*row) for row in conn.execute(query)]

    def activities(
        self,
        start: dt.date | None = None,
        end: dt.date | None = None,
        *,
        customer_code: str | None = None,
        planned: bool | None = False,
    ) -> list[ActivityRow]:
        """Visible activities dated ``start`` to ``end`` inclusive (open bounds
        when None), by date then record order (only those about customer
        ``customer_code`` when given): those made (``planned`` False, the
        default), those planned (True) or both (None)."""
        query = (
            select(Activity.kind, Activity.occurred_on, Customer.code, Prospect.code, User.username, Activity.planned)
            .outerjoin(Customer, Customer.id == Activity.customer_id)
            .outerjoin(Prospect, Prospect.id == Activity.prospect_id)
            .outerjoin(User, User.id == Activity.user_id)
            .where(self.visible_about(Activity.customer_id, Activity.prospect_id))
            .order_by(Activity.occurred_on, Activity.id)
        )
        if start is not None:
            query = query.where(Activity.occurred_on >= start)
        if end is not None:
            query = query.where(Activity.occurred_on <= end)
        if customer_code is not None:
            query = query.where(Customer.code == customer_code)
        if planned is not None:
            query = query.where(Activity.planned.is_(planned))
        with self.connect() as conn:
            return [ActivityRow(*row) for row in conn.execute(query)]

    def latest_activity_date(self, until: dt.date | None = None) -> dt.date | None:
        """The date of the latest visible activity made (not planned; on or before
        ``until`` when given), None when there is none."""
        query = select(func.max(Activity.occurred_on)).where(
            self.visible_about(Activity.customer_id, Activity.prospect_id), Activity.planned.is_(False)
        )
        if until is not None:
            query = query.where(Activity.occurred_on <= until)
        with self.connect() as conn:
            day: dt.date | None = conn.scalar(query)
            return day

    def last_contacts(self, as_of: dt.date) -> dict[str, dt.date | None]:
        """Every visible customer's latest activity on or before ``as_of`` (None
        when never contacted), by customer code."""
        last = (
            select(Activity.customer_id, func.max(Activity.occurred_on).label("last"))
            .where(Activity.customer_id.is_not(None), Activity.occurred_on <= as_of, Activity.planned.is_(False))
            .group_by(Activity.customer_id)
            .subquery()
        )
        query = (
            select(Customer.code, last.c.last)
            .outerjoin(last, last.c.customer_id == Customer.id)
            .where(self.visible(Customer))
            .order_by(Customer.code)
        )
        with self.connect() as conn:
            return {code: day for code, day in conn.execute(query)}

    def planned_due(self, today: dt.date) -> list[ActivityRow]:
        """The planned activities about visible customers whose day has come
        (dated ``today`` or before) and that no activity made on the same
        customer has followed (logged after it, or dated on or after its day):
        the follow-ups overdue, the oldest first."""
        made = aliased(Activity)
        followed = (
            select(made.id)
            .where(
                made.customer_id == Activity.customer_id,
                made.planned.is_(False),
                (made.id > Activity.id) | (made.occurred_on >= Activity.occurred_on),
            )
            .exists()
        )
        query = (
            select(Activity.kind, Activity.occurred_on, Customer.code, null(), User.username, Activity.planned)
            .join(Customer, Customer.id == Activity.customer_id)
            .outerjoin(User, User.id == Activity.user_id)
            .where(self.visible(Customer), Activity.planned.is_(True), Activity.occurred_on <= today, ~followed)
            .order_by(Activity.occurred_on, Activity.id)
        )
        with self.connect() as conn:
            return [ActivityRow(*row) for row in conn.execute(query)]

    def customer_names(self) -> dict[str, str]:
        """Names of the visible customers, by code."""
        query = select(Customer.code, Customer.name).where(self.visible(Customer))
        with self.connect() as conn:
            return {code: name for code, name in conn.execute(query)}


def move_prospect(
    store: Store,
    principal: Principal,
    code: str,
    stage: str,
    *,
    on: dt.date,
    reason: str | None = None,
    chain_key: bytes | None = None,
) -> StageChangeRow:
    """Move the visible prospect ``code`` to ``stage`` on the day ``on``, for
    ``principal``: the stage history gets a row (who: the user of the
    principal's username, when: ``on``) and the prospect its new stage (and its
    lost reason, required when the stage is ``lost``).  Raises
    ``ClientfolioError`` for an unknown stage, a prospect out of sight (never
    told apart from one that does not exist) or a move to its current stage."""
    if stage not in PROSPECT_STAGES:
        raise ClientfolioError(
            "unknown stage '{stage}'; use one of {stages}", stage=stage, stages=", ".join(PROSPECT_STAGES)
        )
    if stage == "lost" and not (reason and reason.strip()):
        raise ClientfolioError("a prospect is lost for a reason: give it")
    reader = PipelineReader(store, principal)
    with reader.begin() as conn:
        found = conn.execute(
            select(Prospect.id, Prospect.stage).where(Prospect.code == code, reader.visible(Prospect))
        ).first()
        if found is None:
            if chain_key is not None:
                _audit_refusal(store, principal, code, stage, chain_key)
            raise ClientfolioError("no prospect '{code}' in your scope", code=code)
        if found.stage == stage:
            raise ClientfolioError("prospect '{code}' is already at stage {stage}", code=code, stage=stage)
        user_id = conn.execute(select(User.id).where(User.username == principal.username)).scalar()
        conn.execute(
            insert(StageChange).values(
                prospect_id=found.id, from_stage=found.stage, to_stage=stage, changed_on=on, user_id=user_id
            )
        )
        conn.execute(
            update(Prospect)
            .where(Prospect.id == found.id)
            .values(stage=stage, lost_reason=reason.strip() if stage == "lost" and reason else None)
        )
        if chain_key is not None:
            record_event(
                conn,
                actor=principal.username,
                action="prospect.stage",
                target=code,
                details={"before": found.stage, "after": stage, "on": on.isoformat(), "reason": reason},
                chain_key=chain_key,
            )
    return StageChangeRow(code, found.stage, stage, on, principal.username if user_id else None)


def _audit_refusal(store: Store, principal: Principal, code: str, stage: str, chain_key: bytes) -> None:
    """Log a refused move (a prospect out of sight) in its own transaction: the
    move's transaction is rolled back with the refusal."""
    with store.begin() as conn:
        record_event(
            conn,
            actor=principal.username,
            action="prospect.stage.refused",
            target=code,
            details={"stage": stage, "reason": "not in scope or unknown"},
            chain_key=chain_key,
        )
