"""The help texts of the domain settings in French (``i18n/fr/settings.po``):
every description of every field of every section has its French, with the
same ``{fields}``; ``clientfolio settings`` shows it to a French reader and
keeps English in ``--json``.  (The web page: tests/web/test_settings_page.py.)"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import Result
from pydantic import BaseModel
from rich.console import Console
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.config import SECTIONS, load_domain_config
from clientfolio.i18n import gettext_for

CATALOGS = Path(cli.__file__).resolve().parents[1] / "i18n" / "fr"


def descriptions(model: type[BaseModel], path: str = "") -> Iterator[tuple[str, str]]:
    """``(table.key, description)`` of every field of ``model``, nested models included."""
    for key, info in model.model_fields.items():
        here = f"{path}.{key}" if path else key
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from descriptions(annotation, here)
        else:
            yield here, info.description or ""


def every_description() -> dict[str, str]:
    found = {f"{section}.{key}": text for section, model in SECTIONS.items() for key, text in descriptions(model, "")}
    found |= {f"{r.section}.{r.key}": r.help for r in load_domain_config().rows()}  # tables of models (scales)
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings of the developer's environment; a wide terminal (no wrapped help),
    without colours."""
    for name in list(os.environ):
        if name.upper().startswith("CLIENTFOLIO_") or name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "4000")
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=400, color_system=None, stderr=True))


def test_every_description_has_its_french_with_the_same_fields() -> None:
    _ = gettext_for("fr")
    found = every_description()
    assert len(found) > 100
    for where, text in found.items():
        assert text, f"{where} has no help text"
        french = _(text)
        assert french != text, f"no French for {where}: {text!r}"
        assert fields(french) == fields(text), where
    with (CATALOGS / "settings.po").open("rb") as f:
        mine = {m.id for m in read_po(f) if m.id}
    assert set(found.values()) <= mine  # the settings' catalog holds them all ...
    for other in CATALOGS.glob("*.po"):
        if other.name != "settings.po":
            with other.open("rb") as f:
                assert not mine & {m.id for m in read_po(f) if m.id}, other.name  # ... and only it


def test_the_domain_terms_of_the_french() -> None:
    _ = gettext_for("fr")
    help_of = every_description()
    assert "gestion économique" in _(help_of["categories.cells"])
    assert "fonds de commerce" in _(help_of["categories.cells"])
    assert "prospects chauds" in _(help_of["funnel.reference_funnel"])
    assert "taux d'attrition" in _(help_of["swot.half_life_alert_years"])


def run(*args: str) -> Result:
    """The command run in this process on a wide terminal (no help text wrapped),
    its outputs apart (``stdout``, ``stderr``), the language only from ``--lang``; an
    exception that escaped the command (a traceback for a user) fails the test."""
    result = CliRunner().invoke(cli.app, list(args), env={"CLIENTFOLIO_LANG": "", "TERM": "xterm"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def test_settings_in_french_show_the_french_help_and_no_english() -> None:
    result = run("settings", "--lang", "fr")
    assert result.exit_code == 0, result.stderr
    assert "Part cumulée de la valeur faite par les clients A (source : 80 % du chiffre d'affaires)." in result.stdout
    assert "Taux d'actualisation annuel de la marge future." in result.stdout
    assert "Valeur notée 0/20 (et tout ce qui est pire)." in result.stdout
    for where, text in every_description().items():
        assert text not in result.stdout, where
    # the RFM rules' default names and actions, in French; their codes as they are
    assert '"label": "à fidéliser ou en perte de vitesse", "action": "Agir vite :' in result.stdout
    assert '"profile": "declining", "when": "fading"' in result.stdout and "Win back" not in result.stdout

    english = run("settings", "--lang", "en")
    assert english.exit_code == 0, english.stderr
    assert "Cumulative share of value made by the A customers (seed: 80 % of revenue)." in english.stdout
    assert '"label": "to retain or losing speed", "action": "Act fast:' in english.stdout
    assert "Part cumulée" not in english.stdout


def test_settings_json_keeps_the_english_help() -> None:
    result = run("settings", "--json", "--lang", "fr")
    assert result.exit_code == 0, result.stderr
    rows = {f"{r['section']}.{r['key']}": r["help"] for r in json.loads(result.stdout)["domain"]}
    assert rows["abc.a"] == "Cumulative share of value made by the A customers (seed: 80 % of revenue)."
    assert rows == {k: v for k, v in every_description().items() if k in rows}


@pytest.mark.parametrize(
    ("toml", "french", "english"),
    [
        ("[abc]\na = 0.9\nb = 0.5\n", "table abc : le seuil A ne doit pas dépasser le seuil B", "table abc: the A"),
        ("[abc]\na = 1.5\n", "table abc, clé a = 1.5 : doit valoir au plus 1", "key a = 1.5: Input should be"),
        ("[matrix]\nwinning = 0.3\n", "clé inconnue ; clés connues : basis, months", "unknown key; known keys"),
        ("[abcd]\na = 1\n", "table 'abcd' inconnue ; tables connues : measures", "unknown table 'abcd'"),
        ('[spark]\nremote = "http://h"\n', "commence par sc:// (http://h)", "starts with sc:// (http://h)"),
    ],
)
def test_a_wrong_setting_is_said_in_french(tmp_path: Path, toml: str, french: str, english: str) -> None:
    # the rules of the settings' models, pydantic's kinds and the file's own problems, in the reader's language
    (tmp_path / "t.csv").write_text("customer_id,invoice_id,date,amount\nC1,F1,2024-06-01,500\n", encoding="utf-8")
    (tmp_path / "clientfolio.toml").write_text(toml, encoding="utf-8")
    said = run("analyze", "--transactions", "t.csv", "--engine", "spark", "--lang", "fr")
    assert said.exit_code == 1 and french in said.stderr, said.stderr
    assert english not in said.stderr
    said = run("analyze", "--transactions", "t.csv", "--engine", "spark", "--lang", "en")
    assert said.exit_code == 1 and english in said.stderr, said.stderr


def test_a_wrong_variable_is_said_in_the_readers_language_not_as_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    # pydantic's ValidationError reached the terminal as a traceback, from every command
    monkeypatch.setenv("CLIENTFOLIO_DATE_ORDER", "xyz")
    said = run("settings", "--lang", "fr")
    assert said.exit_code == 1 and "Traceback" not in said.stderr, said.stderr
    assert 'CLIENTFOLIO_DATE_ORDER="xyz" : doit être l\'une des valeurs' in said.stderr
    said = run("settings", "--lang", "en")
    assert 'CLIENTFOLIO_DATE_ORDER="xyz": must be one of' in said.stderr
    monkeypatch.delenv("CLIENTFOLIO_DATE_ORDER")
    monkeypatch.setenv("CLIENTFOLIO_IMPORT_CHUNK_ROWS", "1\x1b[2J")  # an escape sequence is shown, not run
    said = run("settings", "--lang", "en")
    assert said.exit_code == 1 and "\x1b" not in said.stderr
    assert 'CLIENTFOLIO_IMPORT_CHUNK_ROWS="1\\u001b[2J": must be a whole number' in said.stderr
