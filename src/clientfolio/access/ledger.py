"""Scoped reads that accounting exports need beyond ``PortfolioReader``."""

from __future__ import annotations

from sqlalchemy import select

from clientfolio.access.reader import PortfolioReader
from clientfolio.store.schema import ProductLine

__all__ = ["LedgerReader"]


class LedgerReader(PortfolioReader):
    """``PortfolioReader`` with the reads of the FEC export."""

    def product_lines(self) -> dict[str, str]:
        """Names of the visible product lines, by code."""
        query = select(ProductLine.code, ProductLine.name).where(self.visible_lines()).order_by(ProductLine.code)
        with self.connect() as conn:
            return {code: name for code, name in conn.execute(query)}
