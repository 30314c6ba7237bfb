"""Speed of the full portfolio analysis: clientfolio (Ibis on DuckDB) against
the usual pandas way and against lifetimes.

    python benchmarks/analytics_speed.py --lines 1000000 10000000 [50000000]
        [--engines clientfolio standin pandas lifetimes] [--repeat K]
        [--skip-lifetimes-above N] [--skip-pandas-above N] [--wait-idle S] [--json FILE]

For each size, writes ``benchmarks/data/transactions_<lines>.parquet`` once
(``gen_transactions.py``: DuckDB SQL, 4 years, ~lines/20 customers, 1-5 lines
an invoice, heavy-tailed amounts), then times each engine in a fresh child
process, as of the last day of the history (2025-12-31):

clientfolio    ``ibis.duckdb.connect()``, ``read_transactions(path, con)`` and
               ``clientfolio.analytics.analyze(table, as_of=...)``: measures,
               ABC, RFM and the segment x product matrix, all fetched.
standin        the same four analyses written by hand in DuckDB SQL against a
               view of the Parquet file, one query per result as ``analyze``
               runs them: a STAND-IN, used in place of clientfolio when
               ``analyze`` does not import, and a yardstick for it.
pandas         the usual pandas way: ``pd.read_parquet`` then the same analyses
               with groupby / cumsum / qcut / pivot_table.
lifetimes      ``lifetimes.utils.summary_data_from_transaction_data`` (read
               with pandas first): per customer frequency, recency, T and mean
               monetary value only, i.e. much LESS than the full analysis.
standin_table  (on request) the stand-in reading the file into a DuckDB table first.
standin_fused  (on request) an experiment: the same results from two scans of
               the file (one GROUP BY customer for measures, ABC and RFM; one
               for the matrix) instead of one scan per result.

Columns: "seconds" is the work in the child, from reading the file to the last
result fetched; "import s" the imports before it; "process s" the child's whole
wall time; "peak MB" its peak resident memory and "CPU s" its CPU time
(``os.wait4`` rusage); "others" the share of the machine's CPU that other
processes used meanwhile (the machine is shared: the script waits for it to be
idle before each run, ``--wait-idle``).  The headline numbers (customers, new,
lost, revenues, concentration, ABC classes, RFM profiles and sums, matrix cells,
co-purchases) of clientfolio, the stand-ins and pandas are compared at every
size, and the goal (10M lines: < 3 s, < 1.5 GB, >= 2x pandas, >= 5x lifetimes)
is checked on the 10M size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# beside this script, so on sys.path when it runs
from gen_transactions import END_DATE, add_credit_notes, generate

HERE = Path(__file__).parent
DATA = HERE / "data"

ENGINES = ("clientfolio", "standin", "standin_table", "standin_fused", "pandas", "lifetimes")
DEFAULT_ENGINES = ("clientfolio", "standin", "pandas", "lifetimes")
GOAL_LINES = 10_000_000
GOAL_SECONDS = 3.0
GOAL_PEAK_MB = 1536
GOAL_VS_PANDAS = 2.0
GOAL_VS_LIFETIMES = 5.0
MEMORY_FLOOR_MB = 1500  # a child is stopped when the machine has less memory available

# The rules both re-implementations follow (clientfolio's defaults, to be kept in step).
ABC_A, ABC_B = 0.80, 0.95  # cumulative revenue share closing classes A and B
TOP_SHARE_DIVISOR = 5  # "top 20 %" of customers: the first ceil(n / 5)
TOP_N = 10  # "top 10" customers
QUINTILES = 5
NEW_QUARTERS = 2
PROFILES = ("inactive", "new", "very_regular", "regular", "declining", "cyclical")
# RFM profile (rfm.py's default rules) from the 4-quarter purchase code, oldest first; the
# first rule that holds: 0000 inactive; first purchase in the last 2 quarters new;
# 1111 very_regular; 3 quarters or more regular; more quarters bought in the first half
# than in the second declining; a gap between two bought quarters cyclical; else declining.


# --------------------------------------------------------------------------- periods


def _profile_case(q: list[str]) -> str:
    """The RFM profile rules (analytics/rfm.py's defaults) as one SQL CASE, for both stand-ins."""
    return f"""CASE WHEN quarters = '0000' THEN 'inactive'
                 WHEN first_date > {q[4 - NEW_QUARTERS]} THEN 'new'
                 WHEN quarters = '1111' THEN 'very_regular'
                 WHEN length(replace(quarters, '0', '')) >= 3 THEN 'regular'
                 WHEN length(replace(quarters[1:2], '0', '')) > length(replace(quarters[3:4], '0', ''))
                   THEN 'declining'
                 WHEN regexp_matches(quarters, '10+1') THEN 'cyclical'
                 ELSE 'declining' END AS profile"""


def _measures_sql(d: dict[str, str], source: str, prefix: str = "") -> str:
    """The measures query over per-customer sums in ``source`` (shared by both stand-ins).
    Not count(*) FILTER (...) OVER () in it: quadratic in DuckDB 1.5."""
    return f"""
        WITH {prefix}f AS (SELECT *, rev_n > 0 AS act_n, rev_p > 0 AS act_p, win_p > 0 AS start_p,
                     first_date > {d["cur_lo"]} AS first_n,
                     first_date > {d["prev_lo"]} AND first_date <= {d["cur_lo"]} AS first_p,
                     row_number() OVER (ORDER BY rev_n DESC, customer_id) AS rank_desc,
                     sum(CASE WHEN rev_n > 0 THEN 1 ELSE 0 END) OVER () AS n
              FROM {source})
        SELECT
            count(*) FILTER (WHERE act_n) AS "n.active", sum(rev_n) AS "n.revenue_cents",
            count(*) FILTER (WHERE act_p) AS "n.start",
            count(*) FILTER (WHERE act_n AND first_n) AS "n.new",
            coalesce(sum(rev_n) FILTER (WHERE act_n AND first_n), 0) AS "n.new_revenue_cents",
            count(*) FILTER (WHERE act_p AND NOT act_n) AS "n.lost",
            coalesce(sum(rev_p) FILTER (WHERE act_p AND NOT act_n), 0) AS "n.lost_revenue_cents",
            count(*) FILTER (WHERE act_p) AS "p.active", sum(rev_p) AS "p.revenue_cents",
            count(*) FILTER (WHERE start_p) AS "p.start",
            count(*) FILTER (WHERE act_p AND first_p) AS "p.new",
            coalesce(sum(rev_p) FILTER (WHERE act_p AND first_p), 0) AS "p.new_revenue_cents",
            count(*) FILTER (WHERE start_p AND NOT act_p) AS "p.lost",
            coalesce(sum(win_p) FILTER (WHERE start_p AND NOT act_p), 0) AS "p.lost_revenue_cents",
            sum(rev_n) FILTER (WHERE act_n) AS active_revenue,
            sum(rev_n) FILTER (WHERE act_n AND rank_desc * {TOP_SHARE_DIVISOR} <= n + {TOP_SHARE_DIVISOR - 1})
              AS top20_revenue,
            sum(rev_n) FILTER (WHERE act_n AND rank_desc <= {TOP_N}) AS topn_revenue,
            sum((n + 1 - rank_desc) * rev_n) FILTER (WHERE act_n) AS ascending_rank_revenue,
            sum(rev_n::DOUBLE * rev_n::DOUBLE) FILTER (WHERE act_n) AS squares,
            any_value(n) AS n_active,
            min(customer_id) FILTER (WHERE act_n AND rank_desc = 1) AS "n.largest_customer_id"
        FROM f"""


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` calendar months (end of month clamped)."""
    import calendar

    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def periods(as_of: dt.date) -> dict[str, Any]:
    """Window bounds: a period is ``lo < date <= hi``."""
    return {
        "as_of": as_of,
        "cur_lo": months_before(as_of, 12),  # last 12 months: (cur_lo, as_of]
        "prev_lo": months_before(as_of, 24),  # previous 12: (prev_lo, cur_lo]
        "lost_lo": months_before(as_of, 36),  # lost window of the previous 12: (lost_lo, prev_lo]
        # 4 rolling quarters, oldest first: (q[0], q[1]], ..., (q[3], q[4] = as_of]
        "quarters": [months_before(as_of, 3 * k) for k in (4, 3, 2, 1, 0)],
    }


# --------------------------------------------------------------------------- headline numbers


def compare(results: dict[str, dict[str, Any]]) -> list[str]:
    """Lines saying where the engines' headline numbers agree."""
    names = [
        n
        for n in ("clientfolio", "standin", "standin_table", "standin_fused", "pandas")
        if results.get(n, {}).get("headline")
    ]
    if len(names) < 2:
        return ["(fewer than two engines with results: nothing to compare)"]
    base = names[0]
    out = []
    for other in names[1:]:
        a, b = results[base]["headline"], results[other]["headline"]
        bad = []
        keys = sorted(k for k in set(a) & set(b) if not k.startswith("_"))
        for key in keys:
            x, y = a[key], b[key]
            if isinstance(x, float) or isinstance(y, float):
                same = math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9)
            else:
                same = x == y
            if not same:
                bad.append(f"{key}: {x} vs {y}")
        common = len(keys)
        alone = len({k for k in set(a) ^ set(b) if not k.startswith("_")})
        out.append(
            f"{base} vs {other}: "
            + (
                f"all {common} headline numbers agree"
                if not bad
                else f"{len(bad)} of {common} differ: " + "; ".join(bad[:12])
            )
            + (f" ({alone} computed by only one of them)" if alone else "")
        )
    return out


# --------------------------------------------------------------------------- engines (children)


def run_clientfolio(path: Path, as_of: dt.date) -> dict[str, Any]:
    import ibis

    try:
        from clientfolio.analytics import analyze  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        from clientfolio.analytics.analysis import analyze
    from clientfolio.analytics.transactions import read_transactions

    _import_lazy_modules()
    phases = _time_fetches()
    start = time.perf_counter()
    con = ibis.duckdb.connect()
    table = read_transactions(path, con)
    result = analyze(table, as_of=as_of)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "phases": phases, "headline": clientfolio_headline(result)}


def _import_lazy_modules() -> None:
    """Import what Ibis imports on first use (DuckDB's module, pandas,
    pyarrow.dataset: 0.5 s), so that clientfolio's seconds exclude imports as
    pandas' and lifetimes' do."""
    import duckdb  # noqa: F401
    import ibis.backends.duckdb  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.compute  # noqa: F401
    import pyarrow.dataset  # noqa: F401


def _time_fetches() -> dict[str, float]:
    """Time every ``Table.to_pyarrow`` (each query analyze runs), by the analytics
    module that asks for it; the wrapper costs microseconds."""
    import ibis.expr.types as ir

    phases: dict[str, float] = {}
    fetch = ir.Table.to_pyarrow

    def timed_fetch(self: Any, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "?").rsplit(".", 1)[-1]
        columns = set(self.columns)
        if caller == "analysis":  # analyze fetches the ABC and RFM tables itself
            caller = "rfm" if "profile" in columns else "abc_summary" if "customers" in columns else "abc"
        t = time.perf_counter()
        try:
            return fetch(self, *args, **kwargs)
        finally:
            phases[caller] = phases.get(caller, 0.0) + time.perf_counter() - t

    ir.Table.to_pyarrow = timed_fetch
    return phases


def clientfolio_headline(result: Any) -> dict[str, Any]:
    """The headline numbers of an ``Analysis``, under the keys the other engines use."""
    out: dict[str, Any] = {}
    for prefix, period in (("n", result.measures.current), ("p", result.measures.previous)):
        out.update(
            {
                f"{prefix}.active": period.active_customers,
                f"{prefix}.revenue_cents": period.revenue_cents,
                f"{prefix}.start": period.active_at_start,
                f"{prefix}.new": period.new_customers,
                f"{prefix}.new_revenue_cents": period.new_revenue_cents,
                f"{prefix}.lost": period.lost_customers,
                f"{prefix}.lost_revenue_cents": period.lost_revenue_cents,
            }
        )
    c = result.measures.concentration
    out.update(
        {
            "n.top20_share": c.top_20pct_share,
            "n.top10_share": c.top_n_share,
            "n.hhi": c.hhi,
            "n.gini": c.gini,
            "n.largest_customer_id": c.largest_customer_id,
        }
    )
    for row in result.abc_summary.to_pylist():
        out[f"abc.{row['class']}.customers"] = int(row["customers"])
        out[f"abc.{row['class']}.revenue_cents"] = int(row["value_cents"])
    out.update(rfm_headline(result.rfm.to_pylist()))
    m = result.matrix
    out.update(
        matrix_headline(
            [(seg, prod, m.value(seg, prod)) for seg in m.segments for prod in m.products if m.value(seg, prod)]
        )
    )
    for ws in m.white_spaces:
        out.update({f"matrix.co.{q}|{ws.product}": n for q, n in zip(ws.neighbours, ws.co_buyers, strict=True) if n})
    return out


def rfm_headline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rfm.customers": len(rows),
        "rfm.frequency_sum": sum(int(r["frequency"]) for r in rows),
        "rfm.recency_sum": sum(int(r["recency_days"]) for r in rows if r["recency_days"] is not None),
        "rfm.monetary_cents": sum(int(r["monetary_cents"]) for r in rows),
    }
    out["rfm.rxfxm_sum"] = sum(int(r["r"]) * int(r["f"]) * int(r["m"]) for r in rows)
    out.update({f"rfm.profile.{p}": 0 for p in PROFILES})
    for r in rows:
        key = f"rfm.profile.{r['profile']}"
        out[key] = out.get(key, 0) + 1
    return out


def run_standin_table(path: Path, as_of: dt.date) -> dict[str, Any]:
    """The stand-in reading the file once into a DuckDB temporary table first."""
    return run_standin(path, as_of, materialize=True)


def run_standin(path: Path, as_of: dt.date, materialize: bool = False) -> dict[str, Any]:
    """The four analyses in plain DuckDB SQL (a stand-in for ``analyze``)."""
    import duckdb

    p = periods(as_of)
    d = {k: f"DATE '{v.isoformat()}'" for k, v in p.items() if isinstance(v, dt.date)}
    q = [f"DATE '{v.isoformat()}'" for v in p["quarters"]]
    phases: dict[str, float] = {}
    start = time.perf_counter()
    con = duckdb.connect()
    # what read_transactions gives: a view over the file, euros -> integer cents
    con.execute(f"""
        CREATE TEMP {"TABLE" if materialize else "VIEW"} tx AS
        SELECT customer_id::VARCHAR AS customer_id, invoice_id::VARCHAR AS invoice_id,
            date::DATE AS date, CAST(round(amount * 100) AS BIGINT) AS amount_cents,
            product::VARCHAR AS product, segment::VARCHAR AS segment,
            CAST(round(margin * 100) AS BIGINT) AS margin_cents
        FROM read_parquet('{path}')""")
    phases["read"] = time.perf_counter() - start

    def timed(name: str, sql: str) -> Any:
        t = time.perf_counter()
        table = con.sql(sql).to_arrow_table()
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
        return table

    # 1. measures: one query grouping the history by customer, as measures.py does:
    # active = net > 0 in the period, new = active and first line in the period,
    # lost = active in the 12 months before the period and not in it
    per_customer = f"""
        SELECT customer_id, min(date) AS first_date,
            coalesce(sum(amount_cents) FILTER (WHERE date > {d["cur_lo"]}), 0) AS rev_n,
            coalesce(sum(amount_cents) FILTER (WHERE date > {d["prev_lo"]} AND date <= {d["cur_lo"]}), 0) AS rev_p,
            coalesce(sum(amount_cents) FILTER (WHERE date > {d["lost_lo"]} AND date <= {d["prev_lo"]}), 0) AS win_p
        FROM tx WHERE date <= {d["as_of"]} GROUP BY customer_id"""
    row = timed("measures", _measures_sql(d, "per", prefix=f"per AS ({per_customer}),\n")).to_pylist()[0]
    n, total = int(row["n_active"]), int(row["active_revenue"])
    conc = {
        "n.top20_share": int(row["top20_revenue"]) / total,
        "n.top10_share": int(row["topn_revenue"]) / total,
        "n.hhi": float(row["squares"]) / (total * total),
        "n.gini": 2 * int(row["ascending_rank_revenue"]) / (n * total) - (n + 1) / n,
        "n.largest_customer_id": row["n.largest_customer_id"],
    }

    # 2. ABC over the last 12 months; then its summary (a second query, as in analyze)
    abc_sql = f"""
        WITH v AS (SELECT customer_id, sum(amount_cents) AS value_cents FROM tx
                   WHERE date > {d["cur_lo"]} AND date <= {d["as_of"]} GROUP BY customer_id
                   HAVING sum(amount_cents) > 0),
        r AS (SELECT *, value_cents / sum(value_cents) OVER () AS share,
                     sum(value_cents) OVER (ORDER BY value_cents DESC, customer_id ROWS UNBOUNDED PRECEDING)
                       / sum(value_cents) OVER () AS cumulative_share FROM v)
        SELECT *, CASE WHEN cumulative_share - share < {ABC_A} THEN 'A'
                       WHEN cumulative_share - share < {ABC_B} THEN 'B' ELSE 'C' END AS class FROM r"""
    abc = timed("abc", abc_sql)
    abc_summary = timed(
        "abc",
        f"""
        SELECT class, count(*) AS customers, sum(value_cents) AS value_cents FROM ({abc_sql})
        GROUP BY class ORDER BY class""",
    ).to_pylist()

    # 3. RFM over 4 rolling quarters, for every customer known on as_of
    rfm = timed(
        "rfm",
        f"""
        WITH w AS (
            SELECT customer_id, invoice_id, date, amount_cents,
                CASE WHEN date > {q[3]} THEN 4 WHEN date > {q[2]} THEN 3
                     WHEN date > {q[1]} THEN 2 WHEN date > {q[0]} THEN 1 END AS quarter
            FROM tx WHERE date <= {d["as_of"]}),
        c AS (
            SELECT customer_id, min(date) AS first_date, max(date) AS last_date,
                count(DISTINCT invoice_id) FILTER (WHERE quarter IS NOT NULL) AS frequency,
                coalesce(sum(amount_cents) FILTER (WHERE quarter IS NOT NULL), 0) AS monetary_cents,
                concat((count(*) FILTER (WHERE quarter = 1) > 0)::INT, (count(*) FILTER (WHERE quarter = 2) > 0)::INT,
                       (count(*) FILTER (WHERE quarter = 3) > 0)::INT, (count(*) FILTER (WHERE quarter = 4) > 0)::INT
                ) AS quarters
            FROM w GROUP BY customer_id),
        s AS (
            SELECT *, {d["as_of"]} - last_date AS recency_days,
                ntile({QUINTILES}) OVER (ORDER BY {d["as_of"]} - last_date DESC, customer_id) AS r,
                ntile({QUINTILES}) OVER (ORDER BY frequency, customer_id) AS f,
                ntile({QUINTILES}) OVER (ORDER BY monetary_cents, customer_id) AS m
            FROM c)
        SELECT customer_id, recency_days, frequency, monetary_cents, r, f, m, quarters,
            {_profile_case(q)}
        FROM s""",
    )

    # 4. segment x product revenue over the last 12 months
    matrix = timed(
        "matrix",
        f"""
        SELECT segment, product, sum(amount_cents) AS value_cents FROM tx
        WHERE date > {d["cur_lo"]} AND date <= {d["as_of"]} GROUP BY ALL""",
    ).to_pylist()
    # co-purchases of product lines, for the white spaces (segment_product's second query)
    co_buyers = timed(
        "matrix",
        f"""
        WITH b AS (SELECT customer_id, product FROM tx
                   WHERE date > {d["cur_lo"]} AND date <= {d["as_of"]} AND product IS NOT NULL
                   GROUP BY ALL HAVING sum(amount_cents) > 0)
        SELECT b1.product, b2.product AS other, count(*) AS customers
        FROM b b1 JOIN b b2 ON b1.customer_id = b2.customer_id AND b1.product <> b2.product
        GROUP BY ALL""",
    ).to_pylist()
    seconds = time.perf_counter() - start

    headline: dict[str, Any] = {
        k: int(v) for k, v in row.items() if k.startswith(("n.", "p.")) and k != "n.largest_customer_id"
    }
    headline.update(conc)
    for row in abc_summary:
        headline[f"abc.{row['class']}.customers"] = int(row["customers"])
        headline[f"abc.{row['class']}.revenue_cents"] = int(row["value_cents"])
    headline.update(rfm_headline(rfm.to_pylist()))
    headline.update(matrix_headline([(r["segment"], r["product"], r["value_cents"]) for r in matrix]))
    headline.update({f"matrix.co.{r['product']}|{r['other']}": int(r["customers"]) for r in co_buyers})
    del abc
    return {"seconds": seconds, "phases": phases, "headline": headline}


def run_standin_fused(path: Path, as_of: dt.date) -> dict[str, Any]:
    """An experiment: the same results from two scans of the file instead of six.
    One GROUP BY customer over the history gives every per-customer figure that
    measures, ABC and RFM need (a 500,000-row table for 10M lines); one GROUP BY
    customer x segment x product over the last 12 months gives the matrix and the
    co-purchases.  Frequency is ``count(DISTINCT invoice_id)``, the same as
    rfm.py's positive invoices only while no invoice nets to zero or less (true
    of the generated data)."""
    import duckdb

    p = periods(as_of)
    d = {k: f"DATE '{v.isoformat()}'" for k, v in p.items() if isinstance(v, dt.date)}
    q = [f"DATE '{v.isoformat()}'" for v in p["quarters"]]
    phases: dict[str, float] = {}
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"""
        CREATE TEMP VIEW tx AS SELECT customer_id::VARCHAR AS customer_id, invoice_id::VARCHAR AS invoice_id,
            date::DATE AS date, CAST(round(amount * 100) AS BIGINT) AS amount_cents,
            product::VARCHAR AS product, segment::VARCHAR AS segment
        FROM read_parquet('{path}')""")

    def timed(name: str, sql: str) -> Any:
        t = time.perf_counter()
        table = con.sql(sql).to_arrow_table()
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
        return table

    t = time.perf_counter()
    quarter_sums = ", ".join(
        f"coalesce(sum(amount_cents) FILTER (WHERE date > {q[k]} AND date <= {q[k + 1]}), 0) AS q{k + 1}"
        for k in range(4)
    )
    con.execute(f"""
        CREATE TEMP TABLE per AS
        SELECT customer_id, min(date) AS first_date, max(date) AS last_date, {quarter_sums},
            coalesce(sum(amount_cents) FILTER (WHERE date > {d["prev_lo"]} AND date <= {d["cur_lo"]}), 0) AS rev_p,
            coalesce(sum(amount_cents) FILTER (WHERE date > {d["lost_lo"]} AND date <= {d["prev_lo"]}), 0) AS win_p,
            count(DISTINCT invoice_id) FILTER (WHERE date > {q[0]}) AS frequency,
            count(*) FILTER (WHERE date > {q[0]}) AS lines_n
        FROM tx WHERE date <= {d["as_of"]} GROUP BY customer_id""")
    con.execute("CREATE TEMP VIEW per_n AS SELECT *, q1 + q2 + q3 + q4 AS rev_n FROM per")
    con.execute(f"""
        CREATE TEMP TABLE cps AS
        SELECT customer_id, segment, product, sum(amount_cents) AS value_cents FROM tx
        WHERE date > {d["cur_lo"]} AND date <= {d["as_of"]} GROUP BY ALL""")
    phases["scans"] = time.perf_counter() - t

    row = timed("measures", _measures_sql(d, "per_n")).to_pylist()[0]
    n, total = int(row["n_active"]), int(row["active_revenue"])
    headline: dict[str, Any] = {
        k: int(v) for k, v in row.items() if k.startswith(("n.", "p.")) and k != "n.largest_customer_id"
    }
    headline.update(
        {
            "n.top20_share": int(row["top20_revenue"]) / total,
            "n.top10_share": int(row["topn_revenue"]) / total,
            "n.hhi": float(row["squares"]) / (total * total),
            "n.gini": 2 * int(row["ascending_rank_revenue"]) / (n * total) - (n + 1) / n,
            "n.largest_customer_id": row["n.largest_customer_id"],
        }
    )

    t = time.perf_counter()
    con.execute(f"""
        CREATE TEMP TABLE abc AS
        WITH v AS (SELECT customer_id, rev_n AS value_cents FROM per_n WHERE lines_n > 0),
        r AS (SELECT *, greatest(value_cents, 0) / sum(greatest(value_cents, 0)) OVER () AS share,
                     sum(greatest(value_cents, 0)) OVER (ORDER BY value_cents DESC, customer_id
                         ROWS UNBOUNDED PRECEDING) / sum(greatest(value_cents, 0)) OVER () AS cumulative_share
              FROM v)
        SELECT *, CASE WHEN value_cents > 0 AND cumulative_share - share < {ABC_A} THEN 'A'
                       WHEN value_cents > 0 AND cumulative_share - share < {ABC_B} THEN 'B' ELSE 'C' END AS class
        FROM r""")
    phases["abc"] = time.perf_counter() - t
    abc = timed("abc", "SELECT * FROM abc ORDER BY value_cents DESC, customer_id")
    for row in timed(
        "abc",
        """SELECT class, count(*) AS customers, sum(value_cents) AS value_cents
                               FROM abc GROUP BY class""",
    ).to_pylist():
        headline[f"abc.{row['class']}.customers"] = int(row["customers"])
        headline[f"abc.{row['class']}.revenue_cents"] = int(row["value_cents"])

    rfm = timed(
        "rfm",
        f"""
        WITH c AS (SELECT *, concat((q1 > 0)::INT, (q2 > 0)::INT, (q3 > 0)::INT, (q4 > 0)::INT) AS quarters,
                          q1 + q2 + q3 + q4 AS monetary_cents, {d["as_of"]} - last_date AS recency_days
                   FROM per)
        SELECT customer_id, recency_days, frequency, monetary_cents, quarters,
            ntile({QUINTILES}) OVER (ORDER BY recency_days DESC, customer_id) AS r,
            ntile({QUINTILES}) OVER (ORDER BY frequency, customer_id) AS f,
            ntile({QUINTILES}) OVER (ORDER BY monetary_cents, customer_id) AS m,
            {_profile_case(q)}
        FROM c""",
    )

    matrix = timed("matrix", "SELECT segment, product, sum(value_cents) AS value_cents FROM cps GROUP BY ALL")
    co_buyers = timed(
        "matrix",
        """
        WITH b AS (SELECT customer_id, product FROM cps WHERE product IS NOT NULL
                   GROUP BY ALL HAVING sum(value_cents) > 0)
        SELECT b1.product, b2.product AS other, count(*) AS customers
        FROM b b1 JOIN b b2 ON b1.customer_id = b2.customer_id AND b1.product <> b2.product
        GROUP BY ALL""",
    )
    seconds = time.perf_counter() - start
    headline.update(rfm_headline(rfm.to_pylist()))
    headline.update(matrix_headline([(r["segment"], r["product"], r["value_cents"]) for r in matrix.to_pylist()]))
    headline.update({f"matrix.co.{r['product']}|{r['other']}": int(r["customers"]) for r in co_buyers.to_pylist()})
    del abc
    return {"seconds": seconds, "phases": phases, "headline": headline}


def matrix_headline(cells: list[tuple[Any, Any, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {"matrix.cells": sum(1 for c in cells if c[2])}
    for seg, prod, cents in cells:
        out[f"matrix.{seg}|{prod}"] = int(cents)
    return out


def run_pandas(path: Path, as_of: dt.date) -> dict[str, Any]:
    """The usual pandas way: read the whole file, then groupby / cumsum / qcut / pivot_table."""
    import numpy as np
    import pandas as pd

    p = periods(as_of)
    ts = {k: pd.Timestamp(v) for k, v in p.items() if isinstance(v, dt.date)}
    qb = [pd.Timestamp(v) for v in p["quarters"]]
    phases: dict[str, float] = {}
    start = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        phases[name] = now - t
        t = now

    df = pd.read_parquet(path, columns=["customer_id", "invoice_id", "date", "amount", "product", "segment"])
    df["date"] = pd.to_datetime(df["date"])  # date32 arrives as Python date objects
    lap("read")

    # per-customer figures in one groupby, shared by the measures, ABC and RFM
    hist = df[df["date"] <= ts["as_of"]]
    date, amount = hist["date"], hist["amount"]

    def inside(lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
        return (date > lo) & (date <= hi)

    # purchases (RFM): invoices netting above zero; only those with a line of zero or
    # less can fail, so only they are summed (none in the files without credit notes)
    sold = amount > 0
    if (amount <= 0).any():
        doubtful = hist[hist["invoice_id"].isin(hist.loc[~sold, "invoice_id"].unique())]
        nets = (doubtful["amount"] * 100).round().astype("int64").groupby(doubtful["invoice_id"]).sum()
        sold &= ~hist["invoice_id"].isin(nets.index[nets <= 0])
    bought_on = date.where(sold)

    quarters = [f"q{k + 1}" for k in range(4)]
    per = (
        hist.assign(
            bought_on=bought_on,
            rev_p=amount.where(inside(ts["prev_lo"], ts["cur_lo"]), 0.0),
            win_p=amount.where(inside(ts["lost_lo"], ts["prev_lo"]), 0.0),
            lines_n=inside(ts["cur_lo"], ts["as_of"]),
            **{name: amount.where(inside(qb[k], qb[k + 1]), 0.0) for k, name in enumerate(quarters)},
        )
        .groupby("customer_id")
        .agg(
            first=("date", "min"),
            first_purchase=("bought_on", "min"),
            last_purchase=("bought_on", "max"),
            rev_p=("rev_p", "sum"),
            win_p=("win_p", "sum"),
            lines_n=("lines_n", "sum"),
            **{name: (name, "sum") for name in quarters},
        )
    )
    per["rev_n"] = per[quarters].sum(axis=1)  # the 4 quarters are the last 12 months
    lap("per customer")

    # 1. measures (the definitions of measures.py)
    v_cur, v_prev, v_win, first = per["rev_n"], per["rev_p"], per["win_p"], per["first"]
    act_n, act_p, start_p = v_cur > 0, v_prev > 0, v_win > 0
    first_n = first > ts["cur_lo"]
    first_p = (first > ts["prev_lo"]) & (first <= ts["cur_lo"])
    headline: dict[str, Any] = {}
    for prefix, active, value, at_start, window, first_in in (
        ("n", act_n, v_cur, act_p, v_prev, first_n),
        ("p", act_p, v_prev, start_p, v_win, first_p),
    ):
        new, lost = active & first_in, at_start & ~active
        headline.update(
            {
                f"{prefix}.active": int(active.sum()),
                f"{prefix}.revenue_cents": round(value.sum() * 100),
                f"{prefix}.start": int(at_start.sum()),
                f"{prefix}.new": int(new.sum()),
                f"{prefix}.new_revenue_cents": round(value[new].sum() * 100),
                f"{prefix}.lost": int(lost.sum()),
                f"{prefix}.lost_revenue_cents": round(window[lost].sum() * 100),
            }
        )
    ranked = v_cur[act_n].rename("value").reset_index().sort_values(["value", "customer_id"], ascending=[False, True])
    values = ranked["value"].to_numpy()
    share, n = values / values.sum(), len(values)
    headline.update(
        {
            "n.top20_share": float(share[: (n + TOP_SHARE_DIVISOR - 1) // TOP_SHARE_DIVISOR].sum()),
            "n.top10_share": float(share[:TOP_N].sum()),
            "n.hhi": float((share**2).sum()),
            "n.gini": float(2 * (np.arange(n, 0, -1) * values).sum() / (n * values.sum()) - (n + 1) / n),
            "n.largest_customer_id": ranked["customer_id"].iloc[0],
        }
    )
    lap("measures")

    # 2. ABC: customers with lines in the last 12 months
    abc = (
        v_cur[per["lines_n"] > 0]
        .rename("value")
        .reset_index()
        .sort_values(["value", "customer_id"], ascending=[False, True])
    )
    positive = abc["value"].clip(lower=0)
    abc["share"] = positive / positive.sum()
    abc["cumulative_share"] = abc["share"].cumsum()
    abc["class"] = pd.cut(
        abc["cumulative_share"] - abc["share"], [-np.inf, ABC_A, ABC_B, np.inf], right=False, labels=["A", "B", "C"]
    ).astype(str)
    abc.loc[abc["value"] <= 0, "class"] = "C"
    summary = abc.groupby("class")["value"].agg(["count", "sum"])
    for cls, row in summary.iterrows():
        headline[f"abc.{cls}.customers"] = int(row["count"])
        headline[f"abc.{cls}.revenue_cents"] = round(row["sum"] * 100)
    lap("abc")

    # 3. RFM: purchase code, recency, frequency (distinct invoices), amount, quintiles
    cur = hist[date > ts["cur_lo"]]
    bought = per[quarters] > 0
    rfm = pd.DataFrame(index=per.index)
    rfm["recency_days"] = (ts["as_of"] - per["last_purchase"]).dt.days
    purchases = hist[(date > ts["cur_lo"]) & sold]
    rfm["frequency"] = purchases.groupby("customer_id")["invoice_id"].nunique().reindex(per.index, fill_value=0)
    rfm["monetary"] = v_cur.round(2)  # whole cents: float sums of equal cents tie
    rfm["quarters"] = (bought @ [1000, 100, 10, 1]).astype(str).str.zfill(4)
    rfm = rfm.sort_index()
    never = rfm["recency_days"].fillna(2**62)  # no purchase: the least recent
    rfm["r"] = pd.qcut(never.rank(method="first", ascending=False), QUINTILES, labels=False) + 1
    rfm["f"] = pd.qcut(rfm["frequency"].rank(method="first"), QUINTILES, labels=False) + 1
    rfm["m"] = pd.qcut(rfm["monetary"].rank(method="first"), QUINTILES, labels=False) + 1
    code, new_customer = rfm["quarters"], per["first_purchase"].reindex(rfm.index) > qb[4 - NEW_QUARTERS]
    count = bought.reindex(rfm.index).sum(axis=1)
    first_half = bought[["q1", "q2"]].reindex(rfm.index).sum(axis=1)
    rfm["profile"] = np.select(
        [
            code == "0000",
            new_customer,
            code == "1111",
            count >= 3,
            first_half > count - first_half,
            code.str.contains("10+1"),
        ],
        ["inactive", "new", "very_regular", "regular", "declining", "cyclical"],
        "declining",
    )
    headline.update(
        {
            "rfm.customers": len(rfm),
            "rfm.frequency_sum": int(rfm["frequency"].sum()),
            "rfm.recency_sum": int(rfm["recency_days"].sum()),
            "rfm.monetary_cents": round(rfm["monetary"].sum() * 100),
            "rfm.rxfxm_sum": int((rfm["r"] * rfm["f"] * rfm["m"]).sum()),
        }
    )
    headline.update({f"rfm.profile.{p}": 0 for p in PROFILES})
    for profile, number in rfm["profile"].value_counts().items():
        headline[f"rfm.profile.{profile}"] = int(number)
    lap("rfm")

    # 4. segment x product
    matrix = cur.pivot_table(
        index="segment", columns="product", values="amount", aggfunc="sum", margins=True, margins_name="Total"
    )
    headline.update(
        matrix_headline(
            [(s, p, round(v * 100)) for (s, p), v in matrix.drop(index="Total", columns="Total").stack().items()]
        )
    )
    net = cur.groupby(["customer_id", "product"])["amount"].sum()
    bought_lines = (net > 0).unstack(fill_value=False).astype("int64")
    co = bought_lines.T @ bought_lines  # customers buying both lines
    headline.update(
        {f"matrix.co.{p}|{o}": int(co.loc[p, o]) for p in co.index for o in co.columns if p != o and co.loc[p, o] > 0}
    )
    lap("matrix")
    return {"seconds": time.perf_counter() - start, "phases": phases, "headline": headline}


def run_lifetimes(path: Path, as_of: dt.date) -> dict[str, Any]:
    """lifetimes' RFM summary: frequency, recency, T, mean monetary value only."""
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    start = time.perf_counter()
    df = pd.read_parquet(path, columns=["customer_id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"])
    read = time.perf_counter() - start
    summary = summary_data_from_transaction_data(
        df, "customer_id", "date", monetary_value_col="amount", observation_period_end=pd.Timestamp(as_of)
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "phases": {"read": read, "summary": seconds - read},
        "headline": {"lifetimes.customers": len(summary), "lifetimes.frequency_sum": int(summary["frequency"].sum())},
    }


# imported (and timed) before the work starts, in the child
IMPORTS = {
    "clientfolio": [
        "ibis",
        "clientfolio.analytics",
        "clientfolio.analytics.analysis",
        "clientfolio.analytics.transactions",
    ],
    "standin": ["duckdb", "pyarrow"],
    "standin_table": ["duckdb", "pyarrow"],
    "standin_fused": ["duckdb", "pyarrow"],
    "pandas": ["numpy", "pandas", "pyarrow"],
    "lifetimes": ["pandas", "pyarrow", "lifetimes.utils"],
}
RUNNERS = {
    "clientfolio": run_clientfolio,
    "standin": run_standin,
    "standin_table": run_standin_table,
    "standin_fused": run_standin_fused,
    "pandas": run_pandas,
    "lifetimes": run_lifetimes,
}


# --------------------------------------------------------------------------- parent


def clientfolio_available() -> str | None:
    """None when ``clientfolio.analytics.analyze`` imports, else why not."""
    probe = subprocess.run(
        [sys.executable, "-c", "from clientfolio.analytics.analysis import analyze"],
        check=False,
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0:
        return None
    return (probe.stderr.strip().splitlines() or ["import failed"])[-1]


def cpu_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


def mem_available_mb() -> float | None:
    """MemAvailable of /proc/meminfo, in MB (None when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def wait_for_idle(max_wait: float, busy_limit: float = 0.15) -> float:
    """Wait (at most ``max_wait`` s) until the machine was less than ``busy_limit``
    busy over one second; returns the last busy fraction measured."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = cpu_times()
        time.sleep(1.0)
        b1, t1 = cpu_times()
        busy = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        if busy <= busy_limit or time.monotonic() >= deadline:
            return busy
        print(f"    machine {busy:.0%} busy, waiting ...", file=sys.stderr, flush=True)


def run_child(engine: str, path: Path, as_of: dt.date) -> dict[str, Any]:
    """Run one engine in a fresh process; wall time, CPU time and peak RSS from the
    kernel (``os.wait4``), and the share of the machine's CPU that other
    processes used meanwhile."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy0, total0 = cpu_times()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", engine, "--file", str(path), "--as-of", as_of.isoformat()],
            stdout=out,
            stderr=err,
        )
        killed = None
        while True:  # poll, to stop the child before it starves the machine
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            available = mem_available_mb()
            if killed is None and available is not None and available < MEMORY_FLOOR_MB:
                killed = f"stopped: the machine had {available:.0f} MB of memory left"
                proc.kill()
            time.sleep(0.2)
        wall = time.perf_counter() - start
        busy1, total1 = cpu_times()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, (busy1 - busy0) - cpu) / (total1 - total0) if total1 > total0 else 0.0
    figures = {
        "process_seconds": wall,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
        "cpu_seconds": cpu,
        "others_busy": others,
    }
    if proc.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return {"error": killed or tail[0], **figures}
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(figures)
    return result


def fmt_ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if not a or not b or "seconds" not in a or "seconds" not in b:
        return "-"
    return f"{a['seconds'] / b['seconds']:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=ENGINES,
        default=list(DEFAULT_ENGINES),
        help="default: %(default)s; standin_table = the stand-in reading the file once into a DuckDB table first",
    )
    parser.add_argument(
        "--skip-lifetimes-above",
        type=int,
        default=10_000_000,
        metavar="N",
        help="do not run lifetimes on files of more than N lines (default 10,000,000)",
    )
    parser.add_argument(
        "--skip-pandas-above",
        type=int,
        default=None,
        metavar="N",
        help="do not run pandas on files of more than N lines (default: always run)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each engine (fresh process each); the fastest is kept"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=120,
        metavar="SECONDS",
        help="before each run, wait up to SECONDS for the machine to be under 15 %% "
        "busy (it is shared; default 120, 0 to start at once)",
    )
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=END_DATE)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--credit-notes",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="analyse the copy of each file with credit notes for this share of the "
        "invoices and corrected invoices netting below zero (gen_transactions.py "
        "--credit-notes); the SQL stand-ins, which ignore credit notes, are skipped",
    )
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        import importlib

        t = time.perf_counter()
        for module in IMPORTS[args.child]:
            importlib.import_module(module)
        imports = time.perf_counter() - t
        result = RUNNERS[args.child](args.file, args.as_of)
        result["import_seconds"] = imports
        print(json.dumps(result, default=str))
        return

    engines = list(args.engines)
    if "clientfolio" in engines:
        why = clientfolio_available()
        if why:
            print(
                f"clientfolio.analytics.analyze is not available yet ({why}): only the DuckDB SQL "
                "stand-in is timed for it.\n",
                file=sys.stderr,
            )
            engines.remove("clientfolio")
            if "standin" not in engines:
                engines.insert(0, "standin")
    DATA.mkdir(exist_ok=True)
    machine = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    print(
        f"as of {args.as_of}; {machine}.  seconds = the work in the child process, from reading the file "
        f"to the last result fetched (best of {args.repeat}); import s = importing the libraries first; "
        "process s = the child's whole wall time (start-up, imports, work, and this script's checks of the "
        "results); peak MB = the child's peak RSS; CPU s = its user+system CPU; others = share of the "
        "machine's CPU used by other processes meanwhile (the machine is shared: over ~10 % the figures "
        "are not clean)"
    )
    everything: dict[int, dict[str, dict[str, Any]]] = {}
    for lines in args.lines:
        path = DATA / f"transactions_{lines}.parquet"
        if not path.exists():
            print(f"generating {path.name} ...", file=sys.stderr, flush=True)
            seconds = generate(path, lines)
            print(
                f"  {lines:,} lines in {seconds:.1f} s, {path.stat().st_size / 2**20:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
        if args.credit_notes:
            base, path = path, path.with_name(f"{path.stem}_credits.parquet")
            if not path.exists():
                written = add_credit_notes(base, path, args.credit_notes)
                print(f"  {written:,} lines with credit notes: {path.name}", file=sys.stderr, flush=True)
        results: dict[str, dict[str, Any]] = {}
        for engine in engines:
            if args.credit_notes and engine.startswith("standin"):
                continue
            if engine == "lifetimes" and lines > args.skip_lifetimes_above:
                results[engine] = {"skipped": f"more than {args.skip_lifetimes_above:,} lines"}
                continue
            if engine == "pandas" and args.skip_pandas_above is not None and lines > args.skip_pandas_above:
                results[engine] = {"skipped": f"more than {args.skip_pandas_above:,} lines"}
                continue
            best: dict[str, Any] | None = None
            for _ in range(args.repeat):
                if args.wait_idle > 0:
                    wait_for_idle(args.wait_idle)
                print(f"  {lines:,} lines: {engine} ...", file=sys.stderr, flush=True)
                r = run_child(engine, path, args.as_of)
                if best is None or ("seconds" in r and r["seconds"] < best.get("seconds", math.inf)):
                    best = r
            results[engine] = best or {}
        everything[lines] = results
        print_table(lines, results)
        for line in compare(results):
            print("  agreement " + line)
        if lines == GOAL_LINES:
            check_goal(results)
        print(flush=True)
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in everything.items()}, indent=2, default=str))


def print_table(lines: int, results: dict[str, dict[str, Any]]) -> None:
    main_engine = "clientfolio" if "seconds" in results.get("clientfolio", {}) else "standin"
    ref = results.get(main_engine)
    print(
        f"\n{'lines':>12}  {'engine':<14} {'seconds':>7} {'import s':>8} {'process s':>9} {'peak MB':>7} "
        f"{'CPU s':>6} {'others':>6}  phases (s)"
    )
    for engine, r in results.items():
        label = engine + ("*" if engine.startswith("standin") else "")
        if "skipped" in r:
            print(f"{lines:>12,}  {label:<14} skipped: {r['skipped']}")
            continue
        if "error" in r:
            print(
                f"{lines:>12,}  {label:<14} FAILED after {r['process_seconds']:.1f} s, "
                f"{r['peak_mb']:.0f} MB: {r['error']}"
            )
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r.get("phases", {}).items())
        print(
            f"{lines:>12,}  {label:<14} {r['seconds']:>7.2f} {r.get('import_seconds', 0):>8.2f} "
            f"{r['process_seconds']:>9.2f} {r['peak_mb']:>7.0f} {r['cpu_seconds']:>6.1f} {r['others_busy']:>6.0%}  "
            f"{phases}"
        )
    print(
        f"{'':>12}  ratios against {main_engine}: pandas/{main_engine} "
        f"{fmt_ratio(results.get('pandas'), ref)}, lifetimes/{main_engine} "
        f"{fmt_ratio(results.get('lifetimes'), ref)}"
        + (
            "  (lifetimes computes only frequency/recency/T/monetary)"
            if "seconds" in results.get("lifetimes", {})
            else ""
        )
    )
    if any(e.startswith("standin") for e in results):
        print(f"{'':>12}  * standin: the same analyses in hand-written DuckDB SQL, a stand-in, not clientfolio")


def check_goal(results: dict[str, dict[str, Any]]) -> None:
    engine = "clientfolio" if "seconds" in results.get("clientfolio", {}) else "standin"
    r = results.get(engine, {})
    if "seconds" not in r:
        print("  goal: no clientfolio or stand-in figures")
        return
    label = engine + (" (SQL stand-in, not clientfolio itself)" if engine == "standin" else "")
    checks = [
        (f"under {GOAL_SECONDS:.0f} s", r["seconds"] < GOAL_SECONDS, f"{r['seconds']:.2f} s"),
        (f"peak under {GOAL_PEAK_MB} MB", r["peak_mb"] < GOAL_PEAK_MB, f"{r['peak_mb']:.0f} MB"),
    ]
    for other, factor in (("pandas", GOAL_VS_PANDAS), ("lifetimes", GOAL_VS_LIFETIMES)):
        o = results.get(other, {})
        if "seconds" in o:
            ratio = o["seconds"] / r["seconds"]
            checks.append((f">= {factor:.0f}x faster than {other}", ratio >= factor, f"{ratio:.1f}x"))
        else:
            checks.append((f">= {factor:.0f}x faster than {other}", None, "not measured"))
    print(f"  goal at {GOAL_LINES:,} lines, {label}:")
    for what, ok, value in checks:
        verdict = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        print(f"    {verdict} {what}: {value}")


if __name__ == "__main__":
    main()
