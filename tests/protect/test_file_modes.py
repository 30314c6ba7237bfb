"""Issue 14: the SQLite store (and its -wal/-shm files) is created readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from clientfolio.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        store = Store(f"sqlite:///{tmp_path}/sub/clientfolio.db")
        with store.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        made = sorted(p.name for p in (tmp_path / "sub").iterdir())
        assert "clientfolio.db" in made
        assert {name: mode(tmp_path / "sub" / name) for name in made} == {name: 0o600 for name in made}
        store.dispose()
    finally:
        os.umask(old)


def test_an_existing_store_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Store(f"sqlite:///{path}").dispose()
    os.chmod(path, 0o640)  # an admin's choice (a group of readers) is left alone
    Store(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o640
