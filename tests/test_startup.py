"""The command starts light: its help and ``import clientfolio`` load none of
the heavy libraries (engines, dataframes, PDF, web, spreadsheets); those are
imported by the commands that use them.  A structural check, in a child
process (this test session has loaded everything); the start-up time itself is
measured in benchmarks/."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "ibis",
    "duckdb",
    "scipy",
    "numpy",
    "pandas",
    "pyarrow",
    "fpdf",
    "fastapi",
    "openpyxl",
    "sqlalchemy",
    "cryptography",
)


def loaded_after(code: str) -> list[str]:
    """The modules of ``HEAVY`` and of ``clientfolio.protect`` that running ``code`` loads."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"heavy = {set(HEAVY)!r}\n"
        "found = [m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('clientfolio.protect')]\n"
        "print(json.dumps(sorted(found)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_command_loads_no_heavy_library() -> None:
    assert loaded_after("import clientfolio.cli") == []


def test_importing_the_library_loads_neither_heavy_libraries_nor_protect() -> None:
    assert loaded_after("import clientfolio; clientfolio.__version__") == []


def test_the_help_in_french_loads_no_heavy_library() -> None:
    run_help = (
        "import sys\nfrom clientfolio.cli import main\nsys.argv = ['clientfolio', '--lang', 'fr', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert loaded_after(run_help) == []


def test_the_settings_command_loads_no_engine() -> None:
    """``clientfolio settings`` reads every domain's rules (``config.SECTIONS``),
    which live beside their analyses: those import their engines (Ibis, the
    store, scipy, numpy) only when they compute."""
    run_settings = (
        "import sys\nfrom clientfolio.cli import main\nsys.argv = ['clientfolio', 'settings', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "from clientfolio.config import SECTIONS\nassert all(SECTIONS[name] for name in SECTIONS)"
    )
    assert loaded_after(run_settings) == []


def test_a_command_loads_the_help_formatting_only_to_show_help() -> None:
    """typer's help and error formatting (``typer.rich_utils``, with Rich's markdown) is 50 ms of every
    command's start: it runs when help or an error is shown, with the run's words (tests/test_cli_language.py)."""
    probe = (
        "import contextlib, io, sys\nfrom clientfolio.cli import main\nsys.argv = ['clientfolio', {args}]\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n    try:\n        main()\n"
        "    except SystemExit:\n        pass\n"
        "print('markdown_it' in sys.modules, 'Commandes' in out.getvalue())"
    )
    for args, shown in (("'settings'", "False False"), ("'--lang', 'fr', '--help'", "True True")):
        done = subprocess.run([sys.executable, "-c", probe.format(args=args)], capture_output=True, text=True)
        assert done.stdout.split() == shown.split(), (args, done.stderr)


def test_the_lazy_exports_are_the_real_objects() -> None:
    import clientfolio
    import clientfolio.protect.backup
    from clientfolio.protect import backup
    from clientfolio.store import Store

    assert clientfolio.Store is Store
    assert callable(backup)  # the function, not its module of the same name
    assert "Store" in clientfolio.__all__


def test_the_report_loads_the_writer_of_its_format_only() -> None:
    """fpdf2 for a PDF, openpyxl for a workbook: neither for the HTML review (0.5 s of the command)."""
    loaded = loaded_after("import clientfolio.report.export")
    assert not [m for m in loaded if m.split(".")[0] in ("fpdf", "openpyxl")]


def test_the_plan_records_load_no_engine() -> None:
    """``plan list``, ``plan add`` and ``plan update`` read and write rows: the
    analyses' types they name are imported for the type checker only."""
    loaded = loaded_after("import clientfolio.plan.records")
    assert not [m for m in loaded if m.split(".")[0] in ("ibis", "duckdb", "scipy", "pandas", "pyarrow", "fpdf")]
