"""Encryption at rest of the sensitive fields, and the blind index of emails.

A leaf below the access layer (it imports no domain package), so that the
access layer opens the fields it reads; ``protect.fields`` is its public name
in the protect package.

A sensitive value is stored as the text token ``v1:<key id>:<base64(nonce +
ciphertext)>``: AES-256-GCM under ``KeyRing.field_key(key id)``, a random 96-bit
nonce, and the associated data ``"<table>:<record id>:<field>"``, so a token
copied to another record or field, or altered by one bit, does not open.

Values written before encryption existed (or by a library call given no key
ring) are plain text; ``open_field`` returns them as they are, ``keys status``
counts them and ``keys rotate`` encrypts them.

An email is found without decrypting every row through its *blind index*:
``HMAC-SHA256(subkey("email-index"), trimmed lower-cased email)`` in hex, kept
in ``contacts.email_index``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clientfolio.errors import DecryptionFailed, KeyMissing
from clientfolio.keyring import KeyRing

__all__ = [
    "SENSITIVE_FIELDS",
    "contact_values",
    "decrypt_field",
    "email_index",
    "encrypt_field",
    "is_token",
    "normalize_email",
    "open_field",
    "seal_field",
    "seal_rows",
    "token_key_id",
]

SENSITIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "contacts": ("name", "email", "phone"),
    "customers": ("address",),
    "activities": ("outcome",),
    "actions": ("comments",),
}
"""The encrypted columns, by table."""

_VERSION = "v1"
_NONCE = 12


def _associated(table: str, record_id: int, field: str) -> bytes:
    return f"{table}:{record_id}:{field}".encode()


def is_token(value: str) -> bool:
    """Whether a stored value is an encrypted token (else it is plain text)."""
    return value.startswith(_VERSION + ":")


def token_key_id(token: str) -> int:
    """The master key id a token was encrypted under."""
    try:
        version, key_id, _ = token.split(":", 2)
        if version != _VERSION:
            raise ValueError(version)
        return int(key_id)
    except ValueError:
        raise DecryptionFailed("not an encrypted value (expected v1:<key id>:<data>)") from None


def encrypt_field(ring: KeyRing, table: str, record_id: int, field: str, plaintext: str) -> str:
    """The token of ``plaintext`` for ``table.field`` of record ``record_id``,
    under the ring's current key."""
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(ring.field_key(ring.current)).encrypt(
        nonce, plaintext.encode("utf-8"), _associated(table, record_id, field)
    )
    return f"{_VERSION}:{ring.current}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt_field(ring: KeyRing, table: str, record_id: int, field: str, token: str) -> str:
    """The plaintext of ``token``; raises ``DecryptionFailed`` when the key is
    wrong or missing, or the token was altered or moved."""
    key_id = token_key_id(token)
    where = {"table": table, "field": field, "record_id": str(record_id), "key_id": str(key_id)}
    if key_id not in ring.keys and key_id not in ring.retired:
        raise DecryptionFailed(
            "{table}.{field} of record {record_id} does not open: key {key_id} is {state_msg}",
            **where,
            state_msg=ring.key_state(key_id),
        )
    key = ring.field_key(key_id)
    try:
        raw = base64.b64decode(token.split(":", 2)[2], validate=True)
        plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _associated(table, record_id, field))
        return plain.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionFailed(
            "{table}.{field} of record {record_id} does not open with key {key_id}: "
            "wrong key, or the value was altered",
            **where,
        ) from None


def seal_field(ring: KeyRing | None, table: str, record_id: int, field: str, value: str | None) -> str | None:
    """What a writer stores: ``None`` stays ``None``; without a ring, the plain value."""
    if value is None or ring is None:
        return value
    return encrypt_field(ring, table, record_id, field, value)


def open_field(ring: KeyRing | None, table: str, record_id: int, field: str, stored: str | None) -> str | None:
    """What a reader returns: ``None`` and plain values as they are, tokens
    decrypted (a token without a ring raises ``KeyMissing``)."""
    if stored is None or not is_token(stored):
        return stored
    if ring is None:
        raise KeyMissing(
            "no key: {table}.{field} is encrypted (set CLIENTFOLIO_KEY or the key file)", table=table, field=field
        )
    return decrypt_field(ring, table, record_id, field, stored)


def normalize_email(email: str) -> str:
    """The form an email is indexed under: trimmed and lower-cased."""
    return email.strip().lower()


def email_index(ring: KeyRing, email: str) -> str:
    """The blind index of ``email`` (64 hex digits) under the current key."""
    return hmac.new(ring.subkey("email-index"), normalize_email(email).encode("utf-8"), hashlib.sha256).hexdigest()


def contact_values(ring: KeyRing | None, contact_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The column values of contact ``contact_id`` as stored: its name, email and
    phone sealed, and ``email_index`` set whenever ``email`` is given (with a ring)."""
    stored = dict(values)
    for name in SENSITIVE_FIELDS["contacts"]:
        if name in stored:
            stored[name] = seal_field(ring, "contacts", contact_id, name, stored[name])
    if ring is not None and "email" in values:
        stored["email_index"] = email_index(ring, values["email"]) if values["email"] else None
    return stored


def seal_rows(
    ring: KeyRing, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Rows of ``table`` (tuples in the order of ``columns``, ``"id"`` among them)
    as stored: sensitive columns sealed; contacts gain their ``email_index``."""
    columns = tuple(columns)
    secret = [i for i, c in enumerate(columns) if c in SENSITIVE_FIELDS.get(table, ())]
    if not secret:
        return columns, rows
    at_id = columns.index("id")
    at_email = columns.index("email") if table == "contacts" and "email" in columns else None
    sealed: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(row)
        for i in secret:
            values[i] = seal_field(ring, table, row[at_id], columns[i], row[i])
        if at_email is not None:
            values.append(email_index(ring, row[at_email]) if row[at_email] else None)
        sealed.append(tuple(values))
    return (*columns, "email_index") if at_email is not None else columns, sealed
