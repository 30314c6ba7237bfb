"""The check of French company identifiers (a leaf: imports nothing of the domain).

SIREN (9 digits) and SIRET (14 digits) numbers end with a Luhn check digit;
the import validates them with it, the demo and the export traps make valid
ones with it.
"""

from __future__ import annotations

__all__ = ["luhn_valid"]


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn check, as SIREN and SIRET numbers do."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
