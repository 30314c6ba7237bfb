"""Tracing a leaked file back to the export, and the recipient, it came from.

The file is read as a grid of text cells: every sheet of an XLSX file, or a
CSV file of any usual separator in UTF-8 (with or without BOM), UTF-16 (with
BOM: Excel's "Unicode text") or Windows-1252/Latin-1; anything else is a
``ClientfolioError``, never a traceback.  Headers, column order and row order
do not matter; each cell is read whole and in parts (a merged cell split at
``,``, ``;``, ``|``, `` - ``..., a leading postal code dropped), and the
``'`` an export puts before a formula-like text is taken off.

For each registered export, ``fingerprint.score`` compares the marks of the
file with that export's: ``p`` is the chance of a score as extreme, *either
way* (an exact anti-match is evidence too), in a file not made from that
export.  Over ``N`` registered exports the chance that *some* wrong export
scores as well is at most ``N * p`` (Bonferroni): the *probability of a wrong
attribution*.  Every export below the threshold (setting ``trace_threshold``,
default 1e-9) is implicated; so is an export whose trap records are in the
file (by name or SIREN) twice, or once with a fingerprint leaning its way
(``p <= TRAP_SUPPORT``).  One export implicated: the file is attributed to
it.  Several: *collusion*, every one named, none singled out.  None: "no
match".

The registry is not trusted: each export's row is checked against its
Ed25519-signed manifest (recipient, purpose, date, format, key, file hash,
trap records).  A row that disagrees, or whose manifest's signature fails, is
reported as *tampering* and never used to blame anyone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clientfolio.errors import ClientfolioError, os_reason
from clientfolio.filelimits import FileLimitExceeded, RowGuard, active_limits, open_workbook
from clientfolio.i18n import N_, Params, render
from clientfolio.protect.exports import ExportRecord, list_exports
from clientfolio.protect.fingerprint import Observation, Score, export_key, observe, read_text, score
from clientfolio.protect.manifest import signature_valid
from clientfolio.protect.traps import CellIndex, TrapHit, find_traps
from clientfolio.store import Store
from clientfolio.textfiles import FORMULA_TRIGGERS, detect_encoding

__all__ = [
    "TRAP_SUPPORT",
    "Candidate",
    "TraceResult",
    "read_table",
    "tampering",
    "texts_of",
    "trace_file",
    "trace_rows",
    "unquoted",
    "verdict",
    "verdict_in",
]


TRAP_SUPPORT = 0.01
"""A single trap item (a name or a SIREN) implicates its export only with a
fingerprint of that export this unlikely by chance (uncorrected)."""


@dataclass(frozen=True)
class Candidate:
    """One registered export checked against the file: its fingerprint score,
    the Bonferroni-corrected probability of a wrong attribution
    (``min(1, N * p)``, with its log10), the traps of it found, and
    ``tampered``: the registry fields that disagree with its signed manifest
    (``signature`` when the manifest's own signature fails)."""

    export: ExportRecord
    score: Score
    wrong_attribution: float
    log10_wrong_attribution: float
    traps: tuple[TrapHit, ...]
    tampered: tuple[str, ...] = ()

    @property
    def trap_items(self) -> int:
        return sum(len(t.matched) for t in self.traps)

    @property
    def signed_recipient(self) -> str | None:
        """The recipient the signed manifest names (None when its signature fails)."""
        return None if "signature" in self.tampered else self.export.signed.manifest.recipient


@dataclass(frozen=True)
class TraceResult:
    """``attributed`` is the export the file comes from (None: no match,
    collusion or tampering), by ``evidence`` ``"fingerprint"``, ``"trap"`` or
    ``"collusion"``; ``implicated`` every export the evidence names (several:
    collusion), never a tampered one; ``tampered`` the implicated exports whose
    registry row disagrees with its signed manifest; ``candidates`` every
    checked export, the likeliest first; ``unchecked`` the exports whose key
    is not in the key ring."""

    rows: int
    marked_texts: int
    candidates: tuple[Candidate, ...]
    attributed: Candidate | None
    evidence: str | None
    threshold: float
    unchecked: tuple[str, ...]
    implicated: tuple[Candidate, ...] = ()
    tampered: tuple[Candidate, ...] = ()

    @property
    def collusion(self) -> bool:
        return len(self.implicated) > 1


_UNREADABLE = "{path} is not a readable table (CSV in UTF-8, UTF-16 or Windows-1252, or XLSX): {why_msg}"


def _unreadable(path: Path, why: str) -> ClientfolioError:
    return ClientfolioError(_UNREADABLE, path=str(path), why_msg=why)


def _decode(raw: bytes) -> str:
    """The text of a CSV file, in the encoding ``textfiles.detect_encoding``
    tells (by its BOM; UTF-16 without BOM when every other byte is NUL; UTF-8;
    Windows-1252 or ISO-8859-15); a file mixing UTF-8 and 8-bit lines is read
    as Windows-1252, else Latin-1.  Raises ``UnicodeDecodeError`` for bad
    UTF-16, ``ValueError`` for binary content."""
    encoding = detect_encoding(raw)
    if encoding is None:
        raise ValueError("binary content")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        if encoding.startswith("utf-16"):
            raise
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_table(path: Path) -> list[list[str]]:
    """The cells of the file at ``path`` as text: every sheet of an XLSX file,
    one after the other, else a CSV file of ``;``, ``,``, tab or ``|``
    separators (``_decode``), within the active reading limits
    (``filelimits.active_limits``: ``FileLimitExceeded`` beyond them).  Raises
    ``ClientfolioError`` when it cannot be read."""
    limits = active_limits()
    guard = RowGuard(path.name, limits)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ClientfolioError("cannot read {path}: {why_msg}", path=str(path), why_msg=os_reason(exc)) from None
    if raw[:4] == b"PK\x03\x04":
        try:
            with path.open("rb") as handle:
                book = open_workbook(handle, path, path.name, limits)  # the ZIP's declared sizes checked first
                try:
                    return [
                        ["" if v is None else str(v) for v in row]
                        for sheet in book.worksheets
                        for row in guard.rows_of(sheet.iter_rows(values_only=True))
                    ]
                finally:
                    book.close()
        except FileLimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise ClientfolioError("{path} is not a readable XLSX file: {why}", path=str(path), why=str(exc)) from None
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _unreadable(path, N_("an old Excel .xls file; save it as XLSX or CSV"))
    try:
        text = _decode(raw)
    except UnicodeDecodeError as exc:
        raise ClientfolioError(
            "{path} is not a readable table (CSV in UTF-8, UTF-16 or Windows-1252, or XLSX): bad {encoding} text",
            path=str(path),
            encoding=exc.encoding,
        ) from None
    except ValueError as exc:
        raise _unreadable(path, str(exc)) from None
    if "\x00" in text:
        raise _unreadable(path, N_("binary content"))
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(limits.field_chars)  # process-wide, as the importer sets it
    try:
        return [list(row) for row in guard.rows_of(csv.reader(io.StringIO(text), dialect))]
    except csv.Error as exc:
        raise _unreadable(path, str(exc)) from None


def unquoted(cell: str) -> str:
    """A cell without the ``'`` an export puts before a formula-like text."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS) else cell


_PARTS = re.compile(r"\s*(?:[,;|/\n\t]|\s[-–]\s)\s*")
_POSTAL = re.compile(r"^\d{5}\s+(?=\D)")


def texts_of(cell: str) -> set[str]:
    """The texts a cell is read as: itself, and its parts when a data cleaner
    merged columns into it (split at usual separators, a leading postal code
    dropped)."""
    texts = {cell}
    for part in (cell, *_PARTS.split(cell)):
        part = part.strip()
        if part:
            texts.add(part)
            texts.add(_POSTAL.sub("", part))
    return texts


def _wrong(p: float, log10_p: float, exports: int) -> tuple[float, float]:
    return min(1.0, p * exports), min(0.0, log10_p + math.log10(exports))


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def tampering(record: ExportRecord, keys: Mapping[int, Ed25519PublicKey]) -> tuple[str, ...]:
    """The fields of the registry row ``record`` that disagree with its signed
    manifest; ``("signature",)`` when the manifest's signature fails or its key
    is unknown."""
    signed = record.signed
    key = keys.get(signed.manifest.key_id)
    if key is None or not signature_valid(signed, key):
        return ("signature",)
    m = signed.manifest
    try:
        same_time = _as_utc(dt.datetime.fromisoformat(m.created_at)) == _as_utc(record.created_at)
    except ValueError:
        same_time = False
    checks = {
        "export_uid": m.export_uid == record.export_uid,
        "recipient": m.recipient == record.recipient,
        "purpose": m.purpose == record.purpose,
        "format": m.format == record.format,
        "key_id": m.key_id == record.key_id,
        "file_sha256": m.sha256 == record.file_sha256,
        "created_at": same_time,
        "traps": not m.traps_sha256 or m.traps_sha256 == record.traps_sha256,
    }
    return tuple(name for name, ok in checks.items() if not ok)


def trace_rows(
    rows: Sequence[Sequence[str]],
    exports: Sequence[ExportRecord],
    secrets: Mapping[int, bytes],
    *,
    threshold: float,
    verify_keys: Mapping[int, Ed25519PublicKey],
) -> TraceResult:
    """Trace the cells ``rows`` of a file among ``exports``, with the
    fingerprint secrets (``secrets``) and the manifests' public keys
    (``verify_keys``) of the master keys by id."""
    counts = Counter(unquoted(cell.strip()) for row in rows for cell in row if cell and cell.strip())
    seen: list[Observation] = []
    texts: set[str] = set()
    for cell, times in counts.items():
        if not any(c.isalpha() for c in cell):
            texts.add(cell)
            continue
        for text in texts_of(cell):
            texts.add(text)
            found = read_text(text)
            if found is not None:
                seen.extend([found] * times)
    observed = observe(seen)
    index = CellIndex(texts)
    checkable = [e for e in exports if e.key_id in secrets]
    unchecked = tuple(sorted({e.export_uid for e in exports if e.key_id not in secrets}))
    candidates = []
    for record in checkable:
        result = score(export_key(secrets[record.key_id], record.export_uid), observed)
        wrong, log10_wrong = _wrong(result.probability, result.log10_probability, len(checkable))
        candidates.append(
            Candidate(
                record,
                result,
                wrong,
                log10_wrong,
                tuple(find_traps(record.traps, index)),
                tampering(record, verify_keys),
            )
        )
    candidates.sort(key=lambda c: (c.log10_wrong_attribution, -c.trap_items))
    by_fingerprint = [c for c in candidates if c.wrong_attribution <= threshold]
    by_traps = [
        c
        for c in candidates
        if c not in by_fingerprint and c.traps and (c.trap_items >= 2 or c.score.probability <= TRAP_SUPPORT)
    ]
    named = by_fingerprint + by_traps
    tampered = tuple(c for c in named if c.tampered)
    implicated = tuple(c for c in named if not c.tampered)
    attributed, evidence = None, None
    if len(implicated) > 1:
        evidence = "collusion"
    elif implicated and not tampered:
        attributed = implicated[0]
        evidence = "fingerprint" if by_fingerprint else "trap"
    return TraceResult(
        len(rows), len(observed), tuple(candidates), attributed, evidence, threshold, unchecked, implicated, tampered
    )


def trace_file(
    store: Store,
    path: Path,
    secrets: Mapping[int, bytes],
    *,
    threshold: float,
    verify_keys: Mapping[int, Ed25519PublicKey],
) -> TraceResult:
    """Trace the file at ``path`` among the exports registered in ``store``."""
    return trace_rows(read_table(path), list_exports(store), secrets, threshold=threshold, verify_keys=verify_keys)


def _p(log10_p: float) -> str:
    return f"{10**log10_p:.2g}" if log10_p > -300 else f"1e{log10_p:.0f}"


def verdict(result: TraceResult) -> list[tuple[str, Params]]:
    """The verdict of a trace as messages (an English template and its
    parameters, for ``i18n.render``; the French is in ``i18n/fr/library.po``)."""
    lines: list[tuple[str, Params]] = []
    for c in result.tampered:
        if c.signed_recipient is None:
            lines.append(
                (
                    "Tampering: the registry row of export {uid} fails its signed manifest's signature; "
                    "it blames nobody.",
                    {"uid": c.export.export_uid},
                )
            )
        else:
            lines.append(
                (
                    "Tampering: the registry row of export {uid} disagrees with its signed manifest "
                    "({fields}): the registry says {registry}, the signed manifest {signed}; the row "
                    "blames nobody.",
                    {
                        "uid": c.export.export_uid,
                        "fields": ", ".join(c.tampered),
                        "registry": c.export.recipient,
                        "signed": c.signed_recipient,
                    },
                )
            )
    if result.collusion:
        lines.append(
            (
                "Collusion: the file carries the marks of {count} exports; every recipient is named, "
                "none singled out: {recipients}.",
                {
                    "count": len(result.implicated),
                    "recipients": ", ".join(c.export.recipient for c in result.implicated),
                },
            )
        )
        for c in result.implicated:
            lines.append(
                (
                    "Export {uid} for {recipient}: {agreeing} of {checked} marks agree, trap records "
                    "found: {traps}; probability by chance {p}.",
                    {
                        "uid": c.export.export_uid,
                        "recipient": c.export.recipient,
                        "agreeing": c.score.agreeing,
                        "checked": c.score.checked,
                        "traps": len(c.traps),
                        "p": _p(c.log10_wrong_attribution),
                    },
                )
            )
    elif (found := result.attributed) is not None:
        params: Params = {
            "uid": found.export.export_uid,
            "recipient": found.export.recipient,
            "agreeing": found.score.agreeing,
            "checked": found.score.checked,
            "p": _p(found.log10_wrong_attribution),
        }
        if result.evidence == "trap":
            lines.append(
                (
                    "Match: export {uid} for {recipient}, by its trap records (the fingerprint alone is "
                    "not conclusive).",
                    params,
                )
            )
        elif found.score.anti:
            lines.append(
                (
                    "Match: export {uid} for {recipient}, by its fingerprint reversed: {agreeing} of "
                    "{checked} marks agree, every other one is the opposite of the export's, which only "
                    "its marks flipped on purpose give; probability of a wrong attribution {p}.",
                    params,
                )
            )
        else:
            lines.append(
                (
                    "Match: export {uid} for {recipient}, by its fingerprint ({agreeing} of {checked} "
                    "marks agree); probability of a wrong attribution {p}.",
                    params,
                )
            )
    elif not result.tampered:
        lines.append(
            (
                "No match among {count} registered exports (threshold {threshold}).",
                {"count": len(result.candidates), "threshold": f"{result.threshold:g}"},
            )
        )
    named = {c.export.export_uid for c in (*result.implicated, *result.tampered)}
    for c in result.candidates:
        if c.traps and c.export.export_uid not in named:
            lines.append(
                (
                    "Trap records of export {uid} found ({traps}): not conclusive alone.",
                    {
                        "uid": c.export.export_uid,
                        "traps": ", ".join(f"{t.code} ({'+'.join(t.matched)})" for t in c.traps),
                    },
                )
            )
    return lines


def verdict_in(lang: str, result: TraceResult) -> list[str]:
    """The verdict of a trace (``verdict``) as texts in ``lang``, its
    probabilities written with the language's decimal mark."""
    lines = []
    for template, params in verdict(result):
        shown = dict(params)
        if lang == "fr" and isinstance(shown.get("p"), str):
            shown["p"] = str(shown["p"]).replace(".", ",")
        lines.append(render(lang, template, shown))
    return lines
