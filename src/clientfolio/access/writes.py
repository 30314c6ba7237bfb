"""Scoped writes: an actor creates or changes only rows inside its scope.

Reads are scoped by ``PortfolioReader``; this module is the same rule for
writes (imports, moves, plan and SWOT edits, assessments):

- a customer or prospect may be written when it stays inside the actor's
  regions and segments, and, when it already exists, when it was inside them;
  a row outside is refused with ONE reason (``OUTSIDE_SCOPE``) whether or not
  its code exists, so that a dry run tells nothing of the rows out of sight;
- an invoice may be written for a visible customer only (an unknown customer
  is refused with the same reason: a scoped actor creates customers through a
  customers file, where their region and segment are given);
- what belongs to the whole company (the product catalogue, an FEC ledger,
  the plan's header, company SWOT items and figures, the self-assessment) needs
  a principal who sees the whole company (``whole_company``).

On PostgreSQL the row-level security policies hold the same line (``access.rls``).
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from clientfolio.access.principal import Principal
from clientfolio.errors import AccessDenied
from clientfolio.store.schema import Customer, Invoice, Prospect, Region, Segment

__all__ = ["COMPANY_ONLY", "OUTSIDE_SCOPE", "WriteGuard", "require_whole_company", "whole_company"]

OUTSIDE_SCOPE = "outside your scope: you may not write this row"
"""The one reason of a refused row (the same for a code that exists and one that does not)."""

COMPANY_ONLY = "only a user who sees the whole company may change this"
"""The reason a company-level change (plan header, company SWOT item, catalogue) is refused."""


def whole_company(principal: Principal) -> bool:
    """True when ``principal`` has no limit on any dimension (sees the whole company)."""
    scope = principal.scope
    return scope.regions is None and scope.segments is None and scope.product_lines is None


def require_whole_company(principal: Principal) -> None:
    """Raise ``AccessDenied`` (``COMPANY_ONLY``) unless ``principal`` sees the whole company."""
    if not whole_company(principal):
        raise AccessDenied(COMPANY_ONLY)


class WriteGuard:
    """The write checks of one import (or edit) on ``conn``, for ``principal``."""

    def __init__(self, conn: Connection, principal: Principal) -> None:
        self.conn = conn
        self.principal = principal
        scope = principal.scope
        self.unlimited = scope.regions is None and scope.segments is None
        self._regions: set[int] | None = (
            None
            if scope.regions is None
            else {i for (i,) in conn.execute(select(Region.id).where(Region.code.in_(scope.regions)))}
        )
        self._segments: set[int] | None = (
            None
            if scope.segments is None
            else {i for (i,) in conn.execute(select(Segment.id).where(Segment.code.in_(scope.segments)))}
        )

    def inside(self, region_id: int | None, segment_id: int | None) -> bool:
        """Whether a party of ``region_id`` and ``segment_id`` is inside the scope
        (no region or segment: inside only a scope without limit on it)."""
        return (self._regions is None or region_id in self._regions) and (
            self._segments is None or segment_id in self._segments
        )

    def may_write_party(
        self, kind: str, code: str, stored: object | None, region_id: int | None, segment_id: int | None
    ) -> bool:
        """Whether customer or prospect ``code`` may be written with the region
        and segment it will have; ``stored`` is its stored row as seen by the
        import (None when not seen: new, or hidden by row-level security)."""
        if self.unlimited:
            return True
        if not self.inside(region_id, segment_id):
            return False
        if stored is not None:
            return self.inside(getattr(stored, "region_id", None), getattr(stored, "segment_id", None))
        return not self.taken(kind, code)

    def taken(self, kind: str, code: str) -> bool:
        """Whether ``code`` is already used in ``kind`` (customers, prospects,
        invoices), even out of sight (PostgreSQL: ``clientfolio_taken``)."""
        if self.conn.dialect.name == "postgresql":
            found = self.conn.execute(
                text("SELECT clientfolio_taken(:kind, CAST(:codes AS text[]))"), {"kind": kind, "codes": [code]}
            ).scalar_one()
            return bool(found)
        model = {"customers": Customer.code, "prospects": Prospect.code, "invoices": Invoice.number}[kind]
        return self.conn.execute(select(model).where(model == code)).first() is not None

    def customer_ids(self) -> set[int] | None:
        """Ids of the customers inside the scope (None: all)."""
        if self.unlimited:
            return None
        query = select(Customer.id)
        if self._regions is not None:
            query = query.where(Customer.region_id.in_(self._regions))
        if self._segments is not None:
            query = query.where(Customer.segment_id.in_(self._segments))
        return {i for (i,) in self.conn.execute(query)}
