"""The domain settings page (``/admin/settings``): an admin changes a key of
``clientfolio.toml`` (validated, written atomically, audited) or resets it;
the next figures use it; the environment wins; other roles are refused.
And the TOML writer of ``clientfolio.config`` read back by ``tomllib``."""

from __future__ import annotations

import html
import math
import os
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from clientfolio.analytics.abc import AbcConfig
from clientfolio.config import ConfigError, dumps_toml, load_domain_config, reset_setting, write_setting
from clientfolio.protect.audit import list_events
from clientfolio.store import Store
from tests.web.conftest import TOKEN_PAGE, csrf_of, logged_in


def config_path(store: Store) -> Path:
    """The settings file the app reads: beside the SQLite store."""
    database = store.engine.url.database
    assert database
    return Path(database).parent / "clientfolio.toml"


@pytest.fixture(autouse=True)
def clean(demo: Store, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No domain settings from the environment, no settings file, fresh figures."""
    for name in list(os.environ):
        if name.upper().startswith("CLIENTFOLIO_") and ("__" in name or name.upper() == "CLIENTFOLIO_CONFIG"):
            monkeypatch.delenv(name)
    path = config_path(demo)
    path.unlink(missing_ok=True)
    app.state.web.figures.clear()
    yield path
    path.unlink(missing_ok=True)
    app.state.web.figures.clear()


def post(client: Any, **form: str) -> Any:
    token = csrf_of(client.get("/admin/settings").text)
    return client.post("/admin/settings", data={"csrf_token": token, **form}, follow_redirects=False)


def row(client: Any, section: str, key: str) -> dict[str, Any]:
    rows = client.get("/admin/settings?format=json").json()["rows"]
    found: dict[str, Any] = next(r for r in rows if r["section"] == section and r["key"] == key)
    return found


def test_an_admin_changes_a_setting_and_the_next_figures_use_it(app: FastAPI, demo: Store, clean: Path) -> None:
    admin = logged_in(app, "pbernard")
    page = admin.get("/admin/settings")
    assert page.status_code == 200
    assert "Domain settings" in page.text and "abc" in page.text and "Cumulative share" in page.text
    assert 'href="/admin/settings"' in admin.get("/admin").text
    assert row(admin, "abc", "a") | {"help": ""} == {
        "section": "abc",
        "key": "a",
        "variable": "CLIENTFOLIO_ABC__A",
        "value": 0.8,
        "default": 0.8,
        "source": "default",
        "help": "",
        "text": "0.8",
        "default_text": "0.8",
    }
    before = {r["abc"]: r["customers"] for r in admin.get("/api/v1/dashboard").json()["abc"]}

    answer = post(admin, section="abc", key="a", value="0.7")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/settings"

    assert tomllib.loads(clean.read_text(encoding="utf-8")) == {"abc": {"a": 0.7}}
    assert stat.S_IMODE(clean.stat().st_mode) == 0o600
    shown = row(admin, "abc", "a")
    assert (shown["value"], shown["source"]) == (0.7, "file")
    assert "fichier" in logged_in(app, "pbernard", headers={"Accept-Language": "fr"}).get("/admin/settings").text
    assert load_domain_config(database_url=demo.url).section("abc", AbcConfig).a == 0.7
    after = {r["abc"]: r["customers"] for r in admin.get("/api/v1/dashboard").json()["abc"]}
    assert after["A"] < before["A"]  # fewer customers make the first 70 % than the first 80 %

    event = list_events(demo, action="settings.change", limit=1)[0]
    assert (event.actor, event.target) == ("pbernard", "abc.a")
    assert event.details["old"] == 0.8 and event.details["new"] == 0.7
    assert (event.details["old_source"], event.details["new_source"]) == ("default", "file")


def test_a_bad_value_is_refused_with_its_reason_and_nothing_written(app: FastAPI, demo: Store, clean: Path) -> None:
    admin = logged_in(app, "pbernard")
    assert post(admin, section="abc", key="b", value="0.9").status_code == 303
    written = clean.read_bytes()
    events = len(list_events(demo, action="settings.change", limit=1000))

    answer = post(admin, section="abc", key="a", value="1.5")
    assert answer.status_code == 422
    assert "abc.a = 1.5: must be at most 1" in answer.text
    assert clean.read_bytes() == written
    assert len(list_events(demo, action="settings.change", limit=1000)) == events

    french = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    answer = post(french, section="abc", key="a", value="1.5")
    assert answer.status_code == 422 and "abc.a = 1.5 : doit valoir au plus 1" in answer.text
    answer = post(admin, section="abc", key="months", value="many")
    assert answer.status_code == 422 and "must be a whole number" in answer.text
    assert post(admin, section="abc", key="nope", value="1").status_code == 422
    assert post(admin, section="nope", key="a", value="1").status_code == 422
    assert clean.read_bytes() == written


def test_the_help_is_in_the_page_language_and_english_in_json(app: FastAPI, clean: Path) -> None:
    """French readers get the French of every help text (i18n/fr/settings.po), none of the English;
    the JSON of the page keeps the English descriptions."""
    english_help = {r.help for r in load_domain_config().rows()}
    french = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    page = html.unescape(french.get("/admin/settings").text)
    assert "Part cumulée de la valeur faite par les clients A (source : 80 % du chiffre d'affaires)." in page
    assert "avec 15 prospects chauds entre les 30 prospects tièdes et les 10 clients" in page
    assert "un taux d'attrition annuel supérieur à environ 11 %" in page
    assert "fonds de commerce" in page and "gestion économique" in page
    assert not [text for text in english_help if text in page]
    assert {r["help"] for r in french.get("/admin/settings?format=json").json()["rows"]} == english_help

    english = html.unescape(logged_in(app, "pbernard").get("/admin/settings").text)
    assert "Cumulative share of value made by the A customers (seed: 80 % of revenue)." in english
    assert "Part cumulée" not in english


def test_the_rules_texts_are_in_the_page_language_and_stay_messages_when_saved(
    app: FastAPI, demo: Store, clean: Path
) -> None:
    """The RFM rules' default labels and actions (messages of the catalogs) read in French on the
    French page, value and default, in a box of one rule per line; saved from that page with one
    rule changed, the untouched texts are written as the messages (still English to an English
    reader), the French text a user wrote as written."""
    french = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    page = html.unescape(french.get("/admin/settings").text)
    cell = page[page.index('<tr id="rfm.rules">') :]
    cell = cell[: cell.index("</tr>")]
    assert "Reconquérir : relance personnalisée" in cell and '"label": "à fidéliser ou en perte de vitesse"' in cell
    assert "Win back" not in cell and '"label": "cyclical"' not in cell
    shown = cell[cell.index('aria-label="rfm.rules"') :]
    text = shown[shown.index(">") + 1 : shown.index("</textarea>")]
    assert text.count("\n") == 7  # [, six rules, ]
    assert '"profile": "inactive"' in text and '"when": "no_quarter"' in text  # codes stay codes
    lines = text.split("\n")
    lines[4] = lines[4].replace('"k": 3', '"k": 2').replace("Fidéliser :", "Fidéliser sans tarder :")
    assert post(french, section="rfm", key="rules", value="\n".join(lines)).status_code == 303

    written = tomllib.loads(clean.read_text(encoding="utf-8"))["rfm"]["rules"]
    assert [r["label"] for r in written] == [
        "inactive",
        "new",
        "very regular",
        "regular",
        "to retain or losing speed",
        "cyclical",
    ]
    assert written[3]["k"] == 2 and written[3]["action"].startswith("Fidéliser sans tarder :")
    assert written[0]["action"].startswith("Win back: personal follow-up call")
    english = html.unescape(logged_in(app, "pbernard").get("/admin/settings").text)
    assert '"label": "very regular"' in english and "Fidéliser sans tarder :" in english


def test_other_roles_are_refused(app: FastAPI, clean: Path) -> None:
    for username in ("jleroy", "cmorel"):
        user = logged_in(app, username)
        assert user.get("/admin/settings").status_code == 403
        token = csrf_of(user.get(TOKEN_PAGE).text)
        refused = user.post("/admin/settings", data={"csrf_token": token, "section": "abc", "key": "a", "value": "0.7"})
        assert refused.status_code == 403
    assert not clean.exists()
    admin = logged_in(app, "pbernard")
    no_token = admin.post("/admin/settings", data={"section": "abc", "key": "a", "value": "0.7"})
    assert no_token.status_code == 403 and not clean.exists()


def test_a_key_the_environment_sets_cannot_be_changed(
    app: FastAPI, clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTFOLIO_ABC__A", "0.6")
    admin = logged_in(app, "pbernard")
    shown = row(admin, "abc", "a")
    assert (shown["value"], shown["source"]) == (0.6, "env")
    for form in ({"value": "0.7"}, {"reset": "true"}):
        answer = post(admin, section="abc", key="a", **form)
        assert answer.status_code == 422
        assert "set by the environment (CLIENTFOLIO_ABC__A), which wins over the file" in answer.text
    assert not clean.exists()


def test_reset_goes_back_to_the_default_and_keeps_the_other_keys(app: FastAPI, demo: Store, clean: Path) -> None:
    admin = logged_in(app, "pbernard")
    assert post(admin, section="abc", key="a", value="0.7").status_code == 303
    assert post(admin, section="clv", key="spend.model", value="lognormal").status_code == 303
    assert tomllib.loads(clean.read_text(encoding="utf-8")) == {
        "abc": {"a": 0.7},
        "clv": {"spend": {"model": "lognormal"}},
    }

    answer = post(admin, section="abc", key="a", reset="true")
    assert answer.status_code == 303
    assert tomllib.loads(clean.read_text(encoding="utf-8")) == {"clv": {"spend": {"model": "lognormal"}}}
    shown = row(admin, "abc", "a")
    assert (shown["value"], shown["source"]) == (0.8, "default")
    event = list_events(demo, action="settings.change", limit=1)[0]
    assert event.target == "abc.a" and event.details["reset"] is True and event.details["new"] == 0.8

    changed = admin.post(
        "/admin/settings?format=json",
        data={"csrf_token": csrf_of(admin.get("/admin/settings").text), "section": "abc", "key": "b", "value": "0.9"},
    )
    assert changed.status_code == 200 and changed.json()["changed"]["new"] == 0.9


# --- the library: write_setting, reset_setting, the TOML writer ----------------------------------------------------


def test_write_setting_creates_the_file_keeps_the_rest_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "clientfolio.toml"
    path.write_text(
        "# mine\n[abc]\nb = 0.9\n\n[funnel.reference_funnel]\n"
        "suspect = 100\nprospect = 70\ncold = 40\nwarm = 25\nhot = 12\nwon = 8\n",
        encoding="utf-8",
    )
    change = write_setting(path, "abc", "a", "0.7")
    assert (change.old, change.new, change.old_source, change.new_source) == (0.8, 0.7, "default", "file")
    write_setting(path, "potential", "policy_caps", '{"single": 1.0, "preferred": 0.6, "multiple": 0.5}')
    write_setting(path, "abc", "basis", "margin")
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "abc": {"b": 0.9, "a": 0.7, "basis": "margin"},
        "funnel": {"reference_funnel": {"suspect": 100, "prospect": 70, "cold": 40, "warm": 25, "hot": 12, "won": 8}},
        "potential": {"policy_caps": {"single": 1.0, "preferred": 0.6, "multiple": 0.5}},
    }
    with pytest.raises(ConfigError, match="table abc: the A threshold must not exceed the B threshold"):
        write_setting(path, "abc", "a", "0.95")  # a above b: the model's own rule
    with pytest.raises(ConfigError, match="give a list or a table as JSON"):
        write_setting(path, "potential", "policy_caps", "single")
    with pytest.raises(ConfigError, match="a table: give one of its keys"):
        write_setting(path, "clv", "spend", "x")
    reset_setting(path, "funnel", "reference_funnel")
    assert "funnel" not in tomllib.loads(path.read_text(encoding="utf-8"))
    assert not list(tmp_path.glob(".*.tmp"))


ROUND_TRIP: dict[str, Any] = {
    "abc": {"a": 0.7, "b": 1e-05, "months": 12, "on": True, "off": False, "basis": "margin"},
    "text": {
        "quotes": 'say "hi" \\ back\\slash',
        "controls": "tab\tnew\nline\r\x00\x1f\x7f\b\f",
        "unicode": "été — ünïcode ✓ 𝄞",
        "empty": "",
        "not a bare key": "x",
        "ключ": "значение",
    },
    "lists": {"mixed": [1, 2.5, "three", True], "empty": [], "nested": [[1, 2], ["a"]], "rules": [{"k": 2, "p": "x"}]},
    "clv": {"horizon_years": 5, "spend": {"model": "lognormal", "deep": {"er": -3}}},
    "floats": {"big": 1.5e300, "neg": -0.0, "inf": math.inf, "minus_inf": -math.inf},
}


def test_the_toml_writer_round_trips() -> None:
    text = dumps_toml(ROUND_TRIP)
    assert tomllib.loads(text) == ROUND_TRIP
    assert math.isnan(tomllib.loads(dumps_toml({"t": {"nan": math.nan}}))["t"]["nan"])
    assert tomllib.loads(dumps_toml({"t": {"k": None, "l": [{"a": None, "b": 1}]}})) == {"t": {"l": [{"b": 1}]}}
    with pytest.raises(TypeError):
        dumps_toml({"t": {"k": object()}})
