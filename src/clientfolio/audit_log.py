"""The audit log's writer: appends entries to the tamper-evident hash chain.

A leaf below the access layer (it imports no domain package), so that the
access layer audits its reads and writes in their own transaction.  The chain
(its seal, its checks, its re-sealing) is described in ``protect.audit``,
which reads and verifies what is written here.

Each entry (table ``audit_log``) has a ``seq`` counting from 1 without gaps and
is sealed by

    hash = HMAC-SHA256(chain_key, prev_hash || canonical JSON of
                       {seq, at, actor, action, target, details})

Writers are serialised so that two entries never claim the same ``seq``: on
PostgreSQL by a transaction-scoped advisory lock, on SQLite by taking the
write lock of the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import Connection, false, insert, select, text, update

from clientfolio.clock import now_utc, utc
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_
from clientfolio.store.schema import AuditEntry

__all__ = [
    "ACTION_NAMES",
    "GENESIS",
    "canonical_json",
    "lock_chain",
    "record_customer_read",
    "record_event",
    "refusal",
    "seal_entry",
]

GENESIS = "0" * 64
_PG_LOCK = 0x434C_4155_4449_54  # "CLAUDIT": the advisory lock of audit writers

ACTION_NAMES = {
    "activity.log": N_("Sales activity logged"),
    "assessment.save": N_("Self-assessment saved"),
    "backup": N_("Backup made"),
    "backup.restore": N_("Backup restored"),
    "customer.read": N_("Customer file read"),
    "export": N_("Customer data exported"),
    "export.approval.refused": N_("Export approval refused"),
    "export.approved": N_("Export approved"),
    "export.refused": N_("Export refused"),
    "gdpr.access": N_("Personal data access request answered (GDPR)"),
    "gdpr.erase": N_("Contact person erased (GDPR)"),
    "gdpr.object": N_("Objection to prospecting recorded (GDPR)"),
    "gdpr.purge": N_("Contact persons purged past their retention (GDPR)"),
    "gdpr.rectify": N_("Contact person rectified (GDPR)"),
    "import": N_("Data imported"),
    "import.rejected": N_("Import rejected"),
    "keys.rotate": N_("Encryption keys rotated"),
    "login.failure": N_("Failed login"),
    "login.success": N_("Successful login"),
    "plan.action.add": N_("Action added to the plan"),
    "plan.action.undo": N_("Plan action removed (undo of an acceptance)"),
    "plan.action.update": N_("Plan action updated"),
    "plan.download": N_("Action plan downloaded"),
    "plan.header": N_("Plan header changed"),
    "prospect.stage": N_("Prospect moved to another stage"),
    "prospect.stage.refused": N_("Prospect stage change refused"),
    "report.refused": N_("Report refused"),
    "settings.change": N_("Domain setting changed"),
    "swot.add": N_("SWOT item added"),
    "swot.delete": N_("SWOT item deleted"),
    "swot.edit": N_("SWOT item edited"),
    "swot.save": N_("SWOT items saved"),
    "trace": N_("Leaked file traced"),
    "trace.evidence": N_("Evidence pack made"),
    "user.create": N_("User created"),
    "user.disable": N_("User disabled"),
    "user.password": N_("Password changed"),
    "user.scope": N_("Need-to-know scope changed"),
    "user.totp": N_("Second factor changed"),
    "web.refused": N_("Web request refused"),
}
"""The English name of every action the code writes to the audit log (its
``action`` code), shown through the catalogs; an action without a name (an
entry written by another version) shows as its code."""


def _jsonable(value: object) -> object:
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON serialisable in an audit entry: {type(value).__name__}")


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 text, no NaN;
    dates as ISO text, sets as sorted lists."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_jsonable
    )


def seal_entry(
    key: bytes, prev_hash: str, seq: int, at: dt.datetime, actor: str, action: str, target: str | None, details: object
) -> str:
    """The seal (hex HMAC-SHA256 under ``key``) of the entry ``seq`` that
    follows the entry of hash ``prev_hash``."""
    payload = canonical_json(
        {
            "seq": seq,
            "at": utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
        }
    )
    return hmac.new(key, (prev_hash + payload).encode("utf-8"), hashlib.sha256).hexdigest()


def lock_chain(conn: Connection) -> None:
    """Serialise the audit writers for the rest of ``conn``'s transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    else:  # a write statement takes SQLite's write lock for the rest of the transaction
        conn.execute(update(AuditEntry).where(false()).values(seq=AuditEntry.seq))


def record_event(
    conn: Connection,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    chain_key: bytes,
    at: dt.datetime | None = None,
) -> int:
    """Append an entry to the audit log within the caller's transaction on
    ``conn`` (a change and its entry commit or roll back together); returns
    its ``seq``.  ``actor`` is a username (or ``cli:<os user>``), ``action`` a
    dotted name (``login.failure``, ``user.create`` ...), ``details`` a JSON
    object (before/after values, counts ...); ``at`` defaults to now (UTC)."""
    lock_chain(conn)
    last = conn.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
    when = now_utc(at)
    actor, target = actor[:100], None if target is None else target[:200]
    body = canonical_json(details or {})
    digest = seal_entry(chain_key, prev, seq, when, actor, action, target, json.loads(body))
    conn.execute(
        insert(AuditEntry).values(
            seq=seq, at=when, actor=actor, action=action, target=target, details=body, prev_hash=prev, hash=digest
        )
    )
    return seq


def refusal(exc: Exception) -> dict[str, Any]:
    """The ``reason`` of a refusal for an entry's details: the English message,
    with its template and parameters (``reason_msg``, ``reason_params``) when it
    is a message of the catalogs, so that the log is read in the reader's
    language (``web.audit_text``).  Parameters that are not JSON values are kept
    as their text."""
    reason: dict[str, Any] = {"reason": str(exc)}
    if isinstance(exc, ClientfolioError) and exc.template:
        reason["reason_msg"] = exc.template
        if exc.params:
            reason["reason_params"] = {
                name: value if value is None or isinstance(value, str | int | float | bool) else str(value)
                for name, value in exc.params.items()
            }
    return reason


def record_customer_read(
    conn: Connection,
    *,
    actor: str,
    customer_code: str,
    visible: bool,
    chain_key: bytes,
    at: dt.datetime | None = None,
) -> int:
    """Audit that ``actor`` opened the record of customer ``customer_code``
    (``visible`` False: it asked for one outside its scope, or unknown)."""
    return record_event(
        conn,
        actor=actor,
        action="customer.read",
        target=customer_code,
        details={"visible": visible},
        chain_key=chain_key,
        at=at,
    )
