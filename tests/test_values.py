"""The cell parsers and header matching, as French and other tools write them."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.ingest import ImportRejected, Mapping
from clientfolio.ingest.columns import match_columns, normalize
from clientfolio.ingest.invoices import parse_kind
from clientfolio.ingest.values import (
    DateParser,
    parse_amount_cents,
    parse_bool,
    parse_int,
    parse_quantity,
    parse_siren,
    parse_siret,
)


@pytest.mark.parametrize(
    "raw,decimal,cents",
    [
        ("1 234,56", ",", 123456),
        ("1\u00a0234,56", ",", 123456),
        ("1\u202f234,56 €", ",", 123456),
        ("1.234,56", ",", 123456),
        ("1234.56", ",", 123456),  # a decimal point in a decimal-comma file: unambiguous
        ("12,5", ",", 1250),
        ("-12,50", ",", -1250),
        ("12,50-", ",", -1250),
        ("(12,00)", ",", -1200),
        ("\u22127,10", ",", -710),
        ("100 EUR", ",", 10000),
        ("0", ",", 0),
        ("1,234.56", ".", 123456),
        ("1234,5", ".", 123450),  # a decimal comma in a decimal-point file
        ("19.99", ".", 1999),
        (19.99, ",", 1999),
        (1234, ",", 123400),
        ("1'234.50", ".", 123450),
        ("1.234", ",", 123400),  # three digits after the other separator: thousands
        ("1,234", ".", 123400),
    ],
)
def test_amounts(raw: object, decimal: str, cents: int) -> None:
    assert parse_amount_cents(raw, decimal) == cents


@pytest.mark.parametrize(
    "raw,decimal,reason",
    [
        ("12,3,4", ",", "not a number (decimal separator is ',')"),
        ("abc", ",", "not a number (decimal separator is ',')"),
        ("", ",", "not a number (decimal separator is ',')"),
        ("1e5", ".", "not a number (decimal separator is '.')"),
        ("10000000000000", ",", "amount too large"),
    ],
)
def test_bad_amounts(raw: str, decimal: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_amount_cents(raw, decimal)
    assert str(info.value) == reason


def test_quantities_and_whole_numbers() -> None:
    assert parse_quantity("1,5") == 1.5
    assert parse_quantity("-3") == -3.0
    assert parse_quantity("2.25", ".") == 2.25
    assert [parse_int(v) for v in ("7", " +8 ", "-2", 3, 4.0)] == [7, 8, -2, 3, 4]
    for bad in ("1,5", "x", 2.5, ""):
        with pytest.raises(ValueError, match="^not a whole number$"):
            parse_int(bad)


@pytest.mark.parametrize(
    "raw,value",
    [
        ("oui", True),
        ("O", True),
        ("x", True),
        ("Vrai", True),
        ("1", True),
        ("non", False),
        ("N", False),
        ("faux", False),
        ("0", False),
        (True, True),
    ],
)
def test_booleans(raw: object, value: bool) -> None:
    assert parse_bool(raw) is value


def test_bad_boolean() -> None:
    with pytest.raises(ValueError, match=r"^expected oui/non \(yes/no\)$"):
        parse_bool("peut-être")


@pytest.mark.parametrize(
    "raw,value", [("732 829 320", "732829320"), ("552100554", "552100554"), ("443\u00a0061\u00a0841", "443061841")]
)
def test_siren(raw: str, value: str) -> None:
    assert parse_siren(raw) == value


@pytest.mark.parametrize(
    "raw,reason",
    [
        ("123456789", "invalid SIREN (check digit)"),
        ("732829321", "invalid SIREN (check digit)"),
        ("73282932", "a SIREN has 9 digits"),
        ("7328293200", "a SIREN has 9 digits"),
        ("73282932A", "a SIREN has 9 digits"),
    ],
)
def test_bad_siren(raw: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_siren(raw)
    assert str(info.value) == reason


def test_siret() -> None:
    assert parse_siret("732 829 320 00017") == "73282932000017"
    assert parse_siret("35600000000048") == "35600000000048"  # La Poste: another key, accepted
    with pytest.raises(ValueError, match=r"^invalid SIRET \(check digit\)$"):
        parse_siret("73282932000018")
    with pytest.raises(ValueError, match="^a SIRET has 14 digits$"):
        parse_siret("732829320")


@pytest.mark.parametrize(
    "raw,order,iso",
    [
        ("15/01/2024", "dmy", "2024-01-15"),
        ("5/1/2024", "dmy", "2024-01-05"),
        ("15.01.2024", "dmy", "2024-01-15"),
        ("15-01-24", "dmy", "2024-01-15"),
        ("03/04/99", "dmy", "1999-04-03"),
        ("03/04/2024", "mdy", "2024-03-04"),
        ("2024/04/03", "mdy", "2024-04-03"),  # a four-digit year first is always year, month, day
        ("2024.04.03", "dmy", "2024-04-03"),
        ("24/04/03", "ymd", "2024-04-03"),
        ("24/04/03", "dmy", "2003-04-24"),
        ("2024-02-29", "dmy", "2024-02-29"),
        ("2024-02-29T10:30:00", "dmy", "2024-02-29"),
        ("15/01/2024 08:00", "dmy", "2024-01-15"),
        ("20241231", "dmy", "2024-12-31"),
        (dt.datetime(2024, 3, 5, 14, 0), "dmy", "2024-03-05"),
        (dt.date(2024, 3, 5), "mdy", "2024-03-05"),
        # a month's name, as French exports and a French Excel write them, and English ones
        ("15 janvier 2024", "dmy", "2024-01-15"),
        ("lundi 1er avril 2024", "dmy", "2024-04-01"),
        ("15-janv.-24", "dmy", "2024-01-15"),
        ("15 FÉVR. 2024", "dmy", "2024-02-15"),
        ("15 août 2024", "mdy", "2024-08-15"),  # the name tells the month whatever the order
        ("15 Dec 2024", "dmy", "2024-12-15"),
        ("January 15, 2024", "dmy", "2024-01-15"),
        ("45306", "dmy", "2024-01-15"),  # a spreadsheet's date cell saved as its serial number
    ],
)
def test_dates(raw: object, order: str, iso: str) -> None:
    assert DateParser(order)(raw) == iso


@pytest.mark.parametrize(
    "raw,reason",
    [
        ("32/01/2024", "no such date"),
        ("29/02/2023", "no such date"),
        (  # a US date: said how it reads the other way, and how to read it so
            "01/13/2024",
            "no such date as day/month/year; as month/day/year it is 2024-01-13: if the file writes its dates so, "
            'set date_order = "mdy" (mapping file, or CLIENTFOLIO_DATE_ORDER)',
        ),
        ("2024-13-01", "no such date"),
        ("20241301", "no such date"),
        ("01/01/1850", "year out of range"),
        ("hier", "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),
        ("", "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),
        ("2024", "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),
        ("31 juin 2024", "no such date"),
        ("mardi 15 janvier 2024", "the weekday written is not the date's"),  # a Monday: a typo somewhere
        ("Friday, January 15, 2024", "the weekday written is not the date's"),
        ("15 brumaire 2024", "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),
        ("12345", "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"),  # a serial number before 1954: not a date
    ],
)
def test_bad_dates(raw: str, reason: str) -> None:
    parser = DateParser("dmy")
    for _ in range(2):  # the second time from the cache: errors are not cached as values
        with pytest.raises(ValueError) as info:
            parser(raw)
        assert str(info.value) == reason


@pytest.mark.parametrize(
    "raw,kind",
    [
        ("", "invoice"),
        ("Facture", "invoice"),
        ("FAC", "invoice"),
        ("invoice", "invoice"),
        ("Avoir", "credit_note"),
        ("AV", "credit_note"),
        ("credit note", "credit_note"),
        (" avoir client ", "credit_note"),
    ],
)
def test_invoice_kinds(raw: str, kind: str) -> None:
    assert parse_kind(raw) == kind


def test_bad_invoice_kind() -> None:
    with pytest.raises(ValueError, match="^type must be facture/invoice or avoir/credit note$"):
        parse_kind("devis")


@pytest.mark.parametrize(
    "header,normal",
    [
        ("N° facture", "n facture"),
        ("Nº pièce", "n piece"),
        ("No facture", "n facture"),
        ("Montant HT (€)", "montant ht"),
        ("Date d'émission", "date d emission"),
        ("  E-mail ", "e mail"),
        ("Quantité", "quantite"),
        ("Coût de revient", "cout de revient"),
        ("N°client", "n client"),
        ("N°Facture", "n facture"),
    ],
)
def test_normalize_headers(header: str, normal: str) -> None:
    assert normalize(header) == normal


def test_match_columns_first_synonym_wins_and_lists_unused() -> None:
    header = ["Facture", "Date", "Client", "Montant HT", "Montant", "Commentaire", ""]
    match = match_columns("f.csv", header, "invoices")
    # "Client" alone holds the customer: looked up as a code, then as a name
    assert match.indexes == {
        "invoice_number": 0,
        "invoice_date": 1,
        "customer_code": 2,
        "customer_name": 2,
        "amount": 3,
    }
    assert match.unused == ["Montant", "Commentaire"]
    assert match.shown() == {
        "invoice_number": "Facture",
        "invoice_date": "Date",
        "customer_code": "Client",
        "customer_name": "Client",
        "amount": "Montant HT",
    }


@pytest.mark.parametrize(
    "header,expected",
    [
        (  # Xero's sales invoices: camel case, required fields starred
            "*ContactName,EmailAddress,*InvoiceNumber,*InvoiceDate,*DueDate,Description,*Quantity,*UnitAmount,LineAmount",
            {
                "invoice_number": "*InvoiceNumber",
                "invoice_date": "*InvoiceDate",
                "customer_name": "*ContactName",
                "amount": "LineAmount",
                "due_date": "*DueDate",
            },
        ),
        (  # Xero's full layout: the item is InventoryItemCode; Reference is the buyer's order number
            "*ContactName,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,InventoryItemCode,*Description,LineAmount",
            {"product_code": "InventoryItemCode", "product_name": "*Description"},
        ),
        (  # Sage 50's stock code beside a reference and an article's name
            "Date,Pièce,Client,Référence,Article,Stock Code,Montant HT",
            {"product_code": "Stock Code"},
        ),
        (  # Odoo's invoice list exported in French (account.move): partner, untaxed total, amount due
            "Numéro,Partenaire,Date de facturation,Date d'échéance,Hors taxes,Taxes,Total,Montant dû,Statut",
            {
                "invoice_number": "Numéro",
                "customer_name": "Partenaire",
                "invoice_date": "Date de facturation",
                "due_date": "Date d'échéance",
                "amount": "Hors taxes",
                "balance": "Montant dû",
            },
        ),
        (  # a French file's product code beside the article's name
            "Facture,Date,Client,Article,Code produit,Montant HT",
            {"product_code": "Code produit"},
        ),
        (  # QuickBooks Online's invoice import layout
            "Invoice No,Customer,Invoice Date,Due Date,Terms,Memo,ItemDescription,ItemQuantity,ItemRate,ItemAmount",
            {
                "invoice_number": "Invoice No",
                "invoice_date": "Invoice Date",
                "customer_code": "Customer",
                "amount": "ItemAmount",
            },
        ),
        (  # Sage 50's sales lines: the account number is the code, its title the name
            "Date,Pièce,N° compte tiers,Intitulé tiers,Référence article,Désignation,Quantité,Montant HT,Montant TTC",
            {
                "invoice_number": "Pièce",
                "customer_code": "N° compte tiers",
                "customer_name": "Intitulé tiers",
                "amount": "Montant HT",
                "amount_incl_tax": "Montant TTC",
            },
        ),
        (  # EBP's documents
            "Document - N°,Date,Code client,Nom client,Total HT,Total TTC,Échéance",
            {
                "invoice_number": "Document - N°",
                "customer_code": "Code client",
                "amount": "Total HT",
                "due_date": "Échéance",
            },
        ),
    ],
)
def test_the_headers_of_accounting_and_invoicing_software_are_found(header: str, expected: dict[str, str]) -> None:
    columns = header.split(",")
    found = {f: columns[i] for f, i in match_columns("f.csv", columns, "invoices").indexes.items()}
    assert found.items() >= expected.items()


def test_match_columns_mapping_overrides_and_nulls() -> None:
    header = ["Facture", "Date", "Client", "Montant HT", "Net"]
    mapping = Mapping(columns={"amount": "net", "customer_name": None, "customer_code": "CLIENT"})
    match = match_columns("f.csv", header, "invoices", mapping)
    assert match.indexes == {"amount": 4, "customer_code": 2, "invoice_number": 0, "invoice_date": 1}
    with pytest.raises(ImportRejected) as info:
        match_columns("f.csv", header, "invoices", Mapping(columns={"amount": None}))
    assert [(e.line, e.column, e.reason.split(";")[0]) for e in info.value.errors] == [
        (1, "amount", "missing required column (amount excl. tax, euros)")
    ]
