"""The store gives the solvency tables through the access layer, scoped."""

from __future__ import annotations

import datetime as dt

from clientfolio.access import SYSTEM, PortfolioReader, Principal, Scope
from clientfolio.analytics.engines import connect_store
from clientfolio.store import Store
from clientfolio.store.schema import (
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    ProductLine,
    Region,
    Segment,
)
from clientfolio.value.solvency import solvency
from tests.analytics.conftest import as_rows

D = dt.date


def _fill(store: Store) -> None:
    with store.session() as s:
        idf, ara = Region(code="IDF", name="IDF"), Region(code="ARA", name="ARA")
        san, btp = Segment(code="SAN", name="Santé"), Segment(code="BTP", name="BTP")
        srv, mat = ProductLine(code="SRV", name="Services"), ProductLine(code="MAT", name="Matériel")
        s.add_all([idf, ara, san, btp, srv, mat])
        s.flush()
        p1 = Product(code="P1", name="P1", product_line_id=srv.id)
        p2 = Product(code="P2", name="P2", product_line_id=mat.id)
        p3 = Product(code="P3", name="P3")  # no product line
        c1 = Customer(code="C1", name="Un", region_id=idf.id, segment_id=san.id)
        c2 = Customer(code="C2", name="Deux", region_id=ara.id, segment_id=btp.id)
        s.add_all([p1, p2, p3, c1, c2])
        s.flush()
        docs = {
            number: Invoice(number=number, customer_id=customer.id, issued_on=issued, due_on=due, kind=kind)
            for number, customer, issued, due, kind in [
                ("F1", c1, D(2024, 1, 10), D(2024, 2, 9), "invoice"),
                ("F2", c1, D(2024, 2, 1), None, "credit_note"),
                ("F3", c2, D(2024, 3, 1), None, "invoice"),
                ("F4", c2, D(2024, 4, 1), D(2024, 5, 1), "invoice"),
                ("F5", c2, D(2024, 5, 1), None, "invoice"),  # no line: not a receivable
            ]
        }
        s.add_all(docs.values())
        s.flush()
        for number, no, product, cents in [
            ("F1", 1, p1, 10_000),
            ("F1", 2, p2, 5_000),
            ("F2", 1, p2, -3_000),
            ("F3", 1, p3, 7_000),
            ("F4", 1, p2, 2_000),
        ]:
            s.add(InvoiceLine(invoice_id=docs[number].id, line_no=no, product_id=product.id, amount_cents=cents))
        for number, day, paid in [
            ("F1", D(2024, 2, 5), 15_000),
            ("F3", D(2024, 4, 10), None),
            ("F4", D(2024, 5, 2), 1_000),
            ("F4", D(2024, 5, 20), 1_000),
            ("F5", D(2024, 5, 15), None),  # an invoice without lines: its payment is no settlement either
        ]:
            s.add(Payment(invoice_id=docs[number].id, paid_on=day, amount_cents=paid))
        s.commit()


RECEIVABLES = {
    "F1": ("C1", "F1", "invoice", D(2024, 1, 10), D(2024, 2, 9), 15_000),
    "F2": ("C1", "F2", "credit_note", D(2024, 2, 1), None, -3_000),
    "F3": ("C2", "F3", "invoice", D(2024, 3, 1), None, 7_000),
    "F4": ("C2", "F4", "invoice", D(2024, 4, 1), D(2024, 5, 1), 2_000),
}
SETTLEMENTS: dict[str, list[tuple[str, dt.date, int | None]]] = {
    "F1": [("F1", D(2024, 2, 5), 15_000)],
    "F3": [("F3", D(2024, 4, 10), None)],
    "F4": [("F4", D(2024, 5, 2), 1_000), ("F4", D(2024, 5, 20), 1_000)],
}


def test_scoped_receivables_and_settlements(store: Store) -> None:
    _fill(store)
    cases = [
        (Scope(), ["F1", "F2", "F3", "F4"]),
        (Scope(regions=frozenset({"IDF"})), ["F1", "F2"]),
        (Scope(segments=frozenset({"BTP"})), ["F3", "F4"]),
        (Scope(product_lines=frozenset({"SRV"})), ["F1"]),  # whole amount of F1
        (Scope(product_lines=frozenset({"MAT"})), ["F1", "F2", "F4"]),
        (Scope(regions=frozenset({"IDF"}), segments=frozenset({"BTP"})), []),
    ]
    for scope, numbers in cases:
        con = connect_store(store.url)  # one session per reader: on PostgreSQL its scope is bound for good
        try:
            reader = PortfolioReader(store, Principal("rep", "sales", scope))
            receivables = reader.receivables(con)
            assert receivables.columns == ("customer_id", "invoice_id", "kind", "issued_on", "due_on", "amount_cents")
            got = [tuple(r.values()) for r in as_rows(receivables, ["invoice_id"])]
            assert got == [RECEIVABLES[n] for n in numbers], scope
            settlements = reader.settlements(con)
            assert settlements.columns == ("invoice_id", "paid_on", "amount_cents")
            got = [tuple(r.values()) for r in as_rows(settlements, ["invoice_id", "paid_on"])]
            assert got == [p for n in numbers for p in SETTLEMENTS.get(n, [])], scope
        finally:
            con.disconnect()


def test_solvency_on_the_store(store: Store) -> None:
    _fill(store)
    con = connect_store(store.url)
    try:
        reader = PortfolioReader(store, SYSTEM)
        table = solvency(reader.receivables(con), reader.settlements(con), as_of=D(2024, 6, 30))
        rows = {r["customer_id"]: r for r in as_rows(table)}
        # C1: F1 paid before its due date.  C2: F3 due 31 March (30 days' terms),
        # settled 10 April = 10 days; F4 due 1 May, settled 20 May = 19 days:
        # (10 x 7 000 + 19 x 2 000) / 9 000 = 12.0 > 10, watch.
        assert (rows["C1"]["avg_days_late"], rows["C1"]["status"]) == (0.0, "ok")
        assert (rows["C2"]["avg_days_late"], rows["C2"]["max_days_late"], rows["C2"]["status"]) == (12.0, 19, "watch")
    finally:
        con.disconnect()


def test_without_any_payment_no_customer_is_said_late(store: Store) -> None:
    # a file of invoices only (CDNOW, most accounting exports): every invoice would look unpaid, 2,191 of CDNOW's
    # 2,357 customers "at risk" on the dashboard and a SWOT threat; the valuation says "no payment data" instead
    from sqlalchemy import delete

    from clientfolio.value.run import value_source

    _fill(store)
    with store.session() as s:
        s.execute(delete(Payment))
        s.commit()
    reader = PortfolioReader(store, SYSTEM)
    valued = value_source(store=store, reader=reader, as_of=D(2024, 6, 30))
    assert valued.solvency is not None and valued.solvency["has_payment_data"] is False
    assert valued.solvency["customers_with_incidents"] == 2  # every invoice unpaid and late: kept, not to be read
    assert [c.solvency for c in valued.customers] == [{}, {}]  # no status: the dashboard lists nobody as late
