"""Importing invoices, customers, products, prospects and FEC files.

``import_file`` is all-or-nothing: every row is validated, every bad row is
reported (file, line, column, value, reason) and one bad row means nothing is
written.  It is idempotent: a file already imported is recognised by its
SHA-256, and rows already in the store are recognised by their keys.

With the audit key (``chain_key``), an accepted import is audited (``import``)
in the import's transaction; a dry run or a rejected file writes no entry.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clientfolio.access.principal import SYSTEM, Principal
from clientfolio.ingest.columns import (
    FIELDS,
    KINDS,
    Mapping,
    load_mapping,
    match_columns,
)
from clientfolio.ingest.report import ImportRejected, ImportResult, RowError

if TYPE_CHECKING:  # the readers, the store and SQLAlchemy are imported when a file is
    from sqlalchemy import Connection

    from clientfolio.ingest.sources import Table
    from clientfolio.protect.keys import KeyRing
    from clientfolio.settings import Settings
    from clientfolio.store import Store

__all__ = [
    "FIELDS",
    "KINDS",
    "ImportRejected",
    "ImportResult",
    "Mapping",
    "RowError",
    "guess_kind",
    "import_file",
    "load_mapping",
]

Progress = Callable[[int, int], None]
"""Called with (bytes read, file size) while a file is read."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an import runs: it holds
    hundreds of thousands of small, acyclic objects that the collector would
    otherwise scan over and over (a third of the import time on large files)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _audit(conn: Connection, result: ImportResult, sha: str, chain_key: bytes, actor: str) -> None:
    from clientfolio.protect.audit import record_event

    record_event(
        conn,
        actor=actor,
        action="import",
        target=result.file,
        chain_key=chain_key,
        details={
            "kind": result.kind,
            "sha256": sha,
            "rows_read": result.rows_read,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "import_id": result.import_id,
            "already_imported": result.already_imported,
        },
    )


def guess_kind(table: Table) -> str:
    """The kind of a file from its header (FEC, invoices, prospects, customers, products,
    activities: a date, a type and a rep column, and no amount)."""
    from clientfolio.ingest.fec import is_fec_header
    from clientfolio.ingest.grouped import grouped_by_customer

    if is_fec_header(table.header):
        return "fec"
    try:
        acts = match_columns(table.name, table.header, "activities")
    except ImportRejected:
        acts = None
    if acts is not None and "rep" in acts.indexes:
        from clientfolio.ingest.columns import header_forms, normalize

        money = ("amount", "amount_incl_tax", "paid_amount", "balance")
        amount = {normalize(s) for f in FIELDS["invoices"] if f.name in money for s in f.synonyms}
        if not amount & {form for h in table.header for form in header_forms(str(h))}:
            return "activities"
    for kind in ("invoices", "prospects", "customers", "products"):
        header = table.header
        if kind == "invoices" and (grouped := grouped_by_customer(table)) is not None:
            header = grouped.header  # the customer on a row of its own above its lines
        try:
            match = match_columns(table.name, header, kind)
        except ImportRejected:
            continue
        if kind != "prospects":
            return kind
        telling = {match.indexes[f] for f in ("stage", "source", "accessibility_score") if f in match.indexes}
        try:  # a customers file's "Statut" column is also a prospect stage synonym
            telling -= set(match_columns(table.name, table.header, "customers").indexes.values())
        except ImportRejected:
            pass
        if telling:
            return kind
    raise ImportRejected(
        [
            RowError(
                table.name,
                table.header_line,
                "",
                "",
                "cannot tell what this file holds: "
                "give --kind (invoices, customers, products, prospects, activities, fec)",
            )
        ]
    )


def import_file(
    store: Store,
    path: Path | str,
    *,
    kind: str | None = None,
    mapping: Mapping | None = None,
    dry_run: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
    ring: KeyRing | None = None,
    chain_key: bytes | None = None,
    principal: Principal = SYSTEM,
    actor: str | None = None,
    header_row: int | None = None,
    allow_future: bool = False,
    discounts_as_products: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    """Import ``path`` into ``store``; raises ``ImportRejected`` listing every bad row.
    With a key ring, the sensitive fields (addresses, contacts) are stored encrypted.
    With ``chain_key``, an accepted import (not a dry run) is audited as ``import``
    by ``actor`` in the import's transaction (target: the file name; details:
    kind, SHA-256, rows read, counts created/updated/unchanged); a file already
    imported is audited too (``already_imported``), as it changes nothing.

    ``principal`` is who imports: every row must stay inside its scope
    (``access.writes``: a row outside is refused, whether its code exists or
    not), the catalogue (products) and an FEC ledger need a principal who sees
    the whole company, and every connection is bound to its scope (row-level
    security on PostgreSQL).  ``actor`` names it in the audit log (default:
    its username; the command line gives ``cli:<os user>``).

    ``header_row`` gives the line (CSV) or sheet row (XLSX) of the header when
    the one found is wrong (title rows above it are skipped either way).  Dates
    that must lie in the past (invoices, payments, FEC entries, activities) are
    refused after ``today`` (default: the day of the import) unless
    ``allow_future``.  In an FEC, the discounts granted (accounts 709) are lines
    without product, out of the product lines, unless ``discounts_as_products``."""
    from clientfolio.ingest.sources import SourceOptions, open_table
    from clientfolio.settings import Settings

    path = Path(path)
    actor = actor or principal.username
    settings = settings or Settings()
    mapping = mapping or Mapping()
    if kind is not None and kind not in KINDS:
        raise ImportRejected(
            [RowError.because(path.name, 0, "", kind, "unknown kind; use one of {kinds}", kinds=", ".join(KINDS))]
        )
    table = open_table(
        path, SourceOptions(mapping.delimiter, mapping.encoding, mapping.sheet, header_row or mapping.header_row)
    )
    options = _Options(None if allow_future else (today or dt.date.today()), discounts_as_products)
    try:
        return _import_table(
            store, path, table, kind, mapping, dry_run, settings, progress, ring, chain_key, actor, principal, options
        )
    finally:
        table.close()  # the rows' iterator closes it too, but only once started


@dataclass(frozen=True)
class _Options:
    latest: dt.date | None  # the last day a past date may take (None: --allow-future)
    discounts_as_products: bool


def _import_table(
    store: Store,
    path: Path,
    table: Table,
    kind: str | None,
    mapping: Mapping,
    dry_run: bool,
    settings: Settings,
    progress: Progress | None,
    ring: KeyRing | None,
    chain_key: bytes | None,
    actor: str,
    principal: Principal,
    options: _Options,
) -> ImportResult:
    from sqlalchemy import insert, update

    from clientfolio.access.rls import limit_connection
    from clientfolio.access.writes import COMPANY_ONLY, WriteGuard, whole_company
    from clientfolio.ingest.bulk_rows import bulk_start, read_invoice_table
    from clientfolio.ingest.fec import load_fec
    from clientfolio.ingest.grouped import grouped_by_customer
    from clientfolio.ingest.invoice_rows import read_invoice_rows
    from clientfolio.ingest.invoices import InvoiceWriter
    from clientfolio.ingest.lookups import ErrorSink
    from clientfolio.ingest.parties import load_parties
    from clientfolio.ingest.values import DateParser
    from clientfolio.store.schema import ImportBatch

    kind = kind or guess_kind(table)
    if kind == "invoices" and (grouped := grouped_by_customer(table)) is not None:
        table = grouped
    if kind in ("products", "fec") and not whole_company(principal):
        raise ImportRejected([RowError(path.name, 0, "", kind, COMPANY_ONLY)])
    result = ImportResult(file=path.name, kind=kind, dry_run=dry_run, sheet=table.sheet)
    sha = _sha256(path)
    with store.engine.connect() as conn:
        limit_connection(conn, principal.scope)
        previous = conn.execute(
            ImportBatch.__table__.select().where(ImportBatch.sha256 == sha, ImportBatch.kind == kind)
        ).first()
    if previous is not None:
        result.already_imported, result.import_id = True, previous.id
        if chain_key is not None and not dry_run:
            with store.begin() as conn:
                limit_connection(conn, principal.scope)
                _audit(conn, result, sha, chain_key, actor)
        return result
    dates = DateParser(mapping.date_order or settings.date_order, options.latest)
    decimal = mapping.decimal or ("." if table.delimiter == "," else ",")
    errors = ErrorSink(table.name, settings.max_reported_errors)  # the file, and the sheet read when not the first

    def tick(_rows: int) -> None:
        if progress:
            progress(table.position(), table.size)

    with store.engine.connect() as conn, _collector_paused():
        transaction = conn.begin()
        try:
            limit_connection(conn, principal.scope)
            guard = WriteGuard(conn, principal)
            import_id = conn.execute(
                insert(ImportBatch)
                .values(kind=kind, source_name=str(path)[:500], sha256=sha, rows_read=0)
                .returning(ImportBatch.id)
            ).scalar_one()
            if kind == "fec":
                writer = InvoiceWriter(conn, import_id, errors, result, settings.import_chunk_rows)
                result.rows_read = load_fec(
                    path.name,
                    table.header,
                    table.rows,
                    writer,
                    errors,
                    dates,
                    tick,
                    discounts_as_products=options.discounts_as_products,
                )
                writer.finish()
            else:
                match = match_columns(table.name, table.header, kind, mapping, line=table.header_line)
                result.columns = match.shown()
                errors.headers = result.columns
                if kind == "invoices":
                    writer = InvoiceWriter(conn, import_id, errors, result, settings.import_chunk_rows, guard)
                    if (start := bulk_start(path, table)) is not None:  # CSV: converted by blocks
                        result.rows_read = read_invoice_table(
                            path,
                            table,
                            start,
                            match.indexes,
                            writer,
                            errors,
                            dates,
                            decimal,
                            settings.import_chunk_rows,
                            tick,
                        )
                    else:
                        result.rows_read = read_invoice_rows(
                            table.rows, match.indexes, writer, errors, dates, decimal, settings.import_chunk_rows, tick
                        )
                    writer.finish()
                elif kind == "activities":
                    from clientfolio.ingest.activities import load_activities

                    result.rows_read = load_activities(
                        conn, table.rows, match.indexes, errors, result, dates, ring, guard
                    )
                else:
                    result.rows_read = load_parties(
                        conn, kind, table.rows, match.indexes, import_id, errors, result, dates, decimal, ring, guard
                    )
            tick(result.rows_read)
            if errors:
                raise ImportRejected(errors.errors, errors.total)
            if result.rows_read == 0:
                raise ImportRejected([RowError(path.name, 0, "", "", "no data rows under the header")])
            conn.execute(update(ImportBatch).where(ImportBatch.id == import_id).values(rows_read=result.rows_read))
            result.import_id = None if dry_run else import_id
            if dry_run:
                transaction.rollback()
            else:
                if chain_key is not None:
                    _audit(conn, result, sha, chain_key, actor)
                transaction.commit()
        except BaseException:
            transaction.rollback()
            raise
    if not dry_run:
        store.refresh_statistics()  # the next commands' plans count the rows just written
    return result
