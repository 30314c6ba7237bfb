"""Synthetic transactions for the analytics benchmarks, written by DuckDB SQL.

    python benchmarks/gen_transactions.py --lines 1000000 [--customers N] [--out PATH]

One Parquet file, one row per invoice line, in date order like an export::

    customer_id  string   "C00001234"
    invoice_id   string   "F000001234" (numbered in date order)
    date         date32   4 years of history, END_DATE the last day
    amount       double   euros, 2 decimals, heavy-tailed (log-normal lines,
                          Pareto customer activity), no credit notes
    product      string   "Product 1" .. "Product 3" (product lines; some
                          segments never buy some lines, as in DOMAIN.md 5)
    segment      string   "Segment 1" .. "Segment 5" (one per customer)
    margin       double   euros, 15-45 % of the amount by product line

Shape: about lines/20 customers (``--customers``: that many), 1 to 5 lines
per invoice (3 on average).
Customers are acquired along the history (some before it starts) and leave
after an exponential lifetime (mean 5 years, so some 18 % a year are lost),
so new and lost customers exist in every year.  Every customer has at least
one invoice; the others go to customers in proportion to a Pareto activity
rate (alpha 1.2) times the length of their life in the history.

``--credit-notes 0.02`` also writes ``transactions_<lines>_credits.parquet``:
the same lines, plus a credit note (its own number, negative lines) for 2 %
of the invoices and, for one invoice in 1,000, lines of minus twice the
amount in the invoice itself (it nets below zero: not a purchase).

Every draw is a hash of the row number and a salt, so the file is the same
from run to run and for any number of threads; nothing goes through Python
rows, and DuckDB spills to disk if memory runs short (50M lines take ~2 GB
of memory and ~1 GB of Parquet).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

START_DATE = dt.date(2022, 1, 1)
END_DATE = dt.date(2025, 12, 31)  # the benchmark's as-of date

_SQL = """
-- uniform in (0, 1) from a hash of (key, salt), salt < 32
-- (hash(k, s) would do, but its two-argument combination leaves draws of one
-- key with different salts correlated: mix the salt into the key instead)
CREATE OR REPLACE MACRO u(k, s) AS ((hash(k * 64 + s) >> 11)::DOUBLE + 0.5) / 9007199254740992.0;
-- standard normal (Box-Muller)
CREATE OR REPLACE MACRO z(k, s) AS sqrt(-2 * ln(u(k, s))) * cos(2 * pi() * u(k, s + 32));

CREATE OR REPLACE TEMP TABLE raw_customers AS
SELECT
    i,
    -- acquisition: uniform from 3 years before the history to its end
    (DATE '{start}' - INTERVAL 1096 DAY
     + CAST(floor(u(i, 1) * ({days} + 1096)) AS INTEGER) * INTERVAL 1 DAY)::DATE AS acquired,
    -- lifetime: exponential, mean 6 years
    CAST(-ln(u(i, 2)) * 2191 AS INTEGER) AS life_days,
    u(i, 3) AS seg_u,
    -- purchases a year: log-normal (a few customers buy every week)
    least(exp(0.9 * z(i, 4)), 50.0) AS rate,
    -- size of the customer's baskets: log-normal, heavy-tailed
    exp(1.1 * z(i, 6)) AS size
FROM range({raw_customers}) t(i);

CREATE OR REPLACE TEMP TABLE customers AS
WITH visible AS (
    SELECT *,
        greatest(acquired, DATE '{start}') AS first_day,
        least((acquired + life_days * INTERVAL 1 DAY)::DATE, DATE '{end}') AS last_day
    FROM raw_customers
    WHERE acquired + life_days * INTERVAL 1 DAY >= DATE '{start}'
), kept AS (
    SELECT *, row_number() OVER (ORDER BY i) - 1 AS cid FROM visible QUALIFY cid < {customers}
)
SELECT
    cid,
    'C' || lpad(cid::VARCHAR, 8, '0') AS customer_id,
    CASE WHEN seg_u < 0.30 THEN 1 WHEN seg_u < 0.55 THEN 2 WHEN seg_u < 0.75 THEN 3
         WHEN seg_u < 0.90 THEN 4 ELSE 5 END AS seg,
    acquired >= DATE '{start}' AS acquired_inside,
    first_day,
    (last_day - first_day) AS span,
    size,
    rate * (last_day - first_day + 30) AS weight
FROM kept;

CREATE OR REPLACE TEMP TABLE cum AS
SELECT cid, (sum(weight) OVER (ORDER BY cid) - weight) / sum(weight) OVER () AS lo
FROM customers;

-- invoices: one per customer (its first purchase when acquired inside the
-- history), the others drawn in proportion to the customers' weights
CREATE OR REPLACE TEMP TABLE invoices AS
WITH firsts AS (
    SELECT cid, CASE WHEN acquired_inside THEN first_day
                ELSE (first_day + CAST(floor(u(cid, 11) * (span + 1)) AS INTEGER) * INTERVAL 1 DAY)::DATE
                END AS date, cid AS k
    FROM customers
), draws AS (
    SELECT c.cid, NULL::DATE AS date, d.k
    FROM (SELECT {customers} + j AS k, u(j, 12) AS r FROM range({more_invoices}) t(j)) d
    ASOF JOIN cum c ON d.r >= c.lo
), drawn AS (
    SELECT d.cid, (c.first_day + CAST(floor(u(d.k, 13) * (c.span + 1)) AS INTEGER) * INTERVAL 1 DAY)::DATE AS date, d.k
    FROM draws d JOIN customers c USING (cid)
), alls AS (
    SELECT * FROM firsts UNION ALL SELECT * FROM drawn
), numbered AS (
    SELECT cid, date, k, 1 + CAST(floor(u(k, 14) * 5) AS INTEGER) AS n,
           row_number() OVER (ORDER BY date, k) AS inv
    FROM alls
), cut AS (
    -- the lines past `lines` are cut in draw order (firsts first), not in date order
    SELECT *, coalesce(sum(n) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM numbered
)
-- in invoice order, with what the lines need of the customer: the lines are then
-- written in that order without a join or a sort of the lines
SELECT v.inv, v.k, v.date, v.n, v.before, c.customer_id, c.seg, c.size
FROM cut v JOIN customers c USING (cid)
WHERE v.before < {lines}
ORDER BY v.inv;

COPY (
    WITH lines AS (
        SELECT * FROM (SELECT v.*, unnest(range(v.n)) AS line FROM invoices v)
        WHERE before + line < {lines}
    ), priced AS (
        SELECT *,
            -- product line: the segment's favourite 60 % of the time, else any line
            -- the segment buys (segment 2 never buys product 1, segment 3 never
            -- product 2, segment 5 only product 3: the matrix has white spaces)
            CASE WHEN u(k * 8 + line, 21) < 0.6
                 THEN [1, 2, 1, 3, 3][seg]
                 ELSE [[1, 2, 3], [2, 3], [1, 3], [1, 2, 3], [3]][seg][
                      1 + CAST(floor(u(k * 8 + line, 22) * [3, 2, 2, 3, 1][seg]) AS INTEGER)] END AS prod,
            z(k * 8 + line, 23) AS zline
        FROM lines
    )
    SELECT
        customer_id,
        'F' || lpad(inv::VARCHAR, 9, '0') AS invoice_id,
        date,
        amount,
        'Product ' || prod AS product,
        'Segment ' || seg AS segment,
        round(amount * ([0.45, 0.30, 0.18][prod] + 0.1 * (u(k * 8 + line, 24) - 0.5)), 2) AS margin
    FROM (SELECT *, greatest(round([60.0, 180.0, 650.0][prod] * size * exp(zline), 2), 0.01) AS amount
          FROM priced)
) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
"""


_CREDITS_SQL = """
COPY (
    SELECT * FROM read_parquet('{base}')
    UNION ALL
    -- credit notes: {share} of the invoices are half credited, by a credit note of
    -- their own number ("A" + the invoice's digits) ten days later, line by line
    SELECT customer_id, 'A' || substr(invoice_id, 2), least(date + 10, DATE '{end}'),
           -round(amount / 2, 2), product, segment, -round(margin / 2, 2)
    FROM read_parquet('{base}') WHERE hash(invoice_id || 'credit') % 10000 < {credit_per_10000}
    UNION ALL
    -- corrected invoices: one invoice in a thousand carries, for each of its lines,
    -- a line of minus twice the amount, so that it nets below zero (not a purchase)
    SELECT customer_id, invoice_id, date, -2 * amount, product, segment, -2 * margin
    FROM read_parquet('{base}') WHERE hash(invoice_id || 'corrected') % 1000 = 0
) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
"""


def add_credit_notes(base: Path, path: Path, share: float) -> int:
    """Write ``base`` plus credit notes for ``share`` of its invoices and a few
    corrected invoices netting below zero to ``path``; returns the lines written."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        _CREDITS_SQL.format(
            base=base,
            out=str(path) + ".tmp",
            end=END_DATE.isoformat(),
            share=f"{share:.1%}",
            credit_per_10000=round(share * 10000),
        )
    )
    row = con.execute(f"SELECT count(*) FROM read_parquet('{path}.tmp')").fetchone()
    con.close()
    Path(str(path) + ".tmp").rename(path)
    return row[0] if row else 0


def generate(path: Path, lines: int, *, threads: int | None = None, customers: int | None = None) -> float:
    """Write ``lines`` transaction lines of ``customers`` customers (default
    lines / 20) to ``path`` (Parquet); returns seconds."""
    import duckdb

    customers = customers or max(lines // 20, 10)
    invoices = -(-lines // 3)
    sql = _SQL.format(
        start=START_DATE.isoformat(),
        end=END_DATE.isoformat(),
        days=(END_DATE - START_DATE).days + 1,
        raw_customers=int(customers * 1.6) + 100,
        customers=customers,
        # a few more invoices than needed: the last ones are cut at `lines`
        more_invoices=max(int(invoices * 1.02) + 100 - customers, 0),
        lines=lines,
        out=str(path) + ".tmp",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    con.execute(f"SET temp_directory = '{path.parent / '.duckdb_tmp'}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    con.execute(sql)
    row = con.execute(f"SELECT count(*) FROM read_parquet('{path}.tmp')").fetchone()
    written = row[0] if row else 0
    con.close()
    if written != lines:
        raise RuntimeError(f"generated {written} lines instead of {lines}")
    Path(str(path) + ".tmp").rename(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, help="customers (default: lines / 20; at most lines / 3)")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--credit-notes",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="also write a copy with credit notes for this share of the invoices "
        "(e.g. 0.02) and corrected invoices netting below zero (one in 1,000)",
    )
    args = parser.parse_args()
    name = f"transactions_{args.lines}" + (f"_{args.customers}c" if args.customers else "") + ".parquet"
    out = args.out or Path(__file__).parent / "data" / name
    seconds = generate(out, args.lines, customers=args.customers)
    print(f"{args.lines:,} lines -> {out} in {seconds:.1f} s ({out.stat().st_size / 2**20:.0f} MB)")
    if args.credit_notes:
        credited = out.with_name(f"{out.stem}_credits.parquet")
        written = add_credit_notes(out, credited, args.credit_notes)
        print(f"{written:,} lines with credit notes -> {credited}")


if __name__ == "__main__":
    main()
