"""FEC files as real French accounting software writes them, written by hand in
``tests/data/fec/`` (one per variant) and checked against numbers computed by
hand: customers in auxiliary or in general accounts, both amount layouts
(Debit/Credit, Montant/Sens), two fiscal years whose piece numbers restart,
an invoice of one year settled in the next through the opening entry ("à
nouveaux"), instalments, cash sales, discounts, future and bad dates.

Amounts in cents.  "Open" is what a customer still owes, excl. tax: its
invoices (credit notes aside, as ``value.solvency`` does) minus their payments,
an invoice with a payment of no amount being settled in full.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from clientfolio.ingest import ImportRejected, ImportResult, RowError, import_file
from clientfolio.store import Store

D = dt.date
DATA = Path(__file__).parent / "data" / "fec"
TODAY = D(2025, 6, 30)
FUTURE = "date in the future (after 2025-06-30): check the file, or import it with --allow-future"


def load(store: Store, name: str | Path, **options: Any) -> ImportResult:
    return import_file(store, DATA / name, today=TODAY, **options)


def rows(store: Store, query: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(query))]


def invoices(store: Store) -> list[tuple[Any, ...]]:
    """(number, customer code, kind, issued on, gross, lines total) by number."""
    return [
        (n, c, k, D.fromisoformat(str(i)[:10]), g, int(t))
        for n, c, k, i, g, t in rows(
            store,
            """
        SELECT i.number, c.code, i.kind, i.issued_on, i.gross_cents,
               (SELECT SUM(l.amount_cents) FROM invoice_lines l WHERE l.invoice_id = i.id)
        FROM invoices i JOIN customers c ON c.id = i.customer_id ORDER BY i.number""",
        )
    ]


def payments(store: Store) -> list[tuple[str, dt.date, int | None]]:
    return [
        (n, D.fromisoformat(str(p)[:10]), a)
        for n, p, a in rows(
            store,
            """
        SELECT i.number, p.paid_on, p.amount_cents FROM payments p JOIN invoices i ON i.id = p.invoice_id
        ORDER BY i.number, p.paid_on""",
        )
    ]


def open_by_customer(store: Store) -> dict[str, int]:
    """Outstanding per customer code, excl. tax (credit notes are not receivables)."""
    found: dict[str, int] = {code: 0 for (code,) in rows(store, "SELECT code FROM customers")}
    for code, amount, whole, paid in rows(
        store,
        """
        SELECT c.code, (SELECT SUM(l.amount_cents) FROM invoice_lines l WHERE l.invoice_id = i.id),
               (SELECT COUNT(*) FROM payments p WHERE p.invoice_id = i.id AND p.amount_cents IS NULL),
               (SELECT COALESCE(SUM(p.amount_cents), 0) FROM payments p WHERE p.invoice_id = i.id)
        FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'invoice'""",
    ):
        found[code] += 0 if whole else int(amount) - int(paid)
    return found


def aside(result: ImportResult) -> dict[str, tuple[int, int]]:
    return {item.reason: (item.rows, item.amount_cents) for item in result.set_aside}


def count(store: Store, table: str) -> int:
    return int(rows(store, f"SELECT COUNT(*) FROM {table}")[0][0])


# 1. auxiliary accounts, tab, Debit/Credit ------------------------------------------------------


def test_aux_accounts_two_journals_credit_note_discount_cash_sale(store: Store) -> None:
    result = load(store, "fec_aux_tab.txt")
    assert result.rows_read == 25
    # F0001 (VT), F0002 (VT), F0003 (VE journal) and the credit note A0001; customers C001, C002;
    # lines: one each, F0002 two (707 + its 709 discount); products 706000 and 707000, not 709000
    assert result.created == {
        "invoices": 4,
        "credit_notes": 1,
        "invoice_lines": 5,
        "payments": 2,
        "customers": 2,
        "products": 2,
    }
    assert aside(result) == {
        "cash sales (no customer account)": (1, 30_000),  # CA000001: 707 300,00 against the till (530)
        "payments not lettered to an invoice": (1, 15_000),  # BQ000003: cheque of 150,00, unlettered
    }
    # PieceRef "F0001" holds no year: the fiscal year (latest EcritureDate, 2024) is put before it
    assert invoices(store) == [
        ("2024-A0001", "C002", "credit_note", D(2024, 3, 15), -24_000, -20_000),  # 707 debited 200, TTC 240
        ("2024-F0001", "C001", "invoice", D(2024, 1, 10), 120_000, 100_000),  # 706 1000 + VAT 200
        ("2024-F0002", "C002", "invoice", D(2024, 2, 5), 228_000, 190_000),  # 707 2000 - 709 100, + VAT 380
        ("2024-F0003", "C001", "invoice", D(2024, 3, 1), 60_000, 50_000),  # VE journal: 707 500 + VAT 100
    ]
    assert rows(store, "SELECT code, name FROM customers ORDER BY code") == [
        ("C001", "Boulangerie Martin"),
        ("C002", "Garage Dupuis SARL"),
    ]
    # lettering AA (F0001 with BQ000001) and AB (F0003 with BQ000002) balance: settled in full on the
    # bank entry's date (not DateLet, 15/02 for AA)
    assert payments(store) == [("2024-F0001", D(2024, 2, 12), None), ("2024-F0003", D(2024, 3, 20), None)]
    # C001: 1000 + 500 both settled; C002: F0002 1900 open (the credit note is not netted)
    assert open_by_customer(store) == {"C001": 0, "C002": 190_000}
    # the discount is a line without product, described by its account's label, out of the product lines
    assert rows(store, "SELECT l.description, l.amount_cents FROM invoice_lines l WHERE l.product_id IS NULL") == [
        ("Remises accordées", -10_000)
    ]
    assert rows(store, "SELECT code FROM product_lines ORDER BY code") == [("706",), ("707",)]


def test_discounts_as_products_on_request(store: Store) -> None:
    result = load(store, "fec_aux_tab.txt", discounts_as_products=True)
    assert result.created["products"] == 3  # 706000, 707000 and 709000
    assert count(store, "invoice_lines") == 5
    assert rows(store, "SELECT COUNT(*) FROM invoice_lines WHERE product_id IS NULL") == [(0,)]
    assert rows(store, "SELECT code, name FROM product_lines ORDER BY code") == [
        ("706", "Prestations de services"),
        ("707", "Ventes de marchandises"),
        ("709", "Rabais, remises et ristournes accordés"),
    ]
    assert open_by_customer(store) == {"C001": 0, "C002": 190_000}  # the same amounts


# 2. customers in general sub-accounts, pipe --------------------------------------------------


def test_customers_in_general_sub_accounts_pipe(store: Store) -> None:
    result = load(store, "fec_general_pipe.txt")
    # 4110001 and 4110002 without CompAuxNum, and "411000 Clients divers" shared by passing customers
    assert result.created == {
        "invoices": 4,
        "credit_notes": 0,
        "invoice_lines": 4,
        "payments": 2,
        "customers": 3,
        "products": 2,
    }
    assert result.set_aside == []
    assert rows(store, "SELECT code, name FROM customers ORDER BY code") == [
        ("411000", "Clients divers"),
        ("4110001", "Boulangerie Martin"),
        ("4110002", "Hôtel du Lac"),
    ]
    # PieceRef "FA2024-101" holds the fiscal year: kept as it is
    assert invoices(store) == [
        ("FA2024-101", "4110001", "invoice", D(2024, 5, 2), 60_000, 50_000),
        ("FA2024-102", "4110002", "invoice", D(2024, 5, 10), 180_000, 150_000),
        ("FA2024-103", "411000", "invoice", D(2024, 5, 20), 24_000, 20_000),
        ("FA2024-104", "4110002", "invoice", D(2024, 5, 25), 12_000, 10_000),  # gross: the debit side only
    ]
    assert payments(store) == [
        ("FA2024-101", D(2024, 5, 30), None),  # lettered A with entry 3
        ("FA2024-104", D(2024, 5, 25), None),  # paid at once: the entry credits 4110002 against the bank
    ]
    assert open_by_customer(store) == {"411000": 20_000, "4110001": 0, "4110002": 150_000}


# 3. Montant/Sens layout ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "fec_montant_sens.txt",  # Sens D/C, headers as the law spells them
        "fec_montant_sens_signe.txt",
    ],
)  # Sens +1/-1/1, headers in lower case, pipe
def test_montant_sens_layout(store: Store, name: str) -> None:
    result = load(store, name)
    assert result.created == {
        "invoices": 2,
        "credit_notes": 1,
        "invoice_lines": 2,
        "payments": 1,
        "customers": 1,
        "products": 1,
    }
    assert invoices(store) == [
        ("2024-A0201", "C010", "credit_note", D(2024, 6, 20), -12_000, -10_000),
        ("2024-F0201", "C010", "invoice", D(2024, 6, 3), 72_000, 60_000),
    ]
    assert payments(store) == [("2024-F0201", D(2024, 6, 28), None)]
    assert open_by_customer(store) == {"C010": 0}


def test_missing_amount_columns_of_both_layouts(store: Store, tmp_path: Path) -> None:
    lines = (DATA / "fec_montant_sens.txt").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([lines[0].replace("\tSens\t", "\tSensX\t"), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_file(store, path, kind="fec", today=TODAY)
    assert info.value.errors == [RowError("fec.txt", 1, "Sens", "", "missing FEC column")]
    path.write_text("\n".join([lines[0].replace("\tMontant\tSens\t", "\tX\tY\t"), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_file(store, path, kind="fec", today=TODAY)
    assert info.value.errors == [
        RowError("fec.txt", 1, "Debit", "", "missing FEC column"),
        RowError("fec.txt", 1, "Credit", "", "missing FEC column"),
    ]


# 4. two fiscal years: numbering restarting, an invoice settled through the opening entry ----------


def test_two_years_settled_through_the_opening_entry(store: Store) -> None:
    first = load(store, "fec_2024.txt")
    assert first.created["invoices"] == 2 and first.created["payments"] == 1  # F0001 paid 02/04, F0012 open
    assert open_by_customer(store) == {"C100": 0, "C200": 100_000}  # F0012: 1200 TTC, 1000 excl. tax
    second = load(store, "fec_2025.txt")
    # 2025's own F0001 (another customer) is a new invoice; the AN line of 1200,00 (PieceRef F0012,
    # lettered AA with BQ000001 of 20/01/2025) settles 2024's F0012
    assert second.created == {
        "invoices": 1,
        "credit_notes": 0,
        "invoice_lines": 1,
        "payments": 1,
        "customers": 1,
        "products": 0,
    }
    assert second.set_aside == []
    assert invoices(store) == [
        ("2024-F0001", "C100", "invoice", D(2024, 3, 4), 48_000, 40_000),
        ("2024-F0012", "C200", "invoice", D(2024, 11, 28), 120_000, 100_000),
        ("2025-F0001", "C300", "invoice", D(2025, 2, 3), 36_000, 30_000),
    ]
    assert payments(store) == [("2024-F0001", D(2024, 4, 2), None), ("2024-F0012", D(2025, 1, 20), None)]
    assert open_by_customer(store) == {"C100": 0, "C200": 0, "C300": 30_000}


def test_opening_line_without_the_invoice_piece_matched_by_amount(store: Store, tmp_path: Path) -> None:
    """Software that writes the opening entry's own piece on every line: the carried amount
    (1200,00) is that of exactly one open invoice of the customer, F0012."""
    lines = (DATA / "fec_2025.txt").read_text(encoding="utf-8").splitlines()
    assert "\tF0012\t20241128\tA nouveau F0012\t" in lines[2]
    lines[2] = lines[2].replace("\tF0012\t20241128\tA nouveau F0012\t", "\tAN2025\t20250101\tA nouveau\t")
    path = tmp_path / "fec_2025_an.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load(store, "fec_2024.txt")
    result = import_file(store, path, today=TODAY)
    assert result.created["payments"] == 1 and result.set_aside == []
    assert ("2024-F0012", D(2025, 1, 20), None) in payments(store)
    assert open_by_customer(store)["C200"] == 0


def test_years_imported_twice_or_extended_change_nothing(store: Store, tmp_path: Path) -> None:
    load(store, "fec_2024.txt")
    load(store, "fec_2025.txt")
    before = (invoices(store), payments(store), count(store, "invoice_lines"), count(store, "customers"))
    for name in ("fec_2024.txt", "fec_2025.txt"):
        assert load(store, name).already_imported  # the same file: recognised by its SHA-256
    # a later export of 2025 holding one more sale: the rest is found again, unchanged
    extended = tmp_path / "fec_2025_bis.txt"
    extended.write_text(
        (DATA / "fec_2025.txt").read_text(encoding="utf-8")
        + "".join(
            "\t".join(row) + "\n"
            for row in [
                [
                    "VT",
                    "Ventes",
                    "VT000002",
                    "20250310",
                    "411000",
                    "Clients",
                    "C300",
                    "Pressing Lavande",
                    "F0002",
                    "20250310",
                    "Facture F0002",
                    "240,00",
                    "0,00",
                    "",
                    "",
                    "20250310",
                    "",
                    "",
                ],
                [
                    "VT",
                    "Ventes",
                    "VT000002",
                    "20250310",
                    "706000",
                    "Prestations de services",
                    "",
                    "",
                    "F0002",
                    "20250310",
                    "Facture F0002",
                    "0,00",
                    "200,00",
                    "",
                    "",
                    "20250310",
                    "",
                    "",
                ],
                [
                    "VT",
                    "Ventes",
                    "VT000002",
                    "20250310",
                    "445710",
                    "TVA collectée",
                    "",
                    "",
                    "F0002",
                    "20250310",
                    "Facture F0002",
                    "0,00",
                    "40,00",
                    "",
                    "",
                    "20250310",
                    "",
                    "",
                ],
            ]
        ),
        encoding="utf-8",
    )
    result = import_file(store, extended, today=TODAY)
    assert result.created == {
        "invoices": 1,
        "credit_notes": 0,
        "invoice_lines": 1,
        "payments": 0,
        "customers": 0,
        "products": 0,
    }
    assert result.unchanged == {"invoice_lines": 1, "payments": 1}  # 2025-F0001, and F0012's payment of 20/01
    assert (count(store, "invoices"), count(store, "payments")) == (4, 2)
    assert payments(store) == before[1]
    assert open_by_customer(store) == {"C100": 0, "C200": 0, "C300": 30_000 + 20_000}


def test_years_in_reverse_order_leave_the_old_invoice_open(store: Store) -> None:
    """2025 before 2024: nothing is corrupted, but the settlement of F0012 is lost.  2025's opening
    line finds no invoice to carry forward: it is set aside (with its amount, in the report); 2024
    then brings F0012 unpaid, and importing 2025 again changes nothing (the same file).  Import the
    years in order."""
    later = load(store, "fec_2025.txt")
    assert later.created["invoices"] == 1 and later.created["payments"] == 0
    assert aside(later) == {"receivables carried forward that match no invoice in the store": (1, 120_000)}
    load(store, "fec_2024.txt")
    assert [n for n, *_ in invoices(store)] == ["2024-F0001", "2024-F0012", "2025-F0001"]
    assert load(store, "fec_2025.txt").already_imported
    assert payments(store) == [("2024-F0001", D(2024, 4, 2), None)]
    assert open_by_customer(store) == {"C100": 0, "C200": 100_000, "C300": 30_000}


# 5. instalments ----------------------------------------------------------------------------------


def test_instalments_are_partial_payments(store: Store) -> None:
    result = load(store, "fec_instalments.txt")
    assert result.created["invoices"] == 4 and result.set_aside == []
    assert payments(store) == [
        # F0050: 2400 TTC (2000 excl. tax) lettered AA with one instalment of 1200: AA does not balance,
        # so 1200 TTC paid = 1200 x 2000 / 2400 = 1000 excl. tax
        ("2024-F0050", D(2024, 10, 2), 100_000),
        # F0051: 1200 TTC (1000), lower-case lettering "ab" with a cheque of 600: 600 x 1000 / 1200 = 500
        ("2024-F0051", D(2024, 11, 5), 50_000),
        # F0052: 600 TTC (500), unlettered transfer of 300 whose PieceRef is F0052: 300 x 500 / 600 = 250
        ("2024-F0052", D(2024, 11, 15), 25_000),
        # F0053: 2400 TTC (2000) in two due-date lines of 1200; the first is lettered AA with a transfer
        # of 1200 (that group balances, but holds half the invoice): 1200 x 2000 / 2400 = 1000
        ("2024-F0053", D(2024, 11, 20), 100_000),
    ]
    # C400: (2000 - 1000) + (1000 - 500); C500: (500 - 250) + (2000 - 1000)
    assert open_by_customer(store) == {"C400": 150_000, "C500": 125_000}


# 6. a future date --------------------------------------------------------------------------------


def test_future_date_rejected_unless_allowed(store: Store) -> None:
    with pytest.raises(ImportRejected) as info:
        load(store, "fec_future_date.txt")
    # BQ000001 typed 2031 for 2024, on both its lines
    assert [(e.line, e.column, e.value, e.reason) for e in info.value.errors] == [
        (5, "EcritureDate", "20310210", FUTURE),
        (6, "EcritureDate", "20310210", FUTURE),
    ]
    assert count(store, "imports") == count(store, "invoices") == 0
    result = load(store, "fec_future_date.txt", allow_future=True)
    assert result.created["invoices"] == 1
    # as the file says; the latest EcritureDate (2031) also makes the fiscal year of the numbering
    assert payments(store) == [("2031-F0001", D(2031, 2, 10), None)]


# 7. no sale to a customer ------------------------------------------------------------------------


def test_cash_sales_only_rejected_and_not_recorded(store: Store) -> None:
    reason = "no sale to a customer account (411…) in this FEC: 3 entries read, 2 cash sales set aside"
    for _attempt in range(2):  # rejected again, not "already imported"
        with pytest.raises(ImportRejected) as info:
            load(store, "fec_cash_only.txt")
        assert info.value.errors == [RowError("fec_cash_only.txt", 0, "", "", reason)]
        assert count(store, "imports") == count(store, "invoices") == count(store, "customers") == 0


# 8. a bad date -----------------------------------------------------------------------------------


def test_bad_date_is_the_only_error(store: Store) -> None:
    with pytest.raises(ImportRejected) as info:
        load(store, "fec_bad_date.txt")
    # 31 February on VT000001's revenue line; the entry, short of that line, is not said to be unbalanced
    assert info.value.errors == [RowError("fec_bad_date.txt", 3, "EcritureDate", "20240231", "no such date")]
    assert count(store, "imports") == 0
