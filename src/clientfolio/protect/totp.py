"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), with hmac/hashlib.

The second factor of a login is optional per user.  Codes have 6 digits and a
30-second step (what authenticator apps expect); ``verify_totp`` accepts the
codes of the current step and of one step on either side (clock drift), and
refuses a step already used (RFC 6238 section 5.2: no replay), returning the
step to remember.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

__all__ = [
    "DIGITS",
    "STEP_SECONDS",
    "hotp",
    "new_totp_secret",
    "provisioning_uri",
    "totp",
    "totp_step",
    "verify_totp",
]

DIGITS = 6
STEP_SECONDS = 30


def new_totp_secret() -> str:
    """A new random secret: 20 bytes (160 bits, RFC 4226's advice) in base32."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    text = secret.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The RFC 4226 code of ``counter`` under ``key`` (dynamic truncation)."""
    mac = hmac.new(key, struct.pack(">Q", counter), algorithm).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_step(at: dt.datetime | float) -> int:
    """The time step (30 s since the Unix epoch) of ``at`` (a datetime or Unix seconds)."""
    seconds = at.timestamp() if isinstance(at, dt.datetime) else at
    return int(seconds // STEP_SECONDS)


def totp(secret: str | bytes, at: dt.datetime | float, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The code at time ``at`` for ``secret`` (base32 text, or raw key bytes)."""
    return hotp(_key(secret), totp_step(at), digits=digits, algorithm=algorithm)


def verify_totp(
    secret: str | bytes, code: str, *, now: dt.datetime, last_step: int | None = None, window: int = 1
) -> int | None:
    """The step whose code ``code`` is, within ``window`` steps of ``now`` and
    after ``last_step`` (the last accepted one); None when it is not.  The
    comparison is constant-time."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == DIGITS):
        return None
    key, current = _key(secret), totp_step(now)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(hotp(key, step), code) and (last_step is None or step > last_step):
            found = step
    return found


def provisioning_uri(secret: str, username: str, *, issuer: str = "Clientfolio") -> str:
    """The ``otpauth://`` URI an authenticator app reads (usually as a QR code)."""
    label = quote(f"{issuer}:{username}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"
