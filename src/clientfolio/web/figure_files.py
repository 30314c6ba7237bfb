"""The dashboard figures kept on disk between two starts of the web app.

Computing the figures of a scope takes seconds to minutes on a large store;
``FigureFiles`` keeps the last figures of every scope in
``settings.web_figures_dir`` so that, after a restart, the first page is
served from them at once (then recomputed in the background when the data
changed meanwhile, ``web.figures.FigureCache``: kept figures are always
recomputed once after a start, since the code that made them may differ).
The processes of one app (``clientfolio serve --workers N``) share them: one
computes a scope's figures while the others wait (``computing``, a file
lock), then take what it kept.

Each file is the pickled ``(data version, figures)`` sealed with AES-GCM
under the key ring's ``figures`` subkey, the store and the scope bound as
associated data: the figures hold customer data, so they are as protected as
the encrypted fields; a file that a wrong key, another store or scope, or a
change on disk makes unreadable is ignored (and logged), never unpickled.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import pickle
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clientfolio import __version__
from clientfolio.access import Scope

if TYPE_CHECKING:
    from clientfolio.web.figures import Figures

__all__ = ["FigureFiles"]

_log = logging.getLogger(__name__)
_NONCE = 12


def _scope_text(scope: Scope) -> str:
    """``scope`` as the same text in every process (sets sorted)."""
    return json.dumps(
        {
            name: None if codes is None else sorted(codes)
            for name, codes in (
                ("regions", scope.regions),
                ("segments", scope.segments),
                ("product_lines", scope.product_lines),
            )
        },
        sort_keys=True,
    )


class FigureFiles:
    """The figures of each scope of one store in ``directory`` (created with
    mode 0700, files 0600), sealed with ``key`` (32 bytes)."""

    def __init__(self, directory: Path, key: bytes, store_id: str) -> None:
        self.directory = directory
        self._aead = AESGCM(key)
        self._store_id = store_id

    def _bound(self, scope: Scope) -> tuple[Path, bytes]:
        """The file of ``scope`` and the associated data sealed with it."""
        bound = f"clientfolio/figures/{__version__}\n{self._store_id}\n{_scope_text(scope)}".encode()
        return self.directory / f"figures-{hashlib.sha256(bound).hexdigest()[:24]}.bin", bound

    @contextmanager
    def computing(self, scope: Scope) -> Iterator[None]:
        """Held while a process of the app computes the figures of ``scope``:
        the other processes (``clientfolio serve --workers``) wait for it, then
        take what it kept (``load(scope, since=...)``) instead of computing them again."""
        path, _ = self._bound(scope)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def save(self, scope: Scope, version: tuple[int, ...], figures: Figures | None) -> None:
        """Keep ``figures`` of ``scope`` at data ``version`` (replacing the last ones)."""
        path, bound = self._bound(scope)
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, pickle.dumps((version, figures), protocol=5), bound)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        part = path.with_suffix(f".{secrets.token_hex(4)}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(sealed)
        os.replace(part, path)

    def load(self, scope: Scope, *, since: float | None = None) -> tuple[tuple[int, ...], Figures | None] | None:
        """The last figures kept for ``scope`` and their data version (only when
        written at ``since``, a ``time.time()``, or later); None when there are
        none or they cannot be opened (wrong key, other store or scope, damaged file)."""
        path, bound = self._bound(scope)
        try:
            if since is not None and path.stat().st_mtime < since:
                return None
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], bound)
        except (InvalidTag, ValueError):
            _log.warning("the kept figures in %s cannot be opened with this key: ignored", path)
            return None
        try:
            version, figures = pickle.loads(plain)  # noqa: S301 - sealed with this key ring: written by this app
        except Exception:  # noqa: BLE001 - written by another version of the code: computed anew
            _log.warning("the kept figures in %s were written by another version: ignored", path)
            return None
        return tuple(version), figures
