"""The docs that drift most easily, checked against the code.

- docs/web.md names exactly the router modules of ``web/routers/`` (each of
  which is registered in ``web.app.ROUTERS``), every route path its tables
  name is a route of the app built by ``create_app``, and every route of the
  app is in its tables;
- every audit action the code writes (the ``action=`` of each
  ``record_event`` call in ``src/``, literals or module constants) is in the
  "Audit events" table of docs/architecture.md, and nothing else is; each
  row's "written by" file writes it, and the docs its row links to name it;
- every audit event docs/web.md and docs/security.md name is written by the
  code (a dotted name in an audit sentence or table, or under an audit
  namespace, that is not a name of the code, a file or a table column);
- the file paths docs/architecture.md names exist.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from clientfolio.protect.keys import KeyRing
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import Base
from clientfolio.web import create_app

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "clientfolio"
DOCS = ROOT / "docs"


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _ticks(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


# --- the web app: routers and routes ----------------------------------------------------------------------------


def test_web_md_lists_exactly_the_router_modules() -> None:
    rows = [line for line in _doc("web.md").splitlines() if line.startswith("| `routers/` |")]
    assert len(rows) == 1, "docs/web.md: expected one row '| `routers/` | ...' in the table of web/"
    documented = {t for t in _ticks(rows[0].split("|")[2]) if re.fullmatch(r"[a-z_]+", t)}
    modules = {p.stem for p in (SRC / "web" / "routers").glob("*.py") if p.stem != "__init__"}
    assert not modules - documented, (
        f"routers missing from docs/web.md's `routers/` row: {sorted(modules - documented)}"
    )
    assert not documented - modules, f"docs/web.md lists routers that do not exist: {sorted(documented - modules)}"


def test_every_router_module_is_registered() -> None:
    from clientfolio.web.app import ROUTERS

    modules = sorted(p.stem for p in (SRC / "web" / "routers").glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if importlib.import_module(f"clientfolio.web.routers.{m}").router not in ROUTERS]
    assert missing == [], f"router modules not in web.app.ROUTERS: {missing}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as the web tests build it (an empty SQLite store, a test key ring)."""
    tmp = tmp_path_factory.mktemp("drift")
    store = Store(f"sqlite:///{tmp / 'store.db'}")
    settings = Settings(database_url=store.url, key_file=str(tmp / "absent.key"))  # type: ignore[call-arg]
    yield create_app(settings, store=store, ring=KeyRing.for_tests(b"d" * 32))
    store.dispose()


_ROUTE_TOKEN = re.compile(r"(?:(GET|POST|PUT|PATCH|DELETE) )?(/[^\s?`]*)(?:\?\S*)?")


def _documented_routes() -> dict[str, set[str]]:
    """The route paths named in docs/web.md's tables, with the methods they are named with."""
    found: dict[str, set[str]] = defaultdict(set)
    for line in _doc("web.md").splitlines():
        if not line.startswith("|"):
            continue
        for token in _ticks(line):
            match = _ROUTE_TOKEN.fullmatch(token)
            if match:
                path = match.group(2)
                if len(path) > 1:
                    path = path.rstrip("/")
                found[path].add(match.group(1) or "")
    return found


def _app_routes(app: FastAPI, *, ours: bool = False) -> dict[str, set[str]]:
    """The paths of ``app`` and their methods (``ours``: the routes of the
    project's routers only, not the OpenAPI schema nor the static files)."""
    routes: dict[str, set[str]] = defaultdict(set)
    for context in iter_route_contexts(app.routes):
        if context.path and context.methods and (not ours or isinstance(context.original_route, APIRoute)):
            routes[context.path] |= set(context.methods) - {"HEAD"}
    return routes


def test_every_route_named_in_web_md_exists(app: FastAPI) -> None:
    routes = _app_routes(app)
    unknown = sorted(p for p in _documented_routes() if p not in routes)
    assert unknown == [], f"docs/web.md names paths that are no route of create_app(): {unknown}"
    wrong = sorted(
        f"{m} {p}" for p, methods in _documented_routes().items() for m in methods if m and m not in routes[p]
    )
    assert wrong == [], f"docs/web.md names routes with a method the app does not answer: {wrong}"


def test_every_route_is_in_web_md(app: FastAPI) -> None:
    documented = _documented_routes()
    missing = sorted(
        f"{'|'.join(sorted(m))} {p}" for p, m in _app_routes(app, ours=True).items() if p not in documented
    )
    assert missing == [], f"routes of the app missing from the tables of docs/web.md: {missing}"


# --- audit events ------------------------------------------------------------------------------------------------


def _module_constants(tree: ast.Module) -> dict[str, str]:
    return {
        t.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


@functools.cache
def code_actions() -> dict[str, set[str]]:
    """Every audit action written by ``src/``: action -> the files (relative to
    ``src/clientfolio``) whose ``record_event`` calls write it."""
    actions: dict[str, set[str]] = defaultdict(set)
    unresolved: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        where = path.relative_to(SRC).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name != "record_event":
                continue
            action = next((k.value for k in node.keywords if k.arg == "action"), None)
            if action is None:
                unresolved.append(f"{where}:{node.lineno} (no action= keyword)")
                continue
            values = [action]
            while values:  # a literal, a module constant, or a choice between them (x if test else y)
                value = values.pop()
                if isinstance(value, ast.IfExp):
                    values += [value.body, value.orelse]
                elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                    actions[value.value].add(where)
                elif isinstance(value, ast.Name) and value.id in constants:
                    actions[constants[value.id]].add(where)
                else:
                    unresolved.append(f"{where}:{node.lineno} ({ast.unparse(value)})")
    assert unresolved == [], f"record_event calls whose action this test cannot read: {unresolved}"
    return actions


def architecture_events() -> dict[str, tuple[str, str]]:
    """The "Audit events" table of docs/architecture.md: action -> (written by, explained in)."""
    text = _doc("architecture.md")
    assert "\n## Audit events\n" in text, "docs/architecture.md has no '## Audit events' section"
    section = text.split("\n## Audit events\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[a-z_.]+`", cells[0]):
            action = cells[0].strip("`")
            assert action not in rows, f"docs/architecture.md: {action} twice in the Audit events table"
            rows[action] = (cells[1], cells[2])
    return rows


def test_every_audit_action_of_the_code_is_in_the_table() -> None:
    code, table = code_actions(), architecture_events()
    missing = sorted(f"{a} (written in {', '.join(sorted(code[a]))})" for a in code if a not in table)
    assert missing == [], f"audit actions written by the code, missing from docs/architecture.md: {missing}"
    stale = sorted(a for a in table if a not in code)
    assert stale == [], f"docs/architecture.md's Audit events table names actions no code writes: {stale}"


def test_the_table_says_where_each_action_is_written_and_explained() -> None:
    code = code_actions()
    for action, (written, explained) in architecture_events().items():
        files = re.findall(r"`([\w/]+\.py)`", written)
        assert files, f"docs/architecture.md: no file in the 'written by' cell of {action}"
        assert files[0] in code.get(action, set()), (
            f"docs/architecture.md says {action} is written by {files[0]}; the code writes it in "
            f"{sorted(code.get(action, set()))}"
        )
        for doc in re.findall(r"\]\(([\w-]+\.md)", explained):
            assert f"`{action}`" in _doc(doc), f"docs/architecture.md says {doc} explains {action}: it does not name it"


_CONTEXT = re.compile(
    r"(?:audited|audit log|logged as|written[^.`]{0,60}? as)\s*(?:as\s*)?\(?\s*"
    r"((?:`[a-z_]+(?:\.[a-z_]+)*`(?:\s*(?:,|/|or|and)\s*)?)+)",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"[a-z_]+(?:\.[a-z_]+)+")
_FILES = re.compile(r".*\.(py|md|po|html|json|csv|xlsx|pdf|txt|toml|db|key|css)")


@functools.cache
def _code_name(token: str) -> bool:
    """``token`` names a module or an attribute of the code, under ``clientfolio``
    or one of its packages (``plan.records``, ``exports.neutral`` ...)."""
    packages = [""] + [
        f"{p.parent.relative_to(SRC).as_posix().replace('/', '.')}."
        for p in SRC.rglob("__init__.py")
        if p.parent != SRC
    ]
    for prefix in packages:
        parts = f"clientfolio.{prefix}{token}".split(".")
        for cut in range(len(parts), 1, -1):
            try:
                obj: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return True
    return False


def _column(token: str) -> bool:
    table, _, column = token.partition(".")
    return table in Base.metadata.tables and column in Base.metadata.tables[table].c


def named_events(doc: str) -> set[str]:
    """The audit events ``doc`` names: the names in an audit sentence ("audited
    `x`", "audit log (`x`", "logged as `x`"), in the first column of a table
    under an "Audit" heading, or dotted under an audit namespace of the code;
    less the names of the code, files and table columns."""
    text = _doc(doc)
    namespaces = {a.split(".")[0] for a in code_actions()}
    candidates = {t for m in _CONTEXT.finditer(text) for t in _ticks(m.group(1))}
    heading, events_table, previous = "", False, ""
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line
        elif line.startswith("|") and not previous.startswith("|"):  # a table's header row
            first = line.strip("| ").split("|")[0].strip().lower()
            events_table = "audit" in heading.lower() and first in ("action", "event", "audit event")
        elif events_table and line.startswith("| `"):
            candidates.add(_ticks(line)[0])
        previous = line
    candidates |= {t for t in _ticks(text) if _DOTTED.fullmatch(t) and t.split(".")[0] in namespaces}
    return {
        t
        for t in candidates
        if re.fullmatch(r"[a-z_]+(?:\.[a-z_]+)*", t)
        and not _FILES.fullmatch(t)
        and not _column(t)
        and not (t not in code_actions() and _code_name(t))
    }


@pytest.mark.parametrize("doc", ["web.md", "security.md", "architecture.md"])
def test_every_audit_event_named_in_the_docs_is_written_by_the_code(doc: str) -> None:
    unknown = sorted(named_events(doc) - set(code_actions()))
    assert unknown == [], f"docs/{doc} names audit events that no record_event call writes: {unknown}"


# --- docs/architecture.md: the paths it names ---------------------------------------------------------------------


def _exists(token: str, bases: list[Path]) -> bool:
    return any(list(base.glob(token)) if "*" in token else (base / token).exists() for base in bases)


def test_the_paths_of_architecture_md_exist() -> None:
    text = _doc("architecture.md")
    missing: list[str] = []
    roots = [SRC, SRC.parent, ROOT, DOCS]
    for line in text.splitlines():
        package = re.match(r"\| `([\w/]+/)` \|", line)
        bases = roots + ([SRC / package.group(1)] if package else [])
        for token in _ticks(line):
            if "<" in token or " " in token or ":" in token or token.startswith(("/", "?")):
                continue
            if "/" in token and not _exists(token, bases):
                missing.append(token)
            elif package and "/" not in token and re.fullmatch(r"[\w.]+\.(py|po|html)", token):
                if not list((SRC / package.group(1)).rglob(token)):
                    missing.append(f"{package.group(1)}{token}")
    for link in re.findall(r"\]\(([^)#]+)", text):
        if not link.startswith("http") and not (DOCS / link).exists():
            missing.append(link)
    assert missing == [], f"docs/architecture.md names paths that do not exist: {sorted(set(missing))}"
