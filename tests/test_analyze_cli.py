"""``clientfolio analyze``: files in, the four analysis files out, same answers from the store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from clientfolio import cli

# Three customers as of 2024-12-31 (12-month period 2024-01-01..2024-12-31):
# C1 1,000.00 (two invoices), C2 300.00, C3 100.00 then a 100.00 credit note (net 0).
# ABC on 1,300.00: C1 share 0.769231 -> A (cumulative before 0 < 0.8); C2 0.230769 -> B
# (cumulative before 0.769 < 0.8 ... so A as well: the one crossing 80 % stays A);
# C3 zero revenue -> C.
TRANSACTIONS = """customer_id,invoice_id,date,amount,product,segment
C1,F1,2024-03-01,600.00,P1,S1
C1,F2,2024-11-15,400.00,P2,S1
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


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_analyze_a_file_writes_the_four_files(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text(TRANSACTIONS, encoding="utf-8")
    result = run("analyze", "--transactions", str(source), "--as-of", "2024-12-31", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["abc.csv", "measures.json", "rfm.csv", "segment_product.csv"]
    abc = read_csv(out / "abc.csv")
    assert [(r["customer_id"], r["revenue"], r["class"]) for r in abc] == [
        ("C1", "1000.00", "A"),
        ("C2", "300.00", "A"),
        ("C3", "0.00", "C"),
    ]
    assert float(abc[0]["share"]) == pytest.approx(1000 / 1300, abs=1e-6)
    assert float(abc[1]["cumulative_share"]) == pytest.approx(1.0)
    rfm = read_csv(out / "rfm.csv")
    assert list(rfm[0]) == [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "quarters",
        "profile",
    ]
    by_id = {r["customer_id"]: r for r in rfm}
    # quarters: (2024-01-01..03-31], ..., (2024-09-30..12-31]; C1 bought in q1 (03-01) and q4 (11-15)
    assert (by_id["C1"]["quarters"], by_id["C1"]["frequency"], by_id["C1"]["monetary"]) == ("1001", "2", "1000.00")
    assert by_id["C1"]["recency_days"] == "46"
    matrix = read_csv(out / "segment_product.csv")
    assert matrix[-1] == {"segment": "Total", "P1": "900.00", "P2": "400.00", "total": "1300.00"}
    measures = json.loads((out / "measures.json").read_text(encoding="utf-8"))
    assert measures["as_of"] == "2024-12-31"
    assert measures["current"]["revenue_cents"] == 130000


def test_analyze_json_and_default_as_of(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text(TRANSACTIONS, encoding="utf-8")
    result = run("analyze", "--transactions", str(source), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2024-11-15"  # the last sale
    assert {row["class"] for row in data["abc_summary"]} == {"A", "B", "C"}


def store_with_invoices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store holding TRANSACTIONS, imported from an accounting export."""
    db = f"sqlite:///{tmp_path}/s.db"
    invoices = tmp_path / "factures.csv"
    invoices.write_text(
        "N° facture;Date;Code client;Raison sociale;Article;Désignation;Famille;Montant HT;Type\n"
        "F1;01/03/2024;C1;Un;A1;Vis;P1;600,00;facture\n"
        "F2;15/11/2024;C1;Un;A2;Écrous;P2;400,00;facture\n"
        "F3;10/06/2024;C2;Deux;A1;Vis;P1;300,00;facture\n"
        "F4;01/02/2024;C3;Trois;A1;Vis;P1;100,00;facture\n"
        "AV1;20/02/2024;C3;Trois;A1;Vis;P1;100,00;avoir\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "clientfolio.key"))  # import audits with it
    assert run("import", str(invoices), "--db", db).exit_code == 0
    return db


def test_the_store_gives_the_same_analysis_as_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = store_with_invoices(tmp_path, monkeypatch)
    from_store = run("analyze", "--db", db, "--as-of", "2024-12-31", "--json")
    assert from_store.exit_code == 0, from_store.output
    source = tmp_path / "t.csv"
    source.write_text(TRANSACTIONS.replace(",S1", ",").replace(",S2", ","), encoding="utf-8")
    from_file = run("analyze", "--transactions", str(source), "--as-of", "2024-12-31", "--json")
    store_data, file_data = json.loads(from_store.stdout), json.loads(from_file.stdout)
    assert store_data["abc"] == file_data["abc"]
    assert store_data["rfm"] == file_data["rfm"]
    assert store_data["measures"] == file_data["measures"]
    # the store's lines analysed on DuckDB (from a private copy) give the same answers
    on_duckdb = run("analyze", "--db", db, "--engine", "duckdb", "--as-of", "2024-12-31", "--json")
    assert on_duckdb.exit_code == 0, on_duckdb.output
    assert json.loads(on_duckdb.stdout) == store_data


@pytest.mark.spark
def test_the_store_analysed_on_spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = store_with_invoices(tmp_path, monkeypatch)
    on_sqlite = run("analyze", "--db", db, "--as-of", "2024-12-31", "--json")
    on_spark = run("analyze", "--db", db, "--engine", "spark", "--as-of", "2024-12-31", "--json")
    assert on_sqlite.exit_code == 0 and on_spark.exit_code == 0, on_spark.output
    assert json.loads(on_spark.stdout) == json.loads(on_sqlite.stdout)
    assert json.loads(on_spark.stdout)["measures"]["current"]["active_customers"] == 2


def test_analyze_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date\nC1,2024-01-01\n", encoding="utf-8")
    result = run("analyze", "--transactions", str(bad))
    assert result.exit_code == 1
    assert "missing: invoice_id, amount" in result.stderr
    assert run("analyze", "--transactions", str(bad), "--as-of", "31/12/2024").exit_code == 1
    result = run("analyze", "--transactions", str(tmp_path / "none.csv"))
    assert result.exit_code == 1 and "no such file" in result.stderr
    result = run("analyze", "--db", f"sqlite:///{tmp_path}/e.db", "--engine", "postgres")
    assert result.exit_code == 1 and "--engine sqlite, duckdb or spark" in result.stderr
    # a header ending in LF over CRLF rows (two exports pasted together): DuckDB cannot sniff it
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"customer_id,invoice_id,date,amount\n" + b"C1,F1,2024-01-01,10.00\r\n" * 3)
    result = run("analyze", "--transactions", str(mixed))
    assert result.exit_code == 1 and "mixed.csv: the engine cannot read it (" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # a date no calendar has, found only when the file is queried: the same message, for analyze and value
    bad = tmp_path / "bad-date.csv"
    bad.write_text("customer_id,invoice_id,date,amount\nC1,F1,2024-01-01,10.00\nC1,F2,0001--,12.00\n")
    for command in ("analyze", "value"):
        result = run(command, "--transactions", str(bad))
        assert result.exit_code == 1 and "bad-date.csv: the engine cannot read it (" in result.stderr, command
        assert "Traceback" not in result.stderr + result.stdout


def test_lines_without_segment_or_product_are_named_in_the_users_language(tmp_path: Path) -> None:
    """A file without segments or product lines (as CDNOW's): the matrix's row and
    column of those lines read "(non renseigné)" in French, on the terminal and in
    the labelled CSV, and keep their code in the CSV for machines."""
    source = tmp_path / "t.csv"
    source.write_text("customer_id,invoice_id,date,amount\nC1,F1,2024-03-01,600.00\n", encoding="utf-8")
    shown = run("analyze", "--transactions", str(source), "--lang", "fr")
    assert shown.exit_code == 0, shown.output
    assert "(non renseigné)" in shown.output and "(unknown)" not in shown.output
    english = run("analyze", "--transactions", str(source))
    assert "(not given)" in english.output and "(unknown)" not in english.output

    labelled, coded = tmp_path / "labels", tmp_path / "codes"
    french_run = run(
        "analyze", "--transactions", str(source), "--lang", "fr", "--out", str(labelled), "--headers", "labels"
    )
    assert french_run.exit_code == 0, french_run.output
    assert run("analyze", "--transactions", str(source), "--out", str(coded)).exit_code == 0
    french = (labelled / "segment_product.csv").read_text(encoding="utf-8-sig").splitlines()
    assert french[:2] == ["Segment;(non renseigné);Total", "(non renseigné);600,00;600,00"]
    assert (coded / "segment_product.csv").read_text(encoding="utf-8").splitlines()[:2] == [
        "segment,(unknown),total",
        "(unknown),600.00,600.00",
    ]
