"""The audit entry of a trace: who traced which file, and what was found.

Tracing shows which recipient leaked a file, and its use is a sensitive act
itself (probing who received what): every trace, from the command line or the
web's ``/trace``, is audited as ``trace`` with the file's name and SHA-256 and
the verdict (the attributed export and recipient, the evidence, the exports
implicated or found tampered).
"""

from __future__ import annotations

from pathlib import Path

from clientfolio.protect.audit import record_event
from clientfolio.protect.manifest import file_sha256
from clientfolio.protect.trace import TraceResult
from clientfolio.store import Store

__all__ = ["record_trace"]


def record_trace(store: Store, *, actor: str, file_name: str, path: Path, result: TraceResult, chain_key: bytes) -> int:
    """Audit the trace of ``path`` (shown as ``file_name``) by ``actor``; its ``seq``."""
    attributed = result.attributed
    details = {
        "file": file_name,
        "sha256": file_sha256(path),
        "rows": result.rows,
        "verdict": "no match"
        if attributed is None and not result.implicated
        else "collusion"
        if len(result.implicated) > 1
        else "match",
        "export_uid": None if attributed is None else attributed.export.export_uid,
        "recipient": None if attributed is None else attributed.export.recipient,
        "evidence": result.evidence,
        "implicated": [c.export.export_uid for c in result.implicated],
        "tampered": [c.export.export_uid for c in result.tampered],
    }
    with store.begin() as conn:
        return record_event(
            conn, actor=actor, action="trace", target=file_name[:200], details=details, chain_key=chain_key
        )
