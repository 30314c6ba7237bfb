"""``clientfolio prospects`` and ``clientfolio activity`` on the demo portfolio,
which fills every stage and every cell of the priority matrix."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.access import SYSTEM, PipelineReader
from clientfolio.demo import generate_demo
from clientfolio.prospects.priority import PRIORITY
from clientfolio.store import Store
from clientfolio.store.schema import PROSPECT_STAGES, Prospect

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    store = Store(url)
    generate_demo(store, customers=120, years=2, seed=11, as_of=AS_OF)
    store.dispose()
    return url


@pytest.fixture(autouse=True)
def plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def test_the_demo_fills_every_stage_and_keeps_a_coherent_history(demo_db: str) -> None:
    store = Store(demo_db)
    reader = PipelineReader(store, SYSTEM)
    prospects = {p.code: p for p in reader.prospects()}
    assert {p.stage for p in prospects.values()} == set(PROSPECT_STAGES)
    assert all(p.lost_reason for p in prospects.values() if p.stage == "lost")
    assert not any(p.lost_reason for p in prospects.values() if p.stage != "lost")
    moves = defaultdict(list)
    for change in reader.stage_changes():
        moves[change.prospect_code].append(change)
    for code, p in prospects.items():
        history = moves[code]
        assert history[0].from_stage is None and history[0].changed_on == p.created_on
        assert history[-1].to_stage == p.stage
        assert all(
            a.to_stage == b.from_stage and a.changed_on <= b.changed_on
            for a, b in zip(history, history[1:], strict=False)
        )
        assert history[-1].changed_on <= AS_OF
    with store.session() as session:
        assert session.scalar(select(Prospect.contact_knowledge).where(Prospect.stage == "hot").limit(1)) is not None
    store.dispose()


def test_prospects_json_matrix_funnel_and_backward(demo_db: str) -> None:
    result = run("prospects", "--db", demo_db, "--as-of", "2025-06-30", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    cells = {(c["potential"], c["accessibility"]): c["prospects"] for c in out["matrix"]}
    assert set(cells) == set(PRIORITY) and all(n > 0 for n in cells.values())
    assert sum(cells.values()) == len(out["prospects"])
    assert all(out["funnel"]["counts"][stage] > 0 for stage in PROSPECT_STAGES)
    backward = out["backward"]
    assert backward["target"] >= backward["new_customers_per_year"]
    assert [s["stage"] for s in backward["stages"]] == ["suspect", "prospect", "cold", "warm", "hot", "won"]
    assert backward["stages"][-1]["needed"] == backward["target"]
    priorities = [p["priority"] for p in out["prospects"]]
    assert priorities == sorted(priorities)


def test_prospects_priority_lists_one_cell_group(demo_db: str) -> None:
    everything = json.loads(run("prospects", "--db", demo_db, "--as-of", "2025-06-30", "--json").stdout)
    first = json.loads(run("prospects", "--db", demo_db, "--as-of", "2025-06-30", "--priority", "1", "--json").stdout)
    assert first["priority"] == 1
    assert [p["code"] for p in first["prospects"]] == [p["code"] for p in everything["prospects"] if p["priority"] == 1]
    assert {(p["potential"], p["accessibility"]) for p in first["prospects"]} == {("high", "high")}
    table = run("prospects", "--db", demo_db, "--as-of", "2025-06-30", "--priority", "1")
    assert table.exit_code == 0
    assert f"Priority 1 prospects as of 30 Jun 2025: {len(first['prospects'])}" in table.stdout
    assert run("prospects", "--db", demo_db, "--priority", "5").exit_code == 2


def test_prospects_tables(demo_db: str) -> None:
    result = run("prospects", "--db", demo_db, "--as-of", "2025-06-30")
    assert result.exit_code == 0, result.output
    for title in (
        "Priority matrix IPA / IPO",
        "Funnel",
        "To win",
        "Lost reasons",
        "Funnel by source",
        "Funnel by owner",
        "Warm prospect",
    ):
        assert title in result.stdout
    assert "clientfolio prospects --priority 1" in result.stdout
    french = run("prospects", "--db", demo_db, "--as-of", "2025-06-30", "--lang", "fr")
    assert french.exit_code == 0, french.output
    for title in ("Matrice de priorité IPA / IPO", "Entonnoir par origine", "Prospect tiède", "juin 2025"):
        assert title in french.stdout
    for english in ("Funnel", "Warm prospect", "Lost reasons", "win rate", "high"):
        assert english not in french.stdout


def test_activity_json_and_tables(demo_db: str) -> None:
    result = run("activity", "--db", demo_db, "--as-of", "2025-06-30", "--months", "3", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["start"], out["end"], out["months"]) == ("2025-03-31", "2025-06-30", 3)
    assert out["reps"] and out["team"]["reps"] == len(out["reps"])
    assert out["team"]["activities"] == sum(r["activities"] for r in out["reps"])
    for score in (*out["reps"], out["team"]):
        assert score["index"] == pytest.approx(score["quantity"] * score["orientation"] * score["efficiency"])
        assert all(0 <= score[f] <= 10 for f in ("quantity", "orientation", "efficiency"))
        gains = [lever["gain"] for lever in score["levers"]]
        assert gains == sorted(gains, reverse=True)
    important = out["important_customers"]
    # A on revenue, VIP from the crossed ABC (clientfolio.value): both kinds show
    assert important and all(set(c["reasons"]) <= {"A", "VIP"} for c in important)
    assert {"A", "VIP"} <= {reason for c in important for reason in c["reasons"]}
    assert all(c["unfollowed"] == (c["days_since"] is None or c["days_since"] > 90) for c in important)
    table = run("activity", "--db", demo_db, "--as-of", "2025-06-30")
    assert table.exit_code == 0
    for title in (
        "Sales activity index, 31 Mar 2025 to 30 Jun 2025",
        "What if the team raised one factor",
        "A / VIP customers without contact",
    ):
        assert title in table.stdout


def test_a_bad_date_exits_1(demo_db: str) -> None:
    result = run("activity", "--db", demo_db, "--as-of", "30/06/2025")
    assert result.exit_code == 1
    assert "is not a date YYYY-MM-DD" in result.stderr


def test_an_empty_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/empty.db"
    prospects = json.loads(run("prospects", "--db", db, "--as-of", "2025-06-30", "--json").stdout)
    assert prospects["prospects"] == [] and prospects["backward"] is None
    activity = json.loads(run("activity", "--db", db, "--as-of", "2025-06-30", "--json").stdout)
    assert activity["reps"] == [] and activity["team"]["index"] == 0


def test_an_80_column_terminal_cuts_no_word(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The funnel by source has 9 columns: in 80 columns its tables drop their rules
    (``cli._fitting.fitting``) and fold a long word rather than cut it to "Prosp…"."""
    monkeypatch.setattr(cli, "console", Console(width=80, color_system=None))
    result = run("prospects", "--db", demo_db, "--as-of", AS_OF.isoformat(), "--lang", "fr")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "…" not in result.stdout and max(len(line) for line in lines) <= 80
    assert any(line.startswith("Prospect froid ") for line in lines)  # a stage named whole on its row
    assert "┏" in result.stdout  # the priority matrix fits in 80 columns: it keeps its rules
