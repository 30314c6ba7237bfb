"""``clientfolio export``, ``trace``, ``verify`` and ``exports`` through typer's CliRunner."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from clientfolio import cli
from tests.conftest import copy_sqlite

KEY = base64.b64encode(b"c" * 32).decode()


@pytest.fixture(autouse=True)
def wide_plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=300, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=300, color_system=None, stderr=True))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clientfolio demo --customers 40 --years 1`` run once for the module (its key: ``KEY``)."""
    path = tmp_path_factory.mktemp("demo") / "x.db"
    assert run("demo", "--customers", "40", "--years", "1", "--db", f"sqlite:///{path}").exit_code == 0
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    """This test's own copy of the module's demo."""
    copy_sqlite(demo_file, tmp_path / "x.db")
    return f"sqlite:///{tmp_path}/x.db"


def run(*args: str, **env: str) -> Result:
    return CliRunner().invoke(cli.app, list(args), env={"CLIENTFOLIO_KEY": KEY, **env})


def approve(*args: str, password: str) -> Result:
    """``exports approve ARGS --password-stdin``, the approver's password on standard input."""
    return CliRunner().invoke(
        cli.app, ["exports", "approve", *args, "--password-stdin"], input=password + "\n", env={"CLIENTFOLIO_KEY": KEY}
    )


def test_export_trace_verify_and_list(db: str, tmp_path: Path) -> None:
    out = tmp_path / "acme.csv"
    made = run(
        "export",
        "customers",
        "--recipient",
        "ACME",
        "--purpose",
        "mailing",
        "--out",
        str(out),
        "--as",
        "cmorel",
        "--db",
        db,
        "--json",
    )
    assert made.exit_code == 0, made.stderr
    export = json.loads(made.stdout)
    assert (export["rows"], export["traps"], export["file"]) == (40, 3, str(out))
    assert Path(export["manifest"]) == tmp_path / "acme.csv.manifest.json"

    traced = run("trace", str(out), "--db", db)
    assert traced.exit_code == 0, traced.stderr
    text = " ".join(traced.stdout.split())
    assert f"Match: export {export['export_uid']} for ACME, by its fingerprint" in text
    assert "Trap records found:" in text
    as_json = json.loads(run("trace", str(out), "--db", db, "--json").stdout)
    assert as_json["attributed"]["recipient"] == "ACME" and as_json["evidence"] == "fingerprint"
    assert as_json["attributed"]["wrong_attribution"] < 1e-9

    rows = [line.split(";") for line in out.read_text(encoding="utf-8-sig").splitlines()]
    (tmp_path / "unicode.txt").write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))
    resaved = run("trace", str(tmp_path / "unicode.txt"), "--db", db, "--json")
    assert resaved.exit_code == 0, resaved.stderr
    assert json.loads(resaved.stdout)["attributed"]["recipient"] == "ACME"
    (tmp_path / "bin.csv").write_bytes(b"a;b\x00\x01;c\n" * 5)
    broken = run("trace", str(tmp_path / "bin.csv"), "--db", db)
    assert broken.exit_code != 0 and "not a readable table" in broken.stderr and "Traceback" not in broken.stderr

    checked = run("verify", str(out), "--db", db)
    assert checked.exit_code == 0 and checked.stdout.startswith(f"Valid: {out} is export {export['export_uid']}")
    listed = json.loads(run("exports", "list", "--db", db, "--json").stdout)
    assert [(e["export_uid"], e["username"], e["rows"]) for e in listed["exports"]] == [
        (export["export_uid"], "cmorel", 40)
    ]
    assert "1 registered exports" in run("exports", "list", "--db", db).stdout


def test_verify_finds_the_manifest_in_the_registry_and_detects_changes(db: str, tmp_path: Path) -> None:
    out = tmp_path / "a.xlsx"
    assert (
        run(
            "export",
            "customers",
            "--recipient",
            "A",
            "--purpose",
            "p",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--db",
            db,
        ).exit_code
        == 0
    )
    moved = tmp_path / "elsewhere.xlsx"
    moved.write_bytes(out.read_bytes())
    assert run("verify", str(moved), "--db", db).stdout.startswith(f"Valid: {moved}")
    assert run("verify", str(moved), "--manifest", str(tmp_path / "a.xlsx.manifest.json"), "--db", db).exit_code == 0
    out.write_bytes(out.read_bytes() + b"\0")
    broken = run("verify", str(out), "--db", db, "--json")
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["signature_valid"] is True and json.loads(broken.stdout)["hash_matches"] is False
    other_key = run(
        "verify",
        str(moved),
        "--manifest",
        str(tmp_path / "a.xlsx.manifest.json"),
        "--db",
        db,
        CLIENTFOLIO_KEY=base64.b64encode(b"d" * 32).decode(),
    )
    assert other_key.exit_code == 1 and "the signature is not ours" in other_key.stdout
    unknown = tmp_path / "u.csv"
    unknown.write_text("a;b\n")
    missing = run("verify", str(unknown), "--db", db)
    assert missing.exit_code == 1 and "no registered export has its SHA-256" in missing.stderr


def test_above_the_hard_limit_an_admin_approves(db: str, tmp_path: Path) -> None:
    args = (
        "export",
        "customers",
        "--recipient",
        "ACME",
        "--purpose",
        "all",
        "--out",
        str(tmp_path / "a.csv"),
        "--as",
        "cmorel",
        "--db",
        db,
    )
    refused = run(*args, CLIENTFOLIO_EXPORT_HARD_LIMIT_ROWS="30")
    assert refused.exit_code == 1
    assert " ".join(refused.stderr.split()).startswith(
        "Export refused: 40 rows: above the hard limit of 30; request #1 awaits an admin's approval"
    )
    assert "Request #1 by cmorel: 40 rows for ACME (all) awaits an admin's approval." in " ".join(
        run("exports", "list", "--db", db).stdout.split()
    )
    own = approve("1", "--as", "cmorel", "--db", db, password="x")
    assert own.exit_code == 1 and "only an admin" in own.stderr
    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.users import set_password
    from clientfolio.store import Store

    store = Store(db)
    set_password(
        store, "pbernard", "a long enough passphrase", actor="test", chain_key=KeyRing.from_env(KEY).subkey("audit")
    )
    store.dispose()
    no_password = approve("1", "--as", "pbernard", "--db", db, password="")
    assert no_password.exit_code == 1 and "wrong password" in no_password.stderr
    approved = approve("1", "--as", "pbernard", "--db", db, password="a long enough passphrase")
    assert approved.exit_code == 0 and "Request #1 approved" in approved.stdout, approved.output
    done = run(*args, CLIENTFOLIO_EXPORT_HARD_LIMIT_ROWS="30", CLIENTFOLIO_EXPORT_ALERT_ROWS="10")
    assert done.exit_code == 0, done.stderr
    assert "Alert (many rows): 40 rows: above the alert threshold of 10" in done.stdout


def test_who_may_trace_and_export_and_a_file_of_no_export(db: str, tmp_path: Path) -> None:
    sales = run(
        "export",
        "customers",
        "--recipient",
        "A",
        "--purpose",
        "p",
        "--out",
        str(tmp_path / "a.csv"),
        "--as",
        "jleroy",
        "--db",
        db,
    )
    assert sales.exit_code == 1 and sales.stderr.startswith("Error:")
    other = tmp_path / "other.csv"
    other.write_text("nom;ville\nGarage Martin SARL;Saint-Denis\n", encoding="utf-8")
    assert run("trace", str(other), "--as", "jleroy", "--db", db).exit_code == 1
    nothing = run("trace", str(other), "--as", "nrousseau", "--db", db)
    assert nothing.exit_code == 0 and "No match among 0 registered exports" in nothing.stdout
