"""Imports are writes scoped like reads (issue 14): a sales rep scoped to a
region can neither take another region's customer into its own, nor write
another region's invoices or prospects, nor tell by a dry run whether a code
out of its scope exists; on PostgreSQL too, connected as the application's
ordinary role under row-level security."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
from clientfolio.access.writes import COMPANY_ONLY, OUTSIDE_SCOPE
from clientfolio.demo import generate_demo
from clientfolio.ingest import ImportRejected, import_file
from clientfolio.store import Store
from clientfolio.store.schema import Customer, Invoice, Prospect, Region
from tests.conftest import ordinary_role

REP = Principal("rep", "sales", Scope(regions=frozenset({"IDF"})))


def write(tmp: Path, name: str, body: str) -> Path:
    path = tmp / f"{uuid.uuid4().hex[:6]}-{name}"
    path.write_text(body, encoding="utf-8")
    return path


def first_of(store: Store, model: type[Customer] | type[Prospect], region: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(model.code)
                .join(Region, Region.id == model.region_id)
                .where(Region.code == region)
                .order_by(model.code)
                .limit(1)
            ).scalar_one()
        )


def region_of(store: Store, code: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(Region.code).join(Customer, Customer.region_id == Region.id).where(Customer.code == code)
            ).scalar_one()
        )


def refusal(
    store: Store, path: Path, kind: str, principal: Principal = REP, *, dry_run: bool = False
) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as caught:
        import_file(store, path, kind=kind, principal=principal, dry_run=dry_run)
    return [(e.line, e.reason) for e in caught.value.errors]


@pytest.fixture
def demo(store: Store) -> Store:
    generate_demo(store, customers=30, years=1, seed=5, as_of=dt.date(2025, 6, 30))
    return store


def test_a_rep_cannot_take_another_regions_customer(demo: Store, tmp_path: Path) -> None:
    other = first_of(demo, Customer, "ARA")
    path = write(tmp_path, "take.csv", f"code;nom;region\n{other};;IDF\n")  # the attack: an empty name
    unknown = write(tmp_path, "new.csv", "code;nom;region\nZZ999;;IDF\n")
    for dry_run in (True, False):  # refused as a new code would be: an out-of-scope row is out of sight
        assert refusal(demo, path, "customers", dry_run=dry_run) == [(2, "empty name")]
        assert refusal(demo, unknown, "customers", dry_run=dry_run) == [(2, "empty name")]
    named = write(tmp_path, "named.csv", f"code;nom;region\n{other};Nom;IDF\n")
    assert refusal(demo, named, "customers") == [(2, OUTSIDE_SCOPE)]
    assert region_of(demo, other) == "ARA"
    assert PortfolioReader(demo, REP).customer(other, chain_key=b"k" * 32) is None


def test_a_dry_run_does_not_tell_an_existing_code_from_a_new_one(demo: Store, tmp_path: Path) -> None:
    other = first_of(demo, Customer, "ARA")
    for target in ("ARA", "IDF"):
        existing = refusal(
            demo, write(tmp_path, "a.csv", f"code;nom;region\n{other};;{target}\n"), "customers", dry_run=True
        )
        new = refusal(demo, write(tmp_path, "b.csv", f"code;nom;region\nZZ999;;{target}\n"), "customers", dry_run=True)
        assert existing == new and new
        named = refusal(
            demo, write(tmp_path, "c.csv", f"code;nom;region\n{other};Autre;ARA\n"), "customers", dry_run=True
        )
        assert (
            named
            == refusal(demo, write(tmp_path, "d.csv", "code;nom;region\nZZ998;Autre;ARA\n"), "customers", dry_run=True)
            == [(2, OUTSIDE_SCOPE)]
        )


def test_a_rep_creates_and_updates_inside_its_region_only(demo: Store, tmp_path: Path) -> None:
    mine = first_of(demo, Customer, "IDF")
    result = import_file(
        demo,
        write(tmp_path, "ok.csv", f"code;nom;region\nNEW01;Nouvelle;IDF\n{mine};Renommé;\n"),
        kind="customers",
        principal=REP,
    )
    assert result.created.get("customers") == 1 and result.updated.get("customers") == 1
    assert refusal(demo, write(tmp_path, "noregion.csv", "code;nom\nNEW02;Sans région\n"), "customers") == [
        (2, OUTSIDE_SCOPE)
    ]
    assert refusal(demo, write(tmp_path, "leave.csv", f"code;nom;region\n{mine};;ARA\n"), "customers") == [
        (2, OUTSIDE_SCOPE)
    ]
    assert region_of(demo, mine) == "IDF"


def test_invoices_and_prospects_of_other_regions_are_refused(demo: Store, tmp_path: Path) -> None:
    other, mine = first_of(demo, Customer, "ARA"), first_of(demo, Customer, "IDF")
    head = "numero facture;date;code client;nom client;montant\n"
    for body in (f"{head}F-X1;2025-06-01;{other};;100,00\n", f"{head}F-X1;2025-06-01;NEWC;Nouveau;100,00\n"):
        assert refusal(demo, write(tmp_path, "inv.csv", body), "invoices") == [(2, OUTSIDE_SCOPE)]
    with demo.engine.connect() as conn:  # an invoice number of another region's customer
        taken = conn.execute(
            select(Invoice.number)
            .join(Customer, Customer.id == Invoice.customer_id)
            .join(Region, Region.id == Customer.region_id)
            .where(Region.code == "ARA")
            .limit(1)
        ).scalar_one()
    assert refusal(demo, write(tmp_path, "num.csv", f"{head}{taken};2025-06-01;{mine};;1,00\n"), "invoices") == [
        (2, OUTSIDE_SCOPE)
    ]
    done = import_file(
        demo, write(tmp_path, "mine.csv", f"{head}F-NEW-1;2025-06-01;{mine};;100,00\n"), kind="invoices", principal=REP
    )
    assert done.created.get("invoices") == 1
    prospect = first_of(demo, Prospect, "ARA")
    for code in (prospect, "PNEW"):
        body = f"code prospect;nom;region\n{code};Tentative;ARA\n"
        assert refusal(demo, write(tmp_path, "p.csv", body), "prospects") == [(2, OUTSIDE_SCOPE)]


def test_company_files_need_the_whole_company(demo: Store, tmp_path: Path) -> None:
    products = write(tmp_path, "p.csv", "code produit;nom;prix\nPX1;Produit;10,00\n")
    assert refusal(demo, products, "products") == [(0, COMPANY_ONLY)]
    assert import_file(demo, products, kind="products", principal=SYSTEM).created.get("products") == 1


@pytest.fixture
def app_role(pg_url: str) -> Iterator[str]:
    """The demo in a fresh PostgreSQL database, and the URL of an ordinary role
    (no superuser, no BYPASSRLS) allowed to read and write it."""
    store = Store(pg_url)
    generate_demo(store, customers=30, years=1, seed=5, as_of=dt.date(2025, 6, 30))
    store.dispose()
    with ordinary_role(pg_url, write=True) as url:
        yield url


@pytest.mark.postgres
def test_the_attack_under_row_level_security(pg_url: str, app_role: str, tmp_path: Path) -> None:
    owner = Store(pg_url)
    other = first_of(owner, Customer, "ARA")
    store = Store(app_role)
    try:
        for target, code in (("IDF", other), ("ARA", other), ("ARA", "ZZ999")):
            path = write(tmp_path, "take.csv", f"code;nom;region\n{code};Nom;{target}\n")
            assert refusal(store, path, "customers", dry_run=True) == [(2, OUTSIDE_SCOPE)]
            assert refusal(store, path, "customers") == [(2, OUTSIDE_SCOPE)]
        assert region_of(owner, other) == "ARA"
        created = import_file(
            store, write(tmp_path, "ok.csv", "code;nom;region\nNEW01;Nouvelle;IDF\n"), kind="customers", principal=REP
        )
        assert created.created.get("customers") == 1
        everything = import_file(
            store,
            write(tmp_path, "sys.csv", f"code;nom;region\n{other};Renommé;ARA\n"),
            kind="customers",
            principal=SYSTEM,
        )  # the system actor binds "*"
        assert everything.updated.get("customers") == 1
    finally:
        store.dispose()
        owner.dispose()
