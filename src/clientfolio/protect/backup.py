"""Encrypted, authenticated backups of the whole store, and a restore that
verifies everything before it replaces anything.

``backup`` reads every table of the models inside one snapshot while the
application keeps running (SQLite: one read transaction, a stable WAL snapshot;
PostgreSQL: one REPEATABLE READ transaction), and streams the rows into one
archive file, written under a temporary name and renamed when complete.

Archive format (``.cfbackup``), all integers big-endian::

    b"CFBACKUP" 0x01                      magic and format version
    u32 n, n bytes of header JSON         in clear: format, version, key_id,
                                          key_fingerprint, archive_id, chunk_size
    records until the end of the file:
    u8 kind, u32 n, 12-byte nonce, n-12 bytes of AES-256-GCM ciphertext + tag
        kind b"D": a chunk of the payload (at most chunk_size bytes of plaintext)
        kind b"M": the manifest, always last

Every record is sealed with ``KeyRing.subkey("backup", key_id)`` and the
associated data ``sha256(header) || kind || u64 index`` (the chunk's index; the
number of chunks for the manifest): a record altered, moved, dropped, or taken
from another archive does not open.  The payload is JSON lines: for each table,
``{"table": name, "columns": [...]}`` then one JSON array per row, by primary
key (dates and times as ISO text, bytes as base64).  The manifest (JSON) holds
``created_at``, ``app_version``, ``schema_revision``, ``dialect``, ``chunks`` and,
for each table in restore order, its ``columns``, ``rows`` and the ``sha256`` of
its lines.

``restore`` reads the archive twice: first to verify it (key, every record,
chunk count, per-table checksums and counts, schema revision) without touching
the store; then, in one transaction, it deletes every row and inserts the
archive's, checking the checksums again (a file changed in between rolls back).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Table, delete, func, select, text

from clientfolio.access.principal import SYSTEM
from clientfolio.access.rls import limit_connection
from clientfolio.errors import BackupRefused, ClientfolioError, KeyMissing, os_reason
from clientfolio.i18n import N_
from clientfolio.protect.audit import record_event, reseal_chain_in, sealing_key
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import Base

__all__ = ["BackupManifest", "RestoreReport", "TableEntry", "backup", "restore", "verify_backup"]

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all)."""

MAGIC = b"CFBACKUP\x01"
CHUNK_SIZE = 1 << 20
_NONCE = 12
_FORMAT = "clientfolio-backup"


@dataclass(frozen=True)
class TableEntry:
    name: str
    columns: tuple[str, ...]
    rows: int
    sha256: str


@dataclass(frozen=True)
class BackupManifest:
    """What an archive holds, as its manifest says (verified when returned by
    ``verify_backup``)."""

    created_at: str
    app_version: str
    schema_revision: str | None
    dialect: str
    chunks: int
    tables: tuple[TableEntry, ...]
    key_id: int
    size_bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True)
class RestoreReport:
    manifest: BackupManifest
    replaced_rows: int  # rows the store held before


def _app_version() -> str:
    try:
        return version("clientfolio")
    except PackageNotFoundError:
        return "unknown"


def _ad(header: bytes, kind: bytes, index: int) -> bytes:
    return hashlib.sha256(header).digest() + kind + struct.pack(">Q", index)


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(table: Table, columns: list[str]) -> Callable[[list[Any]], dict[str, Any]]:
    """Turn a payload row back into the Python values of ``table``'s columns."""
    parse: list[Callable[[Any], Any] | None] = []
    for name in columns:
        if name not in table.c:
            raise BackupRefused(
                "the archive has a column {table}.{column} the store does not", table=table.name, column=name
            )
        try:
            kind = table.c[name].type.python_type
        except NotImplementedError:
            kind = object
        parse.append(
            {
                dt.datetime: dt.datetime.fromisoformat,
                dt.date: dt.date.fromisoformat,
                dt.time: dt.time.fromisoformat,
                Decimal: Decimal,
                bytes: base64.b64decode,
            }.get(kind)
        )

    def decode(row: list[Any]) -> dict[str, Any]:
        return {
            name: (p(v) if p is not None and v is not None else v)
            for name, p, v in zip(columns, parse, row, strict=True)
        }

    return decode


class _Writer:
    """Seals the payload into chunks as it is written."""

    def __init__(self, out: BinaryIO, key: AESGCM, header: bytes, chunk_size: int) -> None:
        self.out, self.key, self.header, self.chunk_size = out, key, header, chunk_size
        self.buffer = bytearray()
        self.chunks = 0

    def record(self, kind: bytes, index: int, plain: bytes) -> None:
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + self.key.encrypt(nonce, plain, _ad(self.header, kind, index))
        self.out.write(kind + struct.pack(">I", len(sealed)) + sealed)

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= self.chunk_size:
            self.record(b"D", self.chunks, bytes(self.buffer[: self.chunk_size]))
            del self.buffer[: self.chunk_size]
            self.chunks += 1

    def flush(self) -> None:
        if self.buffer:
            self.record(b"D", self.chunks, bytes(self.buffer))
            self.buffer.clear()
            self.chunks += 1


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """A connection inside one read snapshot of the whole store."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # one WAL snapshot until the end
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.begin()
            limit_connection(conn, SYSTEM.scope)  # a backup holds every row: row-level security fails closed
        try:
            yield conn
        finally:
            conn.rollback()


def backup(
    store: Store,
    ring: KeyRing,
    dest: Path,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
    actor: str = "system",
) -> BackupManifest:
    """Write a consistent, encrypted archive of every table of ``store`` to ``dest``
    (mode 0600; replaced only once complete, and only when it is an earlier
    backup: any other file there is refused) and return its manifest.  The
    backup (a copy of everything) is written to the audit log as ``backup``."""
    if dest.is_file():
        with dest.open("rb") as existing:
            if existing.read(len(MAGIC)) != MAGIC:
                raise ClientfolioError(
                    "{path} exists and is not a backup: a backup only replaces an earlier backup", path=str(dest)
                )
    header = json.dumps(
        {
            "format": _FORMAT,
            "version": 1,
            "key_id": ring.current,
            "key_fingerprint": ring.fingerprint(),
            "archive_id": secrets.token_hex(16),
            "chunk_size": chunk_size,
        },
        sort_keys=True,
    ).encode()
    key = AESGCM(ring.subkey("backup"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack(">I", len(header)) + header)
            writer = _Writer(out, key, header, chunk_size)
            entries: list[TableEntry] = []
            with _snapshot(store) as conn:
                tables = Base.metadata.sorted_tables
                total = sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables)
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                done = 0
                for table in tables:
                    columns = [c.name for c in table.columns]
                    digest, count = hashlib.sha256(), 0
                    head = _line({"table": table.name, "columns": columns})
                    digest.update(head)
                    writer.write(head)
                    query = select(table).order_by(*table.primary_key.columns)
                    for row in conn.execute(query).yield_per(5_000):
                        data = _line([_encode(v) for v in row])
                        digest.update(data)
                        writer.write(data)
                        count += 1
                    entries.append(TableEntry(table.name, tuple(columns), count, digest.hexdigest()))
                    done += count
                    if progress:
                        progress(done, total)
            writer.flush()
            manifest = BackupManifest(
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                app_version=_app_version(),
                schema_revision=revision,
                dialect=store.dialect,
                chunks=writer.chunks,
                tables=tuple(entries),
                key_id=ring.current,
            )
            writer.record(b"M", writer.chunks, _manifest_json(manifest))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, dest)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    with store.begin() as conn:
        record_event(
            conn,
            actor=actor,
            action="backup",
            target=dest.name,
            details={"rows": manifest.rows, "key_id": ring.current},
            chain_key=ring.subkey("audit"),
        )
    return _sized(manifest, dest)


def _sized(manifest: BackupManifest, path: Path) -> BackupManifest:
    return BackupManifest(**{**manifest.__dict__, "size_bytes": path.stat().st_size})


def _manifest_json(manifest: BackupManifest) -> bytes:
    data = {k: v for k, v in manifest.__dict__.items() if k not in ("tables", "key_id", "size_bytes")}
    data["tables"] = [{**t.__dict__, "columns": list(t.columns)} for t in manifest.tables]
    return json.dumps(data, sort_keys=True).encode()


class _Reader:
    """Opens an archive's records in order; every failure is ``BackupRefused``."""

    def __init__(self, f: IO[bytes], ring: KeyRing, source: Path) -> None:
        self.f, self.source = f, source
        if f.read(len(MAGIC)) != MAGIC:
            raise BackupRefused(
                "{source} is not a Clientfolio backup (or of another format version)", source=str(source)
            )
        try:
            (size,) = struct.unpack(">I", f.read(4))
            self.header = f.read(size)
            info = json.loads(self.header)
            self.key_id = int(info["key_id"])
        except (struct.error, ValueError, KeyError, TypeError):
            raise BackupRefused("{source}: damaged header", source=str(source)) from None
        if info.get("format") != _FORMAT:
            raise BackupRefused("{source}: damaged header", source=str(source))
        try:
            self.key = AESGCM(ring.subkey("backup", self.key_id))
        except KeyMissing:
            raise BackupRefused(
                "{source} was made with key {key_id} (fingerprint {fingerprint}), which this key ring does not hold",
                source=str(source),
                key_id=str(self.key_id),
                fingerprint=str(info.get("key_fingerprint")),
            ) from None

    def records(self) -> Iterator[tuple[bytes, bytes]]:
        """(kind, plaintext) of each record, authenticated, data chunks then the manifest."""
        chunks = 0
        while kind := self.f.read(1):
            try:
                (size,) = struct.unpack(">I", self.f.read(4))
            except struct.error:
                raise BackupRefused("{source}: truncated", source=str(self.source)) from None
            sealed = self.f.read(size)
            if len(sealed) != size or kind not in (b"D", b"M") or size < _NONCE:
                raise BackupRefused("{source}: truncated or damaged", source=str(self.source))
            try:
                plain = self.key.decrypt(sealed[:_NONCE], sealed[_NONCE:], _ad(self.header, kind, chunks))
            except InvalidTag:
                failed = (
                    N_("{source}: chunk {chunk} fails authentication: altered, or made with another key {key_id}")
                    if kind == b"D"
                    else N_(
                        "{source}: manifest after chunk {chunk} fails authentication: altered, or made with "
                        "another key {key_id}"
                    )
                )
                raise BackupRefused(
                    failed,
                    source=str(self.source),
                    chunk=str(chunks),
                    key_id=str(self.key_id),
                ) from None
            yield kind, plain
            if kind == b"M":
                if self.f.read(1):
                    raise BackupRefused("{source}: data after the manifest", source=str(self.source))
                return
            chunks += 1
        raise BackupRefused("{source}: truncated (no manifest)", source=str(self.source))


Event = tuple[str, str, Any]
"""("table", name, columns) at each table's start, ("row", name, values) for
each row, and last ("manifest", "", the verified ``BackupManifest``)."""


def _events(ring: KeyRing, source: Path) -> Iterator[Event]:
    """The archive's tables and rows, then its manifest once every checksum,
    count and the chunk count are verified; raises ``BackupRefused``."""
    try:
        f = source.open("rb")
    except OSError as exc:
        raise BackupRefused(
            "cannot read {source}: {detail_msg}", source=str(source), detail_msg=os_reason(exc)
        ) from None
    with f:
        reader = _Reader(f, ring, source)
        sums: dict[str, tuple[int, str]] = {}
        current, digest, count, rest, chunks = "", hashlib.sha256(), 0, b"", 0
        for kind, plain in reader.records():
            if kind == b"M":
                if rest:
                    raise BackupRefused("{source}: the payload ends inside a line", source=str(source))
                if current:
                    sums[current] = (count, digest.hexdigest())
                yield "manifest", "", _checked(source, plain, sums, chunks, reader.key_id)
                return
            chunks += 1
            lines = (rest + plain).split(b"\n")
            rest = lines.pop()
            for raw in lines:
                value = json.loads(raw)
                if isinstance(value, dict):
                    if current:
                        sums[current] = (count, digest.hexdigest())
                    current, digest, count = value["table"], hashlib.sha256(), 0
                    digest.update(raw + b"\n")
                    yield "table", current, value["columns"]
                else:
                    digest.update(raw + b"\n")
                    count += 1
                    yield "row", current, value


def _checked(source: Path, plain: bytes, sums: dict[str, tuple[int, str]], chunks: int, key_id: int) -> BackupManifest:
    """The manifest, once the payload read matches it."""
    try:
        data = json.loads(plain)
        tables = tuple(TableEntry(t["name"], tuple(t["columns"]), t["rows"], t["sha256"]) for t in data.pop("tables"))
        manifest = BackupManifest(**data, tables=tables, key_id=key_id, size_bytes=source.stat().st_size)
    except (ValueError, KeyError, TypeError):
        raise BackupRefused("{source}: damaged manifest", source=str(source)) from None
    if manifest.chunks != chunks:
        raise BackupRefused(
            "{source}: {chunks} chunks read, the manifest says {expected}",
            source=str(source),
            chunks=chunks,
            expected=manifest.chunks,
        )
    if {t.name: (t.rows, t.sha256) for t in manifest.tables} != sums:
        raise BackupRefused("{source}: the tables do not match their checksums in the manifest", source=str(source))
    head = Store.head_revision()
    if manifest.schema_revision != head:
        raise BackupRefused(
            "{source} was made at schema revision {revision}; this version of "
            "Clientfolio is at {head}: restore it with the version that made it",
            source=str(source),
            revision=str(manifest.schema_revision),
            head=str(head),
        )
    unknown = {t.name for t in manifest.tables} - set(Base.metadata.tables)
    if unknown:
        raise BackupRefused(
            "{source}: tables unknown to this version: {tables}", source=str(source), tables=", ".join(sorted(unknown))
        )
    return manifest


def verify_backup(ring: KeyRing, source: Path) -> BackupManifest:
    """Read the whole archive ``source`` and check it (key, authentication of every
    record, chunk count, checksums and row counts, schema revision); its manifest,
    or ``BackupRefused``.  Touches no store."""
    for event, _, value in _events(ring, source):
        if event == "manifest":
            manifest: BackupManifest = value
            return manifest
    raise BackupRefused("{source}: no manifest", source=str(source))  # pragma: no cover - _events always ends so


def _count_rows(conn: Connection) -> int:
    return sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables)


def restore(
    store_url: str,
    ring: KeyRing,
    source: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    actor: str = "system",
) -> RestoreReport:
    """Replace every row of the store at ``store_url`` with the archive ``source``.

    The archive is verified in full first (``verify_backup``); the store is then
    created or migrated, and its rows replaced in one transaction.  A store that
    holds rows is replaced only with ``force``.  The restored audit log is
    re-sealed under the ring's current audit key when an older key sealed it,
    and the restore is its next entry (``backup.restore``).
    Raises ``BackupRefused``."""
    manifest = verify_backup(ring, source)
    store = Store(store_url)
    try:
        with store.begin() as conn:
            limit_connection(conn, SYSTEM.scope)  # a restore replaces every row
            replaced = _count_rows(conn)
            if replaced and not force:
                raise BackupRefused(
                    "{store} holds {rows} rows: confirm to replace them (force)", store=store.safe_url, rows=replaced
                )
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(delete(table))
            _load(conn, ring, source, manifest.rows, progress)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
            # an older backup's audit log may be sealed under a key since rotated: seal it under today's
            sealed_by = sealing_key(conn, ring.subkeys("audit"))
            if sealed_by is None:
                raise BackupRefused("the audit log of the backup does not verify under any key of the ring")
            if sealed_by != ring.subkey("audit"):
                reseal_chain_in(conn, sealed_by, ring.subkey("audit"))
            record_event(
                conn,
                actor=actor,
                action="backup.restore",
                target=source.name,
                details={"created_at": manifest.created_at, "rows": manifest.rows, "replaced_rows": replaced},
                chain_key=ring.subkey("audit"),
            )
        store.refresh_statistics()
    finally:
        store.dispose()
    return RestoreReport(manifest=manifest, replaced_rows=replaced)


def _load(conn: Connection, ring: KeyRing, source: Path, total: int, progress: Progress | None) -> None:
    """Insert the archive's rows, table by table, in batches."""
    batch: list[dict[str, Any]] = []
    table: Table | None = None
    decode: Callable[[list[Any]], dict[str, Any]] | None = None
    done = 0

    def flush() -> None:
        nonlocal done
        if table is not None and batch:
            conn.execute(table.insert(), batch)
            done += len(batch)
            batch.clear()
            if progress:
                progress(done, total)

    for event, name, value in _events(ring, source):  # checked again: the file may have changed
        if event == "table":
            flush()
            table = Base.metadata.tables[name] if name in Base.metadata.tables else None
            if table is None:
                raise BackupRefused(
                    "{source}: table {table} is unknown to this version", source=str(source), table=name
                )
            decode = _decoder(table, value)
        elif event == "row" and decode is not None:
            batch.append(decode(value))
            if len(batch) >= 2_000:
                flush()
    flush()


def _reset_sequences(conn: Connection) -> None:
    """Move each PostgreSQL id sequence past the restored rows."""
    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
            )
