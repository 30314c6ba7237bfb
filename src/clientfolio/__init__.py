"""Clientfolio: measure, develop and protect a customer portfolio.

The library is the product; the ``clientfolio`` command is a thin shell over it::

    from clientfolio import Settings, Store, import_file, PortfolioReader, SYSTEM

    store = Store(Settings().database_url)
    import_file(store, "factures.csv")
    for sale in PortfolioReader(store, SYSTEM).sales():
        ...
"""

from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
from clientfolio.analytics import PortfolioSummary, summarize
from clientfolio.errors import ClientfolioError, StoreError
from clientfolio.ingest import (
    ImportRejected,
    ImportResult,
    RowError,
    import_file,
    load_mapping,
)
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
