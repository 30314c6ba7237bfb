"""Tracing a leaked file to its export and recipient, or "no match"."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import math
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clientfolio.access import SYSTEM
from clientfolio.demo import generate_demo
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import render
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.exports import (
    CUSTOMER_COLUMNS,
    ExportKeys,
    ExportRequest,
    customer_rows,
    fingerprint_secrets,
    list_exports,
    make_export,
    verify_keys,
    write_table,
)
from clientfolio.protect.fingerprint import canonical
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.trace import TraceResult, read_table, trace_file, trace_rows, verdict
from clientfolio.store import Store
from clientfolio.store.schema import Customer, Export

RING = KeyRing.for_tests(b"k" * 32)
KEYS = ExportKeys.from_ring(RING)
SECRETS = fingerprint_secrets(RING)
VERIFY = verify_keys(RING)
NOON = dt.datetime(2026, 1, 6, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def leaks(store: Store, tmp_path: Path) -> Store:
    """A 150-customer store and three exports of it, for A (CSV), B (XLSX) and C (CSV)."""
    generate_demo(store, customers=150, years=1, seed=11, as_of=dt.date(2026, 1, 5))
    for name, fmt in (("A", "csv"), ("B", "xlsx"), ("C", "csv")):
        make_export(
            store,
            SYSTEM,
            ExportRequest(name, "test", format=fmt),
            tmp_path / f"{name}.{fmt}",
            keys=KEYS,
            rules=ExportRules(),
            now=NOON,
        )
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
    result = trace_file(leaks, write_csv(tmp_path / "leak.csv", rows), SECRETS, threshold=1e-9, verify_keys=VERIFY)
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
        result = trace_file(leaks, tmp_path / f"{name}.{fmt}", SECRETS, threshold=1e-9, verify_keys=VERIFY)
        assert result.attributed is not None and result.attributed.export.recipient == name
        assert len(result.attributed.traps) == 3


def test_an_unmarked_copy_of_the_same_customers_is_no_match(leaks: Store, tmp_path: Path) -> None:
    write_table(tmp_path / "plain.csv", "csv", CUSTOMER_COLUMNS, customer_rows(leaks, SYSTEM, NOON.date()))
    result = trace_file(leaks, tmp_path / "plain.csv", SECRETS, threshold=1e-9, verify_keys=VERIFY)
    assert result.attributed is None and result.evidence is None
    assert all(c.wrong_attribution > 1e-9 and c.traps == () for c in result.candidates)


def test_a_trap_record_alone_names_its_export(leaks: Store, tmp_path: Path) -> None:
    trap = list_exports(leaks)[2].traps[0]
    # a company name no trap can take (trap names end with a legal form): "Garage Petit SARL" was one, once
    rows = [["x", "y"], [trap.name.upper(), "1"], ["Garage du Vieux Port", "2"]]
    named = trace_file(leaks, write_csv(tmp_path / "named.csv", rows), SECRETS, threshold=1e-9, verify_keys=VERIFY)
    assert named.attributed is None  # a name alone could be a real company's: reported, not enough
    assert [(h.code, h.matched) for c in named.candidates for h in c.traps] == [(trap.code, ("name",))]
    rows.append(["x", trap.siren])
    result = trace_file(leaks, write_csv(tmp_path / "few.csv", rows), SECRETS, threshold=1e-9, verify_keys=VERIFY)
    assert result.evidence == "trap" and result.attributed is not None
    assert result.attributed.export.recipient == "C"
    assert [(h.code, h.matched) for h in result.attributed.traps] == [(trap.code, ("name", "siren"))]


def test_exports_under_keys_not_in_the_ring_are_not_checked(leaks: Store, tmp_path: Path) -> None:
    result = trace_rows(read_table(tmp_path / "A.csv"), list_exports(leaks), {}, threshold=1e-9, verify_keys=VERIFY)
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


# --- issue 14: formulas, clean-up, encodings, sheets, collusion, tampering ---------------------------------------


def _body(path: Path) -> tuple[list[str], list[list[str]]]:
    header, *body = read_table(path)
    return header, body


def _traced(store: Store, path: Path) -> TraceResult:
    return trace_file(store, path, SECRETS, threshold=1e-9, verify_keys=VERIFY)


def _without_traps(store: Store, recipient: str, body: list[list[str]]) -> list[list[str]]:
    traps = next(e for e in list_exports(store) if e.recipient == recipient).traps
    names = {canonical(t.name) for t in traps}
    return [r for r in body if canonical(r[1]) not in names]


def test_formula_cells_are_neutralised_in_csv_and_xlsx_and_still_traced(store: Store, tmp_path: Path) -> None:
    generate_demo(store, customers=60, years=1, seed=11, as_of=dt.date(2026, 1, 5))
    with store.begin() as conn:
        conn.execute(
            update(Customer)
            .where(Customer.code == "C00001")
            .values(name='=HYPERLINK("http://evil.example","x") SARL', city="=1+1")
        )
        conn.execute(update(Customer).where(Customer.code == "C00002").values(name="@SUM(A1) SAS", city="-2+3"))
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"f.{fmt}"
        make_export(
            store, SYSTEM, ExportRequest(fmt, "test", format=fmt), out, keys=KEYS, rules=ExportRules(), now=NOON
        )
        if fmt == "csv":
            raw = out.read_text(encoding="utf-8-sig")
            cells = [c for line in raw.splitlines() for c in next(csv.reader([line], delimiter=";"))]
        else:
            from openpyxl import load_workbook

            sheet = load_workbook(out).worksheets[0]
            assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
            cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not [c for c in cells if c.startswith(("=", "+", "@", "-", "\t", "\r"))]
        assert "'=1+1" in cells and "'-2+3" in cells
        result = _traced(store, out)
        assert result.attributed is not None and result.attributed.export.recipient == fmt


def test_punctuation_stripped_and_legal_forms_flipped_are_still_traced(leaks: Store, tmp_path: Path) -> None:
    header, body = _body(tmp_path / "A.csv")
    body = _without_traps(leaks, "A", body)
    stripped = [[re.sub(r"[^\w\s]", " ", c).upper() for c in r] for r in body]
    result = _traced(leaks, write_csv(tmp_path / "stripped.csv", [header, *stripped]))
    assert result.attributed is not None and result.attributed.export.recipient == "A"
    flips = {"SARL": "S.A.R.L.", "S.A.R.L.": "SARL", "SAS": "S.A.S.", "S.A.S.": "SAS", "SA": "S.A.", "S.A.": "SA"}
    flipped = [
        [
            " ".join(flips.get(w, w) for w in c.split()).replace("Saint", "§").replace("St", "Saint").replace("§", "St")
            for c in r
        ]
        for r in body
    ]
    result = _traced(leaks, write_csv(tmp_path / "flipped.csv", [header, *flipped]))
    assert result.attributed is not None and result.attributed.export.recipient == "A"


def test_a_perfect_anti_match_is_evidence_and_said_so(leaks: Store, tmp_path: Path) -> None:
    from clientfolio.protect.fingerprint import LEGAL_FORMS, tokens

    header, body = _body(tmp_path / "C.csv")

    def reverse(cell: str) -> str:  # the legal form moved to the other end
        words = cell.split()
        if len(words) >= 2 and tokens(words[-1]) and tokens(words[-1])[0] in LEGAL_FORMS:
            return " ".join([words[-1], *words[:-1]])
        if len(words) >= 2 and tokens(words[0]) and tokens(words[0])[0] in LEGAL_FORMS:
            return " ".join([*words[1:], words[0]])
        return cell

    leaked = [[r[0], reverse(r[1]), *r[2:]] for r in _without_traps(leaks, "C", body)]
    result = _traced(leaks, write_csv(tmp_path / "anti.csv", [header, *leaked]))
    assert result.attributed is not None and result.attributed.export.recipient == "C"
    assert result.attributed.score.anti
    assert any("fingerprint reversed" in render("en", t, p) for t, p in verdict(result))


def test_merged_columns_and_a_trap_name_alone_are_traced(leaks: Store, tmp_path: Path) -> None:
    header, body = _body(tmp_path / "B.xlsx")
    merged = [[f"{r[1]}, {r[7]} {r[8]}", r[3]] for r in body]
    result = _traced(leaks, write_csv(tmp_path / "merged.csv", [["who", "sector"], *merged]))
    assert result.attributed is not None and result.attributed.export.recipient == "B"
    traps = list_exports(leaks)[1].traps
    names_only = [["x"], *([t.name.replace(" ", "  ").lower()] for t in traps[:2]), ["Garage du Vieux Port"]]
    found = _traced(leaks, write_csv(tmp_path / "names.csv", names_only))
    assert found.evidence == "trap" and found.attributed is not None and found.attributed.export.recipient == "B"


def test_utf16_tab_separated_file_is_read(leaks: Store, tmp_path: Path) -> None:
    header, body = _body(tmp_path / "A.csv")
    for encoding in ("utf-16", "utf-16-be", "utf-8", "cp1252"):
        text = "\r\n".join("\t".join(r) for r in [header, *body]) + "\r\n"
        raw = (codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b"") + text.encode(encoding, errors="replace")
        (tmp_path / "u.txt").write_bytes(raw)
        result = _traced(leaks, tmp_path / "u.txt")
        assert result.attributed is not None and result.attributed.export.recipient == "A", encoding
    (tmp_path / "bin.csv").write_bytes(b"a;b\x00\x01\x02;c\n" * 3)
    with pytest.raises(ClientfolioError, match="not a readable table"):
        read_table(tmp_path / "bin.csv")


def test_the_second_sheet_is_read(leaks: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    header, body = _body(tmp_path / "C.csv")
    book = Workbook()
    book.active.append(["rien"])
    second = book.create_sheet("données")
    for row in [header, *body]:
        second.append(row)
    book.save(tmp_path / "two.xlsx")
    result = _traced(leaks, tmp_path / "two.xlsx")
    assert result.attributed is not None and result.attributed.export.recipient == "C"


def test_two_colluders_are_both_named_and_none_singled_out(leaks: Store, tmp_path: Path) -> None:
    header, a = _body(tmp_path / "A.csv")
    _, c = _body(tmp_path / "C.csv")
    rng = random.Random(3)
    mixed = [ra if rng.random() < 0.5 else rc for ra, rc in zip(a, c, strict=False)]
    result = _traced(leaks, write_csv(tmp_path / "both.csv", [header, *mixed]))
    assert result.attributed is None and result.evidence == "collusion" and result.collusion
    assert {x.export.recipient for x in result.implicated} == {"A", "C"}
    text = " ".join(render("en", t, p) for t, p in verdict(result))
    assert "Collusion" in text and "probability of a wrong attribution" not in text
    assert "Collusion : " in " ".join(render("fr", t, p) for t, p in verdict(result))


def test_an_edited_registry_row_is_tampering_and_blames_nobody(leaks: Store, tmp_path: Path) -> None:
    uid = list_exports(leaks)[0].export_uid  # A's
    with leaks.begin() as conn:
        conn.execute(update(Export).where(Export.export_uid == uid).values(recipient="Agence Innocente"))
    result = _traced(leaks, tmp_path / "A.csv")
    assert result.attributed is None and result.implicated == ()
    assert [c.export.export_uid for c in result.tampered] == [uid]
    assert result.tampered[0].tampered == ("recipient",) and result.tampered[0].signed_recipient == "A"
    text = " ".join(render("en", t, p) for t, p in verdict(result))
    assert "Tampering" in text and "Match" not in text
    # the manifest edited as well: its signature fails, nobody is named
    with leaks.begin() as conn:
        body = json.loads(conn.execute(select(Export.manifest).where(Export.export_uid == uid)).scalar_one())
        conn.execute(
            update(Export)
            .where(Export.export_uid == uid)
            .values(manifest=json.dumps({**body, "recipient": "Agence Innocente"}))
        )
    again = _traced(leaks, tmp_path / "A.csv")
    assert again.attributed is None and again.tampered[0].tampered == ("signature",)
    assert "Agence Innocente" not in " ".join(render("en", t, p) for t, p in verdict(again))


def test_no_innocent_recipient_is_ever_blamed(leaks: Store, tmp_path: Path) -> None:
    write_table(tmp_path / "plain.csv", "csv", CUSTOMER_COLUMNS, customer_rows(leaks, SYSTEM, NOON.date()))
    header, body = _body(tmp_path / "plain.csv")
    rng = random.Random(5)
    for n in range(30):
        kept = rng.sample(body, k=rng.randint(20, len(body)))
        leaked = [[re.sub(r"[^\w\s]", "", c) if n % 2 else c for c in r] for r in kept]
        result = _traced(leaks, write_csv(tmp_path / f"n{n}.csv", [header, *leaked]))
        assert result.attributed is None and result.implicated == ()
