"""French first (issue 17): the French user's whole path shows no English and
no raw code, the English user's no French.

The path is the one a new user runs, as whole processes in a fresh directory:
``LANG=fr_FR.UTF-8 clientfolio demo && clientfolio value && clientfolio plan
suggest --accept all && clientfolio report --format pdf`` (and the XLSX and
HTML reports, the PAC XLSX, the customer export's headers), every command's
help, and every page of the web app as the admin.  The PDF's text is
extracted with pdfminer.six.

The English words looked for are those of the catalogs' English messages that
no French text of the catalogs uses (``"potential"``, ``"revenue"`` …); the
French words, the reverse.  Names held in the store (customers, prospects,
contacts, products, segments, users) are proper nouns and taken out of the
texts first.  Raw codes are the stored codes of categories, strategies,
quadrants and profiles, Python's booleans, measure identifiers and period codes
(``2026-Q3``, ISO dates).
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import BOOTSTRAP_SAMPLES

CATALOGS = Path(__file__).parents[1] / "src" / "clientfolio" / "i18n"
WORD = re.compile(r"[^\W\d_]{4,}")
FIELD = re.compile(r"\{[^}]*\}|%\([^)]*\)[sd]|%[sd]")

# Words both languages write, or that the product keeps in both (names of methods, units, brands).
BOTH = {
    "pareto",
    "gamma",
    "clientfolio",
    "siren",
    "siret",
    "email",
    "mail",
    "excel",
    "xlsx",
    "json",
    "html",
    "openssl",
    "typer",
    "python",
    "spark",
    "duckdb",
    "sqlite",
    "postgresql",
    "batislam",
    "denizel",
    "filiztekin",
    "fader",
    "hardie",
    "bootstrap",
    # the language switch names each language in its own
    "english",
    "français",
    "sha256",
    "ed25519",
    "argon2",
    "cnil",
    "anssi",
    "dgsi",
    "inpi",
    "rfm",
    "abc",
    "nbd",
}
# French terms an English text quotes (DOMAIN.md keeps them as the seed names them).
QUOTED_FRENCH = {"fonds", "commerce", "typologie", "valoriser", "protéger", "portefeuille", "client"}


def _pairs() -> list[tuple[str, str]]:
    pairs = []
    for path in sorted((CATALOGS / "fr").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f, locale="fr_FR"):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if ids[0] and strings[0]:
                    pairs.extend(zip(ids, strings, strict=False))
    return pairs


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(FIELD.sub(" ", text))}


PAIRS = _pairs()
ENGLISH_WORDS = set().union(*(_words(en) for en, _ in PAIRS)) - set().union(*(_words(fr) for _, fr in PAIRS)) - BOTH
FRENCH_WORDS = (
    set().union(*(_words(fr) for _, fr in PAIRS)) - set().union(*(_words(en) for en, _ in PAIRS)) - BOTH - QUOTED_FRENCH
)

# Short words that say the language on their own (the catalogs' words are of four letters or more).
SHORT = re.compile(r"\b[^\W\d_]{2,3}\b")
ENGLISH_SHORT = {"the", "and", "for", "not", "per", "yet", "was", "are", "has", "you", "its", "of", "to", "is"}
FRENCH_SHORT = {"les", "des", "une", "est", "pas", "aux", "sur", "par", "du", "et", "au", "un", "le"}

RAW_CODES = re.compile(
    r"\b(?:vip|core|development|economy|loyalty|retention|termination|cross_sell|declining|very_regular|"
    r"high_high|high_low|low_high|low_low|negative_margin|win_back|follow_up|size_band|revenue_12m|True|False|None)\b"
    r"|\b\d{4}-Q[1-4]\b|\b\d{4}-\d{2}-\d{2}\b|\b[a-z]+\.[a-z]+_[a-z_]+\b"
)


LITERAL = ("script", "style", "code", "pre", "kbd", "textarea")
"""Elements whose text is not prose: scripts, and literal values shown as typed
(a setting's key and value in the file, an audit record's details)."""


class _Text(HTMLParser):
    """The prose of a page (no scripts, styles, attributes or literal values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in LITERAL:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in LITERAL:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return html.unescape(" ".join(parser.parts))


def leaks(text: str, words: set[str], names: set[str], *, codes: bool) -> list[str]:
    """The words of ``words`` and the raw codes found in ``text`` once the
    proper nouns ``names`` are taken out, each with its context."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    # a name cut short in a chart's label or a table cell: its words are names too
    name_words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", " ".join(names))}
    short = ENGLISH_SHORT if words is ENGLISH_WORDS else FRENCH_SHORT
    found = []
    for match in (*WORD.finditer(text), *SHORT.finditer(text)):
        if match.group().lower() in name_words:
            continue
        if match.group().lower() in words or match.group() in short:
            found.append(text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " "))
    if codes:
        for match in RAW_CODES.finditer(text):
            found.append(f"[code {match.group()}] " + text[max(0, match.start() - 40) : match.end() + 40])
    return found


def _clientfolio() -> str:
    return str(Path(sys.executable).with_name("clientfolio"))


def run(cwd: Path, lang_env: dict[str, str], *args: str, stdout_only: bool = False) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "CLIENTFOLIO_"))}
    # the tests' smaller bootstrap of the valuation (tests/conftest.py): the interval's numbers are not
    # what is checked here, its words are
    env.update(lang_env, COLUMNS="1000", NO_COLOR="1", CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES=BOOTSTRAP_SAMPLES)
    done = subprocess.run(
        [_clientfolio(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"clientfolio {' '.join(args)}: {done.stderr}"
    return done.stdout if stdout_only else done.stdout + done.stderr


def pdf_text(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(str(path)))


def xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    book.close()
    return "\n".join([*cells, *(sheet.title for sheet in book.worksheets)])


FRENCH = {"LANG": "fr_FR.UTF-8"}


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The French path run once in a fresh directory; its outputs by name."""
    cwd = tmp_path_factory.mktemp("french_first")
    out: dict[str, object] = {"cwd": cwd}
    out["demo"] = run(cwd, FRENCH, "demo")
    out["value"] = run(cwd, FRENCH, "value")
    out["suggest"] = run(cwd, FRENCH, "plan", "suggest", "--accept", "all")
    out["plan list"] = run(cwd, FRENCH, "plan", "list")
    out["report"] = run(cwd, FRENCH, "report", "--format", "pdf", "--out", str(cwd / "bilan.pdf"))
    out["report.pdf"] = pdf_text(cwd / "bilan.pdf")
    run(cwd, FRENCH, "report", "--format", "xlsx", "--out", str(cwd / "bilan.xlsx"))
    out["report.xlsx"] = xlsx_text(cwd / "bilan.xlsx")
    run(cwd, FRENCH, "report", "--format", "html", "--out", str(cwd / "bilan.html"))
    out["report.html"] = visible((cwd / "bilan.html").read_text(encoding="utf-8"))
    run(cwd, FRENCH, "plan", "export", "--out", str(cwd / "pac.xlsx"))
    out["pac.xlsx"] = xlsx_text(cwd / "pac.xlsx")
    yield out


def test_the_catalogs_have_both_languages() -> None:
    """Every message of the catalogs has its French (not empty) and keeps its
    fields; a message is in one catalog file only."""
    seen: dict[str, str] = {}
    for path in sorted((CATALOGS / "fr").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f, locale="fr_FR"):
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                assert key not in seen, f"{key!r} in {seen.get(key)} and {path.name}"
                seen[key] = path.name
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                assert all(strings), f"{path.name}: {key!r} has no French"
                fields = set(re.findall(r"\{(\w+)\}", key))
                for text in strings:
                    assert set(re.findall(r"\{(\w+)\}", text)) == fields, f"{path.name}: {key!r} -> {text!r}"


@pytest.mark.parametrize(
    "name", ["demo", "value", "suggest", "plan list", "report", "report.pdf", "report.xlsx", "report.html", "pac.xlsx"]
)
def test_the_french_path_shows_no_english_and_no_code(walked: dict[str, object], name: str) -> None:
    text = str(walked[name])
    found = leaks(text, ENGLISH_WORDS, _names(walked), codes=True)
    assert not found, f"{name}: {len(found)} English words or codes:\n" + "\n".join(found[:40])


NAME_QUERIES = (
    "SELECT name FROM customers UNION SELECT sector FROM customers UNION SELECT city FROM customers",
    "SELECT name FROM prospects UNION SELECT sector FROM prospects UNION SELECT city FROM prospects",
    "SELECT name FROM segments UNION SELECT name FROM regions UNION SELECT name FROM products",
    "SELECT name FROM product_lines UNION SELECT display_name FROM users UNION SELECT company FROM plans",
    "SELECT business_area FROM plans UNION SELECT function FROM contacts",
    # what users wrote: a lost prospect's reason, an export's recipient and purpose
    "SELECT lost_reason FROM prospects",
    "SELECT recipient FROM exports UNION SELECT purpose FROM exports",
)


def _names(walked: dict[str, object]) -> set[str]:
    """The proper nouns held in the demo store (names of customers, prospects,
    segments, regions, products, users, the company; sectors and cities), and
    the run's directory (paths in the messages)."""
    if "names" not in walked:
        cwd = Path(str(walked["cwd"]))
        with sqlite3.connect(cwd / "clientfolio.db") as db:
            names = {str(v) for query in NAME_QUERIES for (v,) in db.execute(query) if v}
        walked["names"] = {*names, str(cwd)}
    return walked["names"]  # type: ignore[return-value]


ENGLISH = {"LANG": "fr_FR.UTF-8", "CLIENTFOLIO_LANG": "en"}


@pytest.fixture(scope="module")
def walked_en(walked: dict[str, object]) -> dict[str, object]:
    """The same store read in English (``--lang en``): the plan accepted in French shows in English."""
    cwd = Path(str(walked["cwd"]))
    out: dict[str, object] = {}
    out["value"] = run(cwd, FRENCH, "value", "--lang", "en")
    out["plan list"] = run(cwd, FRENCH, "plan", "list", "--lang", "en")
    run(cwd, FRENCH, "report", "--lang", "en", "--format", "pdf", "--out", str(cwd / "review.pdf"))
    out["report.pdf"] = pdf_text(cwd / "review.pdf")
    run(cwd, FRENCH, "plan", "export", "--lang", "en", "--out", str(cwd / "plan.xlsx"))
    out["pac.xlsx"] = xlsx_text(cwd / "plan.xlsx")
    return out


@pytest.mark.parametrize("name", ["value", "plan list", "report.pdf", "pac.xlsx"])
def test_the_english_path_shows_no_french(walked: dict[str, object], walked_en: dict[str, object], name: str) -> None:
    found = leaks(str(walked_en[name]), FRENCH_WORDS, _names(walked), codes=False)
    assert not found, f"{name}: {len(found)} French words:\n" + "\n".join(found[:40])


PAGES = (
    "/",
    "/customers",
    "/customers/{code}",
    "/prospects",
    "/today",
    "/plan",
    "/swot",
    "/assessment",
    "/import",
    "/export",
    "/trace",
    "/report",
    "/admin",
    "/admin/settings",
)


@pytest.fixture(scope="module")
def pages(walked: dict[str, object]) -> dict[tuple[str, str], str]:
    """Every page of the web app as the admin, in French and in English."""
    import warnings

    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.users import set_password
    from clientfolio.settings import Settings
    from clientfolio.store import Store
    from clientfolio.web import create_app
    from tests.web.conftest import PASSWORD, login

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    cwd = Path(str(walked["cwd"]))
    settings = Settings(database_url=f"sqlite:///{cwd}/clientfolio.db", key_file=str(cwd / "clientfolio.key"))
    ring = KeyRing.load(settings, create=False)
    store = Store(settings.database_url)
    set_password(store, "pbernard", PASSWORD, actor="test", chain_key=ring.subkey("audit"))
    app = create_app(settings, store=store, ring=ring)
    shown: dict[tuple[str, str], str] = {}
    for lang in ("fr", "en"):
        client = TestClient(app, headers={"Accept-Language": lang})
        assert login(client, "pbernard").status_code == 303
        code = client.get("/api/v1/customers").json()["items"][0]["code"]
        for path in PAGES:
            response = client.get(path.format(code=code))
            assert response.status_code == 200, f"{path}: {response.status_code}"
            shown[(lang, path)] = visible(response.text)
    store.dispose()
    return shown


@pytest.mark.parametrize("path", PAGES)
def test_every_french_page_shows_no_english_and_no_code(
    walked: dict[str, object], pages: dict[tuple[str, str], str], path: str
) -> None:
    # the settings page names the codes a user types in clientfolio.toml: codes are its subject
    found = leaks(pages[("fr", path)], ENGLISH_WORDS, _names(walked), codes=path != "/admin/settings")
    assert not found, f"{path}: {len(found)} English words or codes:\n" + "\n".join(found[:40])


@pytest.mark.parametrize("path", PAGES)
def test_every_english_page_shows_no_french(
    walked: dict[str, object], pages: dict[tuple[str, str], str], path: str
) -> None:
    found = leaks(pages[("en", path)], FRENCH_WORDS, _names(walked), codes=False)
    assert not found, f"{path}: {len(found)} French words:\n" + "\n".join(found[:40])


TIGHT_COLON = re.compile(r"[^\W\d_]:(?=\s)")
"""A word followed by a colon without the space French typography puts before it ("Alerte:")."""


def tight_colons(text: str, names: set[str]) -> list[str]:
    """The colons of ``text`` without French's space before them, in context (``names`` left out)."""
    for noun in sorted(names, key=len, reverse=True):
        text = text.replace(noun, " ")
    return [text[max(0, m.start() - 40) : m.end() + 20].replace("\n", " ") for m in TIGHT_COLON.finditer(text)]


@pytest.mark.parametrize("name", ["demo", "value", "suggest", "plan list", "report", "report.pdf", "report.html"])
def test_the_french_path_puts_a_space_before_its_colons(walked: dict[str, object], name: str) -> None:
    # the HTML review holds the charts' text for screen readers (``report.charts``'s <desc> and <title>)
    found = tight_colons(str(walked[name]), _names(walked))
    assert not found, f"{name}: {len(found)} colons without their space:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("path", PAGES)
def test_every_french_page_puts_a_space_before_its_colons(
    walked: dict[str, object], pages: dict[tuple[str, str], str], path: str
) -> None:
    found = tight_colons(pages[("fr", path)], _names(walked))
    assert not found, f"{path}: {len(found)} colons without their space:\n" + "\n".join(found[:20])
