"""``clientfolio value`` on a transactions file and on a store."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.value.run import VALUE_COLUMNS

DEMO = {"customers": 60, "years": 3, "seed": 11, "as_of": dt.date(2025, 6, 30)}


def test_value_command_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_copy: Callable[..., str]
) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    db = demo_copy(**DEMO)
    runner = CliRunner()
    out = tmp_path / "valeur"
    written = runner.invoke(cli.app, ["value", "--db", db, "--out", str(out), "--horizon", "2"])
    assert written.exit_code == 0, written.output
    with (out / "value.csv").open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0]) == VALUE_COLUMNS and len(table) >= 60
    equity = json.loads((out / "equity.json").read_text(encoding="utf-8"))["equity"]
    assert equity["horizon_years"] == 2 and equity["total_cents"] > 0
    assert sum(float(r["clv"] or 0) for r in table) * 100 == pytest.approx(equity["total_cents"], rel=1e-6)
    shown = runner.invoke(cli.app, ["value", "--db", db])
    assert shown.exit_code == 0 and "Customer capital:" in shown.stdout and "Crossed ABC" in shown.stdout
    by_class = json.loads(runner.invoke(cli.app, ["value", "--db", db, "--json"]).stdout)["equity"]
    for letter in "ABC":  # each class's customers, value and value per customer on its row
        n, cents = by_class["by_customers"]["abc"][letter], by_class["by"]["abc"][letter]
        money = [f"€{round(x / 100):,}" for x in (cents, cents / n)]
        assert re.search(rf"Class {letter} +│ +{n} │ +{money[0]} │ +{money[1]} │", shown.stdout), letter
    solvency = json.loads(runner.invoke(cli.app, ["value", "--db", db, "--json"]).stdout)["solvency"]
    assert (
        f"{solvency['customers_with_incidents']} of {solvency['customers']} customers with payment incidents"
    ) in shown.stdout
    longer = json.loads(runner.invoke(cli.app, ["value", "--db", db, "--json", "--horizon", "5"]).stdout)
    assert longer["equity"]["total_cents"] > equity["total_cents"]


def test_the_most_valuable_customers_fit_an_80_column_terminal(
    monkeypatch: pytest.MonkeyPatch, demo_copy: Callable[..., str]
) -> None:
    # ten columns in 80 fold into slivers ("Clie…", "Chif…"): the essential six there, all ten when wide
    db = demo_copy(**DEMO)
    runner = CliRunner()
    for width, shown, hidden in ((80, "Lifetime", "Trajectory"), (200, "Trajectory", None)):
        monkeypatch.setattr(cli, "console", Console(width=width, color_system=None))
        output = runner.invoke(cli.app, ["value", "--db", db]).stdout
        top = output.split("The 15 most valuable customers")[1].split("└")[0]
        assert shown in top and "…" not in top, top
        assert hidden is None or hidden not in top


def test_value_command_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["value", "--transactions", str(tmp_path / "none.csv")])
    assert result.exit_code == 1 and "no such file" in result.output
    bad = CliRunner().invoke(cli.app, ["value", "--db", f"sqlite:///{tmp_path}/x.db", "--as-of", "2025-13-01"])
    assert bad.exit_code == 1 and "not a date" in bad.output


def test_value_backtest_command(monkeypatch: pytest.MonkeyPatch, demo_copy: Callable[..., str]) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    db = demo_copy(**DEMO)
    runner = CliRunner()
    shown = runner.invoke(cli.app, ["value", "--db", db, "--backtest"])
    assert shown.exit_code == 0, shown.output
    backtest = json.loads(runner.invoke(cli.app, ["value", "--db", db, "--json"]).stdout)["equity"]["backtest"]
    as_of = dt.date.fromisoformat(backtest["as_of"])  # the last sale, a year after the cutoff
    cutoff = dt.date.fromisoformat(backtest["fitted_on"])
    assert (cutoff.year, cutoff.month, cutoff.day) == (as_of.year - 1, as_of.month, as_of.day)
    for name in ("All customers", "Class A", "Class B", "Class C", "One-time buyers"):
        assert name in shown.stdout
    total = backtest["total"]
    assert f"{total['customers']} " in shown.stdout and f"{total['error']:+.0%}" in shown.stdout
    said = f"Fitted on the history up to {cutoff.day} {cutoff:%B %Y}"
    assert said in " ".join(shown.stdout.split())
    headline = runner.invoke(cli.app, ["value", "--db", db])
    assert said in " ".join(headline.stdout.split())
    assert "The value of a purchase" in " ".join(headline.stdout.split())


def test_a_french_amount_is_never_cut_across_two_lines(
    monkeypatch: pytest.MonkeyPatch, demo_copy: Callable[..., str]
) -> None:
    """French amounts hold no-break spaces ("3 721 686 €"), which Rich would still break
    at the end of a line: the valuation's panel is wrapped at ASCII spaces only
    (``cli._fitting.fitting``), at any terminal width."""
    from clientfolio.i18n import formatter

    db = demo_copy(**DEMO)
    equity = json.loads(CliRunner().invoke(cli.app, ["value", "--db", db, "--json"]).stdout)["equity"]
    money = formatter("fr").money
    amounts = [money(equity[key], decimals=False) for key in ("total_cents", "low_cents", "high_cents")]
    assert all("\u202f" in a for a in amounts)  # thousands: the test means something
    for width in (60, 67, 73, 80, 88, 100):
        monkeypatch.setattr(cli, "console", Console(width=width, color_system=None))
        shown = CliRunner().invoke(cli.app, ["value", "--db", db, "--lang", "fr"]).stdout
        assert all(a in shown for a in amounts), (width, amounts, shown[:600])
