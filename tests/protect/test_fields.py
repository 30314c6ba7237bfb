"""Field encryption (AES-GCM bound to table, record and field), the blind index,
and the writers and readers that use them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text

from clientfolio.access import SYSTEM, ContactRow, PortfolioReader, Principal, Scope
from clientfolio.errors import DecryptionFailed, KeyMissing
from clientfolio.ingest import import_file
from clientfolio.protect.fields import (
    decrypt_field,
    email_index,
    encrypt_field,
    open_field,
    token_key_id,
)
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store

RING = KeyRing.for_tests(b"k" * 32)
OTHER = KeyRing.for_tests(b"o" * 32)

CUSTOMERS = (
    "Code client;Raison sociale;Région;Adresse;Contact;Fonction;Email;Téléphone\n"
    "C1;Paul;Nord;12 rue de la Paix;Marie Curie;Gérante; Marie.Curie@Example.FR ;01 23 45 67 89\n"
    "C2;Renault;Sud;;Pierre Curie;;pierre@example.fr;\n"
)


def test_token_format_and_round_trip() -> None:
    token = encrypt_field(RING, "contacts", 7, "email", "marie@example.fr")
    version, key_id, data = token.split(":")
    raw = base64.b64decode(data)
    assert (version, key_id, len(raw)) == ("v1", "1", 12 + len("marie@example.fr") + 16)
    # the token is AES-GCM under the field key, the nonce first, "table:id:field" as associated data
    assert AESGCM(RING.field_key(1)).decrypt(raw[:12], raw[12:], b"contacts:7:email") == b"marie@example.fr"
    assert decrypt_field(RING, "contacts", 7, "email", token) == "marie@example.fr"
    assert token != encrypt_field(RING, "contacts", 7, "email", "marie@example.fr")  # fresh nonce
    assert token_key_id(token) == 1


def test_moved_tampered_or_foreign_tokens_do_not_open() -> None:
    token = encrypt_field(RING, "contacts", 7, "email", "marie@example.fr")
    with pytest.raises(DecryptionFailed, match="contacts.email of record 8 does not open with key 1"):
        decrypt_field(RING, "contacts", 8, "email", token)
    with pytest.raises(DecryptionFailed):
        decrypt_field(RING, "contacts", 7, "phone", token)
    with pytest.raises(DecryptionFailed):
        decrypt_field(RING, "customers", 7, "email", token)
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(DecryptionFailed, match="wrong key, or the value was altered"):
        decrypt_field(RING, "contacts", 7, "email", flipped)
    with pytest.raises(DecryptionFailed, match="wrong key"):
        decrypt_field(OTHER, "contacts", 7, "email", token)
    with pytest.raises(DecryptionFailed, match="key 5 is not in the key ring"):
        decrypt_field(RING, "contacts", 7, "email", "v1:5:" + token.split(":")[2])


def test_open_field_passes_plain_values_and_needs_a_key_for_tokens() -> None:
    assert open_field(None, "customers", 1, "address", "1 rue Haute") == "1 rue Haute"
    assert open_field(RING, "customers", 1, "address", None) is None
    token = encrypt_field(RING, "customers", 1, "address", "1 rue Haute")
    with pytest.raises(KeyMissing, match="^no key: customers.address is encrypted"):
        open_field(None, "customers", 1, "address", token)


def test_blind_index_is_hmac_of_the_normalised_email() -> None:
    expected = hmac.new(RING.subkey("email-index"), b"marie.curie@example.fr", hashlib.sha256).hexdigest()
    assert email_index(RING, "  Marie.Curie@Example.FR ") == expected
    assert email_index(OTHER, "marie.curie@example.fr") != expected


def _import(store: Store, tmp_path: Path, ring: KeyRing | None) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    import_file(store, path, kind="customers", ring=ring)


def test_import_stores_ciphertext_and_the_reader_decrypts(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path, RING)
    with store.engine.connect() as conn:
        raw = [
            tuple(r)
            for r in conn.execute(text("SELECT name, function, email, phone, email_index FROM contacts ORDER BY id"))
        ]
        address = conn.execute(text("SELECT address FROM customers WHERE code = 'C1'")).scalar_one()
    assert all(value.startswith("v1:1:") for row in raw for value in (row[0], row[2]))
    assert raw[0][1] == "Gérante" and raw[1][3] is None  # function is not sensitive; NULL stays NULL
    assert raw[0][4] == email_index(RING, "marie.curie@example.fr")
    assert "Curie" not in str(raw) and "Paix" not in address
    reader = PortfolioReader(store, SYSTEM)
    assert reader.contacts("C1", RING) == [
        ContactRow("customer", "C1", "Marie Curie", "Gérante", "marie.curie@example.fr", "01 23 45 67 89")
    ]
    assert [c.address for c in reader.customers(RING)] == ["12 rue de la Paix", None]
    assert [c.name for c in reader.find_contact_by_email(" PIERRE@example.fr", RING)] == ["Pierre Curie"]
    assert reader.find_contact_by_email("nobody@example.fr", RING) == []
    with pytest.raises(KeyMissing):
        reader.contacts("C1", None)
    with pytest.raises(DecryptionFailed):
        reader.contacts("C1", OTHER)


def test_contacts_and_email_search_are_scoped(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path, RING)
    south = PortfolioReader(store, Principal("sud", "sales", Scope(regions=frozenset({"SUD"}))))
    assert south.contacts("C1", RING) == []
    assert south.find_contact_by_email("marie.curie@example.fr", RING) == []
    assert [c.code for c in south.find_contact_by_email("pierre@example.fr", RING)] == ["C2"]


def test_reimport_with_encryption_changes_nothing(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path, RING)
    again = tmp_path / "clients-bis.csv"  # same rows, another file: compared field by field
    again.write_text(CUSTOMERS + "\n", encoding="utf-8")
    result = import_file(store, again, kind="customers", ring=RING)
    assert result.updated == {} and result.unchanged == {"customers": 2}
    assert result.created.get("contacts", 0) == 0


def test_without_a_ring_values_stay_plain(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path, None)
    assert PortfolioReader(store, SYSTEM).contacts("C2", None) == [
        ContactRow("customer", "C2", "Pierre Curie", None, "pierre@example.fr", None)
    ]
