"""Clientfolio: measure, develop and protect a customer portfolio.

The library is the product; the ``clientfolio`` command is a thin shell over it::

    from clientfolio import Settings, Store, import_file, PortfolioReader, SYSTEM

    store = Store(Settings().database_url)
    import_file(store, "factures.csv")
    for sale in PortfolioReader(store, SYSTEM).sales():
        ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
    from clientfolio.analytics import PortfolioSummary, summarize
    from clientfolio.errors import ClientfolioError, StoreError
    from clientfolio.ingest import ImportRejected, ImportResult, RowError, import_file, load_mapping
    from clientfolio.settings import Settings
    from clientfolio.store import Store

__version__ = "0.1.0"

__all__ = [
    "SYSTEM",
    "ClientfolioError",
    "ImportRejected",
    "ImportResult",
    "PortfolioReader",
    "PortfolioSummary",
    "Principal",
    "RowError",
    "Scope",
    "Settings",
    "Store",
    "StoreError",
    "__version__",
    "import_file",
    "load_mapping",
    "summarize",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.access": ("SYSTEM", "PortfolioReader", "Principal", "Scope"),
        "clientfolio.analytics": ("PortfolioSummary", "summarize"),
        "clientfolio.errors": ("ClientfolioError", "StoreError"),
        "clientfolio.ingest": ("ImportRejected", "ImportResult", "RowError", "import_file", "load_mapping"),
        "clientfolio.settings": ("Settings",),
        "clientfolio.store": ("Store",),
    },
)
