"""Running the analysis on a source, and writing its files.

``analyze_source`` opens the engine, takes the transactions from a file or from
the store (through the access layer, for one principal), runs ``analyze`` and
closes the engine.  The store is analysed on its own engine, or on DuckDB or
Spark from a copy of the lines the principal may see, written to a private
temporary directory (mode 0700) and deleted afterwards.  ``write_analysis``
writes the files other tools read: ``measures.json``, ``abc.csv``,
``rfm.csv`` and ``segment_product.csv`` (amounts in euros with two decimals).

Headers (``HEADER_STYLES``, a ``CsvStyle``): ``codes`` by default, data files
for machines like ``--json`` (English identifiers, coded values, ``,`` and
decimal points, UTF-8); or ``labels``, for a spreadsheet: the columns by their
names in a language (``ABC_COLUMNS``, ``RFM_COLUMNS``, translated by the
catalogs), coded values by their names (RFM profiles, segments and product
lines), UTF-8 with BOM, and in French ``;`` and decimal commas, as the customer
export (``protect.exports.write_table``, which this layer may not import).
``measures.json`` is the same in both.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from clientfolio.analytics.analysis import (
    Analysis,
    AnalyticsConfig,
    Overview,
    analyze,
    latest_date,
    overview,
)
from clientfolio.analytics.engines import SparkOptions, connect, connect_store, duckdb_connection, spark_failure
from clientfolio.analytics.matrix import UNKNOWN, UNKNOWN_NAME
from clientfolio.analytics.rfm import RFM_PROFILES, RfmProfile
from clientfolio.analytics.transactions import TRANSACTION_COLUMNS, parse_source, read_transactions
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import LANGS, N_, gettext_for
from clientfolio.textfiles import FORMULA_TRIGGERS, neutral

if TYPE_CHECKING:  # a file's analysis loads neither the access layer nor the store
    from clientfolio.access import PortfolioReader
    from clientfolio.store import Store

__all__ = [
    "ABC_COLUMNS",
    "HEADER_STYLES",
    "RFM_COLUMNS",
    "CsvStyle",
    "analyze_source",
    "copy_store_lines",
    "csv_euros",
    "open_transactions",
    "write_analysis",
]

_STORE_ENGINES = {"sqlite": "sqlite", "postgresql": "postgres"}


@contextmanager
def open_transactions(
    *,
    transactions: Path | str | None = None,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    engine: str | None = None,
    spark: SparkOptions | None = None,
) -> Iterator[tuple[BaseBackend, ir.Table]]:
    """The engine and the transactions table of files (``transactions``: a path,
    folder, URI or ``table:NAME``, see ``analytics.transactions.parse_source``;
    on ``engine``, DuckDB by default, or Spark where ``spark`` says) or of the
    store read by ``reader`` (on the store's own engine by default, or on DuckDB
    or Spark from a private copy of the lines the reader may see); the engine
    is closed on exit.  A file's value that DuckDB cannot convert while the
    table is queried is a ``ClientfolioError`` naming the file."""
    with ExitStack() as stack:
        if transactions is not None:
            if engine not in (None, "duckdb", "spark"):
                raise ClientfolioError("files are analysed with --engine duckdb or spark")
            source = parse_source(transactions)  # local files checked before an engine starts
            con = connect(engine or "duckdb", spark=spark)
            stack.callback(_close, con, engine)
            table = read_transactions(source, con)
        elif store is not None and reader is not None:
            own = _STORE_ENGINES.get(store.dialect)
            if engine in (None, own):
                con = connect_store(store.url)
                stack.callback(_close, con, engine)
                table = reader.transactions(con)
            elif engine in ("duckdb", "spark"):
                private = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clientfolio-lines-")))
                path = copy_store_lines(store, reader, private / "transactions.parquet")
                con = connect(engine, spark=spark)
                stack.callback(_close, con, engine)  # closed before the copy is deleted
                table = con.read_parquet(str(path)).select(*TRANSACTION_COLUMNS.names)
            else:
                raise ClientfolioError(
                    "the store is {dialect}: analyse it with --engine {own}, duckdb or spark",
                    dialect=store.dialect,
                    own=str(own),
                )
        else:
            raise ClientfolioError("give a transactions file or a store to analyse")
        try:
            yield con, table
        except Exception as exc:
            said = _engine_error(exc, None if transactions is None else source.name)
            if said is None:
                raise
            raise said from None


def _engine_error(exc: Exception, file: str | None) -> ClientfolioError | None:
    """``exc`` raised while the engine ran the queries, said in one line: a
    value of ``file`` that DuckDB cannot convert (the file is read as it is
    queried: "2024-13-45" as a date, say, is found then, and said as the file's
    problem, as ``read_transactions`` does), or Spark's failure (a job
    aborted, an executor lost, the driver out of memory) instead of a Java
    stack; None for any other exception."""
    kind = type(exc)
    duckdb = sys.modules.get("duckdb")  # loaded when DuckDB ran the queries
    if (
        file is not None
        and duckdb is not None
        and isinstance(exc, duckdb.ConversionException | duckdb.InvalidInputException)
    ):
        reason = str(exc).strip().splitlines()[0]
        return ClientfolioError("{file}: the engine cannot read it ({reason})", file=file, reason=reason)
    if kind.__module__.split(".")[0] in ("py4j", "pyspark"):
        return ClientfolioError("the Spark engine failed ({reason})", reason=spark_failure(exc))
    return None


def copy_store_lines(store: Store, reader: PortfolioReader, path: Path) -> Path:
    """Write the invoice lines ``reader`` may see (the transactions table, read
    through the access layer) to the Parquet file ``path``, in batches."""
    con = connect_store(store.url)
    try:
        batches = reader.transactions(con).cast(TRANSACTION_COLUMNS).to_pyarrow_batches()
        with pq.ParquetWriter(path, batches.schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
    finally:
        con.disconnect()
    return path


def _close(con: BaseBackend, engine: str | None) -> None:
    if engine != "spark":  # the Spark session is shared by the process
        con.disconnect()


@overload
def analyze_source(
    *,
    transactions: Path | str | None = None,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    engine: str | None = None,
    spark: SparkOptions | None = None,
    as_of: dt.date | None = None,
    config: AnalyticsConfig | None = None,
    per_customer: Literal[True] = True,
) -> Analysis: ...


@overload
def analyze_source(
    *,
    transactions: Path | str | None = None,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    engine: str | None = None,
    spark: SparkOptions | None = None,
    as_of: dt.date | None = None,
    config: AnalyticsConfig | None = None,
    per_customer: Literal[False],
) -> Overview: ...


def analyze_source(
    *,
    transactions: Path | str | None = None,
    store: Store | None = None,
    reader: PortfolioReader | None = None,
    engine: str | None = None,
    spark: SparkOptions | None = None,
    as_of: dt.date | None = None,
    config: AnalyticsConfig | None = None,
    per_customer: bool = True,
) -> Overview:
    """Analyse transactions files (on ``engine``, DuckDB by default; Spark where
    ``spark`` says) or the store read by ``reader`` (on the store's own engine,
    or on ``engine``); ``config`` defaults
    to the effective one (``clientfolio.config``: environment, settings file
    beside the store, defaults).  The ``Analysis`` with its per-customer rows,
    or without them (``per_customer`` False) its ``Overview``; as of ``as_of``,
    by default the last sale (the company's for a scoped reader:
    ``PortfolioReader.scoped_day``)."""
    if config is None:
        from clientfolio.config import ANALYTICS_SECTIONS, load_domain_config

        database_url = None if store is None else store.url
        config = load_domain_config(database_url=database_url, sections=ANALYTICS_SECTIONS).analytics
    if as_of is None and store is not None and reader is not None and transactions is None:
        as_of = reader.scoped_day()
    with open_transactions(transactions=transactions, store=store, reader=reader, engine=engine, spark=spark) as (
        _,
        table,
    ):
        day = as_of or latest_date(table)
        if day is None:
            raise ClientfolioError("no sales to analyse")
        run = analyze if per_customer else overview
        return run(table, as_of=day, config=config)


def csv_euros(cents: Any, decimal: str = ".") -> str:
    """An amount of the CSV files written by the analyses and the valuation: euros
    with two decimals and a dot (or ``decimal``), empty for None (a file format,
    as ``plan.xlsx``'s cells and ``demo.fec``'s amounts; shown to a reader, an
    amount goes through ``clientfolio.i18n``)."""
    return "" if cents is None else f"{cents / 100:.2f}".replace(".", decimal)


CellKind = Literal["euros", "share", "text", "code"]
"""How ``CsvStyle.write_table`` writes a column: ``euros`` (cents, as ``CsvStyle.euros``),
``share`` (six decimals), ``text`` (as ``CsvStyle.text``), ``code`` (a code or a number, as it is)."""

HEADER_STYLES = ("codes", "labels")
"""``--headers`` of ``analyze --out`` and ``value --out``: ``codes`` (default), for machines; ``labels``, for people."""
ABC_COLUMNS = {
    "customer_id": N_("Customer code"),
    "revenue": N_("Revenue excl. tax (€)"),
    "share": N_("Share of revenue"),
    "cumulative_share": N_("Cumulative share"),
    "class": N_("ABC class"),
}
"""The English name of each column of ``abc.csv`` (its header with ``labels``, translated by the catalogs)."""
RFM_COLUMNS = {
    "customer_id": N_("Customer code"),
    "recency_days": N_("Days since the last purchase"),
    "frequency": N_("Purchases in the period"),
    "monetary": N_("Revenue excl. tax in the period (€)"),
    "r": N_("Recency score"),
    "f": N_("Frequency score"),
    "m": N_("Amount score"),
    "quarters": N_("Quarters bought (1 = bought)"),
    "profile": N_("Profile"),
}
"""The English name of each column of ``rfm.csv`` (its header with ``labels``, translated by the catalogs)."""
SEGMENT_PRODUCT_COLUMNS = {"segment": N_("Segment"), "total": N_("Total")}
"""The English names of the fixed columns of ``segment_product.csv`` (the product lines by their names)."""


@dataclass(frozen=True)
class CsvStyle:
    """How the CSV files of the analyses and the valuation are written:
    ``lang`` None for ``codes`` (identifiers, codes, ``,``, decimal points,
    UTF-8), else ``labels`` in that language (names, UTF-8 with BOM; French:
    ``;`` and decimal commas)."""

    lang: str | None = None

    @classmethod
    def of(cls, headers: str = "codes", lang: str = "en") -> CsvStyle:
        """The style of ``--headers`` (``HEADER_STYLES``) for the run's language ``lang``."""
        if headers not in HEADER_STYLES:
            raise ClientfolioError(
                "unknown headers {value}; use one of {known}", value=headers, known=", ".join(HEADER_STYLES)
            )
        if lang not in LANGS:
            raise ClientfolioError("unknown language {value}; use one of {known}", value=lang, known=", ".join(LANGS))
        return cls(lang if headers == "labels" else None)

    @property
    def french(self) -> bool:
        return self.lang == "fr"

    def name(self, code: str, messages: Mapping[str, str]) -> str:
        """``code`` (a column or a value) by its English name in ``messages``
        translated, with labels; the code itself with codes or when unnamed."""
        if self.lang is None or code not in messages:
            return code
        return gettext_for(self.lang)(messages[code])

    def stored(self, code: str, names: Mapping[str, str]) -> str:
        """``code`` by its name in ``names`` (a name of the store, shown as
        written), with labels; the code itself with codes or when unnamed."""
        return code if self.lang is None else names.get(code, code)

    def euros(self, cents: Any) -> str:
        return csv_euros(cents, "," if self.french else ".")

    def number(self, value: float | None, digits: int) -> str:
        text = "" if value is None else f"{value:.{digits}f}"
        return text.replace(".", ",") if self.french else text

    def text(self, value: Any) -> Any:
        """A text cell: with labels, made inert in a spreadsheet (a ``'`` before a
        formula's first character, OWASP's CSV injection rule, as
        ``textfiles.neutral``); as it is with codes."""
        if self.lang is None or not isinstance(value, str):
            return value
        return neutral(value)

    def write(self, path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Write ``header`` (column codes, named with ``columns`` by the caller) and ``rows``."""
        encoding = "utf-8" if self.lang is None else "utf-8-sig"
        with path.open("w", encoding=encoding, newline="") as f:
            writer = csv.writer(f, delimiter=";" if self.french else ",")
            writer.writerow([self.text(h) for h in header])
            writer.writerows(rows)

    def write_table(self, path: Path, header: Sequence[str], table: pa.Table, kinds: Mapping[str, CellKind]) -> None:
        """Write ``header`` and the columns ``kinds`` names of ``table``, each
        formatted as ``write``'s rows would be (``CellKind``), by DuckDB in
        bulk: no Python object per cell."""
        delimiter = ";" if self.french else ","
        cells = ", ".join(self._cell(f'"{name}"', kind, delimiter) for name, kind in kinds.items())
        con = duckdb_connection()
        try:
            con.register("cells", table)
            lines = con.sql(f"SELECT concat_ws('{delimiter}', {cells}) FROM cells").fetch_arrow_table().column(0)
        finally:
            con.close()
        self.write(path, header, ())
        with path.open("a", encoding="utf-8", newline="") as f:
            for chunk in lines.chunks:
                f.writelines(line + "\r\n" for line in chunk.to_pylist())

    def _cell(self, column: str, kind: CellKind, delimiter: str) -> str:
        """The SQL of a cell of ``column`` as ``euros``, ``number``, ``text`` and
        ``csv.writer`` give it (quoted when it holds the delimiter, a quote or a
        line break); never NULL (an empty cell)."""
        if kind == "euros":
            value = f"printf('%.2f', {column} / 100)"
        elif kind == "share":
            value = f"printf('%.6f', {column})"
        else:
            value = f"CAST({column} AS VARCHAR)"
        if kind in ("euros", "share") and self.french:
            value = f"replace({value}, '.', ',')"
        if kind == "text" and self.lang is not None:
            triggers = ", ".join("'" + t.replace("'", "''") + "'" for t in FORMULA_TRIGGERS)
            value = f"CASE WHEN left({value}, 1) IN ({triggers}) THEN '''' || {value} ELSE {value} END"
        if kind in ("text", "code"):
            special = f'[{delimiter}"\r\n]'
            value = (
                f"CASE WHEN regexp_matches({value}, '{special}') "
                f"THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END"
            )
        return f"coalesce({value}, '')"


def write_analysis(
    analysis: Analysis,
    out: Path,
    *,
    style: CsvStyle | None = None,
    profiles: Mapping[str, RfmProfile] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the analysis files into ``out`` (created); returns their paths.
    ``style`` (default: codes) names the columns and values with labels: the
    RFM profiles by ``profiles`` (default: the default rules'), the segments
    and product lines by ``names`` (by code; a code without a name as it is)."""
    style = style or CsvStyle()
    profiles = RFM_PROFILES if profiles is None else profiles
    names = names or {}
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in ("measures.json", "abc.csv", "rfm.csv", "segment_product.csv")]
    paths[0].write_text(
        json.dumps({"as_of": analysis.as_of.isoformat(), **analysis.measures.as_dict()}, indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    style.write_table(
        paths[1],
        [style.name(c, ABC_COLUMNS) for c in ABC_COLUMNS],
        analysis.abc,
        {"customer_id": "text", "value_cents": "euros", "share": "share", "cumulative_share": "share", "class": "code"},
    )

    def profile(key: str) -> str:
        if style.lang is None or key not in profiles:
            return key
        return profiles[key].label_in(style.lang)

    # the profiles named once each, not once a customer
    keys = pc.dictionary_encode(analysis.rfm.column("profile")).combine_chunks()
    named = pa.DictionaryArray.from_arrays(
        keys.indices, pa.array([profile(k) for k in keys.dictionary.to_pylist()], pa.string())
    )
    rfm = analysis.rfm.set_column(analysis.rfm.schema.get_field_index("profile"), "profile", named.cast(pa.string()))
    style.write_table(
        paths[2],
        [style.name(c, RFM_COLUMNS) for c in RFM_COLUMNS],
        rfm,
        {
            "customer_id": "text",
            "recency_days": "code",
            "frequency": "code",
            "monetary_cents": "euros",
            "r": "code",
            "f": "code",
            "m": "code",
            "quarters": "code",
            "profile": "text",
        },
    )
    grid = analysis.matrix.as_rows()
    named = {str(grid[-1]["segment"]): N_("Total"), UNKNOWN: UNKNOWN_NAME}  # the totals row, the lines without one

    def segment(code: str) -> str:
        return style.name(code, named) if code in named else style.stored(code, names)

    style.write(
        paths[3],
        [style.name(c, SEGMENT_PRODUCT_COLUMNS) if c in ("segment", "total") else segment(c) for c in grid[0]],
        ([style.euros(v) if isinstance(v, int) else style.text(segment(str(v))) for v in row.values()] for row in grid),
    )
    return paths
