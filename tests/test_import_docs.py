"""docs/import.md says what the importer does: every field of every kind is in
its table with its synonyms, and every example file it names exists and imports."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from clientfolio.ingest import FIELDS, import_file
from clientfolio.store import Store

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
EXAMPLES = sorted(set(re.findall(r"`(tests/data/[^`]+)`", DOC)))


def test_every_field_is_documented_with_its_synonyms() -> None:
    for kind, fields in FIELDS.items():
        section = DOC.split(f"### {kind}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        for f in fields:
            row = f"| `{f.name}` | {'yes' if f.required else ''} | {f.help} | {', '.join(f.synonyms)} |"
            assert row in section, f"{kind}.{f.name} is not documented as it is in docs/import.md"


def test_the_examples_exist() -> None:
    assert len(EXAMPLES) >= 12
    missing = [name for name in EXAMPLES if not (ROOT / name).is_file()]
    assert missing == []


@pytest.mark.parametrize("name", [n for n in EXAMPLES if "activit" not in n])
def test_each_example_imports_into_a_fresh_store(name: str, tmp_path: Path) -> None:
    """Activities need their customers and users first: ``tests/test_activities.py`` imports them."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    result = import_file(store, ROOT / name, today=dt.date(2026, 1, 15))
    assert result.rows_read > 0 and not result.already_imported
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM invoices")).scalar_one() > 0
