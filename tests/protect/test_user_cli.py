"""``clientfolio user`` and ``clientfolio audit`` through typer's CliRunner."""

from __future__ import annotations

import base64
import getpass
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import insert, text
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.store import Store
from clientfolio.store.schema import Region

ENV = {"CLIENTFOLIO_KEY": base64.b64encode(b"k" * 32).decode()}
PW = "correct horse battery staple"


@pytest.fixture(autouse=True)
def wide_plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/x.db"
    store = Store(url)
    with store.begin() as conn:
        conn.execute(
            insert(Region), [{"code": "IDF", "name": "Île-de-France"}, {"code": "ARA", "name": "Auvergne-Rhône-Alpes"}]
        )
    store.dispose()
    return url


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.app, list(args), input=input, env=ENV if env is None else env)


def test_user_round_trip_and_its_audit(db: str) -> None:
    added = run(
        "user",
        "add",
        "JLeroy",
        "--role",
        "sales",
        "--name",
        "Julien Leroy",
        "--email",
        "julien@example.fr",
        "--db",
        db,
        input=f"{PW}\n{PW}\n",
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines()[-1] == "User jleroy (sales) created (id 1)."
    extern = run(
        "user",
        "add",
        "extern",
        "--role",
        "contractor",
        "--expires",
        "2099-12-31",
        "--password-stdin",
        "--totp",
        "--db",
        db,
        input="a long enough passphrase\n",
    )
    assert extern.exit_code == 0, extern.output
    lines = extern.stdout.splitlines()
    assert lines[0] == "User extern (contractor) created (id 2)."
    assert lines[1].startswith("TOTP secret (shown once): ") and len(lines[1].split()[-1]) == 32
    assert lines[2].startswith("Authenticator URI: otpauth://totp/Clientfolio%3Aextern?secret=")

    scoped = run("user", "scope", "jleroy", "--region", "IDF", "--region", "ARA", "--db", db)
    assert (scoped.exit_code, scoped.stdout.strip()) == (0, "jleroy sees: region: ARA, IDF."), scoped.output
    shown = run("user", "scope", "jleroy", "--json", "--db", db)
    assert json.loads(shown.stdout) == {"region": ["ARA", "IDF"]}
    cleared = run("user", "scope", "jleroy", "--clear", "--db", db)
    assert cleared.stdout.strip() == "jleroy sees: all."
    disabled = run("user", "disable", "jleroy", "--db", db)
    assert disabled.stdout.strip() == "User jleroy disabled; 0 session(s) ended."

    listed = json.loads(run("user", "list", "--json", "--db", db).stdout)
    assert [(u["username"], u["role"], u["status"], u["expires_on"], u["totp"]) for u in listed] == [
        ("extern", "contractor", "active", "2099-12-31", True),
        ("jleroy", "sales", "disabled", None, False),
    ]
    table = run("user", "list", "--db", db)
    assert "extern" in table.stdout and "disabled" in table.stdout and "TOTP" in table.stdout

    events = json.loads(run("audit", "list", "--json", "--db", db).stdout)
    assert [e["action"] for e in events] == [
        "user.disable",
        "user.scope",
        "user.scope",
        "user.totp",
        "user.create",
        "user.create",
    ]
    assert {e["actor"] for e in events} == {f"cli:{getpass.getuser()}"}
    assert [e["seq"] for e in json.loads(run("audit", "list", "--limit", "2", "--json", "--db", db).stdout)] == [6, 5]
    listed_en = run("audit", "list", "--db", db).stdout
    assert "User disabled" in listed_en and "user.disable" not in listed_en
    # the details read in the run's language: the names of the keys and of the codes, no JSON
    listed_fr = re.sub(r"[ \n│]+", " ", run("audit", "list", "--lang", "fr", "--db", db).stdout)
    assert "Utilisateur désactivé" in listed_fr and "Périmètre du besoin d'en connaître modifié" in listed_fr, listed_fr
    assert "actif\xa0: oui" in listed_fr and "rôle\xa0: commercial" in listed_fr, listed_fr
    assert "régions\xa0: ARA, IDF" in listed_fr, listed_fr
    assert "is_active" not in listed_fr and '"role"' not in listed_fr and "sales" not in listed_fr


def test_user_add_refusals(db: str) -> None:
    weak = run("user", "add", "bob", "--role", "sales", "--password-stdin", "--db", db, input="azerty123456\n")
    assert weak.exit_code == 1
    assert weak.stderr.strip() == (
        "Error: password refused: a common password (or one with digits around it); a keyboard or alphabet sequence"
    )
    contractor = run("user", "add", "bob", "--role", "contractor", "--password-stdin", "--db", db, input=PW + "\n")
    assert (contractor.exit_code, contractor.stderr.strip()) == (1, "Error: a contractor needs an expiry date")
    date = run(
        "user",
        "add",
        "bob",
        "--role",
        "contractor",
        "--expires",
        "31/12/2099",
        "--password-stdin",
        "--db",
        db,
        input=PW + "\n",
    )
    assert date.stderr.strip() == "Error: --expires: '31/12/2099' is not a date YYYY-MM-DD"
    unknown = run("user", "scope", "bob", "--db", db)
    assert (unknown.exit_code, unknown.stderr.strip()) == (1, "Error: no user 'bob'")
    bad_code = run("user", "add", "bob", "--role", "sales", "--password-stdin", "--db", db, input=PW + "\n")
    assert bad_code.exit_code == 0
    refused = run("user", "scope", "bob", "--region", "XX", "--db", db)
    assert refused.stderr.strip() == "Error: unknown region code(s): XX"


def test_audit_verify_finds_tampering_and_a_deleted_tail(db: str) -> None:
    for name in ("alice", "bruno", "carla"):
        run("user", "add", name, "--role", "sales", "--password-stdin", "--db", db, input=PW + "\n")
    intact = run("audit", "verify", "--db", db)
    assert intact.exit_code == 0
    lines = intact.stdout.splitlines()
    assert lines[0] == "Audit log intact: 3 entries."
    head = lines[1].removeprefix("Head: ")
    assert head.startswith("3:") and len(head) == 66
    assert run("audit", "verify", "--expect-head", head, "--db", db).exit_code == 0

    store = Store(db)
    with store.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    assert run("audit", "verify", "--db", db).exit_code == 0  # a shorter chain is still sound
    tail = run("audit", "verify", "--expect-head", head, "--db", db)
    assert tail.exit_code == 1
    assert tail.stderr.splitlines() == [
        "Audit log broken at entry #3 (deleted): the log ends at #2; the noted head is #3.",
        "Sound up to entry #2.",
    ]
    with store.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    store.dispose()
    edited = run("audit", "verify", "--json", "--db", db)
    assert edited.exit_code == 1
    report = json.loads(edited.stdout)
    assert (report["ok"], report["first_bad_seq"], report["reason"], report["head_seq"]) == (False, 2, "edited", 1)
    bad = run("audit", "verify", "--expect-head", "3", "--db", db)
    assert bad.stderr.strip() == "Error: --expect-head: '3' is not SEQ:HASH (as printed by audit verify)"


def test_audit_verify_needs_the_key(db: str, tmp_path: Path) -> None:
    result = run(
        "audit", "verify", "--db", db, env={"CLIENTFOLIO_KEY": "", "CLIENTFOLIO_KEY_FILE": str(tmp_path / "none.key")}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no key: set CLIENTFOLIO_KEY")
    wrong = run("audit", "verify", "--db", db, env={"CLIENTFOLIO_KEY": base64.b64encode(b"w" * 32).decode()})
    assert wrong.exit_code == 0  # an empty log verifies under any key
