"""The layers of the architecture hold: the import-linter contracts of
pyproject.toml (``[tool.importlinter]``) are kept.

Shells -> domain packages -> access -> leaves -> store, never an import back
up; a new top-level module fails until it is given its layer there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LINT = """
import sys
from importlinter.cli import lint_imports

sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))
"""


def test_import_contracts_are_kept() -> None:
    # a process of its own: the report goes to its output, and nothing of the
    # linter's import machinery is left in the test session
    done = subprocess.run(
        [sys.executable, "-c", LINT, str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout, done.stdout


def test_a_layer_broken_fails_the_contracts(tmp_path: Path) -> None:
    """The contracts are live: the same layers with access put above protect
    (whose exports read through access) are reported broken."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert config.count('"protect | analytics",') == config.count('"access",') == 1
    swapped = (
        config.replace('"protect | analytics",', "SWAP")
        .replace('"access",', '"protect | analytics",')
        .replace("SWAP", '"access",')
    )
    broken = tmp_path / "pyproject.toml"
    broken.write_text(swapped, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", LINT, str(broken)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "clientfolio.protect" in done.stdout and "BROKEN" in done.stdout
