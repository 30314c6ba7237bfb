"""The key ring: master keys kept outside the database, and the keys derived from them.

A leaf below the access layer (it imports no domain package); ``protect.keys``
is its public name in the protect package.

A master key is 32 random bytes with a small integer id.  The ring holds the
*active* master keys (the current one, plus older ones during a rotation) and
the *retired* ones: after a rotation nothing in the store is encrypted under
them any more, and they are kept only to open the backups made before it (and
the values such a restore brings back, until the next rotation).

Where the master keys come from (``KeyRing.load``):

1. the environment variable ``CLIENTFOLIO_KEY``: ``<base64 of 32 bytes>`` (key
   id 1) or ``<id>:<base64>``; such a ring cannot be rotated in place;
2. else the key file ``settings.key_file`` (default ``./clientfolio.key``).
   ``KeyRing.load(settings, create=True)`` makes a new key when the file is
   missing and writes the file (mode 0600) the first time a key is derived from
   it, so a command that encrypts nothing leaves no key file behind, and nothing
   is ever encrypted under a key that is not saved.

Key file format (JSON, UTF-8)::

    {"format": "clientfolio-keyring", "version": 1, "current": 2,
     "keys": {"2": "<base64>"}, "retired": {"1": "<base64>"}}

Derived keys (HKDF-SHA256, no salt, ``info = b"clientfolio/" + purpose``):
``subkey(purpose)`` from the current master (``"email-index"``, ``"backup"``,
``"sign"`` ...) and ``field_key(key_id)`` (purpose ``"field"``) from the master
named by a ciphertext, so that values written under several keys stay readable
while a rotation runs.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clientfolio.errors import KeyMissing
from clientfolio.i18n import N_

__all__ = ["KEY_ENV", "KeyRing", "KeySettings"]

KEY_ENV = "CLIENTFOLIO_KEY"
KEY_BYTES = 32
_FORMAT = "clientfolio-keyring"


class KeySettings(Protocol):
    """What ``KeyRing.load`` reads from the settings."""

    @property
    def key_file(self) -> str: ...


@functools.lru_cache(maxsize=128)  # derived per request (CSRF tokens, blind indexes): HKDF once per key and purpose
def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"clientfolio/" + purpose.encode()).derive(master)


def _b64_key(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyMissing("{where}: not base64", where=where) from None
    if len(raw) != KEY_BYTES:
        raise KeyMissing(
            "{where}: a key is {size} bytes, this one is {length}", where=where, size=KEY_BYTES, length=len(raw)
        )
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """Master keys by id, the current id, and the file they came from (``None``:
    the environment or a test)."""

    keys: Mapping[int, bytes]
    current: int
    retired: Mapping[int, bytes] = field(default_factory=dict)
    path: Path | None = None
    unsaved: bool = field(default=False, compare=False)  # a new key, its file not yet written

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyMissing(
                "the key ring names key {key_id} as current but does not hold it", key_id=str(self.current)
            )

    # --- loading and saving -------------------------------------------------

    @classmethod
    def for_tests(cls, master: bytes, key_id: int = 1) -> KeyRing:
        """A ring of one master key, held in memory."""
        if len(master) != KEY_BYTES:
            raise KeyMissing("a master key is {size} bytes", size=KEY_BYTES)
        return cls({key_id: master}, key_id)

    @classmethod
    def generate(cls, path: Path | None = None) -> KeyRing:
        """A ring of one new random key (id 1), not saved."""
        return cls({1: secrets.token_bytes(KEY_BYTES)}, 1, path=path)

    @classmethod
    def load(
        cls,
        settings: KeySettings,
        *,
        create: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> KeyRing:
        """The ring from ``CLIENTFOLIO_KEY`` in ``environ`` (default: the process
        environment), else from ``settings.key_file``; with ``create``, a missing
        key file is created (mode 0600) with a new key.  Raises ``KeyMissing``."""
        env = os.environ if environ is None else environ
        if env.get(KEY_ENV):
            return cls.from_env(env[KEY_ENV])
        path = Path(settings.key_file)
        if path.exists():
            return cls.read(path)
        if not create:
            raise KeyMissing(
                "no key: set {variable} or put the key file at {path} "
                "(CLIENTFOLIO_KEY_FILE); the encrypted fields cannot be read without it",
                variable=KEY_ENV,
                path=str(path),
            )
        return replace(cls.generate(path), unsaved=True)

    @classmethod
    def from_env(cls, value: str) -> KeyRing:
        """The one-key ring of ``CLIENTFOLIO_KEY``: ``<base64>`` or ``<id>:<base64>``."""
        key_id, _, text = value.strip().rpartition(":")
        if key_id and not key_id.isdigit():
            raise KeyMissing("{variable}: expected <base64> or <id>:<base64>", variable=KEY_ENV)
        number = int(key_id) if key_id else 1
        return cls({number: _b64_key(text, KEY_ENV)}, number)

    @classmethod
    def read(cls, path: Path) -> KeyRing:
        """The ring saved in the key file ``path``."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != _FORMAT:
                raise KeyMissing("{path} is not a Clientfolio key file", path=str(path))
            keys = {int(k): _b64_key(v, str(path)) for k, v in data["keys"].items()}
            retired = {int(k): _b64_key(v, str(path)) for k, v in data.get("retired", {}).items()}
            return cls(keys, int(data["current"]), retired, path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyMissing("cannot read the key file {path}: {detail}", path=str(path), detail=str(exc)) from None

    def to_json(self) -> str:
        """The key file text of this ring."""
        return (
            json.dumps(
                {
                    "format": _FORMAT,
                    "version": 1,
                    "current": self.current,
                    "keys": {str(k): _b64(v) for k, v in sorted(self.keys.items())},
                    "retired": {str(k): _b64(v) for k, v in sorted(self.retired.items())},
                },
                indent=2,
            )
            + "\n"
        )

    def save(self, *, exclusive: bool = False) -> None:
        """Write the ring to its file, readable by its owner only (0600), through a
        temporary file renamed over the old one.  ``exclusive``: fail if it exists."""
        if self.path is None:
            raise KeyMissing(
                "this key ring comes from {variable}, not from a key file: it cannot be saved", variable=KEY_ENV
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive and self.path.exists():
            raise KeyMissing("the key file {path} already exists", path=str(self.path))
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.to_json())
                f.flush()
                os.fsync(f.fileno())
            if exclusive:
                os.link(temp, self.path)  # fails if another process created it meanwhile
                temp.unlink()
            else:
                os.replace(temp, self.path)
        except FileExistsError:
            raise KeyMissing("the key file {path} already exists", path=str(self.path)) from None
        finally:
            temp.unlink(missing_ok=True)
        object.__setattr__(self, "unsaved", False)

    # --- rotation -----------------------------------------------------------

    @property
    def rotation_interrupted(self) -> bool:
        """Whether a key rotation was started and not finished: the ring holds
        several active keys (a finished rotation leaves only the current one
        active).  ``clientfolio keys recover`` (``rotation.rotate_keys``)
        completes it."""
        return len(self.keys) > 1

    def with_new_key(self) -> KeyRing:
        """This ring plus a new random key, which becomes current."""
        new_id = max([*self.keys, *self.retired]) + 1
        return replace(self, keys={**self.keys, new_id: secrets.token_bytes(KEY_BYTES)}, current=new_id, unsaved=False)

    def retire_old(self, *, forget: bool = False) -> KeyRing:
        """Only the current key stays active; the others move to ``retired`` (for
        old backups), or are dropped with ``forget`` (retired ones too)."""
        old = {k: v for k, v in self.keys.items() if k != self.current}
        retired = {} if forget else {**self.retired, **old}
        return replace(self, keys={self.current: self.keys[self.current]}, retired=retired, unsaved=False)

    # --- derived keys -------------------------------------------------------

    def _master(self, key_id: int, *, retired: bool = False) -> bytes:
        if self.unsaved:
            self.save(exclusive=True)
        if key_id in self.keys:
            return self.keys[key_id]
        if retired and key_id in self.retired:
            return self.retired[key_id]
        raise KeyMissing("key {key_id} is {state_msg}", key_id=str(key_id), state_msg=self.key_state(key_id))

    def key_state(self, key_id: int) -> str:
        """Why the ring cannot open what key ``key_id`` made (a message of the
        catalogs): ``retired`` or ``not in the key ring``."""
        return N_("retired") if key_id in self.retired else N_("not in the key ring")

    def subkey(self, purpose: str, key_id: int | None = None) -> bytes:
        """32 bytes for ``purpose``, derived from the current master key (or from
        master ``key_id``, active or retired: to open what an older key made)."""
        master = self._master(self.current if key_id is None else key_id, retired=True)
        return _derive(master, purpose)

    def subkeys(self, purpose: str) -> list[bytes]:
        """``subkey(purpose)`` under every master key held, the current one
        first, then the active ones, then the retired ones (to find which key
        made something)."""
        ids = [self.current, *sorted(set(self.keys) - {self.current}), *sorted(self.retired)]
        return [self.subkey(purpose, key_id) for key_id in ids]

    def field_key(self, key_id: int) -> bytes:
        """The AES-256 key of encrypted fields under master ``key_id`` (active or retired)."""
        return _derive(self._master(key_id, retired=True), "field")

    def signing_key(self, key_id: int | None = None) -> Ed25519PrivateKey:
        """The Ed25519 signing key, derived deterministically from ``subkey("sign")``."""
        return Ed25519PrivateKey.from_private_bytes(self.subkey("sign", key_id))

    def verify_key(self, key_id: int | None = None) -> Ed25519PublicKey:
        """The public half of ``signing_key``."""
        return self.signing_key(key_id).public_key()

    def fingerprint(self, key_id: int | None = None) -> str:
        """A short public name of a master key (16 hex digits), safe to print."""
        return self.subkey("fingerprint", key_id)[:8].hex()
