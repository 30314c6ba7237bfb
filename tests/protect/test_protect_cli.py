"""``clientfolio keys status|rotate``, ``backup`` and ``restore`` through the CLI."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.store import Store
from clientfolio.store.schema import Contact, Customer
from tests.conftest import copy_sqlite


@pytest.fixture(autouse=True)
def plain_consoles_and_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))
    monkeypatch.delenv("CLIENTFOLIO_KEY", raising=False)
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "keys" / "clientfolio.key"))


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.app, list(args), input=stdin, env=env)


def make_demo(folder: Path) -> str:
    """``clientfolio demo --customers 10 --years 1`` in ``folder``: a new key file (``folder/keys``)."""
    url = f"sqlite:///{folder}/x.db"
    key_file = str(folder / "keys" / "clientfolio.key")
    made = run("demo", "--customers", "10", "--years", "1", "--db", url, env={"CLIENTFOLIO_KEY_FILE": key_file})
    assert made.exit_code == 0, made.output
    return url


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo made once for the module, with its key file."""
    folder = tmp_path_factory.mktemp("demo")
    make_demo(folder)
    return folder


@pytest.fixture
def db(demo_folder: Path, tmp_path: Path) -> str:
    """This test's own copy of the module's demo and of its key file (the test's ``CLIENTFOLIO_KEY_FILE``)."""
    copy_sqlite(demo_folder / "x.db", tmp_path / "x.db")
    shutil.copytree(demo_folder / "keys", tmp_path / "keys")  # with their modes (0700, 0600)
    return f"sqlite:///{tmp_path}/x.db"


def names(url: str) -> list[str]:
    store = Store(url)
    with store.engine.connect() as conn:
        found = list(conn.execute(select(Customer.name).order_by(Customer.id)).scalars())
    store.dispose()
    return found


def test_demo_encrypts_with_a_new_key_file(tmp_path: Path) -> None:
    db = make_demo(tmp_path)
    key_file = tmp_path / "keys" / "clientfolio.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    store = Store(db)
    with store.engine.connect() as conn:
        assert all(n.startswith("v1:1:") for n in conn.execute(select(Contact.name)).scalars())
    store.dispose()
    status = run("keys", "status", "--db", db)
    assert status.exit_code == 0, status.output
    assert f"Key: key file {key_file}" in status.stdout
    assert "Current key: 1 (fingerprint " in status.stdout and "retired (old backups only): none" in status.stdout
    assert "encrypted, key 1" in status.stdout and "plain text" not in status.stdout


def test_rotate_then_status(db: str) -> None:
    rotated = run("keys", "rotate", "--db", db)
    assert rotated.exit_code == 0, rotated.output
    assert "Rotated: key 2 (fingerprint" in rotated.stdout and "Old key(s) 1 retired in" in rotated.stdout
    status = run("keys", "status", "--db", db)
    assert "Current key: 2" in status.stdout and "retired (old backups only): 1" in status.stdout
    assert "encrypted, key 1" not in status.stdout and "encrypted, key 2" in status.stdout


def test_backup_and_restore(db: str, tmp_path: Path) -> None:
    archive = tmp_path / "saved.cfbackup"
    made = run("backup", "--out", str(archive), "--db", db)
    assert made.exit_code == 0, made.output
    said = " ".join(made.stdout.split())
    assert f"Backup written to {archive}" in said and "Keep the key apart from the backup." in said
    before = names(db)
    store = Store(db)
    with store.begin() as conn:
        conn.execute(update(Customer).values(name="Changed"))
    store.dispose()
    declined = run("restore", str(archive), "--db", db, stdin="n\n")
    assert declined.exit_code == 1 and "verified" in declined.stdout
    assert set(names(db)) == {"Changed"}
    done = run("restore", str(archive), "--yes", "--db", db)
    assert done.exit_code == 0, done.output
    assert "Restored" in done.stdout and names(db) == before


def test_corrupted_archive_is_refused(db: str, tmp_path: Path) -> None:
    archive = tmp_path / "saved.cfbackup"
    assert run("backup", "--out", str(archive), "--db", db).exit_code == 0
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x80
    archive.write_bytes(bytes(data))
    before = names(db)
    refused = run("restore", str(archive), "--yes", "--db", db)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: {archive}: chunk ")
    assert "fails authentication" in refused.stderr
    assert names(db) == before


def test_backup_default_name(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("backup", "--db", db).exit_code == 0
    [made] = list(tmp_path.glob("clientfolio-*.cfbackup"))
    assert len(made.name) == len("clientfolio-20250101-120000.cfbackup")


def test_missing_key_and_environment_key(db: str, tmp_path: Path) -> None:
    (tmp_path / "keys" / "clientfolio.key").rename(tmp_path / "elsewhere.key")
    status = run("keys", "status", "--db", db)
    assert status.exit_code == 1 and status.stderr.startswith("Error: no key: set CLIENTFOLIO_KEY")
    env_key = run("keys", "rotate", "--db", db, env={"CLIENTFOLIO_KEY": "A" * 43 + "="})
    assert env_key.exit_code == 1 and "rotation writes a new key, so it needs the key file" in env_key.stderr


def test_restoring_a_backup_older_than_a_rotation(db: str, tmp_path: Path) -> None:
    archive = tmp_path / "old.cfbackup"
    assert run("backup", "--out", str(archive), "--db", db).exit_code == 0
    assert run("keys", "rotate", "--db", db).exit_code == 0
    assert run("restore", str(archive), "--yes", "--db", db).exit_code == 0
    status = run("keys", "status", "--db", db)
    assert "encrypted, key 1 (retired key: run `clientfolio keys rotate`)" in status.stdout
    assert run("audit", "verify", "--db", db).exit_code == 0  # the restored log, re-sealed under key 2
    assert run("keys", "rotate", "--db", db).exit_code == 0
    assert "encrypted, key 3 " in run("keys", "status", "--db", db).stdout
    assert run("audit", "verify", "--db", db).exit_code == 0


def test_an_interrupted_rotation_is_told_apart_and_recovered(db: str, tmp_path: Path) -> None:
    """The state a rotation killed during re-encryption leaves (issue 14): the key file
    holds the new key as current, the data and the log are under the old one, and an
    audited action has been sealed under the new key since."""
    from clientfolio.protect.keys import KeyRing

    key_file = tmp_path / "keys" / "clientfolio.key"
    assert run("keys", "recover", "--db", db).stdout.startswith("No interrupted key rotation")
    KeyRing.read(key_file).with_new_key().save()  # what the killed rotation left
    added = run(
        "user", "add", "zoe", "--role", "sales", "--password-stdin", "--db", db, stdin="a long enough passphrase\n"
    )
    assert added.exit_code == 0, added.output
    verified = run("audit", "verify", "--db", db)
    said = " ".join(verified.stderr.split())
    assert verified.exit_code == 3, verified.output
    assert "broken" not in said and "Key rotation interrupted (not tampering)" in said
    assert "under key 1" in said and "under key 2" in said and "clientfolio keys recover" in said
    assert "run `clientfolio keys recover`" in run("keys", "status", "--db", db).stdout
    recovered = run("keys", "recover", "--db", db)
    assert recovered.exit_code == 0, recovered.output
    assert "A key rotation to key 2 had been interrupted: completed." in " ".join(recovered.stdout.split())
    again = run("audit", "verify", "--db", db)
    assert again.exit_code == 0 and "Audit log intact" in again.stdout, again.output
    assert run("keys", "rotate", "--db", db).exit_code == 0  # and rotation works again
    assert run("audit", "verify", "--db", db).exit_code == 0
    store = Store(db)
    with store.engine.connect() as conn:
        rows = conn.execute(select(Contact.id, Contact.name)).all()
    store.dispose()
    from clientfolio.protect.fields import open_field

    ring = KeyRing.read(key_file)
    assert rows and all(n.startswith("v1:3:") for _, n in rows)
    assert all(open_field(ring, "contacts", i, "name", n) for i, n in rows)  # readable
