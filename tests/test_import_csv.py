"""Importing invoice CSV files: formats, mapping files, all-or-nothing,
idempotence and the bad inputs, each with its exact reason."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.ingest import ImportRejected, RowError, import_file, load_mapping
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.store.schema import Invoice, InvoiceLine
from tests.conftest import planner_statistics

D = dt.date
TABLES = ("customers", "products", "product_lines", "invoices", "invoice_lines", "payments", "imports")


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


EMPTY = dict.fromkeys(TABLES, 0)


def sales(store: Store) -> list[tuple[object, ...]]:
    """(invoice, date, kind, line, customer, product, quantity, amount, margin) of every line."""
    return [
        (
            s.invoice_number,
            s.issued_on,
            s.kind,
            s.line_no,
            s.customer_code,
            s.product_code,
            s.quantity,
            s.amount_cents,
            s.margin_cents,
        )
        for s in PortfolioReader(store, SYSTEM).sales()
    ]


def rejected(store: Store, path: Path, **kw: object) -> list[RowError]:
    """The errors of an import that must be rejected without writing anything."""
    before = counts(store)
    with pytest.raises(ImportRejected) as info:
        import_file(store, path, **kw)  # type: ignore[arg-type]
    assert counts(store) == before
    assert info.value.total == len(info.value.errors)
    return info.value.errors


# -- formats ---------------------------------------------------------------------------------

FRENCH = (
    "N° facture;Date facture;Code client;Raison sociale;Code article;Désignation;Quantité;"
    "Montant HT (€);Coût de revient;Date échéance;Date règlement\r\n"
    "FA-001;15/01/2024;C001;Société Générale d'Études;CAB10;Câble 10 m² 90 °C;2;1 234,56;1\xa0000,00;"
    "14/02/2024;20/02/2024\r\n"
    "FA-001;15/01/2024;C001;Société Générale d'Études;POSE;Pose à l'heure;1,5;100,00 €;;14/02/2024;"
    "20/02/2024\r\n"
    'FA-002;03/02/2024;C002;"Dupont; Fils & Cie";CAB10;Câble 10 m² 90 °C;1;"12,50";;;\r\n'
)


def test_french_cp1252_semicolons_decimal_comma(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "factures.csv", FRENCH, "cp1252")
    result = import_file(store, path)
    assert result.kind == "invoices" and result.rows_read == 3 and not result.dry_run
    assert result.columns == {
        "invoice_number": "N° facture",
        "invoice_date": "Date facture",
        "customer_code": "Code client",
        "customer_name": "Raison sociale",
        "product_code": "Code article",
        "product_name": "Désignation",
        "quantity": "Quantité",
        "amount": "Montant HT (€)",
        "cost": "Coût de revient",
        "due_date": "Date échéance",
        "paid_date": "Date règlement",
    }
    assert result.created == {"invoices": 2, "invoice_lines": 3, "payments": 1, "customers": 2, "products": 2}
    assert sales(store) == [
        ("FA-001", D(2024, 1, 15), "invoice", 1, "C001", "CAB10", 2.0, 123456, 23456),
        ("FA-001", D(2024, 1, 15), "invoice", 2, "C001", "POSE", 1.5, 10000, None),
        ("FA-002", D(2024, 2, 3), "invoice", 1, "C002", "CAB10", 1.0, 1250, None),
    ]
    reader = PortfolioReader(store, SYSTEM)
    assert [(c.code, c.name, c.status) for c in reader.customers()] == [
        ("C001", "Société Générale d'Études", "active"),
        ("C002", "Dupont; Fils & Cie", "active"),
    ]
    assert reader.payments() == [("FA-001", D(2024, 1, 15), D(2024, 2, 14), D(2024, 2, 20), None)]
    with store.engine.connect() as conn:
        assert conn.execute(select(InvoiceLine.description).order_by(InvoiceLine.id)).scalars().all() == [
            "Câble 10 m² 90 °C",
            "Pose à l'heure",
            "Câble 10 m² 90 °C",
        ]
        assert conn.execute(text("SELECT code, name FROM products ORDER BY code")).all() == [
            ("CAB10", "Câble 10 m² 90 °C"),
            ("POSE", "Pose à l'heure"),
        ]


def test_utf8_bom_commas_decimal_point_iso_dates(store: Store, tmp_path: Path) -> None:
    data = (
        "\ufeffInvoice No,Invoice Date,Customer,Company,Net Amount,Type\n"
        'INV-1,2024-03-31,K1,"Martin, Durand & Co","1,234.56",invoice\n'
        'CN-1,2024-04-02,K1,"Martin, Durand & Co",-20.5,credit note\n'
    )
    result = import_file(store, write(tmp_path, "bom.csv", data))
    assert result.columns == {
        "invoice_number": "Invoice No",
        "invoice_date": "Invoice Date",
        "customer_code": "Customer",
        "customer_name": "Company",
        "amount": "Net Amount",
        "kind": "Type",
    }
    assert sales(store) == [
        ("INV-1", D(2024, 3, 31), "invoice", 1, "K1", None, None, 123456, None),
        ("CN-1", D(2024, 4, 2), "credit_note", 1, "K1", None, None, -2050, None),
    ]
    assert [c.name for c in PortfolioReader(store, SYSTEM).customers()] == ["Martin, Durand & Co"]


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_tab_and_pipe_delimiters(store: Store, tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["Numéro facture", "Date", "Client", "Nom client", "Total HT", "Marge"],
        ["F7", "05/06/2023", "C9", "Garage; du Centre", "2 500,00", "500,5"],
        ["F8", "2023-06-30", "C9", "Garage; du Centre", "99", "-1,25"],
    ]
    path = write(tmp_path, "f.txt", "".join(delimiter.join(r) + "\n" for r in rows))
    result = import_file(store, path)
    assert result.columns["amount"] == "Total HT" and result.columns["margin"] == "Marge"
    assert sales(store) == [
        ("F7", D(2023, 6, 5), "invoice", 1, "C9", None, None, 250000, 50050),
        ("F8", D(2023, 6, 30), "invoice", 1, "C9", None, None, 9900, -125),
    ]


@pytest.mark.parametrize(
    "cell,order,day",
    [
        ("03/04/2024", "mdy", D(2024, 3, 4)),
        ("03/04/2024", "dmy", D(2024, 4, 3)),
        ("2024/04/03", "mdy", D(2024, 4, 3)),
        ("24.04.03", "ymd", D(2024, 4, 3)),
    ],
)
def test_date_order_setting(store: Store, tmp_path: Path, cell: str, order: str, day: dt.date) -> None:
    path = write(tmp_path, "us.csv", f"Invoice,Date,Customer,Company,Amount\nU1,{cell},K,Kay,1\n")
    import_file(store, path, settings=Settings(date_order=order))
    assert sales(store)[0][1] == day


def test_numero_sign_glued_to_the_word(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "N°Facture;Date;N°Client;Nom;Montant\nF1;01/01/2024;C1;Un;1\n")
    assert import_file(store, path).columns == {
        "invoice_number": "N°Facture",
        "invoice_date": "Date",
        "customer_code": "N°Client",
        "customer_name": "Nom",
        "amount": "Montant",
    }


def test_utf16_with_bom_is_read(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "u16.csv", "N° facture;Date;Client;Nom;Montant\nF1;01/02/2024;C1;Élan;3\n", "utf-16")
    import_file(store, path)
    assert [c.name for c in PortfolioReader(store, SYSTEM).customers()] == ["Élan"]
    assert sales(store)[0][7] == 300


# -- mapping files ---------------------------------------------------------------------------

ODD = "Ref doc;Jour;Tiers;Libellé tiers;Valeur;Article\nX-1;07/08/2024;T1;Tiers Un;1.234,50;ZZ\n"


@pytest.mark.parametrize(
    "mapping_name,mapping_text",
    [
        (
            "map.toml",
            'delimiter = ";"\nencoding = "cp1252"\ndecimal = ","\ndate_order = "dmy"\n[columns]\n'
            'invoice_number = "Ref doc"\ninvoice_date = "Jour"\ncustomer_code = "Tiers"\n'
            'customer_name = "Libellé tiers"\namount = "Valeur"\nproduct_name = "Article"\n',
        ),
        (
            "map.json",
            json.dumps(
                {
                    "delimiter": ";",
                    "encoding": "cp1252",
                    "columns": {
                        "invoice_number": "Ref doc",
                        "invoice_date": "Jour",
                        "customer_code": "tiers",
                        "customer_name": "LIBELLE TIERS",
                        "amount": "Valeur",
                        "product_code": None,
                    },
                }
            ),
        ),
    ],
)
def test_mapping_file_names_odd_headers(store: Store, tmp_path: Path, mapping_name: str, mapping_text: str) -> None:
    mapping = load_mapping(write(tmp_path, mapping_name, mapping_text))
    result = import_file(store, write(tmp_path, "odd.csv", ODD, "cp1252"), kind="invoices", mapping=mapping)
    columns = {
        "invoice_number": "Ref doc",
        "invoice_date": "Jour",
        "customer_code": "Tiers",
        "customer_name": "Libellé tiers",
        "amount": "Valeur",
    }
    if mapping_name == "map.toml":  # "Article" taken as the line's label
        columns["product_name"] = "Article"
    # (the JSON mapping sets product_code to null: "Article" is not matched as a product code)
    assert result.columns == columns
    assert sales(store) == [("X-1", D(2024, 8, 7), "invoice", 1, "T1", None, None, 123450, None)]
    assert [c.name for c in PortfolioReader(store, SYSTEM).customers()] == ["Tiers Un"]
    with store.engine.connect() as conn:
        description = conn.execute(select(InvoiceLine.description)).scalar_one()
    assert description == ("ZZ" if mapping_name == "map.toml" else None)


def test_without_mapping_odd_headers_are_rejected(store: Store, tmp_path: Path) -> None:
    errors = rejected(store, write(tmp_path, "odd.csv", ODD, "cp1252"), kind="invoices")
    assert [(e.line, e.column) for e in errors] == [  # "Tiers" is a customer column
        (1, "invoice_number"),
        (1, "invoice_date"),
        (1, "amount"),
    ]
    assert errors[2].reason == (
        "missing required column (amount excl. tax, euros); "
        "looked for: amount, montant ht, total ht, montant, ca ht, ht"
    )


def test_mapping_naming_unknown_field_or_absent_column(store: Store, tmp_path: Path) -> None:
    mapping = load_mapping(
        write(
            tmp_path,
            "m.toml",
            '[columns]\nmontant = "Valeur"\ninvoice_number = "Ref doc"\n'
            'invoice_date = "Jour"\ncustomer_code = "Tiers"\namount = "Total"\n',
        )
    )
    errors = rejected(store, write(tmp_path, "odd.csv", ODD, "cp1252"), kind="invoices", mapping=mapping)
    assert errors == [
        RowError(
            "odd.csv",
            1,
            "montant",
            "Valeur",
            "mapping names an unknown field; fields for invoices: "
            "amount, amount_incl_tax, balance, cost, customer_code, customer_name, due_date, invoice_date, "
            "invoice_number, kind, line_no, margin, paid_amount, paid_date, product_code, product_line, "
            "product_name, quantity",
        ),
        RowError("odd.csv", 1, "amount", "Total", "mapped column not in the header"),
        RowError(
            "odd.csv",
            1,
            "amount",
            "",
            "missing required column (amount excl. tax, euros); "
            "looked for: amount, montant ht, total ht, montant, ca ht, ht",
        ),
    ]


def test_mapping_file_with_unknown_key_or_bad_values(tmp_path: Path) -> None:
    for name, body, expected in [
        (
            "a.toml",
            'separator = ";"\n',
            RowError(
                "a.toml",
                0,
                "",
                "separator",
                "unknown keys; use ['columns', 'date_order', 'decimal', "
                "'delimiter', 'encoding', 'header_row', 'sheet']",
            ),
        ),
        ("b.json", '{"decimal": ";"}', RowError("b.json", 0, "decimal", ";", "use , or .")),
        ("c.toml", 'date_order = "dym"\n', RowError("c.toml", 0, "date_order", "dym", "use dmy, mdy or ymd")),
    ]:
        with pytest.raises(ImportRejected) as info:
            load_mapping(write(tmp_path, name, body))
        assert info.value.errors == [expected]
    with pytest.raises(ImportRejected) as info:
        load_mapping(write(tmp_path, "d.json", "{not json"))
    assert info.value.errors[0].reason.startswith("unreadable mapping file: ")


# -- all or nothing, dry run -----------------------------------------------------------------

HEAD = "N° facture;Date facture;Code client;Nom client;Montant HT\n"


def test_bad_rows_reject_the_whole_file_and_are_all_listed(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "f.csv",
        HEAD + "F1;01/01/2024;C1;Un;10\nF2;32/01/2024;C1;Un;10\n"
        "F3;02/01/2024;C1;Un;10\nF4;02/01/2024;C2;Deux;12,3,4\nF5;hier;C3;Trois;1\n",
    )
    errors = rejected(store, path)
    assert errors == [
        RowError("f.csv", 3, "Date facture", "32/01/2024", "no such date"),
        RowError("f.csv", 5, "Montant HT", "12,3,4", "not a number (decimal separator is ',')"),
        RowError("f.csv", 6, "Date facture", "hier", "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),
    ]
    assert counts(store) == EMPTY


def test_dry_run_counts_but_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", HEAD + "F1;01/01/2024;C1;Un;10\nF1;01/01/2024;C1;Un;5\nF2;02/01/2024;C2;Deux;1\n")
    result = import_file(store, path, dry_run=True)
    assert (result.dry_run, result.import_id, result.rows_read) == (True, None, 3)
    assert result.created == {"invoices": 2, "invoice_lines": 3, "payments": 0, "customers": 2, "products": 0}
    assert counts(store) == EMPTY
    real = import_file(store, path)  # the dry run did not mark the file as imported
    assert not real.already_imported and real.created == result.created
    assert counts(store)["invoice_lines"] == 3


# -- idempotence -----------------------------------------------------------------------------


def test_same_file_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", HEAD + "F1;01/01/2024;C1;Un;10\n")
    first = import_file(store, path)
    before = counts(store)
    again = import_file(store, path)
    assert (again.already_imported, again.import_id, again.created) == (True, first.import_id, {})
    assert counts(store) == before == {**EMPTY, "customers": 1, "invoices": 1, "invoice_lines": 1, "imports": 1}


def test_overlapping_file_adds_only_new_invoices(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path, "jan.csv", HEAD + "F1;01/01/2024;C1;Un;10\nF1;01/01/2024;C1;Un;5\n"))
    result = import_file(
        store,
        write(tmp_path, "jan-feb.csv", HEAD + "F1;01/01/2024;C1;Un;10\nF1;01/01/2024;C1;Un;5\nF2;01/02/2024;C1;Un;7\n"),
    )
    assert result.created == {"invoices": 1, "invoice_lines": 1, "payments": 0, "customers": 0, "products": 0}
    assert result.unchanged == {"invoice_lines": 2}
    assert [(s[0], s[3], s[7]) for s in sales(store)] == [("F1", 1, 1000), ("F1", 2, 500), ("F2", 1, 700)]


@pytest.mark.parametrize(
    "rows,expected",
    [
        (
            "F1;01/01/2024;C1;Un;10\nF1;01/01/2024;C1;Un;6\n",
            RowError("b.csv", 3, "N° facture", "F1", "line 2 differs from the invoice already imported"),
        ),
        (
            "F1;01/01/2024;C2;Deux;10\nF1;01/01/2024;C2;Deux;5\n",
            RowError("b.csv", 2, "N° facture", "F1", "invoice already imported with another customer, date or type"),
        ),
        (
            "F1;01/01/2024;C1;Un;10\n",
            RowError("b.csv", 2, "N° facture", "F1", "invoice already imported with 2 lines, this file lists 1"),
        ),
    ],
)
def test_invoice_changed_since_its_import_is_rejected(
    store: Store, tmp_path: Path, rows: str, expected: RowError
) -> None:
    import_file(store, write(tmp_path, "a.csv", HEAD + "F1;01/01/2024;C1;Un;10\nF1;01/01/2024;C1;Un;5\n"))
    before = counts(store)
    with pytest.raises(ImportRejected) as info:
        import_file(store, write(tmp_path, "b.csv", HEAD + rows))
    assert info.value.errors[0] == expected
    assert counts(store) == before


# -- bad rows --------------------------------------------------------------------------------

QHEAD = "N° facture;Date;Client;Nom;Montant;Quantité;Type\n"


def test_negative_quantity_only_on_credit_notes(store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", QHEAD + "F1;01/01/2024;C1;Un;10;-2;facture\n")
    assert rejected(store, bad) == [
        RowError("bad.csv", 2, "Quantité", "-2", "negative quantity on an invoice (a credit note needs type 'avoir')")
    ]
    good = write(tmp_path, "good.csv", QHEAD + "A1;02/01/2024;C1;Un;15,00;-2;avoir\nA2;02/01/2024;C1;Un;-4;3;AV\n")
    import_file(store, good)
    assert [(s[0], s[2], s[6], s[7]) for s in sales(store)] == [
        ("A1", "credit_note", -2.0, -1500),
        ("A2", "credit_note", -3.0, -400),
    ]


def test_unknown_customer_or_product_without_names(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "Facture;Date;Code client;Code article;Montant\nF1;01/01/2024;C1;P1;10\n")
    assert rejected(store, path) == [
        RowError(
            "f.csv",
            2,
            "Code client",
            "C1",
            "unknown customer: import the customer file first, or add a customer name column to create it",
        ),
        RowError(
            "f.csv", 2, "Code article", "P1", "unknown product: import the product file first, or add a label column"
        ),
    ]
    import_file(store, write(tmp_path, "c.csv", "Code client;Raison sociale\nC1;Un\n"), kind="customers")
    import_file(store, write(tmp_path, "p.csv", "Code article;Désignation\nP1;Produit un\n"), kind="products")
    import_file(store, path)
    assert sales(store) == [("F1", D(2024, 1, 1), "invoice", 1, "C1", "P1", None, 1000, None)]


@pytest.mark.parametrize(
    "body,expected",
    [
        (
            "F1;01/01/2024;C1;Un;10\nF1;01/01/2024;C2;Deux;10\n",
            (3, "N° facture", "F1", "customer, date or type differ from the same invoice at line 2"),
        ),
        (
            "F1;01/01/2024;C1;Un;10\nF1;02/01/2024;C1;Un;10\n",
            (3, "N° facture", "F1", "customer, date or type differ from the same invoice at line 2"),
        ),
        (
            "F1;01/01/2024;C1;Un;10\nF2;01/01/2024;C1;Un;10\nF1;01/01/2024;C1;Un;10\n",
            (4, "N° facture", "F1", "invoice already listed at line 2: duplicate invoice?"),
        ),
    ],
)
def test_duplicate_invoices(store: Store, tmp_path: Path, body: str, expected: tuple[int, str, str, str]) -> None:
    assert rejected(store, write(tmp_path, "d.csv", HEAD + body)) == [RowError("d.csv", *expected)]


def test_line_number_twice(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.csv",
        "Facture;Ligne;Date;Client;Nom;Montant\nF1;1;01/01/2024;C1;Un;1\n"
        "F2;1;01/01/2024;C1;Un;1\nF1;2;01/01/2024;C1;Un;1\nF1;1;01/01/2024;C1;Un;1\n",
    )
    assert rejected(store, path) == [RowError("d.csv", 5, "Ligne", "1", "line 1 of invoice F1 appears twice")]
    ok = write(
        tmp_path,
        "ok.csv",
        "Facture;Ligne;Date;Client;Nom;Montant\nF1;2;01/01/2024;C1;Un;2\n"
        "F2;1;01/01/2024;C1;Un;3\nF1;1;01/01/2024;C1;Un;1\n",
    )
    import_file(store, ok)  # with line numbers, an invoice's lines need not be consecutive
    assert [(s[0], s[3], s[7]) for s in sales(store)] == [("F1", 1, 100), ("F1", 2, 200), ("F2", 1, 300)]


def test_missing_required_column(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "N° facture;Date facture;Code client;Nom client\nF1;01/01/2024;C1;Un\n")
    assert rejected(store, path, kind="invoices") == [
        RowError(
            "f.csv",
            1,
            "amount",
            "",
            "missing required column (amount excl. tax, euros); "
            "looked for: amount, montant ht, total ht, montant, ca ht, ht",
        )
    ]


def test_unknown_kind_and_unguessable_file(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "Foo;Bar\n1;2\n")
    assert rejected(store, path, kind="ventes") == [
        RowError(
            "f.csv",
            0,
            "",
            "ventes",
            "unknown kind; use one of invoices, customers, products, prospects, activities, fec",
        )
    ]
    assert rejected(store, path) == [
        RowError(
            "f.csv",
            1,
            "",
            "",
            "cannot tell what this file holds: give --kind (invoices, customers, products, prospects, activities, fec)",
        )
    ]


# -- bad files -------------------------------------------------------------------------------


def file_error(store: Store, tmp_path: Path, data: bytes) -> RowError:
    errors = rejected(store, write(tmp_path, "x.csv", data))
    assert len(errors) == 1
    return errors[0]


def test_empty_file_and_header_only(store: Store, tmp_path: Path) -> None:
    assert file_error(store, tmp_path, b"") == RowError("x.csv", 0, "", "", "the file is empty")
    assert file_error(store, tmp_path, b" \r\n\n") == RowError("x.csv", 0, "", "", "the file is empty")
    assert file_error(store, tmp_path, HEAD.encode() + b";;;;\n") == RowError(
        "x.csv", 0, "", "", "no data rows under the header"
    )


def test_utf16_without_bom_and_binary_bytes(store: Store, tmp_path: Path) -> None:
    binary = RowError("x.csv", 0, "", "", "binary content: not a CSV or XLSX file")
    utf16 = (HEAD + "F1;01/01/2024;C1;Élise;1,50\n").encode("utf-16-le")  # no BOM: told by its NUL bytes
    import_file(store, write(tmp_path, "u.csv", utf16))
    assert [(s[0], s[4], s[7]) for s in sales(store)] == [("F1", "C1", 150)]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM customers")).scalar_one() == "Élise"
    assert file_error(store, tmp_path, bytes(range(256)) * 4) == binary


def test_invalid_utf8_after_the_first_64_kib(store: Store, tmp_path: Path) -> None:
    good = "".join(f"F{i};01/01/2024;C1;Élise;{i},50\n" for i in range(3000))
    assert len(good.encode()) > 64 * 1024
    data = (HEAD + good).encode() + "F9;01/01/2024;C1;Élise;1\n".encode("cp1252") + b"F10;01/01/2024;C1;X;1\n"
    error = file_error(store, tmp_path, data)  # a Windows-1252 line in a UTF-8 file: named, not mojibake
    assert (error.line, error.params) == (3002, {"line": 3002, "sample": "Élise"})
    assert error.reason.startswith("line 3002 is not UTF-8 like the rest of the file")
    other = (HEAD + good).encode() + b"F9;01/01/2024;C1;\x81\x8d;1\n"  # not Windows-1252 text either
    assert file_error(store, tmp_path, other) == RowError(
        "x.csv", 3002, "", "", "bytes not valid in utf-8 (invalid start byte): is the file in one encoding?"
    )


def test_field_longer_than_the_csv_limit(store: Store, tmp_path: Path) -> None:
    data = HEAD + "F1;01/01/2024;C1;Un;1\n" + "F2;01/01/2024;C1;" + "x" * 200_000 + ";1\nF3;01/01/2024;C1;Un;1\n"
    error = file_error(store, tmp_path, data.encode())
    assert (error.file, error.line, error.column) == ("x.csv", 3, "Nom client")  # the column named, not only the line
    assert error.reason == (
        "a field is longer than 131,072 characters (200,000 characters in this column, field 4 of the line)"
    )


def test_rows_with_too_many_or_too_few_fields(store: Store, tmp_path: Path) -> None:
    ok = "F1;01/01/2024;C1;Un;1\n"
    assert file_error(store, tmp_path, (HEAD + ok + "F2;01/01/2024;C1;Un;1;surplus\n").encode()) == RowError(
        "x.csv", 3, "", "", "6 fields where the header has 5 (delimiter ';')"
    )
    short = file_error(store, tmp_path, (HEAD + ok + ok + "F2;01/01/2024;C1\n").encode())
    assert short == RowError("x.csv", 4, "", "", "3 fields where the header has 5 (delimiter ';')")
    assert short.in_language("fr") == "x.csv:4 : 3 champs alors que l'en-tête en a 5 (séparateur ';')"
    import_file(store, write(tmp_path, "y.csv", HEAD + "F1;01/01/2024;C1;Un;1;;\n\nF2;01/01/2024;C1;Un;2\n"))
    assert [(s[0], s[7]) for s in sales(store)] == [("F1", 100), ("F2", 200)]


def test_due_and_paid_dates_stored(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path, "f.csv", FRENCH, "cp1252"))
    with store.engine.connect() as conn:
        assert conn.execute(
            select(Invoice.number, Invoice.issued_on, Invoice.due_on, Invoice.kind).order_by(Invoice.number)
        ).all() == [("FA-001", D(2024, 1, 15), D(2024, 2, 14), "invoice"), ("FA-002", D(2024, 2, 3), None, "invoice")]


def test_error_report_is_capped_but_counted(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", HEAD + "".join(f"F{i};01/01/2024;C1;Un;x{i}\n" for i in range(5)))
    with pytest.raises(ImportRejected) as info:
        import_file(store, path, settings=Settings(max_reported_errors=2))
    assert ([e.line for e in info.value.errors], info.value.total) == ([2, 3], 5)
    assert str(info.value) == (
        "nothing imported: f.csv:2: column 'Montant HT' value 'x0': "
        "not a number (decimal separator is ',') (and 4 more)"
    )


def test_batches_are_all_or_nothing_too(store: Store, tmp_path: Path) -> None:
    """Rows are written in batches of ``import_chunk_rows``; a bad row after the
    first batches still leaves the store untouched."""
    body = "".join(f"F{i // 3};01/01/2024;C{i // 3 % 7};Client {i // 3 % 7};{i},25\n" for i in range(300))
    settings = Settings(import_chunk_rows=100)
    bad = write(tmp_path, "bad.csv", HEAD + body + "F999;01/01/2024;C1;Client 1;oops\n")
    assert rejected(store, bad, settings=settings) == [
        RowError("bad.csv", 302, "Montant HT", "oops", "not a number (decimal separator is ',')")
    ]
    seen: list[tuple[int, int]] = []
    result = import_file(
        store,
        write(tmp_path, "good.csv", HEAD + body),
        settings=settings,
        progress=lambda done, size: seen.append((done, size)),
    )
    assert result.created == {"invoices": 100, "invoice_lines": 300, "payments": 0, "customers": 7, "products": 0}
    size = (tmp_path / "good.csv").stat().st_size
    assert seen[-1] == (size, size) and len(seen) >= 3
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), sum(amount_cents) FROM invoice_lines")).one() == (
            300,
            sum(i * 100 + 25 for i in range(300)),
        )


IMPORTED = ("customers", "invoices", "invoice_lines")


def test_an_import_leaves_the_planner_the_statistics_of_its_rows(store: Store, tmp_path: Path) -> None:
    """On PostgreSQL the tables written are analysed at once: the next commands' plans
    count the rows just imported (not the -1, "never analysed", of a new table), autovacuum
    or not.  A dry run, rolled back, leaves them; SQLite has no statistics to gather."""
    path = write(tmp_path, "factures.csv", FRENCH, "cp1252")
    if store.dialect != "postgresql":
        import_file(store, path)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
        return
    before = planner_statistics(store, IMPORTED)
    import_file(store, path, dry_run=True)
    assert planner_statistics(store, IMPORTED) == before
    import_file(store, path)
    after = planner_statistics(store, IMPORTED)
    for table, rows in {"customers": 2, "invoices": 2, "invoice_lines": 3}.items():
        assert after[table][0] == before[table][0] + 1, table
        assert after[table][1] == rows, table


@pytest.mark.postgres
def test_statistics_that_cannot_be_gathered_do_not_fail_the_import(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A table held by another session's VACUUM or ANALYZE (a lock that conflicts with
    ANALYZE, not with the import's inserts): the import is committed and says so; the
    statistics are given up after ``ANALYZE_LOCK_WAIT``, in the log."""
    store = Store(pg_url)
    vacuuming = create_engine(pg_url)
    try:
        with vacuuming.connect() as other:
            other.execute(text("LOCK TABLE invoice_lines IN SHARE UPDATE EXCLUSIVE MODE"))
            with caplog.at_level(logging.INFO, logger="clientfolio.store"):
                result = import_file(store, write(tmp_path, "factures.csv", FRENCH, "cp1252"))
            other.rollback()
        assert result.import_id is not None and counts(store)["invoice_lines"] == 3
        assert "statistics" in caplog.text and "lock timeout" in caplog.text
    finally:
        vacuuming.dispose()
        store.dispose()


def test_an_exports_total_rows_are_set_aside_not_imported(store: Store, tmp_path: Path) -> None:
    """Accounting exports end with a totals row, some with subtotals: a row with no customer and
    no date whose text says total ("Sous-total", "TOTAL GÉNÉRAL") is set aside with its amount, not
    reported as three empty cells; a row that says total but has a date is still an error."""
    path = write(
        tmp_path,
        "export.csv",
        "Code client;Raison sociale;N° facture;Date;Montant HT\n"
        "C001;Total Énergies;FA-1;15/01/2024;100,00\n"
        "C002;Garage Leroy;FA-2;16/01/2024;50,50\n"
        ";;Sous-total janvier;;150,50\n"
        "C001;Total Énergies;FA-3;03/02/2024;20,00\n"
        ";;;;\n"
        ";TOTAL GÉNÉRAL;;;170,50\n",
    )
    result = import_file(store, path)
    assert result.created["invoices"] == 3 and sum(s[7] for s in sales(store)) == 17_050
    assert [(a.reason, a.rows, a.amount_cents) for a in result.set_aside] == [
        ("total rows (no customer and no date; a cell says total)", 2, 32_100)
    ]
    dated = write(tmp_path, "dated.csv", "Code client;N° facture;Date;Montant HT\n;Total;31/01/2024;170,50\n")
    assert [(e.line, e.column, e.reason) for e in rejected(store, dated)] == [(2, "Code client", "empty customer code")]
    # "TOTAL" in the customer's column is a totals row too; a customer whose name begins with it is not
    first_column = write(
        tmp_path,
        "first.csv",
        "Client;N° facture;Date;Montant HT\nTotal Énergies;FA-9;04/02/2024;10,00\nTOTAL :;;;10,00\n",
    )
    assert import_file(store, first_column).set_aside[0].rows == 1
    named = write(tmp_path, "named.csv", "Client;N° facture;Date;Montant HT\nTotal Énergies;;;10,00\n")
    assert {e.column for e in rejected(store, named)} == {"N° facture", "Date"}


QUICKBOOKS_BY_CUSTOMER = """Sales by Customer Detail
Boulangerie Demo SARL
"January 1 - December 31, 2024"

,Date,Transaction Type,Num,Product/Service,Memo/Description,Qty,Sales Price,Amount,Balance
Boulangerie Martin,,,,,,,,,
,01/15/2024,Invoice,1001,Coffee beans,Café en grains,10,18.50,185.00,185.00
,01/20/2024,Invoice,1003,Filters,Filtres papier,5,4.00,20.00,205.00
Total for Boulangerie Martin,,,,,,,,$205.00,
Hotel du Parc,,,,,,,,,
,01/20/2024,Invoice,1002,Coffee beans,,30,18.50,555.00,555.00
,02/02/2024,Credit Memo,CM-7,Coffee beans,Returned,-2,18.50,-37.00,518.00
Total for Hotel du Parc,,,,,,,,$518.00,
TOTAL,,,,,,,,$723.00,



"Accrual Basis Monday, March 4, 2024 10:12 AM GMT-08:00"
"""
"""QuickBooks Online's "Sales by Customer Detail" report exported as CSV, written by hand to its layout:
the customer on a row of its own above its lines, a total row below them, a title above the header and
a footer without a delimiter; US dates; "Balance" is the group's running total."""


def test_a_report_grouped_by_customer_is_read_with_each_line_its_customer(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "sales-by-customer.csv", QUICKBOOKS_BY_CUSTOMER)
    # US dates are not guessed: the first one that does not exist as day/month/year says how to read them
    errors = rejected(store, path)
    assert (errors[0].line, errors[0].column, errors[0].value) == (7, "Date", "01/15/2024")
    assert (
        errors[0]
        .in_language("fr")
        .endswith(
            ": cette date n'existe pas en jour/mois/année ; en mois/jour/année, c'est le 15 janvier 2024 : si le "
            'fichier écrit ses dates ainsi, indiquez date_order = "mdy" (fichier de correspondance, ou '
            "CLIENTFOLIO_DATE_ORDER)"
        )
    )
    result = import_file(store, path, settings=Settings(date_order="mdy"))
    assert result.kind == "invoices"  # guessed, though no header names the customer
    assert result.columns["customer_name"] == "Client" and "balance" not in result.columns
    assert [(s[0], s[1], s[2], s[4], s[5], s[7]) for s in sales(store)] == [
        ("1001", dt.date(2024, 1, 15), "invoice", "BOULANGERIE-MARTIN", "Coffee beans", 18_500),
        ("1002", dt.date(2024, 1, 20), "invoice", "HOTEL-DU-PARC", "Coffee beans", 55_500),
        ("1003", dt.date(2024, 1, 20), "invoice", "BOULANGERIE-MARTIN", "Filters", 2_000),
        ("CM-7", dt.date(2024, 2, 2), "credit_note", "HOTEL-DU-PARC", "Coffee beans", -3_700),
    ]
    assert [(a.reason, a.rows) for a in result.set_aside] == [
        ("total rows (no customer and no date; a cell says total)", 3)
    ]
    # the running balance is not taken for what is still owed: no invoice-level amounts, no payments
    assert result.created.get("payments", 0) == 0 and counts(store)["payments"] == 0
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invoices WHERE gross_cents IS NOT NULL")).scalar_one() == 0


def test_a_line_before_any_customer_of_a_grouped_report_is_refused(store: Store, tmp_path: Path) -> None:
    data = ",Date,Num,Amount\n,15/01/2024,1001,185.00\nBoulangerie Martin,,,\n,20/01/2024,1003,20.00\n"
    errors = rejected(store, write(tmp_path, "grouped.csv", data))
    assert [(e.line, e.column, e.reason) for e in errors] == [(2, "Client", "empty customer code")]
    assert counts(store) == EMPTY


ODOO_INVOICES = (
    "Numéro,Partenaire,Date de facturation,Date d'échéance,Hors taxes,Taxes,Total,Montant dû,Statut\n"
    'FAC/2024/00001,Boulangerie Martin,15/01/2024,14/02/2024,"1 850,00 €","370,00 €","2 220,00 €","0,00 €",Payé\n'
    'FAC/2024/00002,Hôtel du Parc,20/01/2024,19/02/2024,"555,00 €","111,00 €","666,00 €","666,00 €",Non payées\n'
    'RFAC/2024/00001,Hôtel du Parc,02/02/2024,02/02/2024,"-37,00 €","-7,40 €","-44,40 €","0,00 €",Payé\n'
)
"""Odoo's invoice list exported in French (account.move), written by hand to its layout: the still-due
amount without a payment date."""


def test_odoos_invoice_list_says_how_to_leave_its_amount_due_out(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "factures_odoo.csv", ODOO_INVOICES)
    errors = rejected(store, path)
    # the still-due amount (not the paid one it implies), and what to do without payment dates
    assert [(e.line, e.column, e.value) for e in errors] == [
        (2, "Montant dû", "0.00"),
        (3, "Montant dû", "666.00"),  # tax included, against the untaxed total: refused all the same
        (4, "Montant dû", "0.00"),
    ]
    assert errors[0].reason.endswith("without one, leave the paid and still-due columns out (a mapping file)")
    mapping = write(tmp_path, "odoo.toml", '[columns]\nbalance = ""\n')
    result = import_file(store, path, mapping=load_mapping(mapping))
    assert result.kind == "invoices" and "balance" not in result.columns
    assert [(s[0], s[2], s[4], s[7]) for s in sales(store)] == [
        ("FAC/2024/00001", "invoice", "BOULANGERIE-MARTIN", 185_000),
        ("FAC/2024/00002", "invoice", "HOTEL-DU-PARC", 55_500),
        ("RFAC/2024/00001", "credit_note", "HOTEL-DU-PARC", -3_700),
    ]
