"""What writing invoice lines into the store costs on this machine, without any
parsing: the floor under the import benchmark.

    python benchmarks/sqlite_insert_floor.py --lines 1000000

1. SQLite alone: ``INSERT ... SELECT`` from a generated series, inside SQLite
   (no Python per row).
2. Through Python: ``bulk_insert`` (multi-row VALUES through the sqlite3 driver)
   of tuples built beforehand, as an import writes them.

Both write ``--lines`` invoice lines (three per invoice) into a fresh, migrated
store with its real indexes and foreign keys.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from clientfolio.store import Store, bulk_insert
from clientfolio.store.schema import Customer, Invoice, InvoiceLine, Product


def _fresh(tmp: str, name: str) -> Store:
    store = Store(f"sqlite:///{tmp}/{name}.db")
    with store.begin() as conn:
        bulk_insert(
            conn,
            Customer.__table__,
            ("id", "code", "name", "status"),  # type: ignore[arg-type]
            [(i, f"C{i:05d}", f"Client {i}", "active") for i in range(1, 5001)],
        )
        bulk_insert(
            conn,
            Product.__table__,
            ("id", "code", "name"),  # type: ignore[arg-type]
            [(i, f"P{i:04d}", f"Article {i}") for i in range(1, 401)],
        )
    return store


def in_sqlite(tmp: str, lines: int) -> float:
    store = _fresh(tmp, "c")
    invoices = (lines + 2) // 3
    start = time.perf_counter()
    with store.begin() as conn:
        conn.exec_driver_sql(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO invoices (id, number, customer_id, issued_on, kind) "
            "SELECT i, printf('F%08d', i), 1 + i % 5000, '2024-05-12', 'invoice' FROM s",
            (invoices,),
        )
        conn.exec_driver_sql(
            "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO invoice_lines (invoice_id, line_no, product_id, description, quantity, "
            "amount_cents, margin_cents) SELECT i / 3 + 1, i % 3 + 1, 1 + i % 400, 'Article', 12.0, "
            "123456, 74074 FROM s",
            (lines - 1,),
        )
    seconds = time.perf_counter() - start
    store.dispose()
    return seconds


def through_python(tmp: str, lines: int) -> float:
    store = _fresh(tmp, "p")
    invoices = [
        (i, f"F{i:08d}", 1 + i % 5000, "2024-05-12", None, "invoice", None) for i in range(1, (lines + 2) // 3 + 1)
    ]
    rows = [(i // 3 + 1, i % 3 + 1, 1 + i % 400, "Article", 12.0, 123456, 74074) for i in range(lines)]
    start = time.perf_counter()
    with store.begin() as conn:
        bulk_insert(
            conn,
            Invoice.__table__,  # type: ignore[arg-type]
            ("id", "number", "customer_id", "issued_on", "due_on", "kind", "import_id"),
            invoices,
        )
        for at in range(0, lines, 20_000):
            bulk_insert(
                conn,
                InvoiceLine.__table__,
                (  # type: ignore[arg-type]
                    "invoice_id",
                    "line_no",
                    "product_id",
                    "description",
                    "quantity",
                    "amount_cents",
                    "margin_cents",
                ),
                rows[at : at + 20_000],
            )
    seconds = time.perf_counter() - start
    store.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, run in (
            ("SQLite alone (INSERT ... SELECT)", in_sqlite),
            ("through Python (bulk_insert of ready tuples)", through_python),
        ):
            seconds = run(tmp, args.lines)
            print(f"{label}: {args.lines:,} lines in {seconds:.2f} s = {args.lines / seconds:,.0f} lines/s")


if __name__ == "__main__":
    main()
