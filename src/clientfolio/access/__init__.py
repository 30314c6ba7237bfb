"""The one scoped data layer: every read of customer data goes through here.

A ``Principal`` is who is reading and what they may see: their need-to-know
scope (*besoin d'en connaître*) on regions, segments and product lines.
``PortfolioReader`` answers the reads of the rest of the application for one
principal, filtering rows by that scope.  Shells never query customer tables
themselves.  A domain package that writes its own rows about customers (the
plan's actions and SWOT items) queries through the reader's door: one
connection or transaction bound to the principal's scope (``connect``,
``begin``: row-level security on PostgreSQL) and the scope's conditions
(``visible``, ``visible_ids``, ``visible_about``).

The access layer imports no domain package: what it needs of protection (the
key ring, field encryption, the audit writer) are leaves below it
(``clientfolio.keyring``, ``crypto``, ``audit_log``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.access.pipeline import (
        ActivityRow,
        PipelineReader,
        ProspectRow,
        StageChangeRow,
        move_prospect,
    )
    from clientfolio.access.principal import SYSTEM, Principal, Scope
    from clientfolio.access.reader import ContactRow, PortfolioReader, SaleRow

__all__ = [
    "SYSTEM",
    "ActivityRow",
    "ContactRow",
    "PipelineReader",
    "PortfolioReader",
    "Principal",
    "ProspectRow",
    "SaleRow",
    "Scope",
    "StageChangeRow",
    "move_prospect",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.access.pipeline": (
            "ActivityRow",
            "PipelineReader",
            "ProspectRow",
            "StageChangeRow",
            "move_prospect",
        ),
        "clientfolio.access.principal": (
            "SYSTEM",
            "Principal",
            "Scope",
        ),
        "clientfolio.access.reader": (
            "ContactRow",
            "PortfolioReader",
            "SaleRow",
        ),
    },
)
