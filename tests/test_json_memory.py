"""``clientfolio analyze --json`` streams its per-customer tables: on a
200,000-line file its peak memory stays within 1.5x of the same run without
``--json`` (issue 19), and the document is whole, valid JSON."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from benchmarks.gen_transactions import generate
from rich.console import Console

from clientfolio.cli import _common

COMMAND = [sys.executable, "-c", "from clientfolio.cli import main; main()"]


def peak_memory(args: list[str], out: Path) -> int:
    """Run the command with ``args`` in a child process, its standard output in
    ``out``; its peak resident memory (KiB, this child only)."""
    with out.open("wb") as stdout, (out.parent / f"{out.name}.err").open("wb") as stderr:
        child = subprocess.Popen([*COMMAND, *args], stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, (out.parent / f"{out.name}.err").read_text(encoding="utf-8")
    return usage.ru_maxrss


@pytest.fixture(scope="module")
def transactions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("json_memory") / "transactions.parquet"
    generate(path, 200_000, threads=2)
    return path


def test_analyze_json_streams_in_flat_memory(transactions: Path, tmp_path: Path) -> None:
    plain = peak_memory(["analyze", "--transactions", str(transactions)], tmp_path / "tables.txt")
    as_json = peak_memory(["analyze", "--transactions", str(transactions), "--json"], tmp_path / "analysis.json")

    data = json.loads((tmp_path / "analysis.json").read_text(encoding="utf-8"))
    customers = pc.count_distinct(pq.read_table(transactions, columns=["customer_id"])["customer_id"]).as_py()
    assert customers > 5_000
    assert len(data["rfm"]) == customers  # every customer of the file has a pattern
    assert len(data["abc"]) == data["measures"]["current"]["active_customers"]
    assert len({row["customer_id"] for row in data["abc"]}) == len(data["abc"])
    assert as_json <= 1.5 * plain, f"--json peaked at {as_json} KiB, {as_json / plain:.2f}x the {plain} KiB without it"


class _Output(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.mark.parametrize("terminal", [False, True])
def test_emit_json_streams_arrays_chunk_by_chunk(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    out = _Output(terminal)
    monkeypatch.setattr(_common, "stdout", lambda: Console(file=out))
    rows = [{"customer_id": f"C{i}", "day": dt.date(2025, 1, i + 1), "name": "Société"} for i in range(5)]
    chunks = iter([rows[:2], [], rows[2:]])
    _common.emit_json(
        {"as_of": "2025-12-31", "nested": {"rows": _common.JsonArray(chunks), "none": _common.JsonArray([])}}
    )

    text = out.getvalue()
    expected = [{**row, "day": row["day"].isoformat()} for row in rows]
    assert json.loads(text) == {"as_of": "2025-12-31", "nested": {"rows": expected, "none": []}}
    assert "Société" in text  # not escaped
    assert ("\n  " in text) is terminal  # indented for a terminal only, compact for a pipe


@pytest.mark.parametrize("terminal", [False, True])
def test_emit_json_writes_arrow_tables_as_python_would(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    """A table streamed by DuckDB (compact) or row by row (terminal) reads back
    as the rows themselves: escapes, nulls, dates, exact doubles, empty tables."""
    import pyarrow as pa

    out = _Output(terminal)
    monkeypatch.setattr(_common, "stdout", lambda: Console(file=out))
    rows = [
        {"customer_id": 'Q"\\é\n\t\x01', "day": dt.date(2025, 1, 2), "share": 0.1, "cents": 2**53 + 1, "vip": True},
        {"customer_id": None, "day": None, "share": 1 / 3, "cents": None, "vip": None},
        {"customer_id": "Société", "day": dt.date(1999, 12, 31), "share": 2.5e-300, "cents": -7, "vip": False},
    ]
    table = pa.Table.from_pylist(rows * 7)
    _common.emit_json({"rows": _common.JsonTable(table, size=4), "empty": _common.JsonTable(table.slice(0, 0))})

    expected = [{**row, "day": row["day"] and row["day"].isoformat()} for row in rows * 7]
    assert json.loads(out.getvalue()) == {"rows": expected, "empty": []}
    assert "Société" in out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_emit_json_writes_duckdbs_bytes_in_order_and_in_the_outputs_encoding(
    monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """On a real output (text over a binary buffer), the rows DuckDB encoded go to
    the buffer as bytes between the text written before and after them when the
    output is UTF-8, and through the text layer (re-encoded) when it is not."""
    import pyarrow as pa

    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding=encoding)
    monkeypatch.setattr(_common, "stdout", lambda: Console(file=out))
    rows = [{"customer_id": f"Société {i}", "cents": i} for i in range(10)]
    table = pa.Table.from_pylist(rows)
    _common.emit_json({"before": "é", "rows": _common.JsonTable(table, size=3), "after": ["à", 1]})

    text = raw.getvalue().decode(encoding)
    assert json.loads(text) == {"before": "é", "rows": rows, "after": ["à", 1]}
    assert text.endswith("}\n")
