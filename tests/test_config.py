"""Domain settings from ``clientfolio.toml`` and ``CLIENTFOLIO_<TABLE>__<KEY>``
(``clientfolio.config``), used by ``clientfolio analyze`` and listed by
``clientfolio settings``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.analytics.abc import AbcConfig
from clientfolio.config import (
    ANALYTICS_SECTIONS,
    SECTIONS,
    VALUE_SECTIONS,
    ConfigError,
    config_file,
    load_domain_config,
)
from clientfolio.value.rules import ClvConfig

# value last 12 months: C1 500, C2 300, C3 150, C4 50 (of 1000)
TRANSACTIONS = (
    "customer_id,invoice_id,date,amount\n"
    "C1,F1,2024-06-01,500\nC2,F2,2024-06-02,300\nC3,F3,2024-06-03,150\nC4,F4,2024-06-04,50\n"
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings of the developer's environment; the working directory is ``tmp_path``."""
    for name in list(os.environ):
        if name.upper().startswith("CLIENTFOLIO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "console", Console(width=300, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=300, color_system=None, stderr=True))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def classes(folder: Path) -> dict[str, str]:
    (folder / "t.csv").write_text(TRANSACTIONS, encoding="utf-8")
    result = run("analyze", "--transactions", str(folder / "t.csv"), "--json")
    assert result.exit_code == 0, result.output
    return {r["customer_id"]: r["class"] for r in json.loads(result.stdout)["abc"]}


def test_the_file_changes_the_abc_classes_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # defaults 80 % / 95 %: before C1 0, C2 .5, C3 .8, C4 .95 -> A A B C
    assert classes(tmp_path) == {"C1": "A", "C2": "A", "C3": "B", "C4": "C"}
    (tmp_path / "clientfolio.toml").write_text("[abc]\na = 0.5\nb = 0.8\n", encoding="utf-8")
    # 50 % / 80 %: C2 starts at .5 (B), C3 at .8 (C)
    assert classes(tmp_path) == {"C1": "A", "C2": "B", "C3": "C", "C4": "C"}
    monkeypatch.setenv("CLIENTFOLIO_ABC__A", "0.6")
    # a = .6 from the environment, b = .8 from the file
    assert classes(tmp_path) == {"C1": "A", "C2": "A", "C3": "C", "C4": "C"}
    domain = load_domain_config()
    assert domain.analytics.abc == AbcConfig(a=0.6, b=0.8)
    assert domain.value.abc == domain.analytics.abc == domain.plan.analytics.abc
    sources = {(r.section, r.key): r.source for r in domain.rows()}
    assert sources["abc", "a"] == "env" and sources["abc", "b"] == "file" and sources["abc", "months"] == "default"


def test_the_file_is_beside_the_sqlite_store_or_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "data"
    store.mkdir()
    assert config_file(database_url=f"sqlite:///{store}/x.db") == (store / "clientfolio.toml", False)
    assert config_file(database_url="sqlite:///data/x.db") == (tmp_path / "data" / "clientfolio.toml", False)
    assert config_file(database_url="postgresql+psycopg://u@h/db") == (tmp_path / "clientfolio.toml", False)
    (store / "clientfolio.toml").write_text(
        "[clv]\nhorizon_years = 5\n[clv.spend]\nmodel = 'lognormal'\n", encoding="utf-8"
    )
    domain = load_domain_config(database_url=f"sqlite:///{store}/x.db")
    assert domain.file == store / "clientfolio.toml"
    assert domain.value.clv == ClvConfig(horizon_years=5, spend={"model": "lognormal"})
    monkeypatch.setenv("CLIENTFOLIO_CLV__SPEND__MODEL", "gamma_gamma")
    assert load_domain_config(database_url=f"sqlite:///{store}/x.db").value.clv.spend.model == "gamma_gamma"
    monkeypatch.setenv("CLIENTFOLIO_CONFIG", str(tmp_path / "nowhere.toml"))
    with pytest.raises(ConfigError, match=r"CLIENTFOLIO_CONFIG=.*nowhere.toml: no such settings file"):
        load_domain_config()


def test_a_bad_value_names_the_file_table_key_value_and_reason(tmp_path: Path) -> None:
    (tmp_path / "clientfolio.toml").write_text("[abc]\na = 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_domain_config()
    assert str(caught.value) == (
        f"{tmp_path / 'clientfolio.toml'}: table abc, key a = 1.5: Input should be less than or equal to 1"
    )
    (problem,) = caught.value.problems
    assert (problem.table, problem.key, problem.value) == ("abc", "a", 1.5)
    result = run("analyze", "--transactions", "t.csv")
    assert result.exit_code == 1 and "table abc, key a = 1.5: Input should be" in result.stderr
    # a rule between two fields names the table
    (tmp_path / "clientfolio.toml").write_text("[abc]\na = 0.9\nb = 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"table abc: the A threshold must not exceed the B threshold"):
        load_domain_config()


def test_a_command_checks_the_sections_it_reads_and_loads_no_other_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clientfolio.toml").write_text("[abc]\na = 0.7\n[clv]\nhorizon_years = 0\n", encoding="utf-8")
    # analyze reads the analyses' tables: the valuation's wrong horizon is for `clientfolio value` to say
    assert load_domain_config(sections=ANALYTICS_SECTIONS).analytics.abc.a == 0.7
    assert classes(tmp_path)["C2"] == "A"
    for sections in (VALUE_SECTIONS, None):
        with pytest.raises(ConfigError, match=r"table clv, key horizon_years = 0"):
            load_domain_config(sections=sections)
    with pytest.raises(LookupError, match="'value' was not loaded"):
        _ = load_domain_config(sections=ANALYTICS_SECTIONS).value
    # an unknown table or variable is wrong whatever the command reads
    (tmp_path / "clientfolio.toml").write_text("[abcd]\na = 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown table 'abcd'"):
        load_domain_config(sections=ANALYTICS_SECTIONS)
    (tmp_path / "clientfolio.toml").unlink()
    monkeypatch.setenv("CLIENTFOLIO_CLV__HORIZON_YEARS", "0")
    assert load_domain_config(sections=ANALYTICS_SECTIONS).analytics.rfm.quarters == 4
    with pytest.raises(ConfigError, match=r"CLIENTFOLIO_CLV__HORIZON_YEARS=\"0\" \(table clv"):
        load_domain_config(sections=VALUE_SECTIONS)
    # reading the analyses' settings loads neither the valuation, the plan, the prospects nor the store
    code = (
        "import sys\nfrom clientfolio.config import ANALYTICS_SECTIONS, load_domain_config\n"
        "load_domain_config(sections=ANALYTICS_SECTIONS).analytics\n"
        "print(sorted(m for m in sys.modules if m.startswith(('clientfolio.value', 'clientfolio.plan', "
        "'clientfolio.prospects.run', 'clientfolio.store', 'sqlalchemy', 'scipy'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.strip() == "[]"


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTFOLIO_RFM__QUARTERS", "many")
    with pytest.raises(
        ConfigError,
        match=r'^CLIENTFOLIO_RFM__QUARTERS="many" \(table rfm, key quarters\): Input should '
        r"be a valid integer",
    ):
        load_domain_config()


def test_unknown_keys_and_tables_are_refused_with_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clientfolio.toml").write_text("[matrix]\nwinning = 0.3\n", encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"table matrix, key winning = 0.3: unknown key; known keys: basis, months, "
        r"winning_share$",
    ):
        load_domain_config()
    (tmp_path / "clientfolio.toml").write_text("[clv.spend]\nmodle = 'auto'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"table clv, key spend.modle = \"auto\": unknown key; known keys: model, "):
        load_domain_config()
    (tmp_path / "clientfolio.toml").write_text("[abcd]\na = 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown table 'abcd'; known tables: measures, abc, rfm"):
        load_domain_config()
    (tmp_path / "clientfolio.toml").unlink()
    monkeypatch.setenv("CLIENTFOLIO_ABC__A_SHARE", "0.7")
    with pytest.raises(
        ConfigError,
        match=r"CLIENTFOLIO_ABC__A_SHARE=\"0.7\" \(table abc, key a_share\): unknown key; "
        r"known keys: a, b, basis, months",
    ):
        load_domain_config()
    monkeypatch.delenv("CLIENTFOLIO_ABC__A_SHARE")
    monkeypatch.setenv("CLIENTFOLIO_ABCD__A", "0.7")
    with pytest.raises(ConfigError, match=r"CLIENTFOLIO_ABCD__A: unknown section 'abcd'; known sections: measures"):
        load_domain_config()
    (tmp_path / "clientfolio.toml").write_text("[abc\n", encoding="utf-8")
    monkeypatch.delenv("CLIENTFOLIO_ABCD__A")
    with pytest.raises(ConfigError, match=r"clientfolio.toml: not valid TOML"):
        load_domain_config()


def test_settings_lists_every_field_of_every_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clientfolio.toml").write_text("[funnel]\nmin_reached = 30\n", encoding="utf-8")
    monkeypatch.setenv("CLIENTFOLIO_SWOT__HALF_LIFE_ALERT_YEARS", "4")
    result = run("settings", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["file"] == str(tmp_path / "clientfolio.toml")
    assert any(s["variable"] == "CLIENTFOLIO_CONFIG" for s in listed["settings"])
    rows = {(r["section"], r["key"]): r for r in listed["domain"]}
    for section, model in SECTIONS.items():
        for key in model.model_fields:
            found = [r for (s, k), r in rows.items() if s == section and (k == key or k.startswith(f"{key}."))]
            assert found, (section, key)
            assert all(r["help"] for r in found), (section, key)
    assert rows["funnel", "min_reached"] | {"help": ""} == {
        "section": "funnel",
        "key": "min_reached",
        "variable": "CLIENTFOLIO_FUNNEL__MIN_REACHED",
        "value": 30,
        "default": 20,
        "source": "file",
        "help": "",
    }
    assert (rows["swot", "half_life_alert_years"]["value"], rows["swot", "half_life_alert_years"]["source"]) == (
        4.0,
        "env",
    )
    assert rows["clv", "spend.model"]["variable"] == "CLIENTFOLIO_CLV__SPEND__MODEL"
    assert rows["quadrants", "strategies"]["value"]["low_low"] == "termination"
    table = run("settings")
    assert table.exit_code == 0 and "Domain settings (file " in table.stdout
    assert any("min_reached" in line and "30" in line and "file" in line for line in table.stdout.splitlines())


def test_the_docs_list_every_table_and_key() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "settings.md").read_text(encoding="utf-8")
    split = re.split(r"^### `\[([a-z_]+)\]`$", text, flags=re.MULTILINE)
    parts = dict(zip(split[1::2], split[2::2], strict=True))
    assert list(parts) == list(SECTIONS)
    for row in load_domain_config().rows():
        assert f"| `{row.key}` |" in parts[row.section], (row.section, row.key)


def test_analyze_reads_the_file_beside_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "clientfolio.key"))
    store = tmp_path / "data"
    store.mkdir()
    db = f"sqlite:///{store}/x.db"
    invoices = "N° facture;Date;Client;Nom;Montant\n" + "".join(
        f"F{i};0{i}/06/2024;C{i};Client {i};{amount}\n" for i, amount in enumerate((500, 300, 150, 50), start=1)
    )
    (tmp_path / "invoices.csv").write_text(invoices, encoding="utf-8")
    assert run("import", str(tmp_path / "invoices.csv"), "--db", db).exit_code == 0

    def store_classes() -> dict[str, str]:
        result = run("analyze", "--db", db, "--json")
        assert result.exit_code == 0, result.output
        return {r["customer_id"]: r["class"] for r in json.loads(result.stdout)["abc"]}

    assert store_classes() == {"C1": "A", "C2": "A", "C3": "B", "C4": "C"}
    (tmp_path / "clientfolio.toml").write_text("[abc]\na = 0.5\nb = 0.8\n", encoding="utf-8")  # not beside it
    assert store_classes() == {"C1": "A", "C2": "A", "C3": "B", "C4": "C"}
    (store / "clientfolio.toml").write_text("[abc]\na = 0.5\nb = 0.8\n", encoding="utf-8")
    assert store_classes() == {"C1": "A", "C2": "B", "C3": "C", "C4": "C"}
