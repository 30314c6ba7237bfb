-- The analyses of `clientfolio analyze`, hand-written in DuckDB SQL: the yardstick
-- of benchmarks/whole_process.py (which runs it with the duckdb Python module in a
-- child process, {file} replaced; the COPY statements run with --out
-- only, {out} replaced by the directory).
--
-- Measures of the 12 months ending at as_of and of the 12 before (active, new, lost
-- customers, revenue, concentration), ABC classes (80 % / 95 % of the 12 months'
-- revenue), 4 rolling quarters: purchase code, R/F/M quintiles and profile, and the
-- segment x product matrix.  A purchase is an invoice with a positive line (the
-- generated files have no credit notes).  Dates: "- k months" as DuckDB's INTERVAL
-- (day of month kept, clamped to the end of a shorter month), as clientfolio does.

-- as of the last day of the file, as `clientfolio analyze` without --as-of
SET VARIABLE as_of = (SELECT max(date) FROM read_parquet('{file}'));
SET VARIABLE n_lo = getvariable('as_of') - INTERVAL 12 MONTH;
SET VARIABLE p_lo = getvariable('as_of') - INTERVAL 24 MONTH;
SET VARIABLE w_lo = getvariable('as_of') - INTERVAL 36 MONTH;
SET VARIABLE q1 = getvariable('as_of') - INTERVAL 12 MONTH;
SET VARIABLE q2 = getvariable('as_of') - INTERVAL 9 MONTH;
SET VARIABLE q3 = getvariable('as_of') - INTERVAL 6 MONTH;
SET VARIABLE q4 = getvariable('as_of') - INTERVAL 3 MONTH;

CREATE TEMP VIEW tx AS
SELECT customer_id, invoice_id, date, CAST(round(amount * 100) AS BIGINT) AS amount_cents,
       product, segment
FROM read_parquet('{file}')
WHERE date <= getvariable('as_of');

-- one pass over the lines: every per-customer figure of the measures, ABC and RFM
CREATE TEMP TABLE per AS
SELECT customer_id,
    min(date) AS first_line,
    max(date) FILTER (WHERE amount_cents > 0) AS last_purchase,
    coalesce(sum(amount_cents) FILTER (WHERE date > getvariable('q1') AND date <= getvariable('q2')), 0) AS a1,
    coalesce(sum(amount_cents) FILTER (WHERE date > getvariable('q2') AND date <= getvariable('q3')), 0) AS a2,
    coalesce(sum(amount_cents) FILTER (WHERE date > getvariable('q3') AND date <= getvariable('q4')), 0) AS a3,
    coalesce(sum(amount_cents) FILTER (WHERE date > getvariable('q4')), 0) AS a4,
    count(*) FILTER (WHERE date > getvariable('n_lo')) AS lines_n,
    coalesce(sum(amount_cents) FILTER (WHERE date > getvariable('p_lo') AND date <= getvariable('n_lo')), 0) AS rev_p,
    coalesce(sum(amount_cents) FILTER (WHERE date > getvariable('w_lo') AND date <= getvariable('p_lo')), 0) AS win_p,
    count(DISTINCT invoice_id) FILTER (WHERE date > getvariable('q1') AND amount_cents > 0) AS frequency
FROM tx GROUP BY customer_id;

CREATE TEMP TABLE measures AS
WITH f AS (
    SELECT *, a1 + a2 + a3 + a4 AS rev_n,
        row_number() OVER (ORDER BY a1 + a2 + a3 + a4 DESC, customer_id) AS rank,
        sum((a1 + a2 + a3 + a4 > 0)::INT) OVER () AS n  -- not count(*) FILTER: quadratic in DuckDB 1.5
    FROM per
)
SELECT
    getvariable('as_of') AS as_of,
    count(*) FILTER (WHERE rev_n > 0) AS active_customers,
    sum(rev_n) AS revenue_cents,
    count(*) FILTER (WHERE rev_p > 0) AS active_at_start,
    count(*) FILTER (WHERE rev_n > 0 AND first_line > getvariable('n_lo')) AS new_customers,
    count(*) FILTER (WHERE rev_p > 0 AND rev_n <= 0) AS lost_customers,
    count(*) FILTER (WHERE rev_p > 0) AS previous_active_customers,
    sum(rev_p) AS previous_revenue_cents,
    count(*) FILTER (WHERE rev_p > 0 AND first_line > getvariable('p_lo') AND first_line <= getvariable('n_lo'))
        AS previous_new_customers,
    count(*) FILTER (WHERE win_p > 0 AND rev_p <= 0) AS previous_lost_customers,
    sum(rev_n) FILTER (WHERE rev_n > 0 AND rank * 5 <= n + 4) / sum(rev_n) FILTER (WHERE rev_n > 0) AS top20_share,
    sum(rev_n::DOUBLE * rev_n::DOUBLE) FILTER (WHERE rev_n > 0) / sum(rev_n) FILTER (WHERE rev_n > 0) ^ 2 AS hhi,
    min(customer_id) FILTER (WHERE rank = 1 AND rev_n > 0) AS largest_customer_id
FROM f;

CREATE TEMP TABLE abc AS
WITH v AS (
    SELECT customer_id, a1 + a2 + a3 + a4 AS value_cents, greatest(a1 + a2 + a3 + a4, 0) AS positive
    FROM per WHERE lines_n > 0
), r AS (
    SELECT *, positive / sum(positive) OVER () AS share,
        sum(positive) OVER (ORDER BY value_cents DESC, customer_id ROWS UNBOUNDED PRECEDING)
            / sum(positive) OVER () AS cumulative_share
    FROM v
)
SELECT customer_id, value_cents, share, cumulative_share,
    CASE WHEN positive > 0 AND cumulative_share - share < 0.80 THEN 'A'
         WHEN positive > 0 AND cumulative_share - share < 0.95 THEN 'B' ELSE 'C' END AS class
FROM r ORDER BY value_cents DESC, customer_id;

CREATE TEMP TABLE rfm AS
WITH c AS (
    SELECT customer_id, getvariable('as_of') - last_purchase AS recency_days, frequency,
        a1 + a2 + a3 + a4 AS monetary_cents,
        (a1 > 0)::INT::VARCHAR || (a2 > 0)::INT::VARCHAR || (a3 > 0)::INT::VARCHAR || (a4 > 0)::INT::VARCHAR
            AS quarters,
        first_line
    FROM per
)
SELECT customer_id, recency_days, frequency, monetary_cents,
    ntile(5) OVER (ORDER BY coalesce(recency_days, 1 << 62) DESC, customer_id) AS r,
    ntile(5) OVER (ORDER BY frequency, customer_id) AS f,
    ntile(5) OVER (ORDER BY monetary_cents, customer_id) AS m,
    quarters,
    CASE WHEN quarters = '0000' THEN 'inactive'
         WHEN first_line > getvariable('q3') THEN 'new'
         WHEN quarters = '1111' THEN 'very_regular'
         WHEN length(replace(quarters, '0', '')) >= 3 THEN 'regular'
         WHEN length(replace(quarters[1:2], '0', '')) > length(replace(quarters[3:4], '0', '')) THEN 'declining'
         WHEN regexp_matches(quarters, '10+1') THEN 'cyclical'
         ELSE 'declining' END AS profile
FROM c ORDER BY customer_id;

CREATE TEMP TABLE segment_product AS
PIVOT (SELECT coalesce(segment, '(unknown)') AS segment, coalesce(product, '(unknown)') AS product, amount_cents
       FROM tx WHERE date > getvariable('n_lo'))
ON product USING sum(amount_cents) GROUP BY segment ORDER BY segment;

-- --out only
COPY measures TO '{out}/measures.json' (FORMAT json);
COPY abc TO '{out}/abc.csv' (HEADER);
COPY rfm TO '{out}/rfm.csv' (HEADER);
COPY segment_product TO '{out}/segment_product.csv' (HEADER);
