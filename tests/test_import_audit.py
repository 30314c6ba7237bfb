"""An accepted import is audited (``import``) in the import's transaction; a dry run
or a rejected file writes no entry; the CLI audits its imports."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.ingest import ImportRejected, import_file
from clientfolio.protect.audit import list_events, verify_chain
from clientfolio.protect.keys import KeyRing
from clientfolio.settings import Settings
from clientfolio.store import Store

KEY = b"k" * 32
CUSTOMERS = "Code client;Raison sociale\nZ1;Une SAS\nZ2;Deux SARL\n"
CHANGED = "Code client;Raison sociale\nZ1;Une SAS\nZ2;Deux SARL (renamed)\nZ3;Trois\n"
BAD = "Code client;Raison sociale;SIREN\nZ1;Une SAS;123\n"


def write(tmp_path: Path, name: str, data: str) -> Path:
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    return path


def test_an_accepted_import_is_audited_with_its_counts(store: Store, tmp_path: Path) -> None:
    first = write(tmp_path, "clients.csv", CUSTOMERS)
    result = import_file(store, first, chain_key=KEY, actor="kam")
    [entry] = list_events(store)
    assert (entry.action, entry.target, entry.actor) == ("import", "clients.csv", "kam")
    assert result.created["customers"] == 2 and entry.details == {
        "kind": "customers",
        "sha256": hashlib.sha256(first.read_bytes()).hexdigest(),
        "rows_read": 2,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "import_id": result.import_id,
        "already_imported": False,
    }
    second = import_file(store, write(tmp_path, "clients-2.csv", CHANGED), chain_key=KEY)
    entry = list_events(store, limit=1)[0]
    assert (entry.actor, entry.target, entry.details["rows_read"]) == ("system", "clients-2.csv", 3)
    assert (entry.details["created"], entry.details["updated"], entry.details["unchanged"]) == (
        second.created,
        second.updated,
        second.unchanged,
    )
    assert (second.created["customers"], second.updated["customers"]) == (1, 1)
    again = import_file(store, first, chain_key=KEY, actor="kam")  # recognised: nothing written but the entry
    assert again.already_imported
    entry = list_events(store, limit=1)[0]
    assert (entry.details["already_imported"], entry.details["import_id"]) == (True, result.import_id)
    report = verify_chain(store, KEY)
    assert report.ok and report.entries == 3


def test_a_dry_run_a_rejected_file_or_no_key_writes_no_entry(store: Store, tmp_path: Path) -> None:
    good = write(tmp_path, "clients.csv", CUSTOMERS)
    assert import_file(store, good, dry_run=True, chain_key=KEY).created["customers"] == 2
    with pytest.raises(ImportRejected):
        import_file(store, write(tmp_path, "bad.csv", BAD), kind="customers", chain_key=KEY)
    import_file(store, good)  # library use without the audit key
    import_file(store, good, dry_run=True, chain_key=KEY)  # already imported, but a dry run
    assert list_events(store) == []


def test_the_cli_audits_its_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "clientfolio.key"
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(key_file))
    monkeypatch.setattr("getpass.getuser", lambda: "tester")  # the CLI acts as cli:<login>
    db = f"sqlite:///{tmp_path}/x.db"
    runner = CliRunner()
    dry = runner.invoke(cli.app, ["import", str(write(tmp_path, "c.csv", CUSTOMERS)), "--dry-run", "--db", db])
    assert dry.exit_code == 0, dry.output
    done = runner.invoke(cli.app, ["import", str(tmp_path / "c.csv"), "--db", db])
    assert done.exit_code == 0, done.output
    store = Store(db)
    try:
        [entry] = list_events(store)
        assert (entry.action, entry.target, entry.actor) == ("import", "c.csv", "cli:tester")
        assert entry.details["created"]["customers"] == 2
        assert verify_chain(store, KeyRing.load(Settings(key_file=str(key_file))).subkey("audit")).ok
    finally:
        store.dispose()
