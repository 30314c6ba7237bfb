"""The command line in French and in English: the language of a run (``--lang``,
``CLIENTFOLIO_LANG``, the locale), the help of every command, the output and
the errors in that language, ``--json`` the same in both."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.core import TyperArgument
from typer.main import get_command
from typer.testing import CliRunner, Result

from clientfolio import cli
from clientfolio.cli._common import ARGUMENT_NAMES, language_in, localize_commands, translate_click_message
from clientfolio.i18n import gettext_for, language_from_environment

# the locale variables cleared for each run, so that only what a test gives counts
_CLEAN = {"CLIENTFOLIO_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}


@pytest.fixture(autouse=True)
def plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))
    for name in _CLEAN:
        monkeypatch.delenv(name, raising=False)


def run(*args: str, **env: str) -> Result:
    return CliRunner().invoke(cli.app, list(args), env={**_CLEAN, "COLUMNS": "200", **env})


def _tree(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _tree(sub, (*path, name))


def _english_helps() -> dict[tuple[str, ...], list[str]]:
    """The English help texts of each command (its own and its parameters')."""
    root = get_command(cli.app)
    localize_commands(root, "en")
    return {
        path: [text for item in (command, *command.params) if (text := getattr(item, "help", None))]
        for path, command in _tree(root)
    }


def _words(text: str) -> str:
    return " ".join(text.split())


# --- the language of a run ---------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"),
        ({"LC_MESSAGES": "fr_FR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
        ({"CLIENTFOLIO_LANG": "en", "LC_ALL": "fr_FR.UTF-8"}, "en"),
        ({"CLIENTFOLIO_LANG": "fr", "LC_ALL": "en_US.UTF-8"}, "fr"),
    ],
)
def test_language_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert language_from_environment(environ) == expected


def test_lang_on_the_command_line() -> None:
    assert language_in(["value", "--lang", "fr"]) == "fr"
    assert language_in(["--lang=en", "value"]) == "en"
    assert language_in(["--lang", "fr", "value", "--lang", "en"]) == "en"
    assert language_in(["value"]) is None
    assert language_in(["value", "--lang", "de"]) is None  # the option's own check refuses it
    assert language_in(["import", "--", "--lang", "fr"]) is None


def test_lang_wins_over_the_environment_on_root_and_sub_commands() -> None:
    french_title = "Mesurer, développer et protéger votre portefeuille clients."
    assert french_title in run("--help", LANG="fr_FR.UTF-8").stdout
    assert french_title in run("--help", CLIENTFOLIO_LANG="fr", LANG="en_US.UTF-8").stdout
    assert french_title not in run("--help", CLIENTFOLIO_LANG="en", LC_ALL="fr_FR.UTF-8").stdout
    assert french_title not in run("--lang", "en", "--help", CLIENTFOLIO_LANG="fr").stdout
    for args in (
        ("--lang", "fr", "db", "--help"),
        ("db", "--lang", "fr", "--help"),
        ("db", "status", "--help", "--lang", "fr"),
    ):
        result = run(*args, CLIENTFOLIO_LANG="en")
        assert result.exit_code == 0, result.output
        assert "Utilisation :" in result.stdout and "Usage:" not in result.stdout
        assert "Afficher cette aide et quitter." in result.stdout
        assert "--lang" in result.stdout


def test_lang_alone_shows_the_help_in_that_language() -> None:
    alone = run("--lang", "fr")
    assert alone.exit_code == 0 and "Utilisation : clientfolio" in alone.stdout and "Commandes" in alone.stdout


def test_a_bad_language_is_a_clear_error() -> None:
    bad = run("summary", "--lang", "de")
    assert bad.exit_code == 2
    assert "Invalid value for '--lang'" in bad.output and "'de' is not one of 'fr', 'en'" in bad.output
    assert "Value error" not in bad.output
    french = run("summary", "--lang", "de", LANG="fr_FR.UTF-8")
    assert "Valeur invalide pour '--lang'" in french.output
    env = run("summary", CLIENTFOLIO_LANG="de")
    assert env.exit_code == 2 and "CLIENTFOLIO_LANG='de'" in env.output
    review = run("report", "--lang", "de", LANG="fr_FR.UTF-8")  # the review's own language, checked as well
    assert review.exit_code == 2 and "Valeur invalide pour '--lang' : 'de'" in review.output
    assert isinstance(review.exception, SystemExit)  # click's usage error, not a ValueError


# --- the help ----------------------------------------------------------------


def test_the_french_help_of_every_command_has_no_english_help() -> None:
    helps = _english_helps()
    _ = gettext_for("fr")
    english = {text for texts in helps.values() for text in texts if _(text) != text}
    # every help text of the code has its French
    assert english == {text for texts in helps.values() for text in texts}, [
        text for texts in helps.values() for text in texts if _(text) == text
    ]
    sentences = {_words(text) for text in english} | {"Show this message and exit.", "Usage:", "Commands"}
    for path in helps:
        result = run(*path, "--help", "--lang", "fr")
        assert result.exit_code == 0, (path, result.output)
        shown = _words(re.sub(r"[│╭╮╰╯─]", " ", result.stdout))
        leaks = [s for s in sentences if len(s) > 12 and s in shown]
        assert not leaks, (path, leaks)
        assert "Utilisation :" in shown and "--lang" in shown, path
        assert "Langue des textes" in shown or path == ("report",), path  # report's own --lang
        typer_words = re.findall(r"<(?:str|bool|int|float|path|list\[str\])(?: range)?>", shown)
        assert not typer_words and "<oui/non>" in shown, (path, typer_words)  # the type column in French too


# A line of a help panel starting with what French glues to the word before it
# (":" "; " "!" "?" "%" "»", "€"), or ending with "«" or with a number whose next
# group (or unit) starts the next line ("12" / "345 €")
_BROKEN_AT_START = re.compile(r"^│ *(?:[:;!?%»€]|\d{3}\b)", re.MULTILINE)
_BROKEN_AT_END = re.compile(r"«\s*│$", re.MULTILINE)


def test_the_french_help_keeps_its_glued_spaces_at_80_columns() -> None:
    """Rich wraps at any Unicode space, the no-break ones included: the French help
    on an 80-column terminal must not start a line with ":" nor cut "12 345 €"."""
    for path in _english_helps():
        result = CliRunner().invoke(cli.app, [*path, "--help", "--lang", "fr"], env={**_CLEAN, "COLUMNS": "80"})
        assert result.exit_code == 0, (path, result.output)
        lines = [line.rstrip() for line in result.stdout.splitlines()]
        assert max(len(line) for line in lines) <= 80, path
        broken = _BROKEN_AT_START.findall(result.stdout) + _BROKEN_AT_END.findall(result.stdout)
        assert not broken, (path, [line for line in lines if _BROKEN_AT_START.match(line) or "«" in line[-3:]])


def test_the_arguments_are_named_in_the_runs_language() -> None:
    """An argument's name (its parameter's) shows in its command's help, its usage line
    and click's errors: in French in a French run, as the code names it in English."""
    _ = gettext_for("fr")
    arguments = {
        path: [p.name for p in command.params if isinstance(p, TyperArgument)]
        for path, command in _tree(get_command(cli.app))
    }
    named = {name for names in arguments.values() for name in names}
    assert named == set(ARGUMENT_NAMES), named ^ set(ARGUMENT_NAMES)  # a new argument gets its French there
    assert all(_(name) != name for name in named), [name for name in named if _(name) == name]
    for path, names in arguments.items():
        if not names:
            continue
        french, english = run(*path, "--help", "--lang", "fr").stdout, run(*path, "--help", "--lang", "en").stdout
        for name in names:
            assert re.search(rf"Utilisation : .*{{{re.escape(_(name))}}}", french), (path, french)
            assert re.search(rf"│ \*\s+{re.escape(_(name))}\s", french), (path, french)  # the arguments' table
            assert f"{{{name}}}" not in french and not re.search(rf"│ \*\s+{name}\s", french), (path, name)
            assert re.search(rf"Usage: .*{{{name}}}", english) and re.search(rf"│ \*\s+{name}\s", english), path
    missing = run("user", "add", "--lang", "fr")
    assert missing.exit_code == 2 and "Argument 'identifiant' manquant." in missing.output, missing.output
    assert "Missing argument 'username'." in run("user", "add", "--lang", "en").output


def test_the_english_help_is_unchanged_and_names_lang() -> None:
    helps = _english_helps()
    for path in (("import",), ("plan", "add"), ("user", "scope"), ()):
        result = run(*path, "--help")
        assert result.exit_code == 0, result.output
        shown = _words(re.sub(r"[│╭╮╰╯─]", " ", result.stdout))
        assert "Usage:" in shown and "Show this message and exit." in shown
        assert "Language of the texts: fr or en" in shown
        assert _words(helps[path][0]).split(".")[0] in shown
        assert "Utilisation" not in shown and "Afficher cette aide" not in shown
        assert "<bool>" in shown and "<oui/non>" not in shown  # typer's own type words


def test_click_errors_in_french() -> None:
    assert translate_click_message("Missing option '--role'.", "fr") == "Option '--role' manquante."
    assert (
        translate_click_message("No such command 'valu'. Did you mean 'value'?", "fr")
        == "Commande inconnue : 'valu'. Vouliez-vous dire 'value' ?"
    )
    assert translate_click_message("Missing option '--role'.", "en") == "Missing option '--role'."
    missing = run("user", "add", "someone", "--lang", "fr")
    assert missing.exit_code == 2
    assert (
        "Option '--role' manquante." in missing.output and "Essayez « clientfolio user add --help »" in missing.output
    )
    assert "Missing" not in missing.output and "Usage" not in missing.output
    unknown = run("valu", LANG="fr_FR.UTF-8")
    assert "Commande inconnue" in unknown.output and "Vouliez-vous dire 'value' ?" in unknown.output


# --- the output ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("lang")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLIENTFOLIO_KEY_FILE", str(path / "clientfolio.key"))
        patch.setattr(cli, "console", Console(width=200, color_system=None))
        url = f"sqlite:///{path}/demo.db"
        made = CliRunner().invoke(
            cli.app, ["demo", "--db", url, "--customers", "40", "--years", "3"], env={**_CLEAN, "LANG": "C"}
        )
        assert made.exit_code == 0, made.output
        yield url


def test_french_demo_summary(demo_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "k"))
    result = run("summary", "--db", demo_db, LANG="fr_FR.UTF-8")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for french in ("12 mois au", "clients actifs", "nouveaux clients", "clients perdus", "CA HT", "Portefeuille :"):
        assert french in out
    for english in (
        "12 months to",
        "active",
        "revenue excl. tax",
        "top 20 % share",
        "(partial)",
        "customers with sales",
    ):
        assert english not in out
    assert re.search(r"\b\d,\d\d\b", out), "renewal ratios with a decimal comma"
    assert not re.search(r"\b\d\.\d\d\b", out), "no decimal point in French"
    assert not re.search(r"\d{4}-\d\d-\d\d", out), "no ISO dates in French"


def test_french_analyze_names_its_measures(demo_db: str) -> None:
    result = run("analyze", "--db", demo_db, "--lang", "fr")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Indicateurs du portefeuille au" in out and "taux d'attrition" in out and "alerte de dépendance" in out
    for raw in ("current.active_customers", "churn_rate", "True", "False", "declining", "very_regular"):
        assert raw not in out
    # customers are counted whole, as many as the churn loses a year (c x active, a float)
    needed = json.loads(run("analyze", "--db", demo_db, "--json").stdout)["measures"]["projection"]
    held = re.search(r"nouveaux clients par an pour se maintenir\s*│\s*([\d\u202f ]+)\s*│", out)
    assert held and int(re.sub(r"\D", "", held.group(1))) == round(needed["new_per_year_to_hold"])
    english = run("analyze", "--db", demo_db, "--lang", "en").stdout
    assert "Portfolio measures as of" in english and "churn rate" in english
    assert "taux" not in english and "clients" not in english


def test_json_is_the_same_in_both_languages(demo_db: str) -> None:
    for command in (("summary",), ("analyze",), ("prospects",), ("activity",)):
        french = run(*command, "--db", demo_db, "--json", "--lang", "fr")
        english = run(*command, "--db", demo_db, "--json", "--lang", "en")
        assert french.exit_code == english.exit_code == 0, (command, french.output)
        assert json.loads(french.stdout) == json.loads(english.stdout), command


def test_an_error_in_french(demo_db: str) -> None:
    french = run("analyze", "--db", demo_db, "--as-of", "notadate", "--lang", "fr")
    assert french.exit_code == 1
    assert "Erreur : --as-of : 'notadate' n'est pas une date AAAA-MM-JJ" in french.output
    english = run("analyze", "--db", demo_db, "--as-of", "notadate")
    assert "Error: --as-of: 'notadate' is not a date YYYY-MM-DD" in english.output


def test_a_file_the_system_refuses_is_said_with_its_path_not_a_traceback(tmp_path: Path) -> None:
    """A path of the command line the system refuses (a file where a folder is to be written, a
    folder where a file is read, a name too long): the path and the reason in the run's language."""
    taken = tmp_path / "taken"
    taken.write_text("")
    cases = [
        (("analyze", "--transactions", str(tmp_path / ("x" * 300))), "nom de fichier trop long", "file name too long"),
        (("verify", "--manifest", str(tmp_path), str(taken)), "c'est un dossier, pas un fichier", "a folder, not a"),
        (("import", str(tmp_path / "absent.csv")), "fichier ou dossier introuvable", "no such file or folder"),
        (("restore", str(tmp_path / "absent.cfbackup"), "--yes"), "fichier ou dossier introuvable", "no such file"),
    ]
    for args, french, english in cases:
        said = run(*args, "--lang", "fr")
        assert said.exit_code == 1 and isinstance(said.exception, SystemExit), said.output
        assert french in said.output and "Traceback" not in said.output and "No such file" not in said.output
        assert english in run(*args, "--lang", "en").output
