"""Who reads, and the need-to-know scope they read within."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SYSTEM", "Principal", "Scope"]


@dataclass(frozen=True)
class Scope:
    """Codes a principal may see on each dimension; ``None`` means all of them.

    A customer is visible when its region and its segment are both in scope; an
    invoice line is visible when its customer is visible and its product line is
    in scope.
    """

    regions: frozenset[str] | None = None
    segments: frozenset[str] | None = None
    product_lines: frozenset[str] | None = None


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    scope: Scope = Scope()


SYSTEM = Principal(username="system", role="admin")
"""The principal of local command-line work by the file's owner (full scope)."""
