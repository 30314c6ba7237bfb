"""The administration page in French (issue 17): the audit log's actions by
their names (the code as a tooltip), its timestamps in the page's format, the
export alerts in the page's language, the entries' details read in French
(``web.audit_text``, not the record's JSON); every action the code writes has
a name and every name its French.  The JSON keeps the codes and the records."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI

from clientfolio.audit_log import ACTION_NAMES
from clientfolio.i18n import gettext_for
from clientfolio.protect import set_scopes
from tests.test_french_first import ENGLISH_WORDS, leaks
from tests.web.conftest import RING, TOKEN_PAGE, client_of, csrf_of, demo_store, logged_in, login, make_app

SOURCES = Path(__file__).parents[2] / "src" / "clientfolio"
WRITERS = {"record_event"}
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2})?")


def _literals(node: ast.expr) -> Iterator[str]:
    """The action codes an ``action=`` argument can take (a literal, or a choice of literals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    else:
        raise AssertionError(f"an audit action that is not a literal: {ast.unparse(node)}")


def written_actions() -> dict[str, str]:
    """Every action code the code writes to the audit log, with where."""
    found: dict[str, str] = {}
    for path in sorted(SOURCES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in WRITERS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "action" and not isinstance(keyword.value, ast.Name):
                    for code in _literals(keyword.value):
                        found.setdefault(code, f"{path.relative_to(SOURCES)}:{node.lineno}")
    return found


def test_every_action_written_has_a_name_and_every_name_its_french() -> None:
    written = written_actions()
    assert {"customer.read", "login.success", "login.failure", "export", "settings.change"} <= set(written)
    unnamed = {code: where for code, where in written.items() if code not in ACTION_NAMES}
    assert not unnamed, f"audit actions without a name in audit_log.ACTION_NAMES: {unnamed}"
    french = gettext_for("fr")
    untranslated = [name for name in ACTION_NAMES.values() if french(name) == name]
    assert not untranslated, f"action names without French: {untranslated}"
    assert french(ACTION_NAMES["login.success"]) == "Connexion réussie"


class _Prose(HTMLParser):
    """The prose of a page: no scripts, styles, literal values (``code``) or attributes."""

    LITERAL = ("script", "style", "code", "pre", "textarea")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in self.LITERAL

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self.LITERAL

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def prose(page: str) -> str:
    parser = _Prose()
    parser.feed(page)
    return " ".join(html.unescape(" ".join(parser.parts)).split())


@pytest.fixture(scope="module")
def alerted(filled_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app whose store holds an export that raised an alert (more than one row)
    and a customer file read."""
    tmp = tmp_path_factory.mktemp("admin")
    store = demo_store(filled_demo, tmp)
    app = make_app(store, tmp, export_alert_rows=1)
    manager = logged_in(app, "cmorel")
    token = csrf_of(manager.get("/export").text)
    done = manager.post(
        "/export", data={"recipient": "Agence X", "purpose": "mailing", "format": "csv", "csrf_token": token}
    )
    assert done.status_code == 200, done.text[:500]
    assert manager.get("/customers/C00003").status_code == 200
    yield app
    store.dispose()


def test_the_french_admin_page_names_the_actions_and_formats_the_times(alerted: FastAPI) -> None:
    page = logged_in(alerted, "pbernard", headers={"Accept-Language": "fr"}).get("/admin").text
    text = prose(page)
    assert "Connexion réussie" in text and "Fiche client consultée" in text and "Données clients exportées" in text
    assert 'title="customer.read"' in page and 'title="login.success"' in page  # the code as a tooltip
    for code in ("customer.read", "login.success", "Successful login", "Customer file read"):
        assert code not in text
    assert not ISO_TIME.search(text), ISO_TIME.search(text)
    assert re.search(r"\b\d{1,2} [a-zéû]+\.? 20\d\d \d{2}:\d{2}:\d{2}\b", text)  # "3 déc. 2026 18:30:19"
    assert "nombre de lignes" in text and "au-delà du seuil d'alerte" in text  # the alert, its kind named
    assert "above the alert threshold" not in page and "many rows" not in page


def test_the_english_admin_page_stays_english(alerted: FastAPI) -> None:
    page = logged_in(alerted, "pbernard", headers={"Accept-Language": "en"}).get("/admin").text
    text = prose(page)
    assert "Successful login" in text and "Customer file read" in text
    assert "Connexion réussie" not in text and "Fiche client" not in text
    assert "many rows" in text and "above the alert threshold" in text
    assert not ISO_TIME.search(text)


def test_the_json_keeps_the_codes(alerted: FastAPI) -> None:
    data = logged_in(alerted, "pbernard", headers={"Accept-Language": "fr"}).get("/admin?format=json").json()
    actions = {e["action"] for e in data["audit"]["events"]}
    assert {"login.success", "customer.read", "export"} <= actions
    assert not {name for name in ACTION_NAMES.values()} & actions
    (alert,) = [a for e in data["alerts"] for a in e["alerts"] if a["kind"] == "rows"][:1]
    assert alert["kind"] == "rows" and "above the alert threshold" in alert["message"]


@pytest.fixture(scope="module")
def refused(filled_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app whose audit log holds what an attacker and a rep leave: a wrong
    password, a sales rep refused the administration, a scope given, an export."""
    tmp = tmp_path_factory.mktemp("refused")
    store = demo_store(filled_demo, tmp)
    app = make_app(store, tmp)
    assert login(client_of(app), "pbernard", "not the password").status_code != 303
    rep = logged_in(app, "jleroy")
    assert rep.post("/admin/backup", data={"csrf_token": csrf_of(rep.get(TOKEN_PAGE).text)}).status_code == 403
    set_scopes(store, "jleroy", regions=["ARA", "IDF"], actor="pbernard", chain_key=RING.subkey("audit"))
    manager = logged_in(app, "cmorel")
    token = csrf_of(manager.get("/export").text)
    done = manager.post(
        "/export", data={"recipient": "Agence X", "purpose": "relance", "format": "csv", "csrf_token": token}
    )
    assert done.status_code == 200, done.text[:500]
    yield app
    store.dispose()


def _audit_section(page: str) -> str:
    """The audit log's section as prose (its non-breaking spaces as spaces)."""
    return prose(page[page.index('id="audit"') : page.index('id="backups"')])


def test_the_entries_details_are_read_in_french(refused: FastAPI) -> None:
    page = logged_in(refused, "pbernard", headers={"Accept-Language": "fr"}).get("/admin").text
    audit = _audit_section(page)
    # the refusals' reasons in French: a login's code, a library message rendered again from its template
    assert "Échec de connexion" in audit and "motif : mot de passe erroné" in audit, audit
    assert "motif : jleroy (commercial) ne peut pas administrer" in audit, audit
    # keys by their names, codes by theirs, numbers and days in French
    assert "après : (régions : ARA, IDF)" in audit, audit
    assert "finalité : relance" in audit and "destinataire : Agence X" in audit, audit
    assert "type : clients" in audit and "enregistrements pièges : 3" in audit, audit
    for raw in ("bad password", "may not", '"reason"', "{", "sessions_ended", "recipient", "purpose"):
        assert raw not in audit, raw
    found = leaks(audit, ENGLISH_WORDS, {"Agence X", "Clientfolio"}, codes=True)
    assert not found, found


def test_the_details_json_keeps_the_record(refused: FastAPI) -> None:
    data = logged_in(refused, "pbernard", headers={"Accept-Language": "fr"}).get("/admin?format=json").json()
    (failure,) = [e for e in data["audit"]["events"] if e["action"] == "login.failure"][:1]
    assert failure["details"]["reason"] == "bad password"
    (denied,) = [e for e in data["audit"]["events"] if e["action"] == "web.refused"][:1]
    assert denied["details"]["reason"] == "jleroy (sales) may not administer"
    assert denied["details"]["reason_msg"] == "{user} ({role_msg}) may not {permission_msg}"
    assert denied["details"]["reason_params"]["role_msg"] == "sales"
