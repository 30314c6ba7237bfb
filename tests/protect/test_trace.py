"""Tracing a leaked file to its export and recipient, or "no match"."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

import pytest

from clientfolio.access import SYSTEM
from clientfolio.demo import generate_demo
from clientfolio.errors import ClientfolioError
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.exports import (
    CUSTOMER_COLUMNS,
    ExportKeys,
    ExportRequest,
    customer_rows,
    fingerprint_secrets,
    list_exports,
    make_export,
    write_table,
)
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.trace import read_table, trace_file, trace_rows
from clientfolio.store import Store

RING = KeyRing.for_tests(b"k" * 32)
KEYS = ExportKeys.from_ring(RING)
SECRETS = fingerprint_secrets(RING)
NOON = dt.datetime(2026, 1, 6, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def leaks(store: Store, tmp_path: Path) -> Store:
    """A 150-customer store and three exports of it, for A (CSV), B (XLSX) and C (CSV)."""
    generate_demo(store, customers=150, years=1, seed=11, as_of=dt.date(2026, 1, 5))
    for name, fmt in (("A", "csv"), ("B", "xlsx"), ("C", "csv")):
        make_export(store, SYSTEM, ExportRequest(name, "test", format=fmt), tmp_path / f"{name}.{fmt}",
                    keys=KEYS, rules=ExportRules(), now=NOON)
    return store


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def test_a_reworked_leak_is_traced_to_its_recipient(leaks: Store, tmp_path: Path) -> None:
    header, *body = read_table(tmp_path / "B.xlsx")
    rng = random.Random(1)
    kept = rng.sample(body, k=45)  # 30 % of the rows, shuffled
    keep = [i for i, name in enumerate(header) if name not in ("code", "siren")]
    rows = [["Société", "Ville", "Secteur", "Taille", "Seg", "Rég", "CP", "CA"][: len(keep)]]
    rows += [[row[i] for i in keep] for row in kept]
    result = trace_file(leaks, write_csv(tmp_path / "leak.csv", rows), SECRETS, threshold=1e-9)
    assert result.attributed is not None and result.evidence == "fingerprint"
    assert result.attributed.export.recipient == "B"
    best = result.attributed
    # every marked text of the rows agrees; the header "Société" is a markable text too, of no export
    assert best.score.checked > 40 and best.score.agreeing >= best.score.checked - 1
    assert math.isclose(best.wrong_attribution, 3 * best.score.probability)
    assert best.wrong_attribution <= 1e-9
    assert [c.export.recipient for c in result.candidates][0] == "B" and len(result.candidates) == 3
    assert all(c.wrong_attribution > 1e-3 for c in result.candidates[1:])


def test_each_export_is_told_apart(leaks: Store, tmp_path: Path) -> None:
    for name, fmt in (("A", "csv"), ("B", "xlsx"), ("C", "csv")):
        result = trace_file(leaks, tmp_path / f"{name}.{fmt}", SECRETS, threshold=1e-9)
        assert result.attributed is not None and result.attributed.export.recipient == name
        assert len(result.attributed.traps) == 3


def test_an_unmarked_copy_of_the_same_customers_is_no_match(leaks: Store, tmp_path: Path) -> None:
    write_table(tmp_path / "plain.csv", "csv", CUSTOMER_COLUMNS, customer_rows(leaks, SYSTEM, NOON.date()))
    result = trace_file(leaks, tmp_path / "plain.csv", SECRETS, threshold=1e-9)
    assert result.attributed is None and result.evidence is None
    assert all(c.wrong_attribution > 1e-9 and c.traps == () for c in result.candidates)


def test_a_trap_record_alone_names_its_export(leaks: Store, tmp_path: Path) -> None:
    trap = list_exports(leaks)[2].traps[0]
    rows = [["x", "y"], [trap.name.upper(), "1"], ["Garage Petit SARL", "2"]]
    named = trace_file(leaks, write_csv(tmp_path / "named.csv", rows), SECRETS, threshold=1e-9)
    assert named.attributed is None  # a name alone could be a real company's: reported, not enough
    assert [(h.code, h.matched) for c in named.candidates for h in c.traps] == [(trap.code, ("name",))]
    rows.append(["x", trap.siren])
    result = trace_file(leaks, write_csv(tmp_path / "few.csv", rows), SECRETS, threshold=1e-9)
    assert result.evidence == "trap" and result.attributed is not None
    assert result.attributed.export.recipient == "C"
    assert [(h.code, h.matched) for h in result.attributed.traps] == [(trap.code, ("name", "siren"))]


def test_exports_under_keys_not_in_the_ring_are_not_checked(leaks: Store, tmp_path: Path) -> None:
    result = trace_rows(read_table(tmp_path / "A.csv"), list_exports(leaks), {}, threshold=1e-9)
    assert result.attributed is None and result.candidates == ()
    assert result.unchecked == tuple(sorted(e.export_uid for e in list_exports(leaks)))


def test_read_table_reads_usual_csv_files_and_refuses_bad_ones(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", [["nom", "ville"], ["Dupont SARL", "Saint-Étienne"]], ";", "cp1252")
    assert read_table(path) == [["nom", "ville"], ["Dupont SARL", "Saint-Étienne"]]
    tab = write_csv(tmp_path / "t.csv", [["a", "b c"], ["1,5", "2"]], "\t")
    assert read_table(tab) == [["a", "b c"], ["1,5", "2"]]
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04not a zip")
    with pytest.raises(ClientfolioError, match="not a readable XLSX"):
        read_table(tmp_path / "bad.xlsx")
    with pytest.raises(ClientfolioError, match="cannot read"):
        read_table(tmp_path / "missing.csv")
