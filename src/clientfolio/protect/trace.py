"""Tracing a leaked file back to the export, and the recipient, it came from.

The file is read as a grid of text cells (CSV of any usual separator, or
XLSX); headers, column order and row order do not matter.  For each registered
export, ``fingerprint.score`` counts how many marked texts of the file carry
that export's bits: ``p`` is the chance of as many agreements in a file not
made from that export.  Over ``N`` registered exports the chance that *some*
wrong export scores as well is at most ``N * p`` (Bonferroni): that is the
*probability of a wrong attribution* reported.  The file is attributed to the
best export when it is below the threshold (setting ``trace_threshold``,
default 1e-9); a file holding a trap record of exactly one export, both its
name and its SIREN (either alone could be a real company's), is attributed to
it on that evidence too.  Otherwise: "no match".
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from clientfolio.errors import ClientfolioError
from clientfolio.protect.exports import ExportRecord, list_exports
from clientfolio.protect.fingerprint import Observation, Score, canonical, export_key, observe, read_text, score
from clientfolio.protect.traps import TrapHit, find_traps
from clientfolio.store import Store

__all__ = ["Candidate", "TraceResult", "read_table", "trace_file", "trace_rows"]


@dataclass(frozen=True)
class Candidate:
    """One registered export checked against the file: its fingerprint score,
    the Bonferroni-corrected probability of a wrong attribution
    (``min(1, N * p)``, with its log10), and the traps of it found."""

    export: ExportRecord
    score: Score
    wrong_attribution: float
    log10_wrong_attribution: float
    traps: tuple[TrapHit, ...]


@dataclass(frozen=True)
class TraceResult:
    """``attributed`` is the export the file comes from (None: no match), by
    ``evidence`` ``"fingerprint"`` or ``"trap"``; ``candidates`` are every
    checked export, the likeliest first; ``unchecked`` lists the exports whose
    key is not in the key ring."""

    rows: int
    marked_texts: int
    candidates: tuple[Candidate, ...]
    attributed: Candidate | None
    evidence: str | None
    threshold: float
    unchecked: tuple[str, ...]


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read_table(path: Path) -> list[list[str]]:
    """The cells of the file at ``path`` as text: the first sheet of an XLSX
    file, else a CSV file of ``;``, ``,``, tab or ``|`` separators (UTF-8 or
    Windows-1252).  Raises ``ClientfolioError`` when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ClientfolioError(f"cannot read {path}: {exc.strerror}") from None
    if raw[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise ClientfolioError(f"{path} is not a readable XLSX file: {exc}") from None
        sheet = book.worksheets[0]
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    text = _decode(raw)
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _wrong(p: float, log10_p: float, exports: int) -> tuple[float, float]:
    return min(1.0, p * exports), min(0.0, log10_p + math.log10(exports))


def trace_rows(
    rows: Sequence[Sequence[str]], exports: Sequence[ExportRecord], secrets: Mapping[int, bytes],
    *, threshold: float,
) -> TraceResult:
    """Trace the cells ``rows`` of a file among ``exports``, with the
    fingerprint secrets of the master keys by id (``secrets``)."""
    counts = Counter(cell.strip() for row in rows for cell in row if cell and cell.strip())
    seen: list[Observation] = []
    cells: set[str] = set()
    for text, times in counts.items():
        found = read_text(text)
        cells.add(text)
        cells.add(found.canonical if found else canonical(text))
        if found is not None:
            seen.extend([found] * times)
    observed = observe(seen)
    checkable = [e for e in exports if e.key_id in secrets]
    unchecked = tuple(sorted({e.export_uid for e in exports if e.key_id not in secrets}))
    candidates = []
    for record in checkable:
        result = score(export_key(secrets[record.key_id], record.export_uid), observed)
        wrong, log10_wrong = _wrong(result.probability, result.log10_probability, len(checkable))
        candidates.append(Candidate(record, result, wrong, log10_wrong, tuple(find_traps(record.traps, cells))))
    candidates.sort(key=lambda c: (c.log10_wrong_attribution, -len(c.traps)))
    attributed, evidence = None, None
    if candidates and candidates[0].wrong_attribution <= threshold:
        attributed, evidence = candidates[0], "fingerprint"
    else:
        trapped = [c for c in candidates if any(len(t.matched) == 2 for t in c.traps)]
        if len(trapped) == 1:
            attributed, evidence = trapped[0], "trap"
    return TraceResult(len(rows), len(observed), tuple(candidates), attributed, evidence, threshold, unchecked)


def trace_file(store: Store, path: Path, secrets: Mapping[int, bytes], *, threshold: float) -> TraceResult:
    """Trace the file at ``path`` among the exports registered in ``store``."""
    return trace_rows(read_table(path), list_exports(store), secrets, threshold=threshold)
