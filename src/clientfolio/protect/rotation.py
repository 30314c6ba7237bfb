"""Key rotation: every sensitive value re-encrypted under a new master key.

``rotate_keys`` works in three steps, so that no step can leave a value
unreadable:

1. a new master key is added to the ring and made current; the key file is
   saved holding both (the old one still opens every value);
2. in one transaction, every sensitive value (``fields.SENSITIVE_FIELDS``) is
   decrypted and encrypted again under the new key (values still in plain text
   are encrypted for the first time), and every blind index is recomputed,
   its key being derived from the current master key;
3. the old keys are retired: the key file keeps them under ``retired``, where
   they only open backups made before the rotation (or drops them, ``forget``).

A failure in step 2 rolls the data back: the file then holds both keys, the
new one current, and every value still opens.  Other writers (a running web
application) keep the ring they loaded: stop them while rotating.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, or_, select, update

from clientfolio.protect.fields import (
    SENSITIVE_FIELDS,
    email_index,
    is_token,
    open_field,
    seal_field,
    token_key_id,
)
from clientfolio.protect.audit import record_event, reseal_chain_in, sealing_key
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import Base

__all__ = ["KeyStatus", "RotationReport", "key_status", "reencrypt", "rotate_keys"]

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) while values are re-encrypted."""

_BATCH = 2_000


@dataclass(frozen=True)
class RotationReport:
    """What ``rotate_keys`` did, and the ring it left (saved when it has a file)."""

    old_key_ids: tuple[int, ...]
    new_key_id: int
    rows: int  # rows rewritten
    values: int  # values encrypted under the new key
    plain_values: int  # of which values found in plain text
    indexes: int  # blind indexes recomputed
    ring: KeyRing


@dataclass(frozen=True)
class KeyStatus:
    """Encrypted values of the store by master key id, and values still plain."""

    by_key: dict[int, int]
    plain: dict[str, int]  # by "table.field"

    @property
    def encrypted(self) -> int:
        return sum(self.by_key.values())


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _rows_with_values(table: Table) -> Select[Any]:
    fields = SENSITIVE_FIELDS[table.name]
    return select(table.c.id, *[table.c[f] for f in fields]).where(
        or_(*[table.c[f].is_not(None) for f in fields]))


def key_status(store: Store) -> KeyStatus:
    """Count the sensitive values of ``store`` by the key that encrypts them
    (``by_key``) and those stored in plain text (``plain``)."""
    by_key: Counter[int] = Counter()
    plain: Counter[str] = Counter()
    with store.engine.connect() as conn:
        for name, fields in SENSITIVE_FIELDS.items():
            for row in conn.execute(_rows_with_values(_table(name))).yield_per(_BATCH):
                for field, value in zip(fields, row[1:], strict=True):
                    if value is None:
                        continue
                    if is_token(value):
                        by_key[token_key_id(value)] += 1
                    else:
                        plain[f"{name}.{field}"] += 1
    return KeyStatus(dict(sorted(by_key.items())), dict(sorted(plain.items())))


def reencrypt(conn: Connection, ring: KeyRing, progress: Progress | None = None) -> tuple[int, int, int, int]:
    """Encrypt every sensitive value on ``conn`` under ``ring.current`` and
    recompute the blind indexes; (rows, values, plain values, indexes) rewritten.
    Runs in the caller's transaction."""
    total = sum(
        conn.execute(select(func.count()).select_from(_rows_with_values(_table(name)).subquery())).scalar_one()
        for name in SENSITIVE_FIELDS)
    rows = values = plain = indexes = 0
    for name, fields in SENSITIVE_FIELDS.items():
        table = _table(name)
        targets: dict[str, Any] = {f: bindparam(f"new_{f}") for f in fields}
        if name == "contacts":
            targets["email_index"] = bindparam("new_email_index")
        statement = update(table).where(table.c.id == bindparam("old_id")).values(**targets)
        last = 0
        while True:
            batch = conn.execute(
                _rows_with_values(table).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)).all()
            if not batch:
                break
            params = []
            for record_id, *stored in batch:
                new: dict[str, object] = {"old_id": record_id}
                for field, value in zip(fields, stored, strict=True):
                    clear = open_field(ring, name, record_id, field, value)
                    new[f"new_{field}"] = seal_field(ring, name, record_id, field, clear)
                    if clear is not None:
                        values += 1
                        plain += not is_token(value)
                    if field == "email":
                        new["new_email_index"] = email_index(ring, clear) if clear else None
                        indexes += clear is not None
                params.append(new)
            conn.execute(statement, params)
            rows += len(batch)
            last = batch[-1][0]
            if progress:
                progress(rows, total)
    return rows, values, plain, indexes


def rotate_keys(store: Store, ring: KeyRing, *, forget: bool = False,
                progress: Progress | None = None, actor: str = "system") -> RotationReport:
    """Re-encrypt every sensitive value of ``store`` under a new master key and
    re-seal the audit log under the new audit key, with the rotation as its
    next entry (``keys.rotate``; one transaction), then
    retire the keys of ``ring`` (``forget``: drop them and the retired ones).
    A ring read from a key file is saved back to it at each step."""
    rotating = ring.with_new_key()
    if rotating.path is not None:
        rotating.save()
    with store.begin() as conn:
        rows, values, plain, indexes = reencrypt(conn, rotating, progress)
        # the audit key derives from the master: re-seal the log under the new one (from whichever key of the
        # ring sealed it: a restored older backup may have brought a log sealed under a retired key)
        sealed_by = sealing_key(conn, ring.subkeys("audit"))
        reseal_chain_in(conn, sealed_by or ring.subkey("audit"), rotating.subkey("audit"))
        record_event(conn, actor=actor, action="keys.rotate", target=f"key {rotating.current}",
                     details={"old_key_ids": sorted(ring.keys), "values": values, "rows": rows},
                     chain_key=rotating.subkey("audit"))
    final = rotating.retire_old(forget=forget)
    if final.path is not None:
        final.save()
    return RotationReport(
        old_key_ids=tuple(sorted(ring.keys)), new_key_id=final.current, rows=rows,
        values=values, plain_values=plain, indexes=indexes, ring=final)
