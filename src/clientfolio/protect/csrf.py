"""CSRF tokens bound to a session, for the forms and API calls of the web app.

The token of a session is ``HMAC-SHA256(key, "csrf" || session token)``: the
server keeps nothing more than the session, a token made for one session is
worthless in another, and a page that leaks its token leaks nothing of the
session cookie.  ``key`` is a secret outside the database (the web app takes
``KeyRing.subkey("csrf")``).

Each call of ``csrf_token`` returns the token masked with a fresh random pad
(``pad || pad XOR token``, base64url), so that a page never shows the same
bytes twice (no BREACH-style recovery through compressed HTTPS responses);
``verify_csrf`` unmasks and compares in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = ["csrf_token", "verify_csrf"]

_SIZE = 32  # bytes of an HMAC-SHA256


def _raw(session_token: str, key: bytes) -> bytes:
    return hmac.new(key, b"csrf\x00" + session_token.encode("utf-8"), hashlib.sha256).digest()


def csrf_token(session_token: str, key: bytes) -> str:
    """A masked CSRF token for the session of ``session_token`` (88 characters)."""
    pad = secrets.token_bytes(_SIZE)
    masked = bytes(a ^ b for a, b in zip(pad, _raw(session_token, key), strict=True))
    return base64.urlsafe_b64encode(pad + masked).decode("ascii")


def verify_csrf(session_token: str, candidate: str | None, key: bytes) -> bool:
    """Whether ``candidate`` (from a form field or an ``X-CSRF-Token`` header)
    is a token of this session under ``key``; False for anything malformed."""
    if not candidate or not session_token:
        return False
    try:
        data = base64.urlsafe_b64decode(candidate.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    if len(data) != 2 * _SIZE:
        return False
    token = bytes(a ^ b for a, b in zip(data[:_SIZE], data[_SIZE:], strict=True))
    return hmac.compare_digest(token, _raw(session_token, key))
