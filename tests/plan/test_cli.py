"""``clientfolio assess`` and ``clientfolio plan`` on the demo portfolio."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.demo import generate_demo
from clientfolio.plan.suggestions import SUGGESTION_KINDS
from clientfolio.store import Store

AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = Store(f"sqlite:///{path}")
    generate_demo(store, as_of=dt.date(2025, 6, 30))
    store.dispose()
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "clientfolio.key"))  # changes are audited with it
    shutil.copy(demo_file, tmp_path / "demo.db")
    return f"sqlite:///{tmp_path}/demo.db"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli.app, list(args), input=input)


def test_plan_suggests_every_kind_and_accepts_them(db: str, tmp_path: Path) -> None:
    shown = run("plan", "suggest", "--db", db, "--as-of", AS_OF, "--json")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    assert (found["as_of"], found["year"], found["added"]) == (AS_OF, 2025, [])
    assert {s["kind"] for s in found["suggestions"]} == set(SUGGESTION_KINDS)
    assert all(s["reason"] and not s["in_plan"] for s in found["suggestions"])
    n = len(found["suggestions"])
    accepted = run("plan", "suggest", "--db", db, "--as-of", AS_OF, "--accept", "all")
    assert accepted.exit_code == 0, accepted.output
    assert f"{n} actions added to the plan of 2025." in accepted.stdout
    again = json.loads(run("plan", "suggest", "--db", db, "--as-of", AS_OF, "--accept", "1", "--json").stdout)
    assert again["added"] == [] and all(s["in_plan"] for s in again["suggestions"])

    header = run("plan", "header", "--db", db, "--year", "2025", "--company", "Demo SA", "--vision", "Lead")
    assert header.exit_code == 0
    added = run(
        "plan",
        "add",
        "--db",
        db,
        "--year",
        "2025",
        "--title",
        "Train the team",
        "--type",
        "internal",
        "--due",
        "2025-09-30",
        "--budget",
        "1500",
    )
    assert added.stdout.strip() == f"Action #{n + 1} added to the plan of 2025."
    updated = run("plan", "update", "1", "--db", db, "--progress", "100", "--spent", "120.5", "--result-revenue", "900")
    assert updated.exit_code == 0 and "100% done" in updated.stdout

    listed = json.loads(run("plan", "list", "--db", db, "--as-of", "2025-12-31", "--json").stdout)
    assert listed["header"]["company"] == "Demo SA" and len(listed["actions"]) == n + 1
    kinds = {a["suggestion_key"].split(":")[0] for a in listed["actions"] if a["suggestion_key"]}
    assert kinds == set(SUGGESTION_KINDS)
    t = listed["tracking"]
    assert (t["count"], t["done"], t["budget_cents"], t["spent_cents"]) == (n + 1, 1, 150_000, 12_050)
    assert t["overdue"] == sum(1 for a in listed["actions"][1:] if a["due_on"] and a["due_on"] < "2025-12-31")
    table = run("plan", "list", "--db", db, "--year", "2025", "--as-of", "2025-12-31")
    assert "Typology 1: VIP customers" in table.stdout and "Tracking as of 31 Dec 2025" in table.stdout

    out = tmp_path / "pac.xlsx"
    exported = run("plan", "export", "--db", db, "--year", "2025", "--as-of", "2025-12-31", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    pac = load_workbook(out)["PAC"]
    assert pac["A1"].value == "COMPANY ACTION PLAN: Demo SA" and pac.max_row == 3 + n + 1 + 1
    again = run("plan", "export", "--db", db, "--year", "2025", "--out", str(out))  # never over a file
    assert again.exit_code == 1 and "exists: an export never overwrites a file" in again.output
    assert load_workbook(out)["PAC"]["A1"].value == "COMPANY ACTION PLAN: Demo SA"


def test_assess_with_the_team_answers_and_history(db: str, tmp_path: Path) -> None:
    answers = tmp_path / "team.toml"
    answers.write_text("[alice]\nportfolio = 15\nloyalty = 12\n\n[bob]\nportfolio = 11\n", encoding="utf-8")
    result = run("assess", "--db", db, "--as-of", AS_OF, "--answers", str(answers), "--json")
    assert result.exit_code == 0, result.output
    a = json.loads(result.stdout)
    assert a["as_of"] == AS_OF and a["reading"] in ("risk", "consolidate", "guarantee")
    themes = {t["theme"]: t for t in a["themes"]}
    assert (themes["portfolio"]["team_mark"], themes["portfolio"]["respondents"]) == (13.0, 2)
    assert all(t["fact_mark"] is not None for k, t in themes.items())
    assert 0 <= a["fact_mark"] <= 20
    asked = run("assess", "--db", db, "--as-of", AS_OF, "--ask", input="carla\n\n10\n\n\n\n\n")
    assert asked.exit_code == 0, asked.output
    assert "Overall mark on facts" in asked.stdout and "13.0 (2)" in asked.stdout
    history = json.loads(run("assess", "--db", db, "--history", "--json").stdout)
    assert [(h["assessed_on"], h["respondents"]) for h in history] == [(AS_OF, 3)]
    assert history[0]["themes"]["loyalty"]["team_mark"] == 11.0  # alice 12, carla 10
    bad = tmp_path / "bad.toml"
    bad.write_text("[alice]\nsales = 3\n", encoding="utf-8")
    refused = run("assess", "--db", db, "--answers", str(bad))
    assert refused.exit_code == 1 and "unknown theme 'sales'" in refused.stderr


def test_swot_accept_add_edit(db: str) -> None:
    first = json.loads(run("plan", "swot", "--db", db, "--as-of", AS_OF, "--json").stdout)
    quadrants = {s["quadrant"] for s in first["suggested"]}
    assert quadrants == {"threats", "opportunities", "weaknesses", "strengths"} and first["items"] == []
    kept = json.loads(
        run(
            "plan",
            "swot",
            "--db",
            db,
            "--as-of",
            AS_OF,
            "--accept",
            "1",
            "--reject",
            "2",
            "--add",
            "strengths: A stable team",
            "--json",
        ).stdout
    )
    assert [(i["source"], i["accepted"]) for i in kept["items"]] == [
        ("suggested", True),
        ("suggested", False),
        ("user", True),
    ]  # by quadrant: two threats, one strength
    assert [i["text"] for i in kept["items"] if i["source"] == "user"] == ["A stable team"]
    assert len(kept["suggested"]) == len(first["suggested"]) - 2
    mine = next(i["id"] for i in kept["items"] if i["source"] == "user")
    edited = run("plan", "swot", "--db", db, "--as-of", AS_OF, "--edit", f"{mine}: A trained team")
    assert edited.exit_code == 0 and f"#{mine} A trained team" in edited.stdout
    wrong = run("plan", "swot", "--db", db, "--as-of", AS_OF, "--accept", "999")
    assert wrong.exit_code == 1 and "no suggestion 999" in wrong.stderr
