"""``clientfolio value`` in French (no English, no raw code) and in English (no
French), and the French catalog of the valuation's names and sentences."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import string
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.analytics.rfm import RFM_PROFILES
from clientfolio.i18n import gettext_for, translations
from clientfolio.value import equity, potential
from clientfolio.value.backtest import _SENTENCE, GROUP_LABELS
from clientfolio.value.categories import CATEGORIES, CATEGORY_NAMES
from clientfolio.value.strategy import (
    AXIS_LABELS,
    BASIS_NAMES,
    QUADRANT_NAMES,
    QUADRANT_NOTES,
    QUADRANTS,
    STRATEGY_NAMES,
    TRAJECTORY_NAMES,
    QuadrantConfig,
)

_PO = Path(__file__).parents[2] / "src" / "clientfolio" / "i18n" / "fr" / "value.po"

# the codes the valuation stores, never shown to a reader
CODES = {
    *CATEGORIES,
    *QUADRANTS,
    *STRATEGY_NAMES,
    *QUADRANT_NOTES,
    *BASIS_NAMES,
    "cross_sell",
    "one_time",
    "gamma_gamma",
    "lognormal",
    "bgnbd",
    "mbgnbd",
    "invoices",
    "assumed",
    "pareto",
    "True",
    "False",
    "None",
}


def _english_words() -> set[str]:
    """Words of the English messages the French catalog of the valuation
    translates, less those its French uses too (Segment, bootstrap, VIP ...)."""
    po = _PO.read_text(encoding="utf-8")
    english = " ".join(re.findall(r'^msgid "(.+)"$', po, flags=re.M))
    french = " ".join(re.findall(r'^msgstr "(.+)"$', po, flags=re.M)) + " " + " ".join(_catalog().values())

    def words(text: str) -> set[str]:
        return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ']{4,}", re.sub(r"\{[a-z_]+\}", " ", text))}

    return words(english) - words(french) - {"gamma", "batislam", "denizel", "filiztekin", "fader", "hardie"}


def _catalog() -> dict[str, str]:
    return {k: v for k, v in translations("fr")._catalog.items() if isinstance(k, str) and k}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_template: Callable[..., Path]) -> str:
    path = tmp_path_factory.mktemp("value_fr") / "demo.db"
    shutil.copy(demo_template(customers=60, years=3, seed=11, as_of=dt.date(2025, 6, 30)), path)
    return f"sqlite:///{path}"


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    yield


def _run(db: str, lang: str, *args: str) -> str:
    shown = CliRunner().invoke(cli.app, ["value", "--db", db, *args], env={"CLIENTFOLIO_LANG": lang})
    assert shown.exit_code == 0, shown.output
    return " ".join(shown.stdout.split())


@pytest.mark.parametrize("args", [(), ("--backtest",)])
def test_the_value_command_speaks_french(demo_db: str, wide: None, args: tuple[str, ...]) -> None:
    out = _run(demo_db, "fr", *args)
    leaks = sorted({w for w in re.findall(r"[A-Za-zÀ-ÿ']{4,}", out) if w.lower() in _english_words()})
    assert leaks == []
    words = set(re.findall(r"[A-Za-z_]+", out))
    assert sorted(words & CODES) == []
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{4}-Q\d|\d\.\d", out)  # no ISO date, no quarter code, no decimal point
    if args:
        assert "Contrôle a posteriori" in out and "Tous les clients" in out and "Clients d'un seul achat" in out
    else:
        for french in (
            "Capital client :",
            "Valorisation au",
            "Fidélisation",
            "Multi-équipement",
            "Classe A",
            "Fonds de commerce",
            "Services aux entreprises",  # a segment by its name
            "Origine du potentiel des clients : saisi",
            "Trajectoires :",
            "Solvabilité depuis le",
        ):
            assert french in out


@pytest.mark.parametrize("args", [(), ("--backtest",)])
def test_the_value_command_in_english_has_no_french(demo_db: str, wide: None, args: tuple[str, ...]) -> None:
    out = _run(demo_db, "en", *args)
    for french in (
        "Capital client",
        "Fidélisation",
        "Classe",
        "Stratégies",
        "Trajectoires",
        "Valorisation",
        "Contrôle",
    ):
        assert french not in out
    assert "Customer capital:" in out or "Backtest:" in out
    # the French test's word list does catch these English texts
    assert len({w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ']{4,}", out)} & _english_words()) > 10


def test_the_json_keeps_the_codes(demo_db: str) -> None:
    out = CliRunner().invoke(cli.app, ["value", "--db", demo_db, "--json"], env={"CLIENTFOLIO_LANG": "fr"}).stdout
    customers = json.loads(out)["customers"]
    assert {"loyalty", "vip"} <= {c["strategy"] for c in customers} | {c["category"] for c in customers}
    assert "Fidélisation" not in out


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def _messages() -> list[str]:
    rfm = [m for p in RFM_PROFILES.values() for m in (p.label, p.action)]
    method = [equity._METHOD] + [equity._METHOD + " " + text for text in equity._INTERVALS.values()]
    return [
        *CATEGORY_NAMES.values(),
        *STRATEGY_NAMES.values(),
        *QUADRANT_NAMES.values(),
        *TRAJECTORY_NAMES.values(),
        *QUADRANT_NOTES.values(),
        *AXIS_LABELS.values(),
        *BASIS_NAMES.values(),
        *potential.SOURCE_LABELS.values(),
        *GROUP_LABELS.values(),
        *equity.MARGIN_BASES.values(),
        equity.MODEL_NAMES["lognormal"],
        *rfm,
        *method,
        *equity._SPEND.values(),
        equity._ABOVE_CEILING,
        equity._WIDENED,
        *_SENTENCE.values(),
    ]


@pytest.mark.parametrize("message", _messages())
def test_every_name_and_sentence_has_its_french(message: str) -> None:
    french = _catalog().get(message)
    assert french, f"no French for {message!r}"
    assert _fields(french) == _fields(message)


def test_the_commands_messages_have_their_french_with_the_same_fields() -> None:
    po = _PO.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', po, flags=re.M)
    assert len(pairs) > 50
    for english, french in pairs:
        assert french and _fields(french) == _fields(english), english


def test_the_default_strategies_and_categories_have_names() -> None:
    assert set(QuadrantConfig().strategies.values()) <= set(STRATEGY_NAMES)
    assert set(CATEGORY_NAMES) == set(CATEGORIES) and set(QUADRANT_NAMES) == set(QUADRANTS)
    _ = gettext_for("fr")
    assert [_(CATEGORY_NAMES[c]) for c in CATEGORIES] == [
        "VIP",
        "Fonds de commerce",
        "Potentiel de développement",
        "Gestion économique",
    ]
    assert _(STRATEGY_NAMES["cross_sell"]) == "Multi-équipement"


def test_a_capital_not_valued_says_why_in_french(tmp_path: Path, wide: None) -> None:
    sales = tmp_path / "ventes.csv"
    sales.write_text(
        "customer_id,invoice_id,date,amount\nC1,I1,2025-01-10,100\nC1,I2,2025-03-10,120\nC2,I3,2025-02-10,90\n",
        encoding="utf-8",
    )
    for args in ((), ("--backtest",)):
        shown = CliRunner().invoke(
            cli.app, ["value", "--transactions", str(sales), *args], env={"CLIENTFOLIO_LANG": "fr"}
        )
        out = " ".join(shown.stdout.split())
        assert shown.exit_code == 0 and "il en faut au moins 10 pour ajuster les modèles de valeur vie client" in out
        assert "repeat purchase" not in out
