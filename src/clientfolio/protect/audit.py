"""The audit log: a tamper-evident hash chain of who did what.

Each entry (table ``audit_log``) has a ``seq`` counting from 1 without gaps and
is sealed by

    hash = HMAC-SHA256(chain_key, prev_hash || canonical JSON of
                       {seq, at, actor, action, target, details})

where ``prev_hash`` is the previous entry's hash (64 zeros for the first) and
the canonical JSON has sorted keys, no spaces, UTF-8, ``at`` in UTC to the
microsecond.  ``chain_key`` lives outside the database (``KeyRing.subkey
("audit")``): whoever edits the database cannot re-seal what they changed.

``verify_chain`` walks the log and names the first bad entry and why:

- ``edited``: an entry's content (or seal, or link) no longer matches its seal;
- ``deleted``: a ``seq`` is missing, or an entry follows one that is gone (the
  rest renumbered);
- ``reordered``: an entry follows, in the chain, another entry than the one
  before it in ``seq`` order.

Limits: deleting the *last* entries leaves a shorter chain that is still
sound; ``verify_chain`` reports the head (seq, hash) to write down elsewhere,
and checks it later with ``expect_head``.  Someone who holds the chain key can
rewrite the whole log.  The chain key derives from the current master key:
when it rotates, ``reseal_chain`` re-seals the log under the new key after
checking it under the old one.

Writers are serialised so that two entries never claim the same ``seq``: on
PostgreSQL by a transaction-scoped advisory lock, on SQLite by taking the
write lock of the caller's transaction; ``seq`` being the primary key, a
writer that still raced would fail rather than fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from clientfolio.audit_log import (
    GENESIS,
    canonical_json,
    lock_chain,
    record_customer_read,
    record_event,
    refusal,
    seal_entry,
)
from clientfolio.clock import utc
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_, render
from clientfolio.store import Store
from clientfolio.store.schema import AuditEntry

if TYPE_CHECKING:
    from clientfolio.keyring import KeyRing

__all__ = [
    "GENESIS",
    "AuditEvent",
    "AuditReport",
    "canonical_json",
    "list_events",
    "record_customer_read",
    "record_event",
    "refusal",
    "reseal_chain",
    "reseal_chain_in",
    "sealing_key",
    "verify_chain",
    "verify_log",
]


@dataclass(frozen=True)
class AuditEvent:
    """An entry of the audit log, as read back."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    hash: str


def list_events(store: Store, *, limit: int = 50, action: str | None = None) -> list[AuditEvent]:
    """The last ``limit`` entries (of ``action`` only, when given), newest first.
    Details that are no longer JSON (the entry was edited) show as ``{"raw": text}``."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    with store.session() as session:
        return [
            AuditEvent(e.seq, utc(e.at), e.actor, e.action, e.target, _shown(e.details), e.hash)
            for e in session.scalars(query)
        ]


def _details(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _shown(body: str) -> dict[str, Any]:
    details = _details(body)
    return details if isinstance(details, dict) else {"raw": body}


@dataclass(frozen=True)
class AuditReport:
    """What ``verify_chain`` found.  ``entries``: entries in the log;
    ``head_seq``/``head_hash``: the last entry that checks out (the anchor to
    note down); when not ``ok``, ``first_bad_seq`` is where the damage starts,
    ``reason`` one of ``edited``, ``deleted``, ``reordered`` and ``detail`` says
    more."""

    ok: bool
    entries: int
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None = None
    reason: str | None = None
    detail: str = ""
    detail_msg: str = ""
    detail_params: dict[str, Any] = field(default_factory=dict)
    # with several audit keys (an interrupted key rotation): runs of entries
    # (first seq, last seq, key: its position in the keys given, its id from
    # ``verify_log``) and whether a rotation was interrupted
    sealed_by: tuple[tuple[int, int, int], ...] = ()
    interrupted_rotation: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def detail_in(self, lang: str) -> str:
        """``detail`` in ``lang`` (a message of the catalogs)."""
        return render(lang, self.detail_msg, self.detail_params) if self.detail_msg else self.detail


Found = tuple[int, str, str, str, dict[str, Any]]
"""A break in the chain: first bad seq, reason, detail (English), its template and parameters."""


def _found(at: int, reason: str, template: str, /, **params: Any) -> Found:
    return at, reason, render("en", template, params), template, params


def _problem(
    row: Any, prev_seq: int, prev_hash: str, seq_of: dict[str, int], keys: Sequence[bytes], prefer: int = 0
) -> tuple[Found | None, int]:
    """(first bad seq, reason, detail) for ``row`` following (prev_seq, prev_hash), or None;
    and the position in ``keys`` of the key that sealed it (``prefer`` tried first)."""
    if row.seq != prev_seq + 1:
        if row.seq == prev_seq + 2:
            return _found(prev_seq + 1, "deleted", N_("entry #{seq} is missing"), seq=str(prev_seq + 1)), prefer
        gone = _found(
            prev_seq + 1,
            "deleted",
            N_("entries #{first} to #{last} are missing"),
            first=str(prev_seq + 1),
            last=str(row.seq - 1),
        )
        return gone, prefer
    details = _details(row.details)
    order = [prefer, *[n for n in range(len(keys)) if n != prefer]]

    def sealed(prev: str) -> int | None:
        if details is None:
            return None
        for n in order:
            if hmac.compare_digest(
                seal_entry(keys[n], prev, row.seq, row.at, row.actor, row.action, row.target, details), row.hash
            ):
                return n
        return None

    if row.prev_hash == prev_hash:
        used = sealed(prev_hash)
        if used is not None:
            return None, used
        template = (
            N_("entry #{seq} does not match its seal (or the audit key is not the one that wrote this log)")
            if row.seq == 1
            else N_("entry #{seq} does not match its seal")
        )
        return _found(row.seq, "edited", template, seq=str(row.seq)), prefer
    if sealed(prev_hash) is not None:
        return _found(
            row.seq, "edited", N_("the link of entry #{seq} to the previous entry was changed"), seq=str(row.seq)
        ), prefer
    if row.prev_hash in seq_of:
        after = seq_of[row.prev_hash]
        if after == 0:
            moved = _found(
                row.seq,
                "reordered",
                N_("entry #{seq} was written after the start of the log, not after #{prev}"),
                seq=str(row.seq),
                prev=str(prev_seq),
            )
        else:
            moved = _found(
                row.seq,
                "reordered",
                N_("entry #{seq} was written after entry #{after}, not after #{prev}"),
                seq=str(row.seq),
                after=str(after),
                prev=str(prev_seq),
            )
        return moved, prefer
    gone = _found(
        row.seq, "deleted", N_("the entry written before #{seq} is gone (later entries renumbered)"), seq=str(row.seq)
    )
    return gone, prefer


def _keys(key: bytes | Sequence[bytes]) -> list[bytes]:
    return [key] if isinstance(key, bytes) else list(key)


def _verify(conn: Connection, key: bytes | Sequence[bytes]) -> AuditReport:
    """Walk the log; with several keys (an interrupted key rotation), each entry
    may be sealed under any of them, and the report's ``sealed_by`` gives the
    runs of entries sealed under each (first seq, last seq, position in ``key``)."""
    keys = _keys(key)
    hash_of = {seq: digest for seq, digest in conn.execute(select(AuditEntry.seq, AuditEntry.hash))}
    seq_of = {digest: seq for seq, digest in hash_of.items()} | {GENESIS: 0}
    prev_seq, prev_hash = 0, GENESIS
    runs: list[tuple[int, int, int]] = []
    used = 0
    for row in conn.execute(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(5_000):
        problem, used = _problem(row, prev_seq, prev_hash, seq_of, keys, used)
        if problem is not None:
            return AuditReport(
                False,
                len(hash_of),
                prev_seq or None,
                prev_hash if prev_seq else None,
                *problem,
                sealed_by=tuple(runs) if len(keys) > 1 else (),
            )
        if runs and runs[-1][2] == used:
            runs[-1] = (runs[-1][0], row.seq, used)
        else:
            runs.append((row.seq, row.seq, used))
        prev_seq, prev_hash = row.seq, row.hash
    return AuditReport(
        True,
        len(hash_of),
        prev_seq or None,
        prev_hash if prev_seq else None,
        sealed_by=tuple(runs) if len(keys) > 1 else (),
    )


def verify_chain(
    store: Store, chain_key: bytes | Sequence[bytes], *, expect_head: tuple[int, str] | None = None
) -> AuditReport:
    """Check the whole audit log against ``chain_key``; with ``expect_head``
    (seq, hash) noted down from an earlier verification, also check that this
    entry is still there, unchanged (detects a deleted tail).  ``chain_key`` may
    be several keys (the active keys of an interrupted rotation, see
    ``verify_log``): each entry may then be sealed under any of them."""
    with store.engine.connect() as conn:
        report = _verify(conn, chain_key)
        if not report.ok or expect_head is None:
            return report
        seq, digest = expect_head
        last = report.head_seq or 0
        if seq > last:
            return AuditReport(
                False,
                report.entries,
                report.head_seq,
                report.head_hash,
                *_found(
                    last + 1,
                    "deleted",
                    N_("the log ends at #{last}; the noted head is #{seq}"),
                    last=str(last),
                    seq=str(seq),
                ),
            )
        noted = conn.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq)) or ""
        if not hmac.compare_digest(noted, digest.lower()):
            return AuditReport(
                False,
                report.entries,
                report.head_seq,
                report.head_hash,
                *_found(
                    seq, "edited", N_("entry #{seq} is not the one noted down (the log was rewritten)"), seq=str(seq)
                ),
            )
    return report


def reseal_chain(store: Store, old_key: bytes, new_key: bytes) -> AuditReport:
    """Re-seal the whole log under ``new_key`` when the audit key changes (a
    master key rotation), in one transaction, after checking it under
    ``old_key``: a log that does not verify is left as it is and
    ``ClientfolioError`` is raised.  Heads noted down before are replaced by
    the returned report's."""
    with store.begin() as conn:
        return reseal_chain_in(conn, old_key, new_key)


def verify_log(store: Store, ring: KeyRing, *, expect_head: tuple[int, str] | None = None) -> AuditReport:
    """``verify_chain`` with the audit keys of ``ring``: its current key, and
    when a key rotation was interrupted (the ring holds several active keys),
    any of its active keys, each entry under one of them (the log then holds
    entries sealed under the old key, followed by entries sealed under the new
    one); the report says ``interrupted_rotation`` so that this state, which
    ``clientfolio keys recover`` completes, is not taken for tampering."""
    interrupted = ring.rotation_interrupted
    ids = [ring.current, *sorted((k for k in ring.keys if k != ring.current), reverse=True)]
    if not interrupted:
        return verify_chain(store, ring.subkey("audit"), expect_head=expect_head)
    report = verify_chain(store, [ring.subkey("audit", k) for k in ids], expect_head=expect_head)
    return replace(
        report, interrupted_rotation=True, sealed_by=tuple((first, last, ids[n]) for first, last, n in report.sealed_by)
    )


def sealing_key(conn: Connection, candidates: Sequence[bytes]) -> bytes | None:
    """The first of ``candidates`` under which the whole log verifies (the first
    one for an empty log); None when none does (the log was tampered with)."""
    for key in candidates:
        if _verify(conn, key).ok:
            return key
    return None


def reseal_chain_in(conn: Connection, old_key: bytes | Sequence[bytes], new_key: bytes) -> AuditReport:
    """``reseal_chain`` inside the caller's transaction (a key rotation re-seals
    the log in the same transaction as it re-encrypts the fields).  ``old_key``
    may be several keys: the log of an interrupted rotation holds entries
    sealed under the old key and, after it, under the new one."""
    lock_chain(conn)
    report = _verify(conn, old_key)
    if not report.ok:
        raise ClientfolioError(
            "the audit log does not verify, not re-sealed: {reason_msg} at #{seq} ({detail})",
            reason_msg=str(report.reason),
            seq=str(report.first_bad_seq),
            detail=report.detail,
        )
    prev = GENESIS
    for row in conn.execute(select(AuditEntry).order_by(AuditEntry.seq)).all():
        digest = seal_entry(new_key, prev, row.seq, row.at, row.actor, row.action, row.target, json.loads(row.details))
        conn.execute(update(AuditEntry).where(AuditEntry.seq == row.seq).values(prev_hash=prev, hash=digest))
        prev = digest
    return AuditReport(True, report.entries, report.head_seq, prev if report.head_seq else None)
