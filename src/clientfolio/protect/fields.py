"""Encryption at rest of the sensitive fields and the blind index of emails:
``clientfolio.crypto`` (a leaf below the access layer, which opens the fields
it reads), kept here as protect's public name."""

from __future__ import annotations

from clientfolio.crypto import (
    SENSITIVE_FIELDS,
    contact_values,
    decrypt_field,
    email_index,
    encrypt_field,
    is_token,
    normalize_email,
    open_field,
    seal_field,
    seal_rows,
    token_key_id,
)

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
