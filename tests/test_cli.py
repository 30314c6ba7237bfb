"""The ``clientfolio`` command through typer's CliRunner, and its documentation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.main import get_command
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.store import Store

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
GOOD = "N° facture;Date;Client;Nom;Montant\nF1;01/01/2024;C1;Un;10\nF2;01/01/2023;C2;Deux;5,50\n"
BAD = "N° facture;Date;Client;Nom;Montant\nF1;41/01/2024;C1;Un;10\nF2;01/01/2023;C2;Deux;x\nF3;01/01/2023;C2;Deux;1\n"


@pytest.fixture(autouse=True)
def wide_plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich output without colours or wrapping, whatever the terminal."""
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "clientfolio.key"))  # import audits with it
    return f"sqlite:///{tmp_path}/x.db"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.app, list(args), env=env)


def write(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def table_rows(output: str) -> list[list[str]]:
    """The cells of each body row of Rich tables (lines with │ separators)."""
    return [[c.strip() for c in line.strip().strip("│").split("│")] for line in output.splitlines() if "│" in line]


def test_import_prints_columns_and_counts(tmp_path: Path, db: str) -> None:
    result = run("import", write(tmp_path, "f.csv", GOOD), "--db", db)
    assert result.exit_code == 0, result.output
    assert "Columns matched" in result.stdout and "invoices: 2 rows read" in result.stdout
    assert table_rows(result.stdout) == [
        ["Invoice number", "N° facture"],
        ["Invoice date", "Date"],
        ["Customer code", "Client"],
        ["Customer name", "Nom"],
        ["Amount excl. tax", "Montant"],
        ["customers", "2", "0", "0"],
        ["invoice lines", "2", "0", "0"],
        ["invoices", "2", "0", "0"],
        ["payments", "0", "0", "0"],
        ["products", "0", "0", "0"],
    ]
    assert result.stdout.rstrip().endswith("Imported (import #1).")
    again = run("import", str(tmp_path / "f.csv"), "--db", db)
    assert again.exit_code == 0
    assert again.stdout.strip() == "f.csv was already imported (import #1): nothing to do."


def test_bad_file_exits_1_and_lists_the_rows(tmp_path: Path, db: str) -> None:
    result = run("import", write(tmp_path, "g.csv", BAD), "--db", db)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Nothing imported: 2 problem(s)" in result.stderr
    assert table_rows(result.stderr) == [
        ["g.csv", "2", "Date", "41/01/2024", "no such date"],
        ["g.csv", "3", "Montant", "x", "not a number (decimal separator is ',')"],
    ]
    summary = run("summary", "--json", "--db", db)
    assert json.loads(summary.stdout) == {"customers": 0, "periods": []}


def test_import_json(tmp_path: Path, db: str) -> None:
    ok = run("import", write(tmp_path, "f.csv", GOOD), "--json", "--db", db)
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {
        "imported": True,
        "file": "f.csv",
        "kind": "invoices",
        "rows_read": 2,
        "created": {"invoices": 2, "invoice_lines": 2, "payments": 0, "customers": 2, "products": 0},
        "updated": {},
        "unchanged": {},
        "columns": {
            "invoice_number": "N° facture",
            "invoice_date": "Date",
            "customer_code": "Client",
            "customer_name": "Nom",
            "amount": "Montant",
        },
        "dry_run": False,
        "already_imported": False,
        "import_id": 1,
        "set_aside": [],
        "sheet": None,
    }
    bad = run("import", write(tmp_path, "g.csv", BAD), "--json", "--db", db)
    assert bad.exit_code == 1
    assert json.loads(bad.stdout) == {
        "imported": False,
        "total_errors": 2,
        "errors": [
            {"file": "g.csv", "line": 2, "column": "Date", "value": "41/01/2024", "reason": "no such date"},
            {
                "file": "g.csv",
                "line": 3,
                "column": "Montant",
                "value": "x",
                "reason": "not a number (decimal separator is ',')",
            },
        ],
    }


def test_import_kind_and_mapping_options(tmp_path: Path, db: str) -> None:
    mapping = write(tmp_path, "m.toml", '[columns]\ncustomer_code = "Ident"\nname = "Libellé"\n')
    data = write(tmp_path, "c.csv", "Ident;Libellé\nK1;Kappa\n")
    result = run("import", data, "--kind", "customers", "--mapping", mapping, "--json", "--db", db)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["kind"], out["columns"], out["created"]["customers"]) == (
        "customers",
        {"customer_code": "Ident", "name": "Libellé"},
        1,
    )
    unknown = run("import", data, "--kind", "ventes", "--json", "--db", db)
    assert unknown.exit_code == 1
    assert json.loads(unknown.stdout)["errors"][0]["reason"] == (
        "unknown kind; use one of invoices, customers, products, prospects, activities, fec"
    )
    bad_mapping = write(tmp_path, "bad.toml", 'separator = ";"\n')
    refused = run("import", data, "--mapping", bad_mapping, "--db", db)
    assert refused.exit_code == 1
    assert table_rows(refused.stderr) == [
        [
            "bad.toml",
            "",
            "",
            "separator",
            "unknown keys; use ['columns', 'date_order', 'decimal', 'delimiter', 'encoding', 'header_row', 'sheet']",
        ]
    ]


def test_dry_run_writes_nothing(tmp_path: Path, db: str) -> None:
    path = write(tmp_path, "f.csv", GOOD)
    result = run("import", path, "--dry-run", "--db", db)
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("Dry run: nothing written.")
    assert ["invoices", "2", "0", "0"] in table_rows(result.stdout)
    as_json = json.loads(run("import", path, "--dry-run", "--json", "--db", db).stdout)
    assert (as_json["imported"], as_json["dry_run"], as_json["import_id"], as_json["created"]["invoices"]) == (
        False,
        True,
        None,
        2,
    )
    assert json.loads(run("summary", "--json", "--db", db).stdout) == {"customers": 0, "periods": []}
    assert json.loads(run("import", path, "--json", "--db", db).stdout)["import_id"] == 1


def test_summary(tmp_path: Path, db: str) -> None:
    assert run("import", write(tmp_path, "f.csv", GOOD), "--db", db).exit_code == 0
    result = run("summary", "--json", "--db", db)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "customers": 2,
        "periods": [
            # new as the measures define it (first line ever in the period): C2, whose data starts here
            {
                "start": "2022-01-02",
                "end": "2023-01-01",
                "complete": False,
                "active": 1,
                "new": 1,
                "lost": 0,
                "revenue_cents": 550,
                "top20_share": 1.0,
            },
            {
                "start": "2023-01-02",
                "end": "2024-01-01",
                "complete": True,
                "active": 1,
                "new": 1,
                "lost": 1,
                "revenue_cents": 1000,
                "top20_share": 1.0,
            },
        ],
    }
    table = run("summary", "--db", db)
    assert table.exit_code == 0 and "Portfolio: 2 customers with sales, by twelve-month period" in table.stdout
    assert [row[:5] for row in table_rows(table.stdout)] == [
        ["1 Jan 2023 (partial)", "1", "1", "0", "-"],
        ["1 Jan 2024", "1", "1", "1", "1.00"],
    ]


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTFOLIO_DATE_ORDER", "mdy")
    monkeypatch.delenv("CLIENTFOLIO_DATABASE_URL", raising=False)
    result = run("settings", "--json")
    assert result.exit_code == 0
    settings = {s["variable"]: s["value"] for s in json.loads(result.stdout)["settings"]}
    assert settings == {
        "CLIENTFOLIO_DATABASE_URL": "'sqlite:///./clientfolio.db'",
        "CLIENTFOLIO_CONFIG": "''",
        "CLIENTFOLIO_DATE_ORDER": "'mdy'",
        "CLIENTFOLIO_IMPORT_CHUNK_ROWS": "20000",
        "CLIENTFOLIO_MAX_REPORTED_ERRORS": "10000",
        "CLIENTFOLIO_KEY_FILE": "'./clientfolio.key'",
        "CLIENTFOLIO_LOGIN_MAX_FAILURES": "5",
        "CLIENTFOLIO_LOGIN_LOCKOUT_MINUTES": "15",
        "CLIENTFOLIO_LOGIN_ADDRESS_MAX_FAILURES": "20",
        "CLIENTFOLIO_LOGIN_ADDRESS_WINDOW_MINUTES": "15",
        "CLIENTFOLIO_SESSION_IDLE_MINUTES": "30",
        "CLIENTFOLIO_SESSION_LIFETIME_HOURS": "8",
        "CLIENTFOLIO_RETENTION_PROSPECT_YEARS": "3",
        "CLIENTFOLIO_RETENTION_CUSTOMER_CONTACT_YEARS": "3",
        "CLIENTFOLIO_EXPORT_ALERT_ROWS": "1000",
        "CLIENTFOLIO_EXPORT_VOLUME_FACTOR": "5.0",
        "CLIENTFOLIO_EXPORT_VOLUME_MIN_HISTORY": "3",
        "CLIENTFOLIO_EXPORT_DAY_START_HOUR": "7",
        "CLIENTFOLIO_EXPORT_DAY_END_HOUR": "20",
        "CLIENTFOLIO_EXPORT_TIMEZONE": "'Europe/Paris'",
        "CLIENTFOLIO_EXPORT_HARD_LIMIT_ROWS": "10000",
        "CLIENTFOLIO_EXPORT_TRAP_RECORDS": "3",
        "CLIENTFOLIO_TRACE_THRESHOLD": "1e-09",
        "CLIENTFOLIO_WEB_SECURE_COOKIES": "False",
        "CLIENTFOLIO_WEB_CACHE_SECONDS": "600",
        "CLIENTFOLIO_WEB_FIGURES_DIR": "'./clientfolio-figures'",
        "CLIENTFOLIO_WEB_MAX_UPLOAD_MB": "20",
        "CLIENTFOLIO_UPLOAD_MAX_EXPANDED_MB": "200",
        "CLIENTFOLIO_UPLOAD_MAX_ZIP_RATIO": "100",
        "CLIENTFOLIO_UPLOAD_MAX_ROWS": "1048576",
        "CLIENTFOLIO_UPLOAD_MAX_CELLS": "5000000",
        "CLIENTFOLIO_UPLOAD_MAX_FIELD_CHARS": "131072",
        "CLIENTFOLIO_UPLOAD_SECONDS": "120",
        "CLIENTFOLIO_UPLOAD_WORKERS": "2",
        "CLIENTFOLIO_UPLOAD_QUEUE": "4",
    }
    listed = run("settings")
    assert listed.exit_code == 0
    own = listed.stdout.split("Domain settings")[0]
    # one line "VARIABLE = value" per setting, its help indented below
    assert [line.split(" = ", 1) for line in own.splitlines() if line.startswith("CLIENTFOLIO_")] == [
        [v, settings[v]] for v in settings
    ]
    assert "    Where the customer store lives." in own


def test_db_status_and_upgrade(tmp_path: Path, db: str) -> None:
    head = Store.head_revision()
    status = run("db", "status", "--db", db)
    assert status.exit_code == 0
    assert status.stdout.strip() == f"{db}: revision none (latest {head}): needs `clientfolio db upgrade`."
    upgrade = run("db", "upgrade", "--db", db)
    assert upgrade.exit_code == 0
    assert upgrade.stdout.strip() == f"{db} is at schema revision {head}."
    status = run("db", "status", "--db", db)
    assert status.stdout.strip() == f"{db}: revision {head} (latest {head}): up to date."


def test_unreachable_store_exits_1(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    result = run("db", "upgrade", "--db", f"sqlite:///{tmp_path}/dir.db")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot open the store at sqlite:///{tmp_path}/dir.db: ")


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the tree, groups included, with its path of names."""
    if path:
        yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


def doc_sections() -> dict[str, str]:
    """docs/cli.md cut at its "## `clientfolio ...`" headings."""
    parts = re.split(r"^#{2,3} `clientfolio ([a-z ]+)`\s*$", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_command_has_help_and_is_documented() -> None:
    tree = list(commands(get_command(cli.app)))
    assert {" ".join(path) for path, _ in tree} == {
        "import",
        "demo",
        "summary",
        "analyze",
        "value",
        "prospects",
        "activity",
        "activity log",
        "settings",
        "db",
        "db upgrade",
        "db status",
        "keys",
        "keys status",
        "keys rotate",
        "keys recover",
        "backup",
        "restore",
        "export",
        "trace",
        "verify",
        "exports",
        "exports list",
        "exports approve",
        "user",
        "user add",
        "user list",
        "user disable",
        "user scope",
        "audit",
        "audit verify",
        "audit list",
        "gdpr",
        "gdpr record",
        "gdpr access",
        "gdpr rectify",
        "gdpr erase",
        "gdpr object",
        "gdpr retention",
        "assess",
        "plan",
        "plan list",
        "plan suggest",
        "plan swot",
        "plan export",
        "plan header",
        "plan add",
        "plan update",
        "serve",
        "report",
    }
    sections = doc_sections()
    assert set(sections) == {" ".join(path) for path, _ in tree}
    for path, command in tree:
        name = " ".join(path)
        assert (command.help or "").strip(), f"{name} has no help text"
        first_line = command.help.strip().splitlines()[0].rstrip(".")
        assert first_line.lower() in " ".join(sections[name].split()).lower(), f"{name}: help not in the docs"
        for param in command.params:
            assert (getattr(param, "help", None) or "").strip(), f"{name} {param.name} has no help text"
            names = param.opts if param.param_type_name == "option" else [param.name.upper()]
            for opt in names:
                assert f"`{opt}" in sections[name], f"{name}: {opt} is not documented in docs/cli.md"
        help_run = run(*path, "--help")
        assert help_run.exit_code == 0 and first_line in " ".join(help_run.stdout.split())


def test_version_is_the_installed_packages() -> None:
    from importlib.metadata import version

    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"clientfolio {version('clientfolio')}\n"
    assert run("--version", "value").stdout == result.stdout  # eager: the command after it is not run


def test_a_table_keeps_its_essential_columns_in_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from clientfolio.cli._common import Column, column_table

    columns = [Column("name", lambda row: row), Column("detail", lambda row: row * 2, wide_only=True)]
    for width, headers in (("80", ["name"]), ("120", ["name", "detail"])):
        monkeypatch.setenv("COLUMNS", width)
        table = column_table("t", columns, ["Lambert-Bertrand"])
        assert [str(c.header) for c in table.columns] == headers
        assert {c.overflow for c in table.columns} == {"fold"}  # a long name folded, never cut ("Lambert-Bert…")


def test_a_table_too_wide_gives_its_room_where_the_table_gets_shorter() -> None:
    """The room left once every word fits goes where it makes the table shorter: a
    row is as tall as its tallest cell, so widening one of two long texts of the same
    rows saves nothing, and a header stacked a word a line ("Dans / le / plan", over
    an empty column) is unstacked first (``plan suggest`` at 80 columns)."""
    import io

    from rich.table import Table
    from rich.text import Text

    from clientfolio.cli._fitting import fitting

    action = "Assurer le suivi de Centre dentaire des Trois Rivières SAS"
    reason = "Client A, dernier contact le 18 août 2026 (il y a 108 jours) ; 703 159 € par an en jeu"
    table = Table("n", "Action", "Motif", "Priorité", "CA attendu", "Dans le plan", title="Actions suggérées")
    for n in range(1, 31):
        table.add_row(str(n), action, reason, "1", "72\u202f627\u00a0€", "")
    out = io.StringIO()
    fitting(Console(width=80, file=out, color_system=None)).print(table)
    lines = Text.from_ansi(out.getvalue()).plain.splitlines()
    assert max(len(line) for line in lines) <= 80
    head = lines[1 : next(i for i, line in enumerate(lines) if set(line.strip()) <= set("─━ "))]
    assert len(head) <= 2, "\n".join(lines[:6])  # the header on two lines at most
    assert "plan" in " ".join(head)


def test_a_header_is_given_two_lines_before_the_rows_get_the_room() -> None:
    """A header stacked a word a line over an empty column ("Dans / le / plan") gets
    the room for two lines first, even where the same room would save more lines
    of a long text beside it."""
    from clientfolio.cli._fitting import _whole_word_widths

    reasons = [f"Client A, dernier contact il y a {n} jours ; {n} € par an en jeu" for n in range(100, 130)]
    columns = [["Dans le plan", *[""] * 30], ["Motif", *reasons]]
    widths = _whole_word_widths(columns, 4 + 7 + 20, headed=True)
    assert widths is not None and widths[0] >= len("Dans le") and sum(widths) <= 31
    assert _whole_word_widths(columns, 4 + 7, headed=True) == [4, 7]  # no room: the longest words
    # the header's words left out for lack of room, an empty column still takes a character (was a
    # ZeroDivisionError: ``clientfolio plan suggest`` at 80 columns, no action in the plan yet, a long name)
    assert _whole_word_widths([["Dans le plan", *[""] * 30], ["Motif", "x" * 70]], 71, headed=True) == [1, 70]


def test_printed_text_is_wrapped_at_ascii_spaces_only() -> None:
    """A French amount's no-break spaces are not line breaks, in a text printed alone or in
    a panel (``cli._fitting.fitting``): Rich alone breaks at any Unicode space."""
    import io

    from rich.panel import Panel

    from clientfolio.cli._fitting import fitting

    amount = "4\u202f454\u202f354\u00a0€"
    line = " ".join(["les modèles prévoyaient", amount, "de CA"] * 6)
    for width in range(30, 90, 7):
        for printed in (f"[bold]Capital[/] {line}", Panel(f"[bold]Capital[/] {line}")):
            out = io.StringIO()
            fitting(Console(width=width, file=out, color_system=None)).print(printed)
            text = out.getvalue()
            assert text.count(amount) == 6 and "[bold]" not in text, (width, text)
            assert max(len(row) for row in text.splitlines()) <= width


def test_a_table_too_wide_keeps_its_words_and_amounts_whole() -> None:
    """A table wider than the terminal is laid out at ASCII spaces (``cli._fitting``):
    Rich alone narrows its widest columns mid-word ("renouvelle/ment"), breaks an
    amount at its no-break spaces ("457 952" above "€"), or "20" above "% premiers".
    Down to the width where the longest words no longer fit side by side, every word
    and amount is on one line, the table within the width, its rows in order and
    styles kept; below it the headers' words fold, the rows' stay whole."""
    import io

    from rich.table import Table
    from rich.text import Text

    from clientfolio.cli._fitting import fitting

    headers = [
        "12 mois au",
        "clients actifs",
        "renouvellement nouveaux/perdus",
        "CA HT",
        "premier levier",
        "part des 20 % premiers",
    ]
    rows = [
        ["4 déc. 2023 (partielle)", "214", "-", "3\u202f444\u202f791\u00a0€", "[bold]orientation[/] +84", "75 %"],
        ["4 déc. 2024", "27", "0,93", "1\u202f279\u202f568\u00a0€", "[bold]orientation[/] +47", "81 %"],
    ]
    cells = [Text.from_markup(cell).plain for row in rows for cell in row]
    figures = {word for text in cells for word in text.split(" ")}
    narrowest = 11 + 7 + 15 + 11 + 11 + 8 + 5  # the longest word of each column, a space between columns
    for width in range(11 + 3 + 4 + 11 + 11 + 4 + 5, 100):  # the rows' longest words: their figures stay whole
        words = figures | ({word for text in headers for word in text.split(" ")} if width >= narrowest else set())
        table = Table(*headers, title="Portefeuille")
        for row in rows:
            table.add_row(*row)
        out = io.StringIO()
        fitting(Console(width=width, file=out, color_system="standard", force_terminal=True)).print(table)
        plain = Text.from_ansi(out.getvalue()).plain
        lines = plain.splitlines()
        assert max(len(line) for line in lines) <= width, (width, plain)
        found = {word for line in lines for word in line.split(" ")}  # a word or an amount cut shows as two
        assert words <= found, (width, sorted(words - found), plain)
        assert "75 %" in plain and ("20 %" in plain or width < narrowest), (width, plain)  # no line starts with "%"
        assert plain.index("214") < plain.index("27") and "\x1b[1m" in out.getvalue()  # rows in order, bold kept
