"""The key ring: where master keys come from, the key file, derived keys."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clientfolio.errors import KeyMissing
from clientfolio.protect.keys import KeyRing
from clientfolio.settings import Settings

MASTER = bytes(range(32))


def settings(tmp_path: Path) -> Settings:
    return Settings(key_file=str(tmp_path / "secret" / "clientfolio.key"))


def test_subkey_is_hkdf_sha256_of_the_current_master() -> None:
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"clientfolio/email-index").derive(MASTER)
    ring = KeyRing.for_tests(MASTER)
    assert ring.subkey("email-index") == expected
    assert ring.subkey("backup") != expected and len(ring.subkey("backup")) == 32
    assert ring.field_key(1) == HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"clientfolio/field").derive(
        MASTER
    )


def test_signing_key_is_deterministic_and_verifies() -> None:
    one, two = KeyRing.for_tests(MASTER), KeyRing.for_tests(MASTER)
    signature = one.signing_key().sign(b"export 42")
    two.verify_key().verify(signature, b"export 42")  # raises when it does not verify
    other = KeyRing.for_tests(bytes(32)).verify_key()
    with pytest.raises(InvalidSignature):
        other.verify(signature, b"export 42")


def test_missing_key_is_refused_without_create(tmp_path: Path) -> None:
    with pytest.raises(KeyMissing, match="^no key: set CLIENTFOLIO_KEY or put the key file at "):
        KeyRing.load(settings(tmp_path), environ={})


def test_created_key_file_is_written_0600_on_first_use(tmp_path: Path) -> None:
    conf = settings(tmp_path)
    path = Path(conf.key_file)
    ring = KeyRing.load(conf, create=True, environ={})
    assert not path.exists()  # nothing derived yet: nothing written
    fingerprint = ring.fingerprint()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text())
    assert (data["format"], data["current"], list(data["keys"]), data["retired"]) == (
        "clientfolio-keyring",
        1,
        ["1"],
        {},
    )
    again = KeyRing.load(conf, environ={})
    assert again.fingerprint() == fingerprint and again.path == path
    assert base64.b64decode(data["keys"]["1"]) == again.keys[1]


def test_environment_key_wins_over_the_file(tmp_path: Path) -> None:
    conf = settings(tmp_path)
    KeyRing.load(conf, create=True, environ={}).fingerprint()
    encoded = base64.b64encode(MASTER).decode()
    ring = KeyRing.load(conf, environ={"CLIENTFOLIO_KEY": encoded})
    assert (ring.keys, ring.current, ring.path) == ({1: MASTER}, 1, None)
    assert KeyRing.load(conf, environ={"CLIENTFOLIO_KEY": f"3:{encoded}"}).keys == {3: MASTER}
    with pytest.raises(KeyMissing, match="a key is 32 bytes, this one is 3"):
        KeyRing.load(conf, environ={"CLIENTFOLIO_KEY": "YWJj"})
    with pytest.raises(KeyMissing, match="not base64"):
        KeyRing.load(conf, environ={"CLIENTFOLIO_KEY": "not base64!"})
    with pytest.raises(KeyMissing, match="cannot be saved"):
        ring.save()


def test_rotation_steps_of_the_ring(tmp_path: Path) -> None:
    ring = KeyRing(keys={1: MASTER}, current=1, path=tmp_path / "k.key")
    rotating = ring.with_new_key()
    assert (sorted(rotating.keys), rotating.current) == ([1, 2], 2)
    assert rotating.field_key(1) == ring.field_key(1)
    retired = rotating.retire_old()
    assert (list(retired.keys), list(retired.retired)) == ([2], [1])
    assert retired.field_key(1) == ring.field_key(1)  # what an old backup brings back still opens
    assert retired.subkey("backup", 1) == ring.subkey("backup")  # old backups still open
    retired.save()
    assert KeyRing.read(tmp_path / "k.key") == retired
    assert retired.with_new_key().current == 3  # ids are never reused
    forgotten = retired.with_new_key().retire_old(forget=True)
    assert (list(forgotten.keys), dict(forgotten.retired)) == ([3], {})
    with pytest.raises(KeyMissing, match="key 9 is not in the key ring"):
        forgotten.subkey("backup", 9)


def test_damaged_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text(
        '{"format": "clientfolio-keyring", "current": 2, "keys": {"1": "' + base64.b64encode(MASTER).decode() + '"}}'
    )
    with pytest.raises(KeyMissing, match="names key 2 as current but does not hold it"):
        KeyRing.read(path)
    path.write_text("{}")
    with pytest.raises(KeyMissing, match="is not a Clientfolio key file"):
        KeyRing.read(path)
