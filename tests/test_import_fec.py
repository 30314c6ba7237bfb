"""Importing a hand-written FEC (Fichier des Écritures Comptables): customers
from the 411 auxiliary accounts, sales from the 70x lines, payments from the
lettering; purchases ignored; unbalanced entries and missing columns rejected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.ingest import ImportRejected, RowError, import_file
from clientfolio.store import Store

D = dt.date
COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]


def entry(
    journal: str,
    number: str,
    date: str,
    account: str,
    label: str,
    aux: str,
    aux_label: str,
    piece: str,
    piece_date: str,
    debit: str,
    credit: str,
    letter: str = "",
    lettered: str = "",
) -> list[str]:
    lib = {"VT": "Ventes", "BQ": "Banque", "AC": "Achats"}[journal]
    return [
        journal,
        lib,
        number,
        date,
        account,
        label,
        aux,
        aux_label,
        piece,
        piece_date,
        f"{lib} {piece}",
        debit,
        credit,
        letter,
        lettered,
        date,
        "",
        "EUR",
    ]


LINES = [
    # line 2: an invoice with two revenue accounts and VAT, lettered AA, settled by BQ1
    entry(
        "VT",
        "VT1",
        "20240115",
        "41100000",
        "Clients",
        "C001",
        "Dupont SARL",
        "FA24-001",
        "20240115",
        "1500,00",
        "0,00",
        "AA",
        "20240225",
    ),
    entry(
        "VT", "VT1", "20240115", "70600000", "Prestations de services", "", "", "FA24-001", "20240115", "", "1000,00"
    ),
    entry("VT", "VT1", "20240115", "70700000", "Ventes de marchandises", "", "", "FA24-001", "20240115", "", "250,00"),
    entry("VT", "VT1", "20240115", "44571000", "TVA collectée", "", "", "FA24-001", "20240115", "", "250,00"),
    # line 6: an invoice dated by its piece, lettered AB with no settling entry in the file (DateLet)
    entry(
        "VT",
        "VT2",
        "20240205",
        "41100000",
        "Clients",
        "C002",
        "Martin & Fils",
        "FA24-002",
        "20240201",
        "600,00",
        "",
        "AB",
        "20240310",
    ),
    entry("VT", "VT2", "20240205", "70600000", "Prestations de services", "", "", "FA24-002", "20240201", "", "500,00"),
    entry("VT", "VT2", "20240205", "44571000", "TVA collectée", "", "", "FA24-002", "20240201", "", "100,00"),
    # line 9: the bank payment of FA24-001, on 20 February (its DateLet says 25)
    entry("BQ", "BQ1", "20240220", "51200000", "Banque", "", "", "VIR0220", "20240220", "1500,00", ""),
    entry(
        "BQ",
        "BQ1",
        "20240220",
        "41100000",
        "Clients",
        "C001",
        "Dupont SARL",
        "VIR0220",
        "20240220",
        "",
        "1500,00",
        "AA",
        "20240225",
    ),
    # line 11: a purchase, to be ignored (401 supplier)
    entry("AC", "AC1", "20240118", "60700000", "Achats de marchandises", "", "", "FF-77", "20240118", "100,00", ""),
    entry("AC", "AC1", "20240118", "44566000", "TVA déductible", "", "", "FF-77", "20240118", "20,00", ""),
    entry(
        "AC", "AC1", "20240118", "40100000", "Fournisseurs", "F001", "Grossiste SA", "FF-77", "20240118", "", "120,00"
    ),
    # line 14: a credit note to Dupont
    entry("VT", "VT3", "20240301", "41100000", "Clients", "C001", "Dupont SARL", "AV24-001", "20240301", "", "120,00"),
    entry("VT", "VT3", "20240301", "70600000", "Prestations de services", "", "", "AV24-001", "20240301", "100,00", ""),
    entry("VT", "VT3", "20240301", "44571000", "TVA collectée", "", "", "AV24-001", "20240301", "20,00", ""),
]


def fec(
    tmp_path: Path,
    lines: list[list[str]],
    delimiter: str = "\t",
    columns: list[str] = COLUMNS,
    name: str = "123456789FEC20241231.txt",
) -> Path:
    path = tmp_path / name
    path.write_text("".join(delimiter.join(row) + "\r\n" for row in [columns, *lines]), encoding="utf-8")
    return path


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_fec_customers_sales_payments(store: Store, tmp_path: Path, delimiter: str) -> None:
    result = import_file(store, fec(tmp_path, LINES, delimiter))
    assert (result.kind, result.rows_read, result.columns) == ("fec", 15, {})
    assert result.created == {
        "invoices": 3,
        "invoice_lines": 4,
        "payments": 2,
        "customers": 2,
        "products": 2,
        "credit_notes": 1,
    }
    reader = PortfolioReader(store, SYSTEM)
    assert [(c.code, c.name, c.status) for c in reader.customers()] == [
        ("C001", "Dupont SARL", "active"),
        ("C002", "Martin & Fils", "active"),
    ]
    assert [
        (
            s.invoice_number,
            s.issued_on,
            s.kind,
            s.line_no,
            s.customer_code,
            s.product_code,
            s.product_name,
            s.product_line,
            s.quantity,
            s.amount_cents,
        )
        for s in reader.sales()
    ] == [
        (
            "2024-FA24-001",
            D(2024, 1, 15),
            "invoice",
            1,
            "C001",
            "70600000",
            "Prestations de services",
            "706",
            None,
            100000,
        ),
        (
            "2024-FA24-001",
            D(2024, 1, 15),
            "invoice",
            2,
            "C001",
            "70700000",
            "Ventes de marchandises",
            "707",
            None,
            25000,
        ),
        (
            "2024-FA24-002",
            D(2024, 2, 1),
            "invoice",
            1,
            "C002",
            "70600000",
            "Prestations de services",
            "706",
            None,
            50000,
        ),
        (
            "2024-AV24-001",
            D(2024, 3, 1),
            "credit_note",
            1,
            "C001",
            "70600000",
            "Prestations de services",
            "706",
            None,
            -10000,
        ),
    ]
    assert reader.payments() == [
        ("2024-FA24-001", D(2024, 1, 15), None, D(2024, 2, 20), None),
        ("2024-FA24-002", D(2024, 2, 1), None, D(2024, 3, 10), None),
    ]
    totals: dict[str, int] = {}
    for code, _day, cents in reader.revenue_by_customer_date():
        totals[code] = totals.get(code, 0) + cents
    assert totals == {"C001": 115000, "C002": 50000}
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT code, name FROM product_lines ORDER BY code")).all() == [
            ("706", "Prestations de services"),
            ("707", "Ventes de marchandises"),
        ]


def test_fec_imported_twice_and_extended(store: Store, tmp_path: Path) -> None:
    first = import_file(store, fec(tmp_path, LINES))
    again = import_file(store, fec(tmp_path, LINES))
    assert (again.already_imported, again.import_id) == (True, first.import_id)
    later = LINES + [
        entry(
            "VT",
            "VT4",
            "20240402",
            "41100000",
            "Clients",
            "C003",
            "Nouveau Client",
            "FA24-003",
            "20240402",
            "240,00",
            "",
        ),
        entry("VT", "VT4", "20240402", "70800000", "Produits annexes", "", "", "FA24-003", "20240402", "", "200,00"),
        entry("VT", "VT4", "20240402", "44571000", "TVA collectée", "", "", "FA24-003", "20240402", "", "40,00"),
    ]
    result = import_file(store, fec(tmp_path, later, name="FEC-2.txt"))
    assert result.created == {
        "invoices": 1,
        "invoice_lines": 1,
        "payments": 0,
        "customers": 1,
        "products": 1,
        "credit_notes": 0,
    }
    assert result.unchanged == {"invoice_lines": 4, "payments": 2}  # the lettering found again, same days
    assert (count(store, "invoices"), count(store, "invoice_lines"), count(store, "payments")) == (4, 5, 2)


def test_unbalanced_entry_rejects_the_file(store: Store, tmp_path: Path) -> None:
    lines = [list(row) for row in LINES]
    lines[5][12] = "510,00"  # VT2's revenue credit: 510 + 100 against a debit of 600
    with pytest.raises(ImportRejected) as info:
        import_file(store, fec(tmp_path, lines, name="fec.txt"))
    assert info.value.errors == [
        RowError("fec.txt", 6, "EcritureNum", "VT2", "entry VT VT2 does not balance (debit 600.00, credit 610.00)")
    ]
    assert count(store, "invoices") == count(store, "customers") == count(store, "imports") == 0


def test_missing_fec_column(store: Store, tmp_path: Path) -> None:
    drop = COLUMNS.index("EcritureLet")
    lines = [row[:drop] + row[drop + 1 :] for row in LINES]
    columns = COLUMNS[:drop] + COLUMNS[drop + 1 :]
    with pytest.raises(ImportRejected) as info:
        import_file(store, fec(tmp_path, lines, columns=columns, name="fec.txt"))
    assert info.value.errors == [RowError("fec.txt", 1, "EcritureLet", "", "missing FEC column")]


def test_bad_date_and_amount(store: Store, tmp_path: Path) -> None:
    lines = [list(row) for row in LINES]
    lines[3][3] = "20241332"  # line 5, VT1's VAT line: no 13th month
    lines[7][11] = "1500,0,0"  # line 9, BQ1's bank line
    with pytest.raises(ImportRejected) as info:
        import_file(store, fec(tmp_path, lines, name="fec.txt"))
    assert info.value.errors == [
        RowError("fec.txt", 5, "EcritureDate", "20241332", "no such date"),
        RowError("fec.txt", 9, "Debit", "1500,0,0", "not a number (decimal separator is ',')"),
        # the entries of the bad lines are not balance-checked: the line's error is enough
    ]
    assert count(store, "imports") == 0


def test_sale_for_several_customers(store: Store, tmp_path: Path) -> None:
    lines = LINES + [
        entry(
            "VT", "VT5", "20240410", "41100000", "Clients", "C001", "Dupont SARL", "FA24-005", "20240410", "60,00", ""
        ),
        entry(
            "VT", "VT5", "20240410", "41100000", "Clients", "C002", "Martin & Fils", "FA24-005", "20240410", "60,00", ""
        ),
        entry("VT", "VT5", "20240410", "70600000", "Prestations", "", "", "FA24-005", "20240410", "", "100,00"),
        entry("VT", "VT5", "20240410", "44571000", "TVA collectée", "", "", "FA24-005", "20240410", "", "20,00"),
    ]
    with pytest.raises(ImportRejected) as info:
        import_file(store, fec(tmp_path, lines, name="fec.txt"))
    assert info.value.errors == [
        RowError("fec.txt", 17, "CompAuxNum", "C001, C002", "entry VT VT5 has revenue for several customers")
    ]
    assert count(store, "customers") == 0
