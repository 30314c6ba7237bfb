"""Files as real software writes them: ISO-8859-15 (allowed in an FEC), UTF-16
without BOM, title rows above the header, headers on two merged rows, the
headers of invoicing tools, and a field too long named by its column.

The hand-written files are in ``tests/data/sources/``; the XLSX files and the
large ones are written here."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.ingest import ImportRejected, RowError, guess_kind, import_file
from clientfolio.ingest.columns import Mapping, match_columns
from clientfolio.ingest.sources import SourceOptions, Table, combine_header_rows, find_header, open_table
from clientfolio.protect.trace import read_table
from clientfolio.store import Store
from clientfolio.textfiles import detect_encoding
from tests.test_import_csv import rejected

DATA = Path(__file__).parent / "data" / "sources"


@pytest.fixture(autouse=True)
def csv_field_limit() -> Iterator[None]:
    """The csv module's field limit is process-wide: put it back after each test."""
    yield
    csv.field_size_limit(131_072)


def opened(path: Path, options: SourceOptions = SourceOptions()) -> tuple[Table, list[tuple[int, list[object]]]]:
    table = open_table(path, options)
    try:
        return table, list(table.rows)
    finally:
        table.close()


def names(store: Store) -> list[str]:
    return sorted(c.name for c in PortfolioReader(store, SYSTEM).customers())


# -- encodings -------------------------------------------------------------------------------


def test_iso_8859_15_is_told_from_windows_1252(store: Store) -> None:
    path = DATA / "soeurs_iso-8859-15.csv"
    table, rows = opened(path)
    assert table.encoding == "iso-8859-15" and table.header[-1] == "Montant HT (€)"
    assert [r[3] for _, r in rows] == ["Les Sœurs Lefèvre", "Œuvres d'Art Šimon", "Les Sœurs Lefèvre"]
    result = import_file(store, path)
    assert result.kind == "invoices" and result.rows_read == 3
    assert names(store) == ["Les Sœurs Lefèvre", "Œuvres d'Art Šimon"]


def test_windows_1252_stays_windows_1252(tmp_path: Path) -> None:
    text = "Code client;Raison sociale\nC1;Les Sœurs Lefèvre – 12 €\nC2;Zoë ½ journée\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("cp1252"))  # œ – € are bytes 0x80-0x9F: no ISO-8859-15 file holds them
    table, rows = opened(path)
    assert table.encoding == "cp1252" and rows[0][1][1] == "Les Sœurs Lefèvre – 12 €"


@pytest.mark.parametrize(
    "text,encoding,expected",
    [
        ("Sœur", "iso-8859-15", "iso-8859-15"),
        ("ŒUVRE", "iso-8859-15", "iso-8859-15"),
        ("prix;€\n", "iso-8859-15", "iso-8859-15"),  # "¤" is never meant: € it is
        ("Žilina;Šimon", "iso-8859-15", "iso-8859-15"),
        ("Sœur – 12 €", "cp1252", "cp1252"),  # C1 bytes
        ("l´eau d´ici; é", "cp1252", "cp1252"),  # "´" typed as an apostrophe, after a letter
        ("1½ jour; 3¼; 2 ¾", "cp1252", "cp1252"),  # fractions by numbers
        ("Élise Hôtel", "cp1252", "cp1252"),  # the same in both: Windows-1252
        ("Élise Sœur", "utf-8", "utf-8"),
    ],
)
def test_detect_encoding(text: str, encoding: str, expected: str) -> None:
    assert detect_encoding(("a;b\n" + text + "\n").encode(encoding)) == expected


def test_the_first_oe_far_down_the_file(store: Store, tmp_path: Path) -> None:
    head = "Code client;Raison sociale\n" + "".join(f"C{i};Societe {i}\n" for i in range(30_000))
    path = tmp_path / "far.csv"
    path.write_bytes((head + "C99999;Les Sœurs Lefèvre\n").encode("iso-8859-15"))
    assert path.stat().st_size > 256 * 1024
    table, rows = opened(path)
    assert table.encoding == "iso-8859-15" and rows[-1] == (30_002, ["C99999", "Les Sœurs Lefèvre"])
    # and an accent far down in Windows-1252, after ASCII only: read as such, not refused as bad UTF-8
    path.write_bytes((head + "C99999;Élise – Zoë\n").encode("cp1252"))
    table, rows = opened(path)
    assert table.encoding == "cp1252" and rows[-1][1] == ["C99999", "Élise – Zoë"]


def test_a_large_8_bit_file_is_sniffed_fast(tmp_path: Path) -> None:
    line = "FA-0001;15/01/2024;Société Générale d'Études;1 234,56;Câble 10 m²\n".encode("iso-8859-15")
    path = tmp_path / "big.csv"
    path.write_bytes(line * (30_000_000 // len(line)) + "Sœur\n".encode("iso-8859-15"))
    started = time.monotonic()
    assert detect_encoding(path) == "iso-8859-15"
    assert time.monotonic() - started < 3  # the whole file scanned in binary chunks (~0.03 s here)


def test_utf16_without_bom_is_read(store: Store, tmp_path: Path) -> None:
    path = DATA / "utf16le_sans_bom.txt"
    table, rows = opened(path)
    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert [r for _, r in rows] == [
        ["F1", "05/03/2025", "C1", "Hôtel du Lac", "1 800,00"],
        ["F2", "06/03/2025", "C2", "Café Zoë", "12,50"],
    ]
    import_file(store, path)
    assert names(store) == ["Café Zoë", "Hôtel du Lac"]
    big_endian = tmp_path / "be.csv"
    big_endian.write_bytes(path.read_bytes().decode("utf-16-le").encode("utf-16-be"))
    assert opened(big_endian)[0].encoding == "utf-16-be"
    # the leak tracer reads files through the same detection
    assert ["F2", "06/03/2025", "C2", "Café Zoë", "12,50"] in read_table(path)
    assert ["FA-002", "03/02/2025", "C002", "Œuvres d'Art Šimon", "250,50 €"] in read_table(
        DATA / "soeurs_iso-8859-15.csv"
    )


def test_binary_and_mixed_encodings_still_refused(store: Store, tmp_path: Path) -> None:
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    assert rejected(store, binary) == [RowError("bin.csv", 0, "", "", "binary content: not a CSV or XLSX file")]
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("Code client;Raison sociale\nC1;Élise\n".encode() + "C2;Sœurs\n".encode("iso-8859-15"))
    [error] = rejected(store, mixed, kind="customers")
    assert error.line == 3 and error.reason.startswith("line 3 is not UTF-8 like the rest of the file")


# -- the header row --------------------------------------------------------------------------


def test_csv_title_lines_above_the_header(store: Store, tmp_path: Path) -> None:
    path = DATA / "titre_ventes.csv"
    table, rows = opened(path)
    assert (table.header_line, table.delimiter) == (4, ";")
    assert table.header[:2] == ["N° de facture", "Date de facture"] and [line for line, _ in rows] == [5, 6]
    result = import_file(store, path)
    assert result.columns == {
        "invoice_number": "N° de facture",
        "invoice_date": "Date de facture",
        "customer_code": "Code client",
        "customer_name": "Nom du client",
        "amount": "Total HT",
        "amount_incl_tax": "Total TTC",
        "balance": "Reste à payer",
        "paid_date": "Date de paiement",
    }
    assert names(store) == ["Dupont SARL", "Martin & Fils"]
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text(encoding="utf-8").replace("11/01/2025", "41/01/2025"), encoding="utf-8")
    assert [(e.line, e.column) for e in rejected(store, bad)] == [(6, "Date de facture")]  # the real line


def test_header_row_given(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("Code client;Raison sociale\nCode;Nom\nC1;Un\n", encoding="utf-8")
    assert opened(path)[0].header == ["Code client", "Raison sociale"]
    table, rows = opened(path, SourceOptions(header_row=2))
    assert (table.header, table.header_line, rows) == (["Code", "Nom"], 2, [(3, ["C1", "Un"])])
    for line, reason in [(9, "the header row given (line 9) is not in the file")]:
        with pytest.raises(ImportRejected) as info:
            open_table(path, SourceOptions(header_row=line))
        assert info.value.errors == [
            RowError("f.csv", 9, "", "", reason, "the header row given (line {line}) is not in the file", {"line": 9})
        ]
    path.write_text("Titre\n\nCode client;Raison sociale\nC1;Un\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"f.csv:2:: the header row given \(line 2\) is blank"):
        open_table(path, SourceOptions(header_row=2))


def test_unguessable_file_names_the_header_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("Foo;Bar\n1;2\n", encoding="utf-8")
    [error] = rejected(store, path)
    assert error.line == 1 and error.reason.startswith("cannot tell what this file holds")


def _sheet(path: Path, rows: list[list[object]], merged: tuple[str, ...] = ()) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def test_xlsx_title_row_above_the_header(store: Store, tmp_path: Path) -> None:
    path = _sheet(
        tmp_path / "ventes.xlsx",
        [
            ["Export des ventes – 2025"],
            [],
            ["N° facture", "Date", "Code client", "Raison sociale", "Montant HT", "Statut"],
            ["F1", "15/01/2025", "C1", "Les Sœurs Lefèvre", 100, "Payée"],
            ["F2", "99/01/2025", "C1", "Les Sœurs Lefèvre", 50, "En retard"],
        ],
        merged=("A1:F1",),
    )
    table, rows = opened(path)
    assert table.header_line == 3 and table.header[0] == "N° facture" and [n for n, _ in rows] == [4, 5]
    assert guess_kind(table) == "invoices"
    assert [(e.line, e.column, e.value) for e in rejected(store, path)] == [(5, "Date", "99/01/2025")]


def test_xlsx_header_on_two_merged_rows(store: Store, tmp_path: Path) -> None:
    path = _sheet(
        tmp_path / "deux.xlsx",
        [
            ["Facture", None, "Client", "Montant", None, "Échéance"],
            ["N°", "Date", None, "HT", "TTC", None],
            ["F1", "15/01/2025", "C1", 100, 120, "15/02/2025"],
            ["F2", "16/01/2025", "C2", 50, 60, None],
        ],
        merged=("A1:B1", "C1:C2", "D1:E1", "F1:F2"),
    )
    table, rows = opened(path)
    assert table.header == ["Facture N°", "Facture Date", "Client", "Montant HT", "Montant TTC", "Échéance"]
    assert table.header_line == 2 and [n for n, _ in rows] == [3, 4]
    assert match_columns(path.name, table.header, "invoices").shown() == {
        "invoice_number": "Facture N°",
        "invoice_date": "Facture Date",
        "customer_code": "Client",
        "customer_name": "Client",
        "amount": "Montant HT",
        "amount_incl_tax": "Montant TTC",
        "due_date": "Échéance",
    }
    # under a title merged over every column, the title is not taken for a group label
    titled = _sheet(
        tmp_path / "titre.xlsx",
        [["Ventes 2025"], ["N° facture", "Date", "Client", "Montant"], ["F1", "15/01/2025", "C1", 1]],
        merged=("A1:D1",),
    )
    assert opened(titled)[0].header == ["N° facture", "Date", "Client", "Montant"]


def test_csv_header_on_two_rows_and_its_order(tmp_path: Path) -> None:
    path = tmp_path / "deux.csv"
    path.write_text(
        "Facture;;Client;Client;Montant;\nN°;Date;N°;Nom;HT;TTC\nF1;01/01/2025;C1;Un;1;1,2\n", encoding="utf-8"
    )
    table, rows = opened(path)
    assert table.header == ["Facture N°", "Facture Date", "N° Client", "Client Nom", "Montant HT", "Montant TTC"]
    assert rows == [(3, ["F1", "01/01/2025", "C1", "Un", "1", "1,2"])]


def test_find_header_ties_and_fallback() -> None:
    assert find_header([["Foo", "Bar"], ["1", "2"]]) == (0, ["Foo", "Bar"])  # nothing known: the first row
    assert find_header([[], ["Titre"], ["Code client", "Nom"], ["C1", ""]]) == (2, ["Code client", "Nom"])
    assert find_header([[""], [""]]) is None
    assert combine_header_rows(["Montant", "", "Client"], ["HT", "TTC"]) == ["Montant HT", "Montant TTC", "Client"]


# -- the headers of invoicing tools ----------------------------------------------------------


@pytest.mark.parametrize(
    "header,expected",
    [
        (
            ["Numéro de facture", "Date de la facture", "Client", "Montant total HT", "Date d'échéance", "Statut"],
            {
                "invoice_number": 0,
                "invoice_date": 1,
                "customer_code": 2,
                "customer_name": 2,
                "amount": 3,
                "due_date": 4,
            },
        ),
        (
            ["N° pièce", "Date", "Tiers", "Total HT", "Total TTC", "Réglée le"],
            {
                "invoice_number": 0,
                "invoice_date": 1,
                "customer_code": 2,
                "customer_name": 2,
                "amount": 3,
                "amount_incl_tax": 4,
                "paid_date": 5,
            },
        ),
        (
            [
                "N° de facture",
                "Date de facture",
                "Nom du client",
                "Montant HT",
                "Montant TTC",
                "Montant réglé",
                "Reste dû",
                "Date de paiement",
            ],
            {
                "invoice_number": 0,
                "invoice_date": 1,
                "customer_code": 2,
                "customer_name": 2,
                "amount": 3,
                "amount_incl_tax": 4,
                "paid_amount": 5,
                "balance": 6,
                "paid_date": 7,
            },
        ),
        (
            ["Facture", "Date", "Raison sociale", "Montant", "Solde", "Échéance"],
            {
                "invoice_number": 0,
                "invoice_date": 1,
                "customer_code": 2,
                "customer_name": 2,
                "amount": 3,
                "balance": 4,
                "due_date": 5,
            },
        ),
        (
            [
                "Invoice Number",
                "Invoice Date",
                "Customer Name",
                "Subtotal",
                "Total incl. tax",
                "Amount Paid",
                "Balance Due",
                "Due Date",
                "Invoice Status",
            ],
            {
                "invoice_number": 0,
                "invoice_date": 1,
                "customer_code": 2,
                "customer_name": 2,
                "amount": 3,
                "amount_incl_tax": 4,
                "paid_amount": 5,
                "balance": 6,
                "due_date": 7,
            },
        ),
        (
            ["Date", "Num", "Customer", "Amount", "Open balance"],
            {"invoice_date": 0, "invoice_number": 1, "customer_code": 2, "customer_name": 2, "amount": 3, "balance": 4},
        ),
        # two customer columns: each its own
        (
            ["N° facture", "Date", "Code client", "Client", "Montant"],
            {"invoice_number": 0, "invoice_date": 1, "customer_code": 2, "customer_name": 3, "amount": 4},
        ),
        (
            ["N° facture", "Date", "Client", "Nom", "Montant"],
            {"invoice_number": 0, "invoice_date": 1, "customer_code": 2, "customer_name": 3, "amount": 4},
        ),
        # a code column not named ambiguously is a code only
        (
            ["N° facture", "Date", "Code client", "Montant", "Type"],
            {"invoice_number": 0, "invoice_date": 1, "customer_code": 2, "amount": 3, "kind": 4},
        ),
    ],
)
def test_invoicing_tools_headers(header: list[str], expected: dict[str, int]) -> None:
    match = match_columns("f.csv", header, "invoices")
    assert match.indexes == expected
    assert "statut" not in {h.lower() for h in match.shown().values()}


def test_a_single_customer_column_and_the_mapping() -> None:
    header = ["N° facture", "Date", "Client", "Montant"]
    # a mapping setting the name to none keeps it without a column
    mapped = match_columns("f.csv", header, "invoices", Mapping(columns={"customer_name": None}))
    assert "customer_name" not in mapped.indexes and mapped.indexes["customer_code"] == 2
    with pytest.raises(ImportRejected) as info:
        match_columns("f.csv", ["N° facture", "Date", "Montant"], "invoices", line=4)
    assert [(e.line, e.column) for e in info.value.errors] == [(4, "customer_code")]


def test_tiers_for_customers_and_the_kinds_still_told_apart(tmp_path: Path) -> None:
    assert match_columns("c.csv", ["Tiers", "Raison sociale"], "customers").indexes == {"customer_code": 0, "name": 1}
    for header, kind in [
        ("N° de facture;Date de facture;Client;Total HT;Total TTC;Statut", "invoices"),
        ("Code client;Raison sociale;Ville;Statut", "customers"),
        ("Tiers;Intitulé;Code postal", "customers"),
        ("Code article;Désignation;Prix unitaire", "products"),
        ("Raison sociale;Étape;Origine;Ville", "prospects"),
    ]:
        path = tmp_path / "k.csv"
        path.write_text(f"Export\n\n{header}\n", encoding="utf-8")
        table = open_table(path)
        table.close()
        assert (guess_kind(table), table.header_line) == (kind, 3), header


# -- a field too long ------------------------------------------------------------------------


def test_a_2_mb_field_names_its_column_and_line(store: Store, tmp_path: Path) -> None:
    head = "N° facture;Date facture;Code client;Nom client;Montant HT\n"
    path = tmp_path / "long.csv"
    path.write_text(head + "F1;01/01/2024;C1;Un;1\nF2;01/01/2024;C1;" + "x" * 2_000_000 + ";1\n", encoding="utf-8")
    template = (
        "a field is longer than {limit} characters ({length} characters in this column, field {field} of the line)"
    )
    assert rejected(store, path) == [
        RowError(
            "long.csv",
            3,
            "Nom client",
            "",
            "a field is longer than 131,072 characters (2,000,000 characters in this column, field 4 of the line)",
            template,
            {"limit": 131_072, "length": 2_000_000, "field": 4},
        )
    ]
    assert csv.field_size_limit() == 131_072  # the limit raised to measure it is put back
    # beyond the rows the header is looked for among, after a field spanning two lines
    body = "".join(f"F{i};01/01/2024;C1;Un;{i}\n" for i in range(40))
    path.write_text(
        head + 'F0;01/01/2024;C1;"Deux\nlignes";1\n' + body + "F9;01/01/2024;" + "y" * 300_000 + ";Un;1\n",
        encoding="utf-8",
    )
    [error] = rejected(store, path)
    assert (error.line, error.column, error.params) == (
        44,
        "Code client",
        {"limit": 131_072, "length": 300_000, "field": 3},
    )
