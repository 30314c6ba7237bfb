"""The one scoped data layer: every read of customer data goes through here.

A ``Principal`` is who is reading and what they may see: their need-to-know
scope (*besoin d'en connaître*) on regions, segments and product lines.
``PortfolioReader`` answers the reads of the rest of the application for one
principal, filtering rows by that scope.  Shells never query customer tables
themselves.
"""

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
