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

**Recovery.**  A rotation stopped at any point (an error, a crash, ``kill -9``)
leaves one of three states: nothing changed (before the key file was saved);
the key file holding both keys, the new one current, with the data and the
audit log still under the old key, or already under the new one (committed
before the key file was rewritten).  Both keys being active, every value opens
meanwhile; audited actions meanwhile are sealed under the new key, after the
entries sealed under the old one.  ``rotate_keys`` on such a ring (``clientfolio
keys recover``, or ``keys rotate``) completes the rotation: it re-encrypts
everything under the current key (values already under it included: the step
is idempotent), re-seals the log from whichever active key sealed each entry,
and retires the old key.  ``audit.verify_log`` accepts such a log, entry by
entry under one of the active keys, and reports ``interrupted_rotation``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, or_, select, update

from clientfolio.access.principal import SYSTEM
from clientfolio.access.rls import limit_connection
from clientfolio.protect.audit import record_event, reseal_chain_in, sealing_key
from clientfolio.protect.fields import (
    SENSITIVE_FIELDS,
    email_index,
    is_token,
    open_field,
    seal_field,
    token_key_id,
)
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store
from clientfolio.store.schema import Base

__all__ = ["CHECKPOINTS", "KeyStatus", "RotationReport", "key_status", "reencrypt", "rotate_keys"]

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) while values are re-encrypted."""

Checkpoint = Callable[[str], None]
"""Called with the name of each step of a rotation as it is reached (tests: a crash there)."""

CHECKPOINTS = ("start", "key-saved", "batch", "reencrypted", "resealed", "recorded", "committed", "retired")
"""The steps of ``rotate_keys``, in order (``batch``: after each batch of re-encrypted rows)."""

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
    resumed: bool = False  # an interrupted rotation was completed (no new key made)


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
    return select(table.c.id, *[table.c[f] for f in fields]).where(or_(*[table.c[f].is_not(None) for f in fields]))


def key_status(store: Store) -> KeyStatus:
    """Count the sensitive values of ``store`` by the key that encrypts them
    (``by_key``) and those stored in plain text (``plain``)."""
    by_key: Counter[int] = Counter()
    plain: Counter[str] = Counter()
    with store.engine.connect() as conn:
        limit_connection(conn, SYSTEM.scope)  # every sensitive value, whatever its scope
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


def reencrypt(
    conn: Connection, ring: KeyRing, progress: Progress | None = None, *, checkpoint: Checkpoint | None = None
) -> tuple[int, int, int, int]:
    """Encrypt every sensitive value on ``conn`` under ``ring.current`` and
    recompute the blind indexes; (rows, values, plain values, indexes) rewritten.
    Runs in the caller's transaction."""
    total = sum(
        conn.execute(select(func.count()).select_from(_rows_with_values(_table(name)).subquery())).scalar_one()
        for name in SENSITIVE_FIELDS
    )
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
                _rows_with_values(table).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
            ).all()
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
            if checkpoint:
                checkpoint("batch")
    return rows, values, plain, indexes


def rotate_keys(
    store: Store,
    ring: KeyRing,
    *,
    forget: bool = False,
    progress: Progress | None = None,
    actor: str = "system",
    checkpoint: Checkpoint | None = None,
) -> RotationReport:
    """Re-encrypt every sensitive value of ``store`` under a new master key and
    re-seal the audit log under the new audit key, with the rotation as its
    next entry (``keys.rotate``; one transaction), then
    retire the keys of ``ring`` (``forget``: drop them and the retired ones).
    A ring read from a key file is saved back to it at each step.

    When ``ring`` is left by an interrupted rotation (``ring.rotation_interrupted``:
    several active keys), no new key is made: that rotation is completed, to
    its current key (``details.resumed`` in the audit entry).  Whatever the step
    at which a rotation stopped, this brings the store, the audit log and the key
    file back to one state: everything under the current key, the others retired.

    ``checkpoint`` (tests) is called with the name of each step as it is reached
    (``CHECKPOINTS``); raising there, or killing the process, simulates a crash."""
    step = checkpoint or (lambda name: None)
    resumed = ring.rotation_interrupted
    rotating = ring if resumed else ring.with_new_key()
    old_ids = tuple(sorted(ring.keys) if not resumed else sorted(set(ring.keys) - {ring.current}))
    step("start")
    if rotating.path is not None and not resumed:
        rotating.save()
    step("key-saved")
    with store.begin() as conn:
        limit_connection(conn, SYSTEM.scope)  # every row is re-encrypted: row-level security fails closed
        rows, values, plain, indexes = reencrypt(conn, rotating, progress, checkpoint=step)
        step("reencrypted")
        # the audit key derives from the master: re-seal the log under the new one (from whichever key of the
        # ring sealed it: a restored older backup may have brought a log sealed under a retired key; after an
        # interrupted rotation, entries sealed under the old key may be followed by entries under the new one)
        sealed_by = sealing_key(conn, ring.subkeys("audit"))
        active = [ring.subkey("audit", k) for k in sorted(ring.keys, reverse=True)]
        reseal_chain_in(conn, sealed_by or active, rotating.subkey("audit"))
        step("resealed")
        details: dict[str, Any] = {"old_key_ids": list(old_ids), "values": values, "rows": rows}
        if resumed:
            details["resumed"] = True
        record_event(
            conn,
            actor=actor,
            action="keys.rotate",
            target=f"key {rotating.current}",
            details=details,
            chain_key=rotating.subkey("audit"),
        )
        step("recorded")
    step("committed")
    final = rotating.retire_old(forget=forget)
    if final.path is not None:
        final.save()
    step("retired")
    return RotationReport(
        old_key_ids=old_ids,
        new_key_id=final.current,
        rows=rows,
        values=values,
        plain_values=plain,
        indexes=indexes,
        ring=final,
        resumed=resumed,
    )
