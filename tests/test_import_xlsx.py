"""Importing XLSX workbooks made with openpyxl in the test: header below blank
rows, real date and numeric cells, sheets, and the files that are not XLSX."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.ingest import ImportRejected, Mapping, RowError, import_file
from clientfolio.ingest.formulas import UNCOMPUTED
from clientfolio.store import Store
from tests.xlsx_bombs import CALC_ON_LOAD, Formula, plain_rows, write_xlsx

D = dt.date
HEADER = [
    "N° facture",
    "Date facture",
    "Code client",
    "Raison sociale",
    "Code article",
    "Désignation",
    "Quantité",
    "Montant HT",
    "Type",
    None,
]


def workbook(
    path: Path,
    rows: list[list[Any]],
    *,
    blank_rows: int = 2,
    sheets: tuple[str, ...] = ("Ventes",),
    data_sheet: str = "Ventes",
) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = sheets[0]
    for name in sheets[1:]:
        book.create_sheet(name)
    sheet = book[data_sheet]
    for _ in range(blank_rows):
        sheet.append([None] * 3)
    for row in rows:
        sheet.append(row)
    if sheets[0] != data_sheet:
        book[sheets[0]]["A1"] = "Notes: the sales are on another sheet"
    book.save(path)
    return path


def sales(store: Store) -> list[tuple[object, ...]]:
    return [
        (
            s.invoice_number,
            s.issued_on,
            s.kind,
            s.line_no,
            s.customer_code,
            s.product_code,
            s.product_name,
            s.quantity,
            s.amount_cents,
        )
        for s in PortfolioReader(store, SYSTEM).sales()
    ]


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


ROWS: list[list[Any]] = [
    HEADER,
    ["FA-1", D(2024, 5, 2), "C001", "Étoile SARL", "P-10", "Vis inox", 100, 19.99, "Facture", None],
    ["FA-1", dt.datetime(2024, 5, 2, 0, 0), "C001", "Étoile SARL", "P-20", "Écrou", 2.5, 1234.5, None, None],
    ["AV-1", D(2024, 6, 30), "C001", "Étoile SARL", "P-10", "Vis inox", 3, 7, "Avoir", None],
    [None, None, None, None, None, None, None, None, None, None],
    ["FA-2", "01/07/2024", 1002, "Numéro Deux", "P-10", "Vis inox", 1, "1 000,50", None, "ignored"],
]


def test_header_below_blank_rows_date_and_number_cells(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "ventes.xlsx", ROWS)
    result = import_file(store, path)
    assert result.kind == "invoices" and result.rows_read == 4
    assert result.columns == {
        "invoice_number": "N° facture",
        "invoice_date": "Date facture",
        "customer_code": "Code client",
        "customer_name": "Raison sociale",
        "product_code": "Code article",
        "product_name": "Désignation",
        "quantity": "Quantité",
        "amount": "Montant HT",
        "kind": "Type",
    }
    assert result.created == {"invoices": 3, "invoice_lines": 4, "payments": 0, "customers": 2, "products": 2}
    assert sales(store) == [
        ("FA-1", D(2024, 5, 2), "invoice", 1, "C001", "P-10", "Vis inox", 100.0, 1999),
        ("FA-1", D(2024, 5, 2), "invoice", 2, "C001", "P-20", "Écrou", 2.5, 123450),
        ("AV-1", D(2024, 6, 30), "credit_note", 1, "C001", "P-10", "Vis inox", -3.0, -700),
        ("FA-2", D(2024, 7, 1), "invoice", 1, "1002", "P-10", "Vis inox", 1.0, 100050),
    ]
    assert [(c.code, c.name) for c in PortfolioReader(store, SYSTEM).customers()] == [
        ("1002", "Numéro Deux"),
        ("C001", "Étoile SARL"),
    ]


def test_xlsx_told_by_content_not_name_and_imported_once(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "export.dat", ROWS, blank_rows=0)
    first = import_file(store, path)
    again = import_file(store, path)
    assert (again.already_imported, again.import_id) == (True, first.import_id)
    assert count(store, "invoice_lines") == 4


def test_bad_cells_are_reported_at_their_sheet_row(store: Store, tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        HEADER,
        ["FA-1", D(2024, 5, 2), "C001", "Un", "P-10", "Vis", 1, 10, None, None],
        ["FA-2", "31/02/2024", "C001", "Un", "P-10", "Vis", 1, 10, None, None],
        ["FA-3", D(2024, 5, 3), "C001", "Un", "P-10", "Vis", -1, "dix", "facture", None],
    ]
    path = workbook(tmp_path / "bad.xlsx", rows, blank_rows=3)
    with pytest.raises(ImportRejected) as info:
        import_file(store, path)
    assert info.value.errors == [
        RowError("bad.xlsx", 6, "Date facture", "31/02/2024", "no such date"),
        RowError("bad.xlsx", 7, "Montant HT", "dix", "not a number (decimal separator is ',')"),
        RowError("bad.xlsx", 7, "Quantité", "-1", "negative quantity on an invoice (a credit note needs type 'avoir')"),
    ]
    assert count(store, "invoices") == count(store, "customers") == count(store, "imports") == 0


def test_sheet_chosen_by_mapping(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", ROWS[:2], sheets=("Notes", "Ventes"), data_sheet="Ventes")
    with pytest.raises(ImportRejected) as info:  # the mapping names the sheet: the note is read
        import_file(store, path, kind="invoices", mapping=Mapping(sheet="Notes"))
    assert [(e.line, e.column) for e in info.value.errors] == [
        (1, "invoice_number"),
        (1, "invoice_date"),
        (1, "customer_code"),
        (1, "amount"),
    ]
    import_file(store, path, mapping=Mapping(sheet="Ventes"))
    assert sales(store) == [("FA-1", D(2024, 5, 2), "invoice", 1, "C001", "P-10", "Vis inox", 100.0, 1999)]
    with pytest.raises(ImportRejected) as info:
        import_file(store, path, mapping=Mapping(sheet="Achats"))
    assert info.value.errors == [RowError("book.xlsx", 0, "", "Achats", "no such sheet; sheets: ['Notes', 'Ventes']")]


def test_the_sheet_holding_the_table_is_found_and_named_in_errors(store: Store, tmp_path: Path) -> None:
    """A workbook opening on a note or a summary, its sales on a later sheet: that sheet is read
    (the one whose first rows hold the most known headers), and a bad row names it."""
    path = workbook(tmp_path / "book.xlsx", ROWS[:2], sheets=("Notes", "Ventes"), data_sheet="Ventes")
    result = import_file(store, path)
    assert (result.kind, result.sheet) == ("invoices", "Ventes")  # said: the user sees which sheet was read
    assert sales(store) == [("FA-1", D(2024, 5, 2), "invoice", 1, "C001", "P-10", "Vis inox", 100.0, 1999)]
    bad = [HEADER, ["FA-9", D(2024, 5, 2), "C001", "Étoile SARL", "P-10", "Vis inox", 1, "douze", None, None]]
    with pytest.raises(ImportRejected) as info:
        import_file(store, workbook(tmp_path / "bad.xlsx", bad, sheets=("Notes", "Ventes")), kind="invoices")
    assert [(e.file, e.line, e.value) for e in info.value.errors] == [("bad.xlsx (Ventes)", 4, "douze")]


def test_customers_workbook_with_date_and_number_cells(store: Store, tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["Code client", "Raison sociale", "SIREN", "Client depuis", "Potentiel", "Code postal"],
        [501, "Boulangerie Paul", 732829320, D(2019, 9, 1), 15000.5, "06000"],
    ]
    result = import_file(store, workbook(tmp_path / "clients.xlsx", rows), kind="customers")
    assert result.created["customers"] == 1
    (customer,) = PortfolioReader(store, SYSTEM).customers()
    assert (
        customer.code,
        customer.name,
        customer.siren,
        customer.created_on,
        customer.potential_cents,
        customer.postal_code,
    ) == ("501", "Boulangerie Paul", "732829320", D(2019, 9, 1), 1500050, "06000")


def test_empty_workbook(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "empty.xlsx", [], blank_rows=4)
    with pytest.raises(ImportRejected) as info:
        import_file(store, path)
    assert info.value.errors == [RowError("empty.xlsx", 0, "", "", "the workbook's sheet is empty")]


def test_header_only_workbook(store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "head.xlsx", [HEADER, [None] * 10])
    with pytest.raises(ImportRejected) as info:
        import_file(store, path)
    assert info.value.errors == [RowError("head.xlsx", 0, "", "", "no data rows under the header")]


def test_old_xls_and_broken_xlsx(store: Store, tmp_path: Path) -> None:
    xls = tmp_path / "ventes.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ImportRejected) as info:
        import_file(store, xls)
    assert info.value.errors == [RowError("ventes.xls", 0, "", "", "old Excel .xls format: save it as .xlsx or CSV")]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"not really a zip" * 10)
    with pytest.raises(ImportRejected) as info:
        import_file(store, broken)
    (error,) = info.value.errors
    assert (error.file, error.line) == ("broken.xlsx", 0)
    assert error.reason.startswith("not a readable XLSX file: ")
    assert count(store, "imports") == 0


def test_formulas_never_computed_are_refused_with_the_way_out(store: Store, tmp_path: Path) -> None:
    """A workbook written as xlsxwriter writes it (an amount as a formula, 0 kept
    beside it, the spreadsheet asked to compute on opening): read as it is, the
    invoice would be of 0 €; it is refused at the formula, in the reader's
    language.  The same file saved by a spreadsheet (its computed values kept,
    no such request) imports them."""
    header = ["N° facture", "Date facture", "Code client", "Raison sociale", "Quantité", "Prix", "Montant HT"]
    lines = [["FA-1", "02/05/2024", "C001", "Un", 2, 60, 120], ["FA-2", "03/05/2024", "C002", "Deux", 3, 10, 0]]
    lines[1][6] = Formula("E3*F3")
    written = write_xlsx(tmp_path / "ventes.xlsx", plain_rows([header, *lines]), calculation=CALC_ON_LOAD)
    with pytest.raises(ImportRejected) as info:
        import_file(store, written)
    assert info.value.errors == [RowError("ventes.xlsx", 3, "Montant HT", "=E3*F3", UNCOMPUTED)]
    french = info.value.errors[0].in_language("fr")
    assert "une formule dont la valeur n'a jamais été calculée" in french and "LibreOffice" in french, french
    assert count(store, "imports") == count(store, "invoices") == 0

    lines[1][6] = Formula("E3*F3", cached=30)
    saved = write_xlsx(tmp_path / "enregistre.xlsx", plain_rows([header, *lines]))
    import_file(store, saved)
    assert sorted(line[-1] for line in sales(store)) == [3000, 12000]
