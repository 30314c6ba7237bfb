"""The evidence pack of a traced leak (``clientfolio trace FILE --evidence DIR``),
checked as a third party would: with ``cryptography``, ``hashlib`` and ``hmac``
alone (``verify_pack`` imports nothing of clientfolio), and its PDF read back."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import json
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pdfminer.high_level import extract_text
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.i18n import formatter
from clientfolio.protect.keys import KeyRing

KEY = base64.b64encode(b"e" * 32).decode()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args), env={"CLIENTFOLIO_KEY": KEY})


def verify_pack(directory: Path, audit_key: bytes) -> dict[str, Any]:
    """Check a pack with standard libraries only: the pack manifest's Ed25519
    signature, every file's SHA-256, each export manifest's signature, the
    audit seals (HMAC under ``audit_key``) and that the export's audit entry
    states what its signed manifest does.  Raises on any failure; returns
    the signed export manifest (the first)."""

    def key(name: str) -> Ed25519PublicKey:
        loaded = load_pem_public_key((directory / name).read_bytes())
        assert isinstance(loaded, Ed25519PublicKey)
        return loaded

    pack_bytes = (directory / "pack-manifest.json").read_bytes()
    key("public-key.pem").verify((directory / "pack-manifest.sig").read_bytes(), pack_bytes)
    pack = json.loads(pack_bytes)
    listed = {f["name"] for f in pack["files"]}
    assert listed | {"pack-manifest.json", "pack-manifest.sig"} == {p.name for p in directory.iterdir()}
    for f in pack["files"]:
        assert hashlib.sha256((directory / f["name"]).read_bytes()).hexdigest() == f["sha256"], f["name"]
    exports = json.loads((directory / "export.json").read_text(encoding="utf-8"))
    manifests = []
    for export in exports:
        signed = (directory / export["signed_manifest"]).read_bytes()
        key(export["public_key"]).verify((directory / export["signature"]).read_bytes(), signed)
        manifests.append(json.loads(signed))
    entries = [
        json.loads(line) for line in (directory / "audit-extract.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    for e in entries:
        body = {k: e[k] for k in ("seq", "at", "actor", "action", "target", "details")}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        seal = hmac.new(audit_key, (e["prev_hash"] + text).encode(), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(seal, e["hash"]), e["seq"]
    made = next(e for e in entries if e["action"] == "export")
    m = manifests[0]
    assert (made["target"], made["details"]["recipient"], made["details"]["sha256"]) == (
        m["export_uid"],
        m["recipient"],
        m["sha256"],
    )
    leaked = (directory / "leaked-file.sha256").read_text(encoding="utf-8").split()
    assert hashlib.sha256((directory / leaked[1]).read_bytes()).hexdigest() == leaked[0] == pack["leaked_file_sha256"]
    return m


@pytest.fixture
def leak(demo_copy: Any, tmp_path: Path) -> tuple[str, Path, dict[str, Any]]:
    """A demo store, an export for "Agence X" and its file laundered: rows
    shuffled, the SIREN and revenue columns dropped, resaved with ``;``."""
    db = demo_copy(customers=40, years=1)
    out = tmp_path / "agence.csv"
    made = run(
        "export",
        "customers",
        "--recipient",
        "Agence X",
        "--purpose",
        "salon 2027",
        "--out",
        str(out),
        "--as",
        "cmorel",
        "--db",
        db,
        "--json",
    )
    assert made.exit_code == 0, made.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    body = rows[1:]
    random.Random(3).shuffle(body)
    leaked = tmp_path / "leaked.csv"
    with leaked.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";").writerows([r[:2] + r[3:-1] for r in [rows[0], *body]])
    return db, leaked, json.loads(made.stdout)


def test_the_pack_of_a_laundered_leak_verifies_without_clientfolio(
    leak: tuple[str, Path, dict[str, Any]], tmp_path: Path
) -> None:
    db, leaked, export = leak
    pack = tmp_path / "pack"
    traced = run("trace", str(leaked), "--evidence", str(pack), "--db", db, "--lang", "fr")
    assert traced.exit_code == 0, traced.stderr
    assert "Dossier de preuve écrit dans" in " ".join(traced.stdout.split())

    manifest = verify_pack(pack, KeyRing.from_env(KEY).subkey("audit"))
    assert (manifest["export_uid"], manifest["recipient"]) == (export["export_uid"], "Agence X")
    registry = json.loads((pack / "export.json").read_text(encoding="utf-8"))[0]
    assert (registry["made_by"], registry["rows"], registry["approval"]) == ("cmorel", 40, None)
    assert registry["fields"][:3] == ["code", "name", "siren"]
    marks = json.loads((pack / "marks.json").read_text(encoding="utf-8"))
    found = marks["implicated"][0]
    assert found["wrong_attribution"] < 1e-9 and found["marks_agreeing"] == found["marks_checked"] > 30
    assert {t["code"] for t in found["trap_records_found"]} and "Bonferroni" in marks["method"]
    actions = [json.loads(line)["action"] for line in (pack / "audit-extract.jsonl").read_text().splitlines()]
    assert actions == ["export", "trace"]

    text = " ".join(extract_text(str(pack / "rapport.pdf")).split())
    made_on = dt.datetime.fromisoformat(registry["created_at"])
    probability = f"{found['wrong_attribution']:.2g}".replace(".", ",")
    for stated in ("Agence X", formatter("fr").date(made_on, long=True), probability, "Historique", "salon 2027"):
        assert stated in text, stated
    verify_md = (pack / "VERIFY.md").read_text(encoding="utf-8")
    assert "Vérifier le dossier de preuve" in verify_md
    assert "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in manifest.json -sigfile manifest.sig" in (
        verify_md
    )

    entry = json.loads(run("audit", "list", "--limit", "1", "--db", db, "--json").stdout)[0]
    assert entry["action"] == "trace.evidence"
    pack_digest = hashlib.sha256((pack / "pack-manifest.json").read_bytes()).hexdigest()
    assert entry["details"]["pack_manifest_sha256"] == pack_digest


def test_a_changed_byte_or_a_foreign_key_fails_the_check(
    leak: tuple[str, Path, dict[str, Any]], tmp_path: Path
) -> None:
    db, leaked, _ = leak
    pack = tmp_path / "pack"
    assert run("trace", str(leaked), "--evidence", str(pack), "--db", db).exit_code == 0
    audit_key = KeyRing.from_env(KEY).subkey("audit")
    verify_pack(pack, audit_key)
    with pytest.raises(AssertionError):
        verify_pack(pack, b"x" * 32)  # the seals are HMACs under the audit key
    marks = pack / "marks.json"
    marks.write_bytes(marks.read_bytes().replace(b"Agence X", b"Agence Y"))
    with pytest.raises(AssertionError, match="marks.json"):
        verify_pack(pack, audit_key)
    listed = json.loads((pack / "pack-manifest.json").read_text(encoding="utf-8"))
    for f in listed["files"]:  # the list brought up to date: its signature no longer holds
        f["sha256"] = hashlib.sha256((pack / f["name"]).read_bytes()).hexdigest()
    (pack / "pack-manifest.json").write_text(json.dumps(listed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InvalidSignature):
        verify_pack(pack, audit_key)


def test_english_pack_and_refusals(leak: tuple[str, Path, dict[str, Any]], tmp_path: Path) -> None:
    db, leaked, _ = leak
    pack = tmp_path / "pack"
    assert run("trace", str(leaked), "--evidence", str(pack), "--db", db, "--lang", "en").exit_code == 0
    assert (pack / "report.pdf").exists() and not (pack / "rapport.pdf").exists()
    text = " ".join(extract_text(str(pack / "report.pdf")).split())
    assert "The export it comes from" in text and "Agence X" in text
    assert (pack / "VERIFY.md").read_text(encoding="utf-8").startswith("# Verifying the evidence pack")

    again = run("trace", str(leaked), "--evidence", str(pack), "--db", db)
    assert again.exit_code != 0 and "is not an empty directory" in again.stderr

    unrelated = tmp_path / "unrelated.csv"
    unrelated.write_text("name;city\nDupont SA;Paris\nMartin SARL;Lyon\n", encoding="utf-8")
    nothing = run("trace", str(unrelated), "--evidence", str(tmp_path / "none"), "--db", db)
    assert nothing.exit_code != 0 and "implicates no export" in nothing.stderr
    assert not (tmp_path / "none").exists()
