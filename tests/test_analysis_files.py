"""The files of ``analyze --out`` and ``value --out``: codes for machines by
default, the same with ``--headers labels`` named in the run's language (French:
``;``, decimal commas, names instead of codes)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.analytics.rfm import RFM_PROFILES
from clientfolio.analytics.run import ABC_COLUMNS, RFM_COLUMNS, CsvStyle
from clientfolio.demo import generate_demo
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import gettext_for
from clientfolio.store import Store
from clientfolio.value.categories import CATEGORY_NAMES
from clientfolio.value.run import PROSPECT_COLUMN_NAMES, VALUE_COLUMN_NAMES, VALUE_COLUMNS
from clientfolio.value.solvency import STATUS_NAMES
from clientfolio.value.strategy import QUADRANT_NAMES, STRATEGY_NAMES

TRANSACTIONS = """customer_id,invoice_id,date,amount,product,segment
C1,F1,2024-03-01,600.00,P1,S1
C1,F2,2024-11-15,400.50,P2,S1
C2,F3,2024-06-10,300.00,P1,S2
C3,F4,2024-02-01,100.00,P1,S2
C3,AV1,2024-02-20,-100.00,P1,S2
"""


@pytest.fixture(autouse=True)
def plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def read(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def analyze(tmp_path: Path, name: str, *options: str) -> Path:
    source = tmp_path / "t.csv"
    source.write_text(TRANSACTIONS, encoding="utf-8")
    out = tmp_path / name
    result = run("analyze", "--transactions", str(source), "--as-of", "2024-12-31", "--out", str(out), *options)
    assert result.exit_code == 0, result.output
    return out


def test_analyze_files_keep_their_codes_by_default(tmp_path: Path) -> None:
    out = analyze(tmp_path, "codes", "--lang", "fr")  # the files for machines do not follow the language
    abc = (out / "abc.csv").read_bytes()
    assert abc.startswith(b"customer_id,revenue,share,cumulative_share,class\r\nC1,1000.50,0.769")  # no BOM
    rfm = read(out / "rfm.csv")
    assert list(rfm[0]) == list(RFM_COLUMNS)
    assert {r["profile"] for r in rfm} <= set(RFM_PROFILES)
    assert (out / "segment_product.csv").read_bytes().startswith(b"segment,P1,P2,total\r\nS1,600.00,400.50")
    assert analyze(tmp_path, "explicit", "--headers", "codes", "--lang", "fr").joinpath("abc.csv").read_bytes() == abc


def test_analyze_files_in_french_with_labels(tmp_path: Path) -> None:
    codes = read(analyze(tmp_path, "codes") / "rfm.csv")
    out = analyze(tmp_path, "fr", "--headers", "labels", "--lang", "fr")
    raw = (out / "abc.csv").read_text(encoding="utf-8")
    assert raw.startswith(
        "\ufeffCode client;Chiffre d'affaires HT (€);Part du chiffre d'affaires;Part cumulée;Classe ABC"
    )
    abc = read(out / "abc.csv", ";")
    assert [(r["Code client"], r["Chiffre d'affaires HT (€)"], r["Classe ABC"]) for r in abc] == [
        ("C1", "1000,50", "A"),
        ("C2", "300,00", "A"),
        ("C3", "0,00", "C"),
    ]
    assert abc[0]["Part du chiffre d'affaires"].startswith("0,769") and "." not in raw
    rfm = read(out / "rfm.csv", ";")
    assert list(rfm[0])[0] == "Code client" and list(rfm[0])[-1] == "Profil"
    profiles = [r["Profil"] for r in rfm]
    assert profiles == [RFM_PROFILES[r["profile"]].label_in("fr") for r in codes]
    assert not set(profiles) & set(RFM_PROFILES) and not set(profiles) & {p.label for p in RFM_PROFILES.values()}
    grid = (out / "segment_product.csv").read_text(encoding="utf-8").splitlines()
    assert grid[0] == "\ufeffSegment;P1;P2;Total" and grid[-1].startswith("Total;")
    assert "1000,50" in grid[1]


def test_analyze_files_in_english_with_labels(tmp_path: Path) -> None:
    codes = read(analyze(tmp_path, "codes") / "rfm.csv")
    out = analyze(tmp_path, "en", "--headers", "labels", "--lang", "en")
    abc = read(out / "abc.csv")
    assert list(abc[0]) == [
        "Customer code",
        "Revenue excl. tax (€)",
        "Share of revenue",
        "Cumulative share",
        "ABC class",
    ]
    assert abc[0]["Revenue excl. tax (€)"] == "1000.50"
    rfm = read(out / "rfm.csv")
    assert [r["Profile"] for r in rfm] == [RFM_PROFILES[r["profile"]].label for r in codes]


def test_a_wrong_headers_value_is_refused_in_the_language(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text(TRANSACTIONS, encoding="utf-8")
    result = run(
        "analyze", "--transactions", str(source), "--out", str(tmp_path / "o"), "--headers", "x", "--lang", "fr"
    )
    assert result.exit_code == 1 and "en-têtes inconnus x" in result.output
    assert not (tmp_path / "o").exists()
    with pytest.raises(ClientfolioError):
        CsvStyle.of("names", "fr")


def test_every_column_has_a_french_name() -> None:
    fr = gettext_for("fr")
    same = {"Segment", "Quadrant"}  # the same word in French
    for names in (ABC_COLUMNS, RFM_COLUMNS, VALUE_COLUMN_NAMES, PROSPECT_COLUMN_NAMES, STATUS_NAMES):
        for message in names.values():
            assert fr(message) != message or message in same, message
    assert set(VALUE_COLUMN_NAMES) == set(VALUE_COLUMNS)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    generate_demo(Store(db), customers=40, years=2, seed=11, as_of=dt.date(2025, 6, 30))
    return db


def value(demo_db: str, out: Path, *options: str) -> Path:
    result = run("value", "--db", demo_db, "--out", str(out), *options)
    assert result.exit_code == 0, result.output
    return out


def test_value_files(demo_db: str, tmp_path: Path) -> None:
    codes = read(value(demo_db, tmp_path / "codes", "--lang", "fr") / "value.csv")
    assert tuple(codes[0]) == VALUE_COLUMNS
    assert {r["category"] for r in codes} <= set(CATEGORY_NAMES)
    assert any("." in r["revenue"] for r in codes)

    out = value(demo_db, tmp_path / "fr", "--headers", "labels", "--lang", "fr")
    raw = (out / "value.csv").read_text(encoding="utf-8")
    assert raw.startswith("\ufeffCode client;Chiffre d'affaires HT (€);CA potentiel (€);")
    french = read(out / "value.csv", ";")
    assert len(french) == len(codes)
    fr = gettext_for("fr")
    for coded, named in zip(codes, french, strict=True):
        assert named["Code client"] == coded["customer_id"]
        assert named["Chiffre d'affaires HT (€)"] == coded["revenue"].replace(".", ",")
        assert named["Catégorie"] == (fr(CATEGORY_NAMES[coded["category"]]) if coded["category"] else "")
        assert named["Quadrant"] == (fr(QUADRANT_NAMES[coded["quadrant"]]) if coded["quadrant"] else "")
        assert named["Stratégie"] == (fr(STRATEGY_NAMES[coded["strategy"]]) if coded["strategy"] else "")
        status = coded["solvency_status"]
        assert named["Solvabilité"] == (fr(STATUS_NAMES[status]) if status else "")
    categories = {r["Catégorie"] for r in french}
    assert "Fonds de commerce" in categories or "Gestion économique" in categories
    for code in ("vip", "economy", "low_high", "cross_sell", "termination", "entered"):
        assert f";{code};" not in raw
    assert "Low profitability" not in raw and "Cross-selling" not in raw
    prospects = (out / "prospects.csv").read_text(encoding="utf-8")
    assert prospects.startswith("\ufeffCode prospect;Raison sociale;Segment;Région;")

    english = read(value(demo_db, tmp_path / "en", "--headers", "labels", "--lang", "en") / "value.csv")
    assert list(english[0])[:3] == ["Customer code", "Revenue excl. tax (€)", "Potential revenue (€)"]
    assert {r["Category"] for r in english} <= set(CATEGORY_NAMES.values()) | {""}
    assert [r["Revenue excl. tax (€)"] for r in english] == [r["revenue"] for r in codes]
