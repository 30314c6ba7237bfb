"""CSRF tokens: bound to their session and key, masked afresh each time."""

from __future__ import annotations

import base64

from clientfolio.protect.csrf import csrf_token, verify_csrf

KEY = b"c" * 32
SESSION = "session-token-of-alice"


def test_token_verifies_for_its_session_only() -> None:
    token = csrf_token(SESSION, KEY)
    assert len(token) == 88
    assert verify_csrf(SESSION, token, KEY)
    assert not verify_csrf("session-token-of-bob", token, KEY)
    assert not verify_csrf(SESSION, token, b"d" * 32)


def test_each_token_is_masked_differently_and_all_verify() -> None:
    first, second = csrf_token(SESSION, KEY), csrf_token(SESSION, KEY)
    assert first != second
    assert verify_csrf(SESSION, first, KEY) and verify_csrf(SESSION, second, KEY)


def test_altered_or_malformed_tokens_are_refused() -> None:
    raw = bytearray(base64.urlsafe_b64decode(csrf_token(SESSION, KEY)))
    raw[40] ^= 1
    altered = base64.urlsafe_b64encode(bytes(raw)).decode()
    for bad in (
        altered,
        altered[:-4],
        "",
        None,
        "not base64 at all!",
        "é" * 88,
        base64.urlsafe_b64encode(b"x" * 64).decode(),
    ):
        assert not verify_csrf(SESSION, bad, KEY)
    assert not verify_csrf("", csrf_token("", KEY), KEY)
