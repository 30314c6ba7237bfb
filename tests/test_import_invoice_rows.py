"""Invoice files as invoicing tools export them (future dates, credit notes
without a type column, one customer column, amounts tax included and paid), and
the bulk CSV reader: the same result as the row path, the file's own line
numbers, the rules that span an invoice kept in bounded memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

import clientfolio.ingest.bulk_rows as bulk_rows
from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.ingest import ImportRejected, Mapping, RowError, import_file
from clientfolio.settings import Settings
from clientfolio.store import Store
from tests.test_import_csv import counts, rejected, sales, write

D = dt.date
TODAY = D(2026, 12, 3)


@pytest.fixture(params=["bulk", "rows"])
def path_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test on both readers: the bulk CSV reader, and the row path (what XLSX
    files and CSV files with line breaks inside quotes take)."""
    if request.param == "rows":
        monkeypatch.setattr(bulk_rows, "bulk_start", lambda path, table: None)
    return str(request.param)


def invoices(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT number, kind, gross_cents FROM invoices ORDER BY number"))]


def payments(store: Store) -> list[tuple[object, ...]]:
    return [(p[0], p[3], p[4]) for p in PortfolioReader(store, SYSTEM).payments()]


# -- future dates -----------------------------------------------------------------------------

HEAD = "N° facture;Date facture;Code client;Nom client;Montant HT;Date règlement\n"


def test_future_invoice_and_payment_dates_refused_unless_allowed(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path,
        "f.csv",
        HEAD + "F1;02/01/2024;C1;Un;10;\nF2;02/01/2031;C1;Un;10;\nF3;02/01/2024;C1;Un;10;05/01/2031\n",
    )
    errors = rejected(store, path, today=TODAY)
    reason = "date in the future (after 2026-12-03): check the file, or import it with --allow-future"
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [
        (3, "Date facture", "02/01/2031", reason),
        (4, "Date règlement", "05/01/2031", reason),
    ]
    assert errors[0].params == {"today": "2026-12-03"}
    import_file(store, path, today=TODAY, allow_future=True)
    assert [(s[0], s[1]) for s in sales(store)] == [("F1", D(2024, 1, 2)), ("F3", D(2024, 1, 2)), ("F2", D(2031, 1, 2))]


def test_due_dates_may_lie_ahead(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path,
        "f.csv",
        "N° facture;Date facture;Code client;Nom client;Montant HT;Date échéance\nF1;02/01/2026;C1;Un;10;02/01/2031\n",
    )
    import_file(store, path, today=TODAY)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT due_on FROM invoices")).scalar_one() in (D(2031, 1, 2), "2031-01-02")


# -- credit notes without a type column -------------------------------------------------------

CN_HEAD = "N° facture;Date facture;Code client;Nom client;Quantité;Montant HT\n"
CREDIT_NOTES = (
    CN_HEAD
    + "F1;02/01/2024;C1;Un;2;100,00\n"
    + "F1;02/01/2024;C1;Un;-1;-10,00\n"  # a discount line: F1 totals 90,00, an invoice
    + "AV-1;03/01/2024;C1;Un;2;30,00\n"  # a credit note's number, written positive: stored -30,00, qty -2
    + "Avoir 7;03/01/2024;C1;Un;1;5,00\n"  # idem
    + "F2;04/01/2024;C1;Un;-1;-40,00\n"  # negative total: a credit note, kept as written
    + "F3;05/01/2024;C1;Un;1;10,00\n"  # a credit note by its total: 10 - 25 = -15,00,
    + "F3;05/01/2024;C1;Un;-1;-25,00\n"  # signs kept (the total stays -15,00)
    + "AVANCE-1;06/01/2024;C1;Un;1;50,00\n"  # not a credit note's number: an invoice
)


def test_credit_notes_told_by_total_or_number(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(tmp_path, "cn.csv", CREDIT_NOTES)
    import_file(store, path)
    assert [(s[0], s[2], s[6], s[7]) for s in sales(store)] == [
        ("F1", "invoice", 2.0, 10000),
        ("F1", "invoice", -1.0, -1000),
        ("AV-1", "credit_note", -2.0, -3000),
        ("Avoir 7", "credit_note", -1.0, -500),
        ("F2", "credit_note", -1.0, -4000),
        ("F3", "credit_note", -1.0, 1000),
        ("F3", "credit_note", -1.0, -2500),
        ("AVANCE-1", "invoice", 1.0, 5000),
    ]
    again = write(tmp_path, "cn2.csv", CREDIT_NOTES + "F4;07/01/2024;C1;Un;1;1,00\n")
    result = import_file(store, again)  # the stored credit notes compared as they were stored
    assert result.created["invoices"] == 1 and result.unchanged["invoice_lines"] == 8


def test_negative_quantity_still_refused_with_a_type_column(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path, "f.csv", "N° facture;Date;Client;Nom;Montant;Quantité;Type\nAV-1;01/01/2024;C1;Un;10;-2;facture\n"
    )
    assert rejected(store, path) == [
        RowError("f.csv", 2, "Quantité", "-2", "negative quantity on an invoice (a credit note needs type 'avoir')")
    ]


# -- one customer column ------------------------------------------------------------------------


def test_one_customer_column_is_a_code_or_a_name(store: Store, tmp_path: Path, path_kind: str) -> None:
    import_file(store, write(tmp_path, "a.csv", HEAD + "F1;02/01/2024;C001;Dupont SARL;10;\n"))
    one = Mapping(columns={"customer_code": "Client", "customer_name": "Client"})
    path = write(
        tmp_path,
        "b.csv",
        "Facture;Date;Client;Montant HT\n"
        "F2;03/01/2024;dupont sarl;20\n"  # the name, case ignored: C001
        "F3;03/01/2024;C001;30\n"  # the code: C001
        "F4;04/01/2024;Martin & Fils;40\n"  # unknown: created, code MARTIN-FILS
        "F5;04/01/2024;Martin & Fils;50\n",
    )
    result = import_file(store, path, mapping=one)
    assert result.created["customers"] == 1
    assert [(s[0], s[4]) for s in sales(store)] == [
        ("F1", "C001"),
        ("F2", "C001"),
        ("F3", "C001"),
        ("F4", "MARTIN-FILS"),
        ("F5", "MARTIN-FILS"),
    ]
    assert [(c.code, c.name) for c in PortfolioReader(store, SYSTEM).customers()] == [
        ("C001", "Dupont SARL"),
        ("MARTIN-FILS", "Martin & Fils"),
    ]


# -- amounts tax included, paid amounts -----------------------------------------------------------

PAID_HEAD = "N° facture;Date facture;Code client;Nom client;Montant HT;Total TTC;Montant réglé;Date règlement\n"


def test_gross_and_paid_amounts(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path,
        "p.csv",
        PAID_HEAD
        # F1: one TTC repeated (180,00 >= 150,00 HT): the gross; 90,00 paid TTC is
        # 9000 x 15000 / 18000 = 7500 in the lines' basis
        + "F1;02/01/2024;C1;Un;100,00;180,00;90,00;15/02/2024\n"
        + "F1;02/01/2024;C1;Un;50,00;180,00;90,00;15/02/2024\n"
        # F2: paid in full (120,00 of 120,00): a payment in full (no amount)
        + "F2;02/01/2024;C1;Un;100,00;120,00;120,00;16/02/2024\n"
        # F3: each row its line's TTC (120 + 60 = 180,00); nothing paid
        + "F3;03/01/2024;C1;Un;100,00;120,00;;\n"
        + "F3;03/01/2024;C1;Un;50,00;60,00;;\n"
        # F4: two equal lines with their own TTC: 120,00 < 200,00 HT, so summed: 240,00
        + "F4;03/01/2024;C1;Un;100,00;120,00;0;\n"
        + "F4;03/01/2024;C1;Un;100,00;120,00;0;\n"
        # F5: a paid date alone: settled in full, as before
        + "F5;04/01/2024;C1;Un;10,00;;;20/02/2024\n",
    )
    import_file(store, path)
    assert invoices(store) == [
        ("F1", "invoice", 18000),
        ("F2", "invoice", 12000),
        ("F3", "invoice", 18000),
        ("F4", "invoice", 24000),
        ("F5", "invoice", None),
    ]
    assert payments(store) == [("F1", D(2024, 2, 15), 7500), ("F2", D(2024, 2, 16), None), ("F5", D(2024, 2, 20), None)]


def test_balance_and_amounts_without_tax(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path,
        "b.csv",
        "N° facture;Date facture;Code client;Nom client;Montant HT;Total TTC;"
        "Reste dû;Date règlement\n"
        # paid = 120,00 - 20,00 = 100,00 TTC -> 10000 x 10000 / 12000 = 8333 (8333.33 rounded)
        "F1;02/01/2024;C1;Un;100,00;120,00;20,00;15/02/2024\n"
        # no TTC on this invoice: the balance is counted excluding tax: 100,00 - 60,00 = 40,00
        "F2;02/01/2024;C1;Un;100,00;;60,00;16/02/2024\n"
        # nothing left: paid in full
        "F3;02/01/2024;C1;Un;100,00;120,00;0;17/02/2024\n",
    )
    import_file(store, path)
    assert payments(store) == [("F1", D(2024, 2, 15), 8333), ("F2", D(2024, 2, 16), 4000), ("F3", D(2024, 2, 17), None)]


def test_paid_amount_without_tax_column_and_credit_note_gross(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path,
        "h.csv",
        "N° facture;Date facture;Code client;Nom client;Montant HT;Montant réglé;"
        "Date règlement\n"
        "F1;02/01/2024;C1;Un;100,00;40,00;15/02/2024\n"  # 40,00 of 100,00 HT
        "F2;02/01/2024;C1;Un;100,00;100,00;16/02/2024\n",
    )  # all of it
    import_file(store, path)
    assert payments(store) == [("F1", D(2024, 2, 15), 4000), ("F2", D(2024, 2, 16), None)]
    path = write(tmp_path, "c.csv", PAID_HEAD + "AV-1;03/01/2024;C1;Un;50,00;60,00;30,00;20/02/2024\n")
    import_file(store, path)
    # a credit note: lines -5000, gross -6000; 30,00 of 60,00 refunded: -2500 in the lines' basis
    assert ("AV-1", "credit_note", -6000) in invoices(store)
    assert ("AV-1", D(2024, 2, 20), -2500) in payments(store)


def test_paid_amount_needs_its_date(store: Store, tmp_path: Path, path_kind: str) -> None:
    path = write(
        tmp_path,
        "p.csv",
        PAID_HEAD + "F1;02/01/2024;C1;Un;100,00;120,00;50,00;\nF2;02/01/2024;C1;Un;100,00;120,00;abc;\n",
    )
    errors = rejected(store, path)  # the invoice's error is found once its rows are all read
    assert sorted((e.line, e.column, e.value, e.reason) for e in errors) == [
        (
            2,
            "Montant réglé",
            "50,00",
            "a paid amount needs its payment date (a paid date column): the day the invoice was paid; "
            "without one, leave the paid and still-due columns out (a mapping file)",
        ),
        (3, "Montant réglé", "abc", "not a number (decimal separator is ',')"),
    ]


# -- the bulk reader: line numbers, fallbacks, memory ---------------------------------------------

BAD_HEAD = "N° facture;Date facture;Code client;Nom client;Désignation;Montant HT\n"


def test_quoted_line_breaks_blank_and_empty_rows_keep_file_lines(store: Store, tmp_path: Path, path_kind: str) -> None:
    data = (
        BAD_HEAD
        + "F1;02/01/2024;C1;Un;Pose;10\n"
        + '\n;;;;;\nF2;02/01/2024;C1;Un;"Deux\nlignes";10\n'  # lines 3-4 blank, 5-6 one record
        + "F3;02/01/2024;C1;Un;X;dix\n"
    )  # line 7
    assert rejected(store, write(tmp_path, "q.csv", data)) == [
        RowError("q.csv", 7, "Montant HT", "dix", "not a number (decimal separator is ',')")
    ]
    data = BAD_HEAD + "F1;02/01/2024;C1;Un;Pose;10\n\n;;;;;\r\nF2;02/01/2024;C1;Un;;10\nF3;32/01/2024;C1;Un;X;1\n"
    assert rejected(store, write(tmp_path, "b.csv", data)) == [
        RowError("b.csv", 6, "Date facture", "32/01/2024", "no such date")
    ]


def test_duplicate_invoice_found_after_its_batch_was_written(store: Store, tmp_path: Path, path_kind: str) -> None:
    """Headers of the invoices written are packed (``invoices._Headers``): a
    duplicate far below is still found, with the line of the first one."""
    body = "".join(f"F{i};02/01/2024;C{i % 3};Client;X;{i}\n" for i in range(1, 300))
    data = BAD_HEAD + body + "F7;02/01/2024;C1;Client;X;5\n"
    settings = Settings(import_chunk_rows=100)
    assert rejected(store, write(tmp_path, "d.csv", data), settings=settings) == [
        RowError("d.csv", 301, "N° facture", "F7", "invoice already listed at line 8: duplicate invoice?")
    ]
    lines = "N° facture;N° ligne;Date facture;Code client;Nom client;Montant HT\n"
    body = "".join(f"F{i};1;02/01/2024;C1;Un;{i}\n" for i in range(1, 300))
    good = lines + body + "F3;2;02/01/2024;C1;Un;7\n"  # line 2 of F3, far below: allowed
    import_file(store, write(tmp_path, "l.csv", good), settings=settings)
    assert [s[3] for s in sales(store) if s[0] == "F3"] == [1, 2]
    bad = lines + body.replace("F", "G") + "G1;1;02/01/2024;C1;Un;1\n"  # G1 at line 2 and 301
    assert rejected(store, write(tmp_path, "m.csv", bad), settings=settings) == [
        RowError("m.csv", 301, "N° ligne", "1", "line 1 of invoice G1 appears twice")
    ]


def test_bulk_and_row_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    head = (
        "N° facture;Date facture;Code client;Raison sociale;N° ligne;Article;Désignation;Famille;"
        "Quantité;Montant HT;Coût;Date échéance\n"
    )
    rows = []
    for i in range(1000):
        number = f"AV{i}" if i % 17 == 0 else f"F{i // 2}"
        amount = f"{(i * 37) % 1000 - (300 if i % 11 == 0 else 0)},{i % 100:02d}"
        key = i if i % 17 == 0 else i // 2
        rows.append(
            f"{number};{1 + key % 28:02d}/0{1 + key % 9}/2024;C{key % 13};Société {key % 13};{i % 2 + 1};"
            f"P{i % 7};Article {i % 7};Famille {i % 3};{i % 5 - 1};{amount};{i % 50},5;"
            f"{'' if i % 3 else '01/12/2030'}\n"
        )
    path = write(tmp_path, "same.csv", head + "".join(rows), "cp1252")
    results = []
    for bulk in (True, False):
        store = Store(f"sqlite:///{tmp_path}/s{bulk}.db")
        with monkeypatch.context() as m:
            if not bulk:
                m.setattr(bulk_rows, "bulk_start", lambda path, table: None)
            result = import_file(store, path, settings=Settings(import_chunk_rows=100))
        results.append((result.created, result.rows_read, sales(store), counts(store)["customers"]))
    assert results[0] == results[1]
    assert results[0][0]["invoice_lines"] == 1000


def test_bulk_reader_keeps_the_reading_limits(store: Store, tmp_path: Path) -> None:
    from clientfolio.filelimits import FileLimitExceeded, ReadLimits, reading_limits

    body = "".join(f"F{i};02/01/2024;C1;Un;X;{i}\n" for i in range(100))
    with reading_limits(ReadLimits(cells=300)), pytest.raises(FileLimitExceeded) as info:
        import_file(store, write(tmp_path, "big.csv", BAD_HEAD + body))
    assert info.value.limit == "cells" and info.value.params["row"] == 51  # the header is a row
    with pytest.raises(ImportRejected):
        import_file(store, write(tmp_path, "empty.csv", BAD_HEAD + ";;;;;\n"))


def _outcome(store: Store, path: Path) -> object:
    """What an import gives: its counts and the lines stored, or its errors."""
    try:
        result = import_file(store, path, settings=Settings(import_chunk_rows=100))
    except ImportRejected as exc:
        return exc.errors
    with store.engine.connect() as conn:
        ids = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT i.number, l.line_no FROM invoice_lines l "
                    "JOIN invoices i ON i.id = l.invoice_id ORDER BY l.id"
                )
            )
        ]
    return result.created, result.unchanged, result.rows_read, sales(store), ids


@pytest.mark.parametrize("seed", range(8))
def test_bulk_and_row_paths_agree_on_the_rules_across_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The bulk reader checks the rules that span rows per run of an invoice's rows
    (``InvoiceWriter.accept_columns``), the row path row by row: same rows, same
    errors, through blocks of a few lines (invoices going on from one block to the
    next), batches of 100 lines, invoices listed twice, a customer or date changing
    inside an invoice, line numbers twice, credit notes, and a file partly imported
    before (its invoices stored)."""
    import random

    rng = random.Random(seed)
    explicit = seed % 2 == 0
    head = "N° facture;" + ("N° ligne;" if explicit else "") + "Date facture;Code client;Nom client;Montant HT\n"

    def body(invoices: int, anomalies: float) -> list[list[str]]:
        out = []
        for number in range(1, invoices + 1):
            name = f"AV{number}" if rng.random() < 0.05 else f"F{number}"
            if rng.random() < anomalies:
                name = f"F{rng.randint(1, number)}"  # listed again, or twice in a row
            customer, day = f"C{number % 7}", f"{1 + number % 28:02d}/03/2024"
            rows = out[-1] if out and out[-1][0].startswith(name + ";") else []
            if not rows:
                out.append(rows)
            for line in range(1, rng.randint(1, 4) + 1):
                if rng.random() < anomalies / 3:
                    customer = f"C{rng.randint(0, 6)}"
                if rng.random() < anomalies / 3:
                    day = f"{rng.randint(1, 28):02d}/03/2024"
                no = rng.randint(1, line) if rng.random() < anomalies else line
                amount = rng.randint(-500, 2000) if rng.random() < 0.1 else rng.randint(1, 2000)
                rows.append(
                    f"{name};"
                    + (f"{no};" if explicit else "")
                    + f"{day};{customer};Client {customer};{amount},{rng.randint(0, 99):02d}\n"
                )
        return out

    monkeypatch.setattr(bulk_rows, "BLOCK_BYTES", 256 + seed * 64)
    clean, dirty = body(400, 0.0), body(150, 0.05)
    before = sum(len(rows) for rows in clean[:250])  # imported again below, unchanged
    files = {
        "clean": head + "".join(sum(clean, [])),
        "dirty": head + "".join(sum(dirty, [])),
        "again": head + "".join(sum(clean[:250], [])) + "".join("G" + line for line in sum(clean[250:], [])),
    }
    outcomes = []
    for bulk in (True, False):
        store = Store(f"sqlite:///{tmp_path}/{seed}{bulk}.db")
        with monkeypatch.context() as m:
            if not bulk:
                m.setattr(bulk_rows, "bulk_start", lambda path, table: None)
            outcomes.append(
                [_outcome(store, write(tmp_path, f"{name}.csv", data, "cp1252")) for name, data in files.items()]
            )
    assert outcomes[0] == outcomes[1]
    assert isinstance(outcomes[0][0], tuple) and outcomes[0][0][0]["invoice_lines"] == len(sum(clean, []))
    assert isinstance(outcomes[0][1], list) and outcomes[0][1]  # the dirty file is refused
    assert isinstance(outcomes[0][2], tuple) and outcomes[0][2][1]["invoice_lines"] == before


def test_an_error_of_the_writing_thread_is_raised_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are written in a thread on SQLite only."""
    import sys

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")

    from clientfolio.ingest.invoices import InvoiceWriter

    def fail(self: InvoiceWriter, batch: object) -> None:
        self._failure = RuntimeError("disk full")

    monkeypatch.setattr(InvoiceWriter, "_write", fail)
    interval = sys.getswitchinterval()
    body = "".join(f"F{i};02/01/2024;C1;Un;X;{i}\n" for i in range(1, 300))
    before = counts(store)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(store, write(tmp_path, "w.csv", BAD_HEAD + body), settings=Settings(import_chunk_rows=100))
    assert counts(store) == before
    assert sys.getswitchinterval() == interval


def test_imports_at_once_put_back_the_switch_interval() -> None:
    """The GIL's switch interval is the process's: lowered while any import writes in
    the background, put back by the last one, whatever the order they stop in."""
    import sys

    from clientfolio.ingest.invoices import _fast_switching

    before = sys.getswitchinterval()
    _fast_switching(True)
    _fast_switching(True)  # a second import starts before the first stops
    _fast_switching(False)
    assert sys.getswitchinterval() < before
    _fast_switching(False)
    assert sys.getswitchinterval() == before
