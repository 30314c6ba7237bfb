"""Importing customers, products and prospects: every field stored, updates
that never erase, contacts, reference tables, and the bad cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.ingest import ImportRejected, RowError, import_file
from clientfolio.store import Store
from clientfolio.store.schema import Prospect

CUSTOMERS_HEAD = (
    "Code client;Raison sociale;SIREN;SIRET;Code NAF;Secteur;Taille;Région;Segment;Adresse;"
    "Code postal;Ville;Pays;Statut;Potentiel;Client depuis;Contact;Fonction;Email;Téléphone\n"
)
PAUL = (
    "C001;Boulangerie Paul;732 829 320;73282932000017;1071c;Boulangerie;PME;Île-de-France;Artisans;"
    "12 rue de la Paix;75002;Paris;France;actif;15 000,00;01/09/2019;Marie Curie;Gérante;"
    "Marie.Curie@Example.FR;01 23 45 67 89\n"
)
RENAULT = "C002;Garage Renault;552100554;;45.20A;Automobile;ETI;Nord;Garages;;59000;Lille;BE;inactif;;2021-03-15;;;;\n"


def write(tmp_path: Path, name: str, data: str) -> Path:
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    return path


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def customer_rows(store: Store) -> list[tuple[object, ...]]:
    return [
        (
            c.code,
            c.name,
            c.siren,
            c.siret,
            c.naf_code,
            c.sector,
            c.size_band,
            c.address,
            c.postal_code,
            c.city,
            c.country,
            c.status,
            c.potential_cents,
            c.created_on,
        )
        for c in PortfolioReader(store, SYSTEM).customers()
    ]


def rejected(store: Store, path: Path, kind: str) -> list[RowError]:
    with pytest.raises(ImportRejected) as info:
        import_file(store, path, kind=kind)
    assert rows(store, "SELECT count(*) FROM imports") == [(0,)]
    return info.value.errors


def test_customers_every_field(store: Store, tmp_path: Path) -> None:
    result = import_file(store, write(tmp_path, "clients.csv", CUSTOMERS_HEAD + PAUL + RENAULT))
    assert result.kind == "customers"  # guessed, "Statut" notwithstanding (also a prospect stage header)
    assert result.columns["region"] == "Région" and result.columns["status"] == "Statut"
    assert result.created == {"customers": 2, "contacts": 1, "regions": 2, "segments": 2, "product_lines": 0}
    assert customer_rows(store) == [
        (
            "C001",
            "Boulangerie Paul",
            "732829320",
            "73282932000017",
            "10.71C",
            "Boulangerie",
            "small",
            "12 rue de la Paix",
            "75002",
            "Paris",
            "FR",
            "active",
            1500000,
            dt.date(2019, 9, 1),
        ),
        (
            "C002",
            "Garage Renault",
            "552100554",
            None,
            "45.20A",
            "Automobile",
            "medium",
            None,
            "59000",
            "Lille",
            "BE",
            "inactive",
            None,
            dt.date(2021, 3, 15),
        ),
    ]
    assert rows(
        store,
        "SELECT c.code, r.code, r.name, s.code, s.name FROM customers c "
        "JOIN regions r ON r.id = c.region_id JOIN segments s ON s.id = c.segment_id "
        "ORDER BY c.code",
    ) == [
        ("C001", "ILE-DE-FRANCE", "Île-de-France", "ARTISANS", "Artisans"),
        ("C002", "NORD", "Nord", "GARAGES", "Garages"),
    ]
    assert rows(
        store,
        "SELECT c.code, k.name, k.function, k.email, k.phone FROM contacts k JOIN customers c ON c.id = k.customer_id",
    ) == [("C001", "Marie Curie", "Gérante", "marie.curie@example.fr", "01 23 45 67 89")]


def test_customers_update_without_erasing(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path, "a.csv", CUSTOMERS_HEAD + PAUL + RENAULT))
    moved = (
        "C001;;;;;;;;;8 avenue Foch;;;;;;;marie curie;;;06 00 00 00 00\n"
        "C002;Garage Renault;552100554;;45.20A;Automobile;ETI;Nord;Garages;;59000;Lille;BE;inactif;;"
        "15/03/2021;;;;\n"
    )
    result = import_file(store, write(tmp_path, "b.csv", CUSTOMERS_HEAD + moved))
    assert (result.created, result.updated, result.unchanged) == (
        {"regions": 0, "segments": 0, "product_lines": 0},
        {"customers": 1, "contacts": 1},
        {"customers": 1},
    )
    paul, renault = customer_rows(store)
    assert paul == (
        "C001",
        "Boulangerie Paul",
        "732829320",
        "73282932000017",
        "10.71C",
        "Boulangerie",
        "small",
        "8 avenue Foch",
        "75002",
        "Paris",
        "FR",
        "active",
        1500000,
        dt.date(2019, 9, 1),
    )
    assert renault[7] is None and renault[13] == dt.date(2021, 3, 15)
    assert rows(store, "SELECT name, function, email, phone FROM contacts") == [
        ("marie curie", "Gérante", "marie.curie@example.fr", "06 00 00 00 00")
    ]


def test_customers_file_twice(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", CUSTOMERS_HEAD + PAUL)
    first = import_file(store, path)
    assert import_file(store, path).already_imported
    same_rows = import_file(store, write(tmp_path, "b.csv", CUSTOMERS_HEAD + PAUL + "\n"))
    assert not same_rows.already_imported and same_rows.import_id != first.import_id
    assert (same_rows.created, same_rows.updated, same_rows.unchanged) == (
        {"regions": 0, "segments": 0, "product_lines": 0},
        {},
        {"customers": 1},
    )
    assert rows(store, "SELECT count(*) FROM contacts") == [(1,)]


@pytest.mark.parametrize(
    "cell,column,reason",
    [
        ("123456789", "SIREN", "invalid SIREN (check digit)"),
        ("73282932", "SIREN", "a SIREN has 9 digits"),
        ("73282932000018", "SIRET", "invalid SIRET (check digit)"),
        ("marie.curie@", "Email", "not an email address"),
        ("1071", "Code NAF", "a NAF code looks like 25.62B"),
        ("géante", "Taille", "expected one of micro, small, medium, large"),
        ("dormant", "Statut", "expected one of active, inactive, lost"),
        ("quinze", "Potentiel", "not a number (decimal separator is ',')"),
        ("31/04/2020", "Client depuis", "no such date"),
        (  # a customer "since" 2062: a typo, refused as an invoice of 2062 is
            "01/01/2062",
            "Client depuis",
            f"date in the future (after {dt.date.today()}): check the file, or import it with --allow-future",
        ),
    ],
)
def test_customer_bad_cells(store: Store, tmp_path: Path, cell: str, column: str, reason: str) -> None:
    index = CUSTOMERS_HEAD.strip().split(";").index(column)
    bad = RENAULT.strip().split(";")
    bad[index] = cell
    path = write(tmp_path, "c.csv", CUSTOMERS_HEAD + PAUL + ";".join(bad) + "\n")
    assert rejected(store, path, "customers") == [RowError("c.csv", 3, column, cell, reason)]
    assert customer_rows(store) == []


def test_customer_code_twice_and_empty_cells(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "Code client;Raison sociale\nC1;Un\nC2;Deux\nC1;Encore un\n;Sans code\nC3;\n")
    assert rejected(store, path, "customers") == [
        RowError("c.csv", 4, "Code client", "C1", "code already at line 2"),
        RowError("c.csv", 5, "Code client", "", "empty code"),
        RowError("c.csv", 6, "Raison sociale", "", "empty name"),
    ]


@pytest.mark.parametrize(
    "head",
    [
        '"Display Name","Email","Phone","City","Zip","Salesperson","Reference","Company Type"',  # Odoo's contacts
        "Account Name,Account Number,Billing City,Billing Zip/Postal Code,Phone",  # Salesforce's accounts
        "Record ID,Name,City,Postal Code,Phone Number",  # HubSpot's companies
    ],
)
def test_customers_exported_from_a_crm(store: Store, tmp_path: Path, head: str) -> None:
    """A CRM's export of its companies, headers as the CRM writes them: the code and the name found."""
    columns = [c.strip('"') for c in head.split(",")]
    code = next(c for c in columns if c in {"Reference", "Account Number", "Record ID"})
    name = next(c for c in columns if c in {"Display Name", "Account Name", "Name"})
    cells = [{code: "C7", name: "Boulangerie Martin"}.get(c, "") for c in columns]
    result = import_file(store, write(tmp_path, "crm.csv", head + "\n" + ",".join(cells) + "\n"), kind="customers")
    assert result.created.get("customers") == 1 and result.columns["customer_code"] == code
    assert [(c.code, c.name) for c in PortfolioReader(store, SYSTEM).customers()] == [("C7", "Boulangerie Martin")]


def test_a_missing_column_is_shown_by_the_fields_name_in_the_readers_language(store: Store, tmp_path: Path) -> None:
    """No header to point at: the error's column is the field's code (the JSON), shown to a reader
    by the field's name in their language, a product's ``name`` as its label, not a company name."""
    path = write(tmp_path, "c.csv", "Ville;Téléphone\nParis;01 23 45 67 89\n")
    errors = rejected(store, path, "customers")
    assert [(e.line, e.column, e.column_in("fr"), e.column_in("en")) for e in errors] == [
        (1, "customer_code", "Code client", "Customer code"),
        (1, "name", "Raison sociale", "Company name"),
    ]
    assert "colonne « Raison sociale »" in errors[1].in_language("fr")
    products = rejected(store, write(tmp_path, "p.csv", "Code article;Prix\nA1;12\n"), "products")
    assert [(e.column, e.column_in("fr")) for e in products] == [("name", "Désignation")]
    header = rejected(store, write(tmp_path, "d.csv", "Code client;Raison sociale\n;Un\n"), "customers")
    assert [(e.column, e.column_in("fr")) for e in header] == [("Code client", "Code client")]  # as the file has it
    whole = RowError("x.csv", 0, "", "factures", "unknown file kind")  # no column: none shown
    assert whole.column_in("fr") == "" and "colonne" not in whole.in_language("fr")
    english_header = RowError("x.csv", 2, "Customers", "", "empty code")  # a header is shown as the file has it
    assert english_header.column_in("fr") == "Customers"


def test_products_with_families(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        "Code article;Désignation;Famille;Prix unitaire HT\n"
        "P1;Vis inox 4x40;Visserie;0,12\nP2;Perceuse;Outillage électrique;1 249,90\nP3;Clou;visserie;\n",
    )
    result = import_file(store, path)
    assert result.kind == "products" and result.created == {
        "products": 3,
        "regions": 0,
        "segments": 0,
        "product_lines": 2,
    }
    assert rows(
        store,
        "SELECT p.code, p.name, l.code, l.name, p.unit_price_cents FROM products p "
        "JOIN product_lines l ON l.id = p.product_line_id ORDER BY p.code",
    ) == [
        ("P1", "Vis inox 4x40", "VISSERIE", "Visserie", 12),
        ("P2", "Perceuse", "OUTILLAGE-ELECTRIQUE", "Outillage électrique", 124990),
        ("P3", "Clou", "VISSERIE", "Visserie", None),
    ]
    update = write(tmp_path, "p2.csv", "Code article;Désignation;Famille;Prix unitaire HT\nP3;Clou;;0,05\n")
    assert import_file(store, update).updated == {"products": 1}
    assert rows(store, "SELECT unit_price_cents, product_line_id IS NOT NULL FROM products WHERE code = 'P3'") == [
        (5, True)
    ]


PROSPECTS_HEAD = "Raison sociale;Étape;Origine;IPA;IPO;Projet;Ville;Dernier achat;Contact;Email\n"


def test_prospects_stages_and_generated_codes(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pr.csv",
        PROSPECTS_HEAD + "Hôtel du Lac;Chaud;Salon;7;9;oui;Annecy;12/05/2023;"
        "Jean Dupont;jean@hotel-lac.fr\nLa Forge;tiède;Réseau;3;;non;;;;\nAtelier Nord;PROSPECT;;;;;;;;\n",
    )
    result = import_file(store, path)
    assert result.kind == "prospects"
    assert result.created == {
        "prospects": 3,
        "prospect_stage_changes": 3,
        "contacts": 1,
        "regions": 0,
        "segments": 0,
        "product_lines": 0,
    }
    with store.engine.connect() as conn:
        stored = conn.execute(
            select(
                Prospect.code,
                Prospect.name,
                Prospect.stage,
                Prospect.source,
                Prospect.accessibility_score,
                Prospect.potential_score,
                Prospect.has_project,
                Prospect.city,
                Prospect.last_similar_purchase_on,
            ).order_by(Prospect.code)
        ).all()
    assert stored == [
        ("ATELIER-NORD", "Atelier Nord", "prospect", None, None, None, None, None, None),
        ("HOTEL-DU-LAC", "Hôtel du Lac", "hot", "event", 7, 9, True, "Annecy", dt.date(2023, 5, 12)),
        ("LA-FORGE", "La Forge", "warm", "network", 3, None, False, None, None),
    ]
    assert rows(store, "SELECT p.code, k.name, k.email FROM contacts k JOIN prospects p ON p.id = k.prospect_id") == [
        ("HOTEL-DU-LAC", "Jean Dupont", "jean@hotel-lac.fr")
    ]
    # each prospect enters the funnel at its stage; a later file that moves one records the move
    assert sorted(
        rows(
            store,
            "SELECT p.code, s.from_stage, s.to_stage FROM prospect_stage_changes s "
            "JOIN prospects p ON p.id = s.prospect_id",
        )
    ) == [("ATELIER-NORD", None, "prospect"), ("HOTEL-DU-LAC", None, "hot"), ("LA-FORGE", None, "warm")]
    moved = import_file(store, write(tmp_path, "moved.csv", "Code prospect;Nom;Étape\nLA-FORGE;La Forge;chaud\n"))
    assert moved.created.get("prospect_stage_changes") == 1 and moved.updated == {"prospects": 1}
    assert rows(
        store,
        "SELECT s.from_stage, s.to_stage, CAST(s.changed_on AS VARCHAR(10)) FROM prospect_stage_changes s "
        "JOIN prospects p ON p.id = s.prospect_id WHERE p.code = 'LA-FORGE' AND s.from_stage IS NOT NULL",
    ) == [("warm", "hot", dt.date.today().isoformat())]


def test_prospect_bad_cells(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pr.csv",
        PROSPECTS_HEAD + "Hôtel du Lac;brûlant;Salon;7;9;oui;;;;\nLa Forge;froid;pigeon voyageur;11;;peut-être;;;;\n",
    )
    assert rejected(store, path, "prospects") == [
        RowError("pr.csv", 2, "Étape", "brûlant", "expected one of suspect, prospect, cold, warm, hot, won, lost"),
        RowError(
            "pr.csv",
            3,
            "Origine",
            "pigeon voyageur",
            "expected one of network, press, recommendation, bought_file, event, web, other",
        ),
        RowError("pr.csv", 3, "IPA", "11", "marks go from 0 to 10"),
        RowError("pr.csv", 3, "Projet", "peut-être", "expected oui/non (yes/no)"),
    ]
    assert rows(store, "SELECT count(*) FROM prospects") == [(0,)]


def test_customers_potential_criteria(store: Store, tmp_path: Path) -> None:
    head = "Code client;Raison sociale;Potentiel;Part de marché;Croissance secteur;Politique fournisseur\n"
    bad = write(tmp_path, "bad.csv", head + "C4;Quatre;;0;beaucoup;parfois\n")
    assert sorted(rejected(store, bad, "customers"), key=lambda e: e.column) == [
        RowError("bad.csv", 2, "Croissance secteur", "beaucoup", "not a percentage (25 or 25 %)"),
        RowError("bad.csv", 2, "Part de marché", "0", "a share of purchases goes from 0 (excluded) to 100 %"),
        RowError("bad.csv", 2, "Politique fournisseur", "parfois", "expected one of single, preferred, multiple"),
    ]
    body = "C1;Un;20 000;25 %;3,5;plusieurs\nC2;Deux;;100;-2;fournisseur unique\nC3;Trois;;;;\n"
    result = import_file(store, write(tmp_path, "criteres.csv", head + body))
    assert result.columns["wallet_share"] == "Part de marché"
    assert result.columns["supplier_policy"] == "Politique fournisseur"
    assert rows(
        store,
        "SELECT code, potential_cents, wallet_share_pct, sector_growth_pct, supplier_policy "
        "FROM customers ORDER BY code",
    ) == [("C1", 2_000_000, 25.0, 3.5, "multiple"), ("C2", None, 100.0, -2.0, "single"), ("C3", None, None, None, None)]
