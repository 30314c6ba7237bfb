"""TOTP (RFC 6238): the appendix B test vectors, the ±1 step window, no replay."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from clientfolio.protect.totp import (
    hotp,
    new_totp_secret,
    provisioning_uri,
    totp,
    totp_step,
    verify_totp,
)

SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
# RFC 6238 appendix B: (Unix time, SHA1, SHA256, SHA512), 8 digits
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(seconds: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp(SEEDS[algorithm], seconds, digits=8, algorithm=algorithm) == expected
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    assert totp(SEEDS["sha1"], moment, digits=8) == sha1


def test_rfc4226_hotp_vectors() -> None:
    # RFC 4226 appendix D, counters 0 to 3
    assert [hotp(SEEDS["sha1"], c) for c in range(4)] == ["755224", "287082", "359152", "969429"]


def test_base32_secret() -> None:
    secret = new_totp_secret()
    assert len(base64.b32decode(secret)) == 20 and secret != new_totp_secret()
    key = base64.b32encode(SEEDS["sha1"]).decode()
    assert totp(key, 59) == "287082"  # last 6 digits of 94287082
    assert totp(key.lower()[:16] + " " + key.lower()[16:], 59) == "287082"


def test_verify_accepts_one_step_either_side_and_refuses_replay() -> None:
    secret = new_totp_secret()
    now = dt.datetime(2025, 3, 1, 12, 0, 10, tzinfo=dt.UTC)
    step = totp_step(now)
    code = {d: hotp(base64.b32decode(secret), step + d) for d in (-2, -1, 0, 1, 2)}
    assert verify_totp(secret, code[0], now=now) == step
    assert verify_totp(secret, code[-1], now=now) == step - 1
    assert verify_totp(secret, code[1], now=now) == step + 1
    assert verify_totp(secret, code[-2], now=now) is None
    assert verify_totp(secret, code[2], now=now) is None
    assert verify_totp(secret, code[0], now=now, last_step=step) is None  # already used
    assert verify_totp(secret, code[1], now=now, last_step=step) == step + 1
    assert verify_totp(secret, " " + code[0][:3] + " " + code[0][3:], now=now) == step
    for bad in ("", "12345", "1234567", "abcdef"):
        assert verify_totp(secret, bad, now=now) is None


def test_provisioning_uri() -> None:
    uri = provisioning_uri("JBSWY3DPEHPK3PXP", "jleroy")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == ("otpauth", "totp", "/Clientfolio%3Ajleroy")
    assert parse_qs(parts.query) == {
        "secret": ["JBSWY3DPEHPK3PXP"],
        "issuer": ["Clientfolio"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
