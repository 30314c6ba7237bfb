"""The key ring: ``clientfolio.keyring`` (a leaf below the access layer, which
opens encrypted fields with it), kept here as protect's public name."""

from __future__ import annotations

from clientfolio.keyring import KEY_ENV, KeyRing, KeySettings

__all__ = ["KEY_ENV", "KeyRing", "KeySettings"]
