"""The evidence pack of a traced leak: what a lawyer or an investigator can
read, and check, without the software.

``write_evidence`` writes into a new (or empty) directory:

- a copy of the leaked file (``leaked-file.EXT``) and its SHA-256
  (``leaked-file.sha256``, in ``sha256sum -c`` form);
- for each export the trace implicates, its signed manifest exactly as signed
  (``manifest.json``: the canonical JSON bytes, ``manifest.sig``: the raw
  64-byte Ed25519 signature; ``manifest-UID.*`` when several exports are
  implicated) and the public key (``public-key.pem``; ``public-key-ID.pem``
  for a manifest signed under an older master key);
- ``export.json``: the registry's record of each export (date, who made it,
  recipient, purpose, approver, rows and fields sent), not signed: its signed
  part is the manifest, the rest is sealed in the audit entry;
- ``marks.json``: the marks and trap records found, the probability of a
  wrong attribution and how it is computed (``protect.trace``);
- ``audit-extract.jsonl``: the audit entries of the export (its approval, its
  refusals) and of the traces of this file, with their chain fields, and
  ``audit-chain.json``: the whole log's verification at pack time;
- ``VERIFY.md`` and ``rapport.pdf`` (``report.pdf`` in English): how to check
  each element with standard tools, and a readable summary
  (``protect.evidence_text``);
- ``SHA256SUMS`` and ``pack-manifest.json`` (every file with its SHA-256),
  signed with the key ring's current Ed25519 key (``pack-manifest.sig``).

The pack's creation is audited (``trace.evidence``) after it is written: its
own entry is not in it.  The audit seals are HMACs under a secret key: a third
party checks them only with the key holder (``VERIFY.md`` says what it can
check alone).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import or_, select

from clientfolio.audit_log import canonical_json
from clientfolio.clock import now_utc, utc
from clientfolio.errors import ClientfolioError
from clientfolio.i18n import LANGS, render
from clientfolio.protect.audit import record_event, verify_log
from clientfolio.protect.evidence_text import METHOD, PackFacts, pdf_bytes, verify_markdown
from clientfolio.protect.exports import EXPORT_COLUMNS
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.manifest import file_sha256
from clientfolio.protect.trace import Candidate, TraceResult, verdict_in
from clientfolio.store import Store
from clientfolio.store.schema import AuditEntry, Export, ExportApproval

__all__ = ["EvidencePack", "SEALED_AT_FORMAT", "write_evidence"]

SEALED_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How an audit entry's time is written in what its seal covers (``audit_log.seal_entry``)."""


@dataclass(frozen=True)
class EvidencePack:
    """A written pack: its directory, its files (``pack-manifest.*`` last),
    the SHA-256 of ``pack-manifest.json`` and the ``seq`` of its audit entry."""

    directory: Path
    files: tuple[str, ...]
    manifest_sha256: str
    audit_seq: int


def _empty_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ClientfolioError(
            "{path} exists and is not an empty directory: an evidence pack is never written over files",
            path=str(out_dir),
        )
    out_dir.mkdir(parents=True, exist_ok=True)


def _pem(ring: KeyRing, key_id: int) -> bytes:
    return ring.verify_key(key_id).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _key_file(ring: KeyRing, key_id: int) -> str:
    return "public-key.pem" if key_id == ring.current else f"public-key-{key_id}.pem"


def _approval(store: Store, export_uid: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(ExportApproval.__table__)
            .join(Export, Export.approval_id == ExportApproval.id)
            .where(Export.export_uid == export_uid)
        ).first()
    if row is None:
        return None
    return {
        "request": row.id,
        "requested_at": utc(row.created_at).isoformat(),
        "requested_by": row.username,
        "approved_by": row.approved_by,
        "approved_at": None if row.approved_at is None else utc(row.approved_at).isoformat(),
    }


def _export_record(c: Candidate, approval: dict[str, Any] | None, manifest: str, key_file: str) -> dict[str, Any]:
    e = c.export
    return {
        "export_uid": e.export_uid,
        "created_at": utc(e.created_at).isoformat(),
        "made_by": e.username,
        "recipient": e.recipient,
        "purpose": e.purpose,
        "kind": e.kind,
        "format": e.format,
        "rows": e.row_count,
        "trap_records_added": len(e.traps),
        "fields": list(EXPORT_COLUMNS.get(e.kind, ())),
        "approval": approval,
        "alerts": [a.kind for a in e.alerts],
        "signed_manifest": manifest,
        "signature": manifest.removesuffix(".json") + ".sig",
        "public_key": key_file,
    }


def _marks(result: TraceResult, lang: str) -> dict[str, Any]:
    def found(c: Candidate) -> dict[str, Any]:
        by_code = {t.code: t for t in c.export.traps}
        return {
            "export_uid": c.export.export_uid,
            "recipient": c.export.recipient,
            "marks_checked": c.score.checked,
            "marks_agreeing": c.score.agreeing,
            "reversed": c.score.anti,
            "families": [{"family": f, "checked": n, "agreeing": k} for f, n, k in c.score.by_family],
            "p_by_chance": c.score.probability,
            "log10_p_by_chance": c.score.log10_probability,
            "wrong_attribution": c.wrong_attribution,
            "log10_wrong_attribution": c.log10_wrong_attribution,
            "trap_records_found": [
                {
                    "code": t.code,
                    "name": by_code[t.code].name if t.code in by_code else None,
                    "siren": by_code[t.code].siren if t.code in by_code else None,
                    "matched_by": list(t.matched),
                }
                for t in c.traps
            ],
        }

    return {
        "rows_read": result.rows,
        "markable_texts": result.marked_texts,
        "exports_checked": len(result.candidates),
        "threshold": result.threshold,
        "evidence": result.evidence,
        "verdict": verdict_in(lang, result),
        "method": render(lang, METHOD, {"threshold": f"{result.threshold:g}"}),
        "implicated": [found(c) for c in result.implicated],
    }


def _audit_entries(store: Store, result: TraceResult, file_digest: str) -> list[dict[str, Any]]:
    """The entries of the implicated exports (made, approved, refused before
    approval) and of the traces of the file of SHA-256 ``file_digest``."""
    uids = [c.export.export_uid for c in result.implicated]
    with store.engine.connect() as conn:
        approvals = {
            str(a) for a in conn.execute(select(Export.approval_id).where(Export.export_uid.in_(uids))).scalars() if a
        }
        rows = conn.execute(
            select(AuditEntry)
            .where(
                or_(
                    (AuditEntry.action == "export") & AuditEntry.target.in_(uids),
                    (AuditEntry.action == "export.approved") & AuditEntry.target.in_(approvals),
                    AuditEntry.action == "export.refused",
                    (AuditEntry.action == "trace") & AuditEntry.details.contains(file_digest),
                )
            )
            .order_by(AuditEntry.seq)
        ).all()
    entries = []
    for row in rows:
        details = json.loads(row.details)
        if row.action == "export.refused" and str(details.get("request")) not in approvals:
            continue
        entries.append(
            {
                "seq": row.seq,
                "at": utc(row.at).strftime(SEALED_AT_FORMAT),
                "actor": row.actor,
                "action": row.action,
                "target": row.target,
                "details": details,
                "prev_hash": row.prev_hash,
                "hash": row.hash,
            }
        )
    return entries


def _leaked_name(path: Path) -> str:
    suffix = path.suffix.lower()
    kept = re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) and suffix != ".sha256"  # leaked-file.sha256 is its digest
    return "leaked-file" + (suffix if kept else "")


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def _sign_pack(out_dir: Path, names: list[str], ring: KeyRing, header: dict[str, Any]) -> bytes:
    """Write ``SHA256SUMS`` and ``pack-manifest.json`` (``header`` and every
    file of ``names`` with its SHA-256) and its signature by the current key
    of ``ring`` (``pack-manifest.sig``); the manifest's bytes."""
    listed = [{"name": n, "sha256": file_sha256(out_dir / n), "bytes": (out_dir / n).stat().st_size} for n in names]
    sums = "".join(f"{f['sha256']}  {f['name']}\n" for f in listed).encode()
    (out_dir / "SHA256SUMS").write_bytes(sums)
    listed.append({"name": "SHA256SUMS", "sha256": hashlib.sha256(sums).hexdigest(), "bytes": len(sums)})
    signature = {"algorithm": "Ed25519", "file": "pack-manifest.sig", "public_key": "public-key.pem"}
    pack = _json(header | {"signature": signature, "key_fingerprint": ring.fingerprint(), "files": listed})
    (out_dir / "pack-manifest.json").write_bytes(pack)
    (out_dir / "pack-manifest.sig").write_bytes(ring.signing_key().sign(pack))
    return pack


def write_evidence(
    store: Store,
    ring: KeyRing,
    leaked_path: Path,
    result: TraceResult,
    out_dir: Path,
    *,
    lang: str = "fr",
    actor: str,
    now: dt.datetime | None = None,
) -> EvidencePack:
    """Write the evidence pack of the trace ``result`` of ``leaked_path`` into
    ``out_dir`` (created; it must not hold files) in ``lang``, sign it with the
    current key of ``ring`` and audit it as ``trace.evidence`` by ``actor``.
    Raises ``ClientfolioError`` when the trace implicates no export or
    ``out_dir`` is not empty."""
    if lang not in LANGS:
        raise ClientfolioError("unknown language {value}; use one of {known}", value=repr(lang), known=", ".join(LANGS))
    if not result.implicated:
        raise ClientfolioError(
            "the trace of {path} implicates no export: there is nothing to put in an evidence pack",
            path=str(leaked_path),
        )
    made = now_utc(now)
    _empty_dir(out_dir)
    files: dict[str, bytes] = {}
    leaked = _leaked_name(leaked_path)
    shutil.copyfile(leaked_path, out_dir / leaked)
    digest = file_sha256(out_dir / leaked)
    files["leaked-file.sha256"] = f"{digest}  {leaked}\n".encode()
    several = len(result.implicated) > 1
    records = []
    for c in result.implicated:
        signed = c.export.signed
        stem = f"manifest-{c.export.export_uid}" if several else "manifest"
        files[f"{stem}.json"] = signed.manifest.canonical()
        files[f"{stem}.sig"] = base64.b64decode(signed.signature)
        key_file = _key_file(ring, signed.manifest.key_id)
        files[key_file] = _pem(ring, signed.manifest.key_id)
        records.append(_export_record(c, _approval(store, c.export.export_uid), f"{stem}.json", key_file))
    files["public-key.pem"] = _pem(ring, ring.current)
    files["export.json"] = _json(records)
    marks = _marks(result, lang)
    files["marks.json"] = _json(marks)
    entries = _audit_entries(store, result, digest)
    files["audit-extract.jsonl"] = "".join(canonical_json(e) + "\n" for e in entries).encode()
    chain = verify_log(store, ring)
    files["audit-chain.json"] = _json(
        {
            "checked_at": made.isoformat(),
            "ok": chain.ok,
            "entries": chain.entries,
            "head_seq": chain.head_seq,
            "head_hash": chain.head_hash,
            "first_bad_seq": chain.first_bad_seq,
            "reason": chain.reason,
        }
    )
    facts = PackFacts(
        lang=lang,
        made_at=made,
        made_by=actor,
        leaked_name=leaked_path.name,
        leaked_copy=leaked,
        leaked_sha256=digest,
        exports=tuple(records),
        marks=marks,
        audit=tuple(entries),
        chain_ok=chain.ok,
        chain_head=(chain.head_seq, chain.head_hash),
        key_fingerprint=ring.fingerprint(),
    )
    files["VERIFY.md"] = verify_markdown(facts).encode()
    files["rapport.pdf" if lang == "fr" else "report.pdf"] = pdf_bytes(facts)
    for name, body in files.items():
        (out_dir / name).write_bytes(body)
    pack = _sign_pack(
        out_dir,
        sorted([leaked, *files]),
        ring,
        {
            "created_at": made.isoformat(),
            "created_by": actor,
            "leaked_file_sha256": digest,
            "exports": [r["export_uid"] for r in records],
        },
    )
    pack_digest = hashlib.sha256(pack).hexdigest()
    names = (*sorted([leaked, *files]), "SHA256SUMS", "pack-manifest.json", "pack-manifest.sig")
    with store.begin() as conn:
        seq = record_event(
            conn,
            actor=actor,
            action="trace.evidence",
            target=str(out_dir)[:200],
            details={
                "file_sha256": digest,
                "exports": [r["export_uid"] for r in records],
                "pack_manifest_sha256": pack_digest,
                "files": len(names),
            },
            chain_key=ring.subkey("audit"),
            at=made,
        )
    return EvidencePack(out_dir, names, pack_digest, seq)
