"""The demo portfolio generator and its FEC export."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
from clientfolio.demo import generate_demo, write_fec
from clientfolio.errors import ClientfolioError
from clientfolio.store import Store
from clientfolio.store.schema import (
    PROSPECT_SOURCES,
    PROSPECT_STAGES,
    Base,
    Customer,
    Invoice,
    InvoiceLine,
    Prospect,
    Region,
    User,
    UserScope,
)

AS_OF = dt.date(2025, 6, 30)
FEC_HEADER = (
    "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\t"
    "CompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\t"
    "ValidDate\tMontantdevise\tIdevise"
)


@pytest.fixture
def new_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path}/t.db")
    yield store
    store.dispose()


@pytest.fixture
def demo_store(new_store: Store) -> Store:
    generate_demo(new_store, customers=120, years=3, seed=11, as_of=AS_OF)
    return new_store


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (1 + i % 2)
        total += d // 10 + d % 10
    return total % 10 == 0


def cents(text: str) -> int:
    assert re.fullmatch(r"\d+,\d\d", text), text
    return int(text.replace(",", ""))


def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    tables = {}
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c if c.name != "created_at"]
            tables[table.name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*table.primary_key.columns))]
    return tables


def test_same_seed_same_portfolio(tmp_path: Path) -> None:
    stores = [Store(f"sqlite:///{tmp_path}/{name}.db") for name in ("a", "b", "c")]
    summaries = [
        generate_demo(store, customers=40, years=2, seed=seed, as_of=AS_OF)
        for store, seed in zip(stores, (3, 3, 4), strict=True)
    ]
    a, b, c = (dump(store) for store in stores)
    assert summaries[0] == summaries[1]
    assert a == b
    assert a["customers"] != c["customers"]
    assert summaries[0].customers == len(a["customers"]) == 40
    assert summaries[0].invoices == len(a["invoices"])
    assert summaries[0].lines == len(a["invoice_lines"])
    assert summaries[0].payments == len(a["payments"])
    assert summaries[0].activities == len(a["activities"])
    assert summaries[0].prospects == len(a["prospects"])
    assert summaries[0].users == len(a["users"])
    for store in stores:
        store.dispose()


def test_refuses_a_store_that_is_not_empty(demo_store: Store) -> None:
    with pytest.raises(ClientfolioError, match="not empty"):
        generate_demo(demo_store, customers=10, years=1, as_of=AS_OF)
    with demo_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 120


def test_a_fifth_of_customers_make_most_of_the_revenue(new_store: Store) -> None:
    generate_demo(new_store, customers=200, years=3, seed=7, as_of=AS_OF)
    revenue: Counter[str] = Counter()
    for sale in PortfolioReader(new_store, SYSTEM).sales():
        revenue[sale.customer_code] += sale.amount_cents
    amounts = sorted(revenue.values(), reverse=True)
    top = sum(amounts[: round(len(amounts) * 0.2)]) / sum(amounts)
    assert 0.70 <= top <= 0.90


def test_churn_and_renewal_keep_the_portfolio_level(new_store: Store) -> None:
    generate_demo(new_store, customers=300, years=4, seed=5, as_of=dt.date(2024, 12, 31))
    buyers: dict[int, set[str]] = defaultdict(set)
    for sale in PortfolioReader(new_store, SYSTEM).sales():
        buyers[sale.issued_on.year].add(sale.customer_code)
    assert sorted(buyers) == [2021, 2022, 2023, 2024]
    for year in (2022, 2023, 2024):
        lost = buyers[year - 1] - buyers[year]
        assert 0.06 <= len(lost) / len(buyers[year - 1]) <= 0.20
    assert 0.8 <= len(buyers[2024]) / len(buyers[2021]) <= 1.2


def test_segments_prefer_some_product_lines(demo_store: Store) -> None:
    matrix: Counter[tuple[str | None, str | None]] = Counter()
    for sale in PortfolioReader(demo_store, SYSTEM).sales():
        matrix[sale.segment, sale.product_line] += sale.amount_cents
    assert {s for s, _ in matrix} == {"IND", "BTP", "SAN", "DIS", "SER"}
    assert matrix["SAN", "EQP"] == matrix["DIS", "SRV"] == 0  # white spaces
    assert matrix["BTP", "EQP"] > 5 * matrix["BTP", "SRV"]
    assert matrix["SER", "SRV"] > 5 * matrix["SER", "CON"]


def test_every_funnel_stage_is_present(demo_store: Store) -> None:
    with demo_store.session() as session:
        prospects = session.scalars(select(Prospect)).all()
        assert {p.stage for p in prospects} == set(PROSPECT_STAGES)
        assert {p.source for p in prospects} <= set(PROSPECT_SOURCES)
        for p in prospects:
            assert p.accessibility_score is not None and 0 <= p.accessibility_score <= 10
            assert p.potential_score is not None and 0 <= p.potential_score <= 10
            assert p.potential_cents and p.owner_id
        won = [p for p in prospects if p.stage == "won"]
        assert all(p.customer_id for p in won)


def test_some_customers_pay_late_and_recent_invoices_are_unpaid(demo_store: Store) -> None:
    reader = PortfolioReader(demo_store, SYSTEM)
    customer_of = {s.invoice_number: s.customer_code for s in reader.sales()}
    late = {
        customer_of[number]
        for number, _, due_on, paid_on, _ in reader.payments()
        if due_on and (paid_on - due_on).days >= 20
    }
    assert 0.08 <= len(late) / len(set(customer_of.values())) <= 0.35
    paid = {number for number, *_ in reader.payments()}
    with demo_store.session() as session:
        invoices = session.scalars(select(Invoice)).all()
    unpaid = [i for i in invoices if i.number not in paid]
    assert any((AS_OF - i.issued_on).days < 60 for i in unpaid)
    assert all(i.issued_on <= AS_OF for i in invoices)
    for invoice in invoices:
        if invoice.kind == "invoice":
            assert re.fullmatch(rf"F{invoice.issued_on.year}-\d{{6}}", invoice.number)
            assert invoice.due_on and (invoice.due_on - invoice.issued_on).days in (30, 45, 60)
        else:
            assert re.fullmatch(rf"AV{invoice.issued_on.year}-\d{{6}}", invoice.number)
            assert invoice.due_on is None


def test_invoice_lines(demo_store: Store) -> None:
    with demo_store.session() as session:
        lines = session.execute(
            select(
                Invoice.kind,
                InvoiceLine.invoice_id,
                InvoiceLine.line_no,
                InvoiceLine.amount_cents,
                InvoiceLine.product_id,
            ).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        ).all()
    numbers: dict[int, list[int]] = defaultdict(list)
    for kind, invoice_id, line_no, amount, product_id in lines:
        numbers[invoice_id].append(line_no)
        assert product_id is not None
        assert (amount > 0) if kind == "invoice" else (amount < 0)
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())
    assert any(kind == "credit_note" for kind, *_ in lines)


def test_identifiers_are_valid(demo_store: Store) -> None:
    with demo_store.session() as session:
        customers = session.scalars(select(Customer)).all()
        prospects = session.scalars(select(Prospect)).all()
    for c in customers:
        assert re.fullmatch(r"C\d{5}", c.code)
        assert c.siren and c.siret and len(c.siren) == 9 and len(c.siret) == 14
        assert luhn(c.siren) and luhn(c.siret) and c.siret.startswith(c.siren)
        assert c.naf_code and re.fullmatch(r"\d\d\.\d\d[A-Z]", c.naf_code)
        assert c.postal_code and re.fullmatch(r"\d{5}", c.postal_code)
    assert all(p.siren and luhn(p.siren) for p in prospects)
    assert len({c.siren for c in customers}) == len(customers)


def test_sales_reps_own_the_customers_of_their_regions(demo_store: Store) -> None:
    with demo_store.session() as session:
        roles = Counter(session.scalars(select(User.role)))
        assert roles["admin"] == roles["manager"] == roles["auditor"] == 1
        assert 3 <= roles["sales"] <= 4
        scopes: dict[int, set[int]] = defaultdict(set)
        for user_id, region_id in session.execute(
            select(UserScope.user_id, Region.id).join(Region, Region.code == UserScope.code)
        ):
            scopes[user_id].add(region_id)
        assert all(1 <= len(regions) <= 2 for regions in scopes.values())
        owners = session.execute(select(Customer.owner_id, Customer.region_id)).all()
    for owner, region in owners:
        assert owner is not None and region in scopes[owner]


def read_fec(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == FEC_HEADER
    columns = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        fields = line.split("\t")
        assert len(fields) == 18
        rows.append(dict(zip(columns, fields, strict=True)))
    return rows


def test_fec_is_balanced_and_matches_the_sales(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    written_to, written = write_fec(demo_store, path)
    assert written_to == path
    rows = read_fec(path)
    assert written == len(rows)
    entries: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        entries[row["EcritureNum"]].append(row)
        for key in ("EcritureDate", "PieceDate", "ValidDate"):
            assert re.fullmatch(r"\d{8}", row[key])
        assert row["ValidDate"] == row["EcritureDate"]
    assert [int(n) for n in entries] == list(range(1, len(entries) + 1))
    for lines in entries.values():
        assert len({(r["JournalCode"], r["EcritureDate"]) for r in lines}) == 1
        assert sum(cents(r["Debit"]) for r in lines) == sum(cents(r["Credit"]) for r in lines)
    assert {r["JournalCode"] for r in rows} == {"VT", "BQ", "AC"}
    revenue = sum(cents(r["Credit"]) - cents(r["Debit"]) for r in rows if r["CompteNum"].startswith("70"))
    assert revenue == sum(s.amount_cents for s in PortfolioReader(demo_store, SYSTEM).sales())


def test_fec_lettering_pairs_invoices_with_their_payments(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    write_fec(demo_store, path)
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    unlettered = set()
    for row in read_fec(path):
        if row["CompteNum"] != "411000":
            continue
        assert re.fullmatch(r"C\d{5}", row["CompAuxNum"])
        if row["EcritureLet"]:
            groups[row["CompAuxNum"], row["EcritureLet"]].append(row)
        elif row["JournalCode"] == "VT":
            unlettered.add(row["PieceRef"])
    lettered = set()
    for lines in groups.values():
        journals = Counter(r["JournalCode"] for r in lines)
        assert journals["VT"] == 1 and journals["BQ"] >= 1
        assert sum(cents(r["Debit"]) - cents(r["Credit"]) for r in lines) == 0
        assert len({r["DateLet"] for r in lines}) == 1
        invoice = next(r for r in lines if r["JournalCode"] == "VT")
        bank = [r for r in lines if r["JournalCode"] == "BQ"]
        assert all(invoice["PieceRef"] in r["EcritureLib"] for r in bank)
        assert max(r["EcritureDate"] for r in bank) == invoice["DateLet"]
        lettered.add(invoice["PieceRef"])
    paid = {number for number, *_ in PortfolioReader(demo_store, SYSTEM).payments()}
    assert lettered == paid
    assert unlettered and not unlettered & paid


def test_fec_file_name_scope_and_siren(demo_store: Store, tmp_path: Path) -> None:
    write_fec(demo_store, tmp_path, siren="452136989")
    (path,) = tmp_path.glob("*FEC*.txt")
    assert re.fullmatch(r"452136989FEC\d{8}\.txt", path.name)
    with pytest.raises(ClientfolioError, match="SIREN"):
        write_fec(demo_store, tmp_path / "x.txt", siren="123456789")
    idf = Principal("jleroy", "sales", Scope(regions=frozenset({"IDF"})))
    write_fec(demo_store, tmp_path / "idf.txt", principal=idf)
    codes = {r["CompAuxNum"] for r in read_fec(tmp_path / "idf.txt") if r["CompteNum"] == "411000"}
    with demo_store.session() as session:
        idf_codes = set(session.scalars(select(Customer.code).join(Region).where(Region.code == "IDF")))
    assert codes and codes <= idf_codes


@pytest.mark.postgres
def test_postgresql_gets_the_same_portfolio_and_usable_sequences(pg_url: str, new_store: Store, tmp_path: Path) -> None:
    pg = Store(pg_url)
    try:
        for store in (pg, new_store):
            generate_demo(store, customers=30, years=2, seed=2, as_of=AS_OF)
        write_fec(pg, tmp_path / "pg.txt")
        write_fec(new_store, tmp_path / "sqlite.txt")
        assert (tmp_path / "pg.txt").read_bytes() == (tmp_path / "sqlite.txt").read_bytes()
        with pg.begin() as conn:
            new_id = conn.execute(
                insert(Customer).values(code="CNEW", name="Nouveau client SAS", status="active").returning(Customer.id)
            ).scalar_one()
        assert new_id == 31
    finally:
        pg.dispose()
