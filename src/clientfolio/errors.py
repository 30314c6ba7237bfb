"""Domain errors. Raised in the library, turned into exit codes or HTTP statuses
only by the shells."""

from __future__ import annotations

__all__ = ["ClientfolioError", "StoreError"]


class ClientfolioError(Exception):
    """Base class of every error Clientfolio raises on purpose."""


class StoreError(ClientfolioError):
    """The customer store cannot be opened or migrated."""
