"""Texts longer than the store's columns are refused at import, with a clear
message (on PostgreSQL they used to end in an unhandled DataError)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from clientfolio.i18n import localized
from clientfolio.ingest import RowError, import_file
from clientfolio.store import Store
from clientfolio.store.schema import column_length
from tests.test_import_csv import EMPTY, counts, rejected, write

LONG_CODE = "C" + "0123456789" * 9 + "012345678"  # 100 characters
SHOWN = LONG_CODE[:59] + "\u2026"


def test_the_limits_come_from_the_schema() -> None:
    assert column_length("customers", "code") == 64
    assert column_length("invoices", "number") == 64
    assert column_length("customers", "address") is None  # Text (encrypted)


def test_a_customer_code_of_100_characters_is_refused(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "clients.csv", f"Code client;Raison sociale;Ville\nC1;Un;Lyon\n{LONG_CODE};Deux;{'x' * 201}\n"
    )
    errors = rejected(store, path, kind="customers")
    reason = "longer than the 64 characters the store keeps (100 characters)"
    assert errors == [
        RowError(
            "clients.csv",
            3,
            "Ville",
            "x" * 59 + "\u2026",
            "longer than the 200 characters the store keeps (201 characters)",
            "longer than the {limit} characters the store keeps ({length} characters)",
            {"limit": 200, "length": 201},
        ),
        RowError(
            "clients.csv",
            3,
            "Code client",
            SHOWN,
            reason,
            "longer than the {limit} characters the store keeps ({length} characters)",
            {"limit": 64, "length": 100},
        ),
    ]
    assert str(errors[1]) == f"clients.csv:3: column 'Code client' value {SHOWN!r}: {reason}"
    assert localized("fr", errors[1].reason, errors[1].template, errors[1].params) == (
        "plus long que les 64 caractères que la base conserve (100 caractères)"
    )
    assert counts(store) == EMPTY


def test_long_invoice_numbers_customers_and_products_are_refused(store: Store, tmp_path: Path) -> None:
    head = "N° facture;Date facture;Code client;Raison sociale;Code article;Désignation;Montant HT\n"
    path = write(
        tmp_path,
        "ventes.csv",
        head
        + "FA-1;15/01/2024;C1;Un;P1;Article;10,00\n"
        + f"{'F' * 65};15/01/2024;C1;Un;P1;Article;10,00\n"  # an invoice number of 65
        + f"FA-2;15/01/2024;{LONG_CODE};Deux;P1;Article;10,00\n"
        + f"FA-3;15/01/2024;C3;{'N' * 301};P1;Article;10,00\n"
        + f"FA-4;15/01/2024;C1;Un;P2;{'D' * 301};10,00\n",
    )
    errors = rejected(store, path, kind="invoices")
    assert [(e.line, e.column, e.params["limit"]) for e in errors] == [
        (3, "N° facture", 64),
        (4, "Code client", 64),
        (5, "Raison sociale", 300),
        (6, "Désignation", 300),
    ]
    assert counts(store) == EMPTY


def test_a_file_mixing_utf8_and_cp1252_is_refused_naming_the_first_bad_line(store: Store, tmp_path: Path) -> None:
    head = b"Code client;Raison sociale;Ville\n"
    utf8 = "C1;Boulangerie Émile;Orléans\n".encode()
    cp1252 = "C2;Café de la Gare;Besançon\n".encode("cp1252")
    for body in (utf8 + cp1252, cp1252 + utf8, utf8 * 3000 + cp1252):  # cp1252 read first, or past the sample
        path = write(tmp_path, "mixte.csv", head + body)
        line = 2 if body.startswith(cp1252) else body.count(b"\n") + 1
        [error] = rejected(store, path, kind="customers")
        assert (error.file, error.line, error.params) == ("mixte.csv", line, {"line": line, "sample": "Café"})
        assert error.reason.startswith(f"line {line} is not UTF-8 like the rest of the file")
        assert "save it again as UTF-8" in error.reason
        assert "enregistrez-le de nouveau en UTF-8" in localized("fr", error.reason, error.template, error.params)
    plain = write(tmp_path, "windows.csv", head + cp1252 + cp1252.replace(b"C2", b"C3"))
    assert import_file(store, plain, kind="customers").created["customers"] == 2  # Windows-1252 throughout: read
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM customers WHERE code = 'C2'")).scalar_one() == "Café de la Gare"


def test_long_fec_fields_are_refused(store: Store, tmp_path: Path) -> None:
    from clientfolio.ingest import ImportRejected
    from tests.test_import_fec import LINES, entry, fec

    long_piece = [
        entry(
            "VT", "VT9", "20240401", "41100000", "Clients", LONG_CODE, "Long SARL", "P" * 65, "20240401", "12,00", ""
        ),
        entry("VT", "VT9", "20240401", "70600000", "Prestations", "", "", "P" * 65, "20240401", "", "12,00"),
    ]
    try:
        import_file(store, fec(tmp_path, [*LINES, *long_piece]))
    except ImportRejected as exc:
        found = [(e.line, e.column, e.params.get("limit")) for e in exc.errors]
    else:
        raise AssertionError("a FEC with a 100-character customer code was imported")
    assert found == [(17, "CompAuxNum", 64), (17, "PieceRef", 64), (18, "PieceRef", 64)]
    assert counts(store) == EMPTY
