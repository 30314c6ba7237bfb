"""``clientfolio serve``, and the demo's way into the web app."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from rich.console import Console
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.users import authenticate
from clientfolio.settings import Settings
from clientfolio.store import Store


@pytest.fixture(autouse=True)
def wide_plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=300, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=300, color_system=None, stderr=True))


def test_serve_runs_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: ran.update(app=app, **kw))
    key = base64.b64encode(b"s" * 32).decode()
    result = CliRunner().invoke(
        cli.app, ["serve", "--port", "8123", "--db", f"sqlite:///{tmp_path}/s.db"], env={"CLIENTFOLIO_KEY": key}
    )
    assert result.exit_code == 0, result.output
    assert isinstance(ran["app"], FastAPI) and (ran["host"], ran["port"]) == ("127.0.0.1", 8123)
    assert ran["app"].state.web.store.url == f"sqlite:///{tmp_path}/s.db"
    assert "Clientfolio on http://127.0.0.1:8123" in result.stdout


def test_demo_gives_its_users_a_password_shown_once(tmp_path: Path) -> None:
    db, key_file = f"sqlite:///{tmp_path}/d.db", str(tmp_path / "k.key")
    env = {"CLIENTFOLIO_KEY_FILE": key_file, "CLIENTFOLIO_KEY": ""}
    result = CliRunner().invoke(cli.app, ["demo", "--customers", "10", "--years", "1", "--db", db], env=env)
    assert result.exit_code == 0, result.output
    assert "Demo users: pbernard (admin), cmorel (manager), jleroy (sales IDF)" in result.stdout
    password = re.search(r"Their password \(shown only this once\): (\S+)", result.stdout)
    assert password and len(password.group(1)) == 16
    assert result.stdout.rstrip().endswith(
        "Open the web app: run `clientfolio serve`, then go to http://127.0.0.1:8000"
    )
    store = Store(db)
    ring = KeyRing.load(Settings(key_file=key_file), environ={})
    assert authenticate(store, "jleroy", password.group(1), chain_key=ring.subkey("audit")).role == "sales"
    again = CliRunner().invoke(cli.app, ["demo", "--db", db], env=env)
    assert again.exit_code == 0 and "Their password" not in again.stdout and "clientfolio serve" in again.stdout
    store.dispose()
