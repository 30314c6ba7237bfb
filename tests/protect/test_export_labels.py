"""Exports for people and for machines: French headers and names by default in
French, codes with ``--headers codes``, English in English; the mailing export
of a scoped user's contact persons; every one of them traced, also cleaned up."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import random
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.access import Principal, Scope
from clientfolio.demo import generate_demo
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.exports import (
    CUSTOMER_COLUMNS,
    MAILING_COLUMNS,
    ExportKeys,
    ExportRequest,
    fingerprint_secrets,
    list_exports,
    mailing_rows,
    make_export,
    verify_keys,
)
from clientfolio.protect.fingerprint import canonical
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.trace import TraceResult, trace_file, verdict_in
from clientfolio.store import Store
from clientfolio.store.schema import SIZE_BANDS, Customer, Region, Segment
from tests.conftest import copy_sqlite

KEY = base64.b64encode(b"c" * 32).decode()
RING = KeyRing.for_tests(b"k" * 32)
KEYS = ExportKeys.from_ring(RING)
NOON = dt.datetime(2026, 1, 6, 11, 0, tzinfo=dt.UTC)

FRENCH_HEADER = [
    "Code client",
    "Raison sociale",
    "SIREN",
    "Secteur",
    "Taille",
    "Segment",
    "Région",
    "Code postal",
    "Ville",
    "CA HT des 12 derniers mois (€)",
]
ENGLISH_HEADER = [
    "Customer code",
    "Company name",
    "SIREN",
    "Sector",
    "Size",
    "Segment",
    "Region",
    "Postal code",
    "City",
    "Revenue excl. tax, last 12 months (€)",
]
FRENCH_MAILING_HEADER = [
    "Code client",
    "Raison sociale",
    "Interlocuteur",
    "Fonction",
    "E-mail",
    "Téléphone",
    "Adresse",
    "Code postal",
    "Ville",
    "Pays",
]
FICTION_PHONE = re.compile(r"0(1 99 00|2 61 91|3 53 01|4 65 71|5 36 49|6 39 98) \d\d \d\d")


# --- through the command line -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def wide_plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=300, color_system=None), raising=False)
    monkeypatch.setattr(cli, "errors", Console(width=300, color_system=None, stderr=True), raising=False)


def run(*args: str, **env: str) -> Result:
    return CliRunner().invoke(cli.app, list(args), env={"CLIENTFOLIO_KEY": KEY, "COLUMNS": "300", **env})


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


def export(db: str, out: Path, *options: str, lang: str, kind: str = "customers") -> Result:
    made = run(
        "export",
        kind,
        "--recipient",
        "Cabinet Durand",
        "--purpose",
        "prospection",
        "--out",
        str(out),
        "--as",
        "cmorel",
        "--db",
        db,
        *options,
        CLIENTFOLIO_LANG=lang,
    )
    assert made.exit_code == 0, made.output
    return made


def traced_recipient(db: str, path: Path) -> str:
    traced = run("trace", str(path), "--db", db, "--json", CLIENTFOLIO_LANG="fr")
    assert traced.exit_code == 0, traced.output
    found = json.loads(traced.stdout)
    assert found["attributed"] is not None, found["verdict"]
    return str(found["attributed"]["recipient"])


def names_of(db: str) -> tuple[dict[str, str], dict[str, str]]:
    """The segments' and regions' names by code."""
    store = Store(db)
    try:
        with store.engine.connect() as conn:
            segments = {code: name for code, name in conn.execute(select(Segment.code, Segment.name))}
            regions = {code: name for code, name in conn.execute(select(Region.code, Region.name))}
    finally:
        store.dispose()
    return segments, regions


def test_french_headers_and_names_by_default_in_french(db: str, tmp_path: Path) -> None:
    out = tmp_path / "fr.csv"
    made = export(db, out, lang="fr")
    said = " ".join(made.stdout.split())
    assert "écrit dans" in said and "40 clients pour Cabinet Durand" in said and "written" not in said
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=";"))
    assert header == FRENCH_HEADER
    sizes = {row[4] for row in rows}
    assert sizes <= {
        "Très petite entreprise (TPE)",
        "Petite ou moyenne entreprise (PME)",
        "Entreprise de taille intermédiaire (ETI)",
        "Grande entreprise",
        "",
    }
    assert not sizes & set(SIZE_BANDS)
    segments, regions = names_of(db)
    assert {row[5] for row in rows} <= {*segments.values(), ""} and "Industrie" in {row[5] for row in rows}
    assert {row[6] for row in rows} <= {*regions.values(), ""} and not {row[6] for row in rows} & set(regions)
    # amounts: decimal commas, no thousands separator, as a French spreadsheet reads them
    assert all(re.fullmatch(r"-?\d+,\d\d", row[9]) for row in rows)
    assert traced_recipient(db, out) == "Cabinet Durand"

    traced = run("trace", str(out), "--db", db, CLIENTFOLIO_LANG="fr")
    text = " ".join(traced.stdout.split())
    assert "Correspondance : export" in text and "Cabinet Durand" in text and "Match:" not in text


def test_codes_for_machines(db: str, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    export(db, out, "--headers", "codes", lang="fr")
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=";"))
    assert header == list(CUSTOMER_COLUMNS)
    assert {row[4] for row in rows} <= {*SIZE_BANDS, ""}
    segments, regions = names_of(db)
    assert {row[5] for row in rows} <= set(segments) and {row[6] for row in rows} <= set(regions)
    assert traced_recipient(db, out) == "Cabinet Durand"


def test_english_headers_in_english(db: str, tmp_path: Path) -> None:
    out = tmp_path / "en.csv"
    made = export(db, out, lang="en")
    assert "written to" in " ".join(made.stdout.split())
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=","))
    assert header == ENGLISH_HEADER
    assert {row[4] for row in rows} <= {
        "Micro-enterprise",
        "Small business",
        "Mid-sized company",
        "Large company",
        "",
    }
    assert all(re.fullmatch(r"-?\d+\.\d\d", row[9]) for row in rows)
    assert traced_recipient(db, out) == "Cabinet Durand"


def test_a_french_xlsx_traced_after_a_clean_up(db: str, tmp_path: Path) -> None:
    out = tmp_path / "fr.xlsx"
    export(db, out, "--format", "xlsx", lang="fr")
    sheet = load_workbook(out).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == FRENCH_HEADER
    assert all(isinstance(r[9], int | float) for r in rows)  # amounts a spreadsheet sums
    # a clean-up: codes and SIRENs dropped, names in capitals, cities merged with postal codes, rows shuffled
    rng = random.Random(3)
    kept = rng.sample(rows, k=len(rows) // 2)
    cleaned = [["Société", "Adresse", "Taille"]] + [[str(r[1]).upper(), f"{r[7]} {r[8]}", str(r[4])] for r in kept]
    leak = tmp_path / "nettoye.csv"
    with leak.open("w", encoding="cp1252", errors="replace", newline="") as f:
        csv.writer(f, delimiter=";").writerows(cleaned)
    assert traced_recipient(db, leak) == "Cabinet Durand"


def test_mailing_through_the_command_line(db: str, tmp_path: Path) -> None:
    out = tmp_path / "mailing.csv"
    made = export(db, out, lang="fr", kind="mailing")
    assert "interlocuteurs pour Cabinet Durand" in " ".join(made.stdout.split())
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=";"))
    assert header == FRENCH_MAILING_HEADER
    assert all("@" in row[4] for row in rows if row[4])
    assert {row[9] for row in rows} == {"France"}
    assert traced_recipient(db, out) == "Cabinet Durand"
    (record,) = list_exports(Store(db))
    assert record.kind == "mailing"


# --- in the library: the mailing export of a scoped user ------------------------------------------


@pytest.fixture
def demo(store: Store) -> Store:
    generate_demo(store, customers=60, years=1, seed=5, as_of=dt.date(2026, 1, 5), ring=RING)
    return store


def trace(store: Store, path: Path) -> TraceResult:
    return trace_file(store, path, fingerprint_secrets(RING), threshold=1e-9, verify_keys=verify_keys(RING))


def test_the_mailing_export_of_a_scoped_user(demo: Store, tmp_path: Path) -> None:
    scoped = Principal("cmorel", "manager", Scope(regions=frozenset({"IDF"})))
    with demo.engine.connect() as conn:
        idf = set(conn.execute(select(Customer.code).where(Customer.region_id == 1)).scalars())
    contacts = mailing_rows(demo, scoped, RING)
    assert contacts and {c["code"] for c in contacts} == idf
    assert all(c["contact"] and not c["contact"].startswith("v1") for c in contacts)  # decrypted
    assert all(c["address"] and not str(c["address"]).startswith("v1") for c in contacts)

    out = tmp_path / "mailing.xlsx"
    result = make_export(
        demo,
        scoped,
        ExportRequest("Routage Express", "voeux", "mailing", "xlsx", "labels", "fr"),
        out,
        keys=KEYS,
        rules=ExportRules(),
        now=NOON,
    )
    assert (result.rows, result.traps) == (len(contacts), 3)
    header, *rows = [list(r) for r in load_workbook(out).worksheets[0].iter_rows(values_only=True)]
    assert header == FRENCH_MAILING_HEADER
    assert len(rows) == len(contacts) + 3
    (record,) = list_exports(demo)
    trap_codes = {t.code for t in record.traps}
    real = [r for r in rows if r[0] not in trap_codes]
    assert {r[0] for r in real} == idf
    # the real rows: the contacts as stored, company names and addresses only respelled
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in real] == [
        (c["code"], c["contact"], c["function"], c["email"], c["phone"]) for c in contacts
    ]
    assert [canonical(r[1]) for r in real] == [canonical(c["name"]) for c in contacts]
    assert [canonical(r[6]) for r in real] == [canonical(c["address"]) for c in contacts]
    # the traps: fictitious people, nobody's e-mail, a phone number of the fiction ranges
    people = {c["contact"] for c in contacts}
    emails = {c["email"] for c in contacts}
    for trap in (r for r in rows if r[0] in trap_codes):
        assert trap[2] not in people and trap[4] is None and FICTION_PHONE.fullmatch(str(trap[5]))
    for kept in record.traps:  # the registry holds no real person's details
        assert not set(map(str, kept.shape.values())) & (people | {str(e) for e in emails})

    found = trace(demo, out)
    assert found.attributed is not None and found.attributed.export.recipient == "Routage Express"
    assert len(found.attributed.traps) == 3  # a small file: its traps name it, with its fingerprint
    assert any("Routage Express" in line for line in verdict_in("fr", found))

    # cleaned up for a mailing tool: e-mail, name and city only, lower case, another separator
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[r[4] or "", r[2], str(r[1]).lower(), str(r[6]).lower(), r[8]] for r in rows])
    leak = tmp_path / "routage.csv"
    leak.write_text(buffer.getvalue(), encoding="utf-8")
    again = trace(demo, leak)
    assert again.attributed is not None and again.attributed.export.export_uid == result.export_uid


def test_codes_and_english_mailing_are_traced_too(demo: Store, tmp_path: Path) -> None:
    for lang, headers in (("en", "labels"), ("fr", "codes")):
        out = tmp_path / f"{lang}-{headers}.csv"
        made = make_export(
            demo,
            Principal("cmorel", "manager"),
            ExportRequest(f"R-{lang}-{headers}", "test", "mailing", "csv", headers, lang),
            out,
            keys=KEYS,
            rules=ExportRules(),
            now=NOON,
        )
        first = out.read_text(encoding="utf-8-sig").splitlines()[0]
        if headers == "codes":
            assert first == ";".join(MAILING_COLUMNS)
        else:
            assert first.startswith("Customer code,Company name,Contact person,Function,Email,Phone,Address")
        found = trace(demo, out)
        assert found.attributed is not None and found.attributed.export.export_uid == made.export_uid


# --- on the web: the page's language ----------------------------------------------------------------


def test_the_web_mailing_export_in_french_is_traced(tmp_path: Path) -> None:
    import zipfile

    from tests.web.conftest import csrf_of, fill_demo, logged_in, make_app

    store = fill_demo(Store(f"sqlite:///{tmp_path}/web.db"))
    app = make_app(store, tmp_path)
    french = {"headers": {"Accept-Language": "fr-FR,fr;q=0.9"}}
    manager = logged_in(app, "cmorel", **french)
    form = manager.get("/export").text
    assert "Que faut-il exporter" in form and "Publipostage (interlocuteurs)" in form and "What to export" not in form
    made = manager.post(
        "/export",
        data={
            "recipient": "Routage Express",
            "purpose": "vœux",
            "kind": "mailing",
            "format": "csv",
            "csrf_token": csrf_of(form),
        },
    )
    assert made.status_code == 200, made.text
    bundle = zipfile.ZipFile(io.BytesIO(made.content))
    (name,) = [n for n in bundle.namelist() if n.endswith(".csv")]
    assert name == "mailing-Routage-Express.csv"
    leaked = bundle.read(name)
    assert leaked.decode("utf-8-sig").splitlines()[0] == ";".join(FRENCH_MAILING_HEADER)
    history = manager.get("/export").text
    assert "Publipostage (interlocuteurs)" in history
    auditor = logged_in(app, "pbernard", **french)
    page = auditor.post(
        "/trace", data={"csrf_token": csrf_of(auditor.get("/trace").text)}, files={"file": ("trouve.csv", leaked)}
    ).text
    assert "Correspondance : export" in page and "Routage Express" in page
    store.dispose()
