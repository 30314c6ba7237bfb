"""Trap records: plausible fictitious customers unique to one export.

The seed's *données spécifiques* and *données avec erreurs*: a few rows that
exist nowhere else, so that a copy holding one of them can only come from the
export that carried it.  A trap copies the shape of a real row of the export
(its sector, size band, segment, region, postal code and city) under a new
code, a new company name and a new SIREN number (with a valid check digit);
its revenue is zero, so that no sum users compute changes.

Everything is drawn from ``HMAC(secret, export uid)``: the same export always
gets the same traps, and nobody without the secret can tell them apart.
"""

from __future__ import annotations

import hmac
import random
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from clientfolio.ingest.values import luhn_valid
from clientfolio.protect.fingerprint import canonical

__all__ = ["TrapHit", "TrapRecord", "find_traps", "insert_traps", "make_traps"]

_SURNAMES = (
    "Arnaud", "Barbier", "Benoît", "Bertin", "Blanchard", "Bonnet", "Boyer", "Brunet", "Carpentier",
    "Charpentier", "Chevalier", "Collin", "Da Silva", "Denis", "Deschamps", "Dumont", "Dupuis",
    "Fabre", "Fleury", "Gaillard", "Garnier", "Gautier", "Guérin", "Hamon", "Huet", "Jacquet",
    "Joly", "Lacroix", "Lambert", "Leclerc", "Lemaire", "Lemoine", "Marchal", "Masson", "Mercier",
    "Meunier", "Morel", "Noël", "Perrin", "Picard", "Poirier", "Renaud", "Rolland", "Roussel",
    "Royer", "Schmitt", "Tessier", "Vidal",
)
_FORMS = ("SARL", "SAS", "SA")
_TRAP_FIELDS = ("code", "name", "siren")


@dataclass(frozen=True)
class TrapRecord:
    """A fictitious customer: its identity and the real row it copies the shape of."""

    code: str
    name: str
    siren: str
    shape: Mapping[str, Any]

    def row(self, columns: Sequence[str]) -> dict[str, Any]:
        """The trap as an export row of ``columns``: its identity, the copied
        shape, and zero (``Decimal("0.00")``) in the ``revenue*`` columns."""
        values = {**self.shape, "code": self.code, "name": self.name, "siren": self.siren}
        return {c: Decimal("0.00") if c.startswith("revenue") else values.get(c) for c in columns}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"shape": dict(self.shape)}


@dataclass(frozen=True)
class TrapHit:
    """A trap found in a file: its code and what matched (``name``, ``siren`` or both)."""

    code: str
    matched: tuple[str, ...]


def _siren(rng: random.Random) -> str:
    body = str(rng.randint(30_000_000, 99_999_999))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def _code(rng: random.Random, like: str, taken: Collection[str]) -> str:
    """A code shaped like ``like`` (its prefix, then as many digits) not in
    ``taken``, numbered among the codes of that shape (gaps first) so that it
    does not stand out."""
    found = re.fullmatch(r"(.*?)(\d+)", like)
    prefix, width = (found.group(1), len(found.group(2))) if found else (like + "-", 5)
    shaped = re.compile(re.escape(prefix) + r"(\d{%d})" % width)
    numbers = [int(m.group(1)) for c in taken if (m := shaped.fullmatch(c))]
    low, high = (min(numbers), max(numbers)) if numbers else (1, 1)
    for attempt in range(1000):
        spread = high - low + 1 + 2 * (attempt // 50)  # widen when the range is full
        code = f"{prefix}{min(low + rng.randrange(spread), 10 ** width - 1):0{width}d}"
        if code not in taken:
            return code
    raise ValueError(f"no free code shaped like {like!r}")


def make_traps(
    secret: bytes, export_uid: str, rows: Sequence[Mapping[str, Any]], count: int, *,
    taken_codes: Collection[str] = (), taken_names: Collection[str] = (), taken_sirens: Collection[str] = (),
) -> list[TrapRecord]:
    """``count`` trap records for the export ``export_uid`` of ``rows`` (dicts
    with at least ``code`` and ``name``), shaped like randomly chosen rows, none
    with a code or name of ``rows``, a code of ``taken_codes``, a name of
    ``taken_names`` (compared in canonical form) or a SIREN of ``taken_sirens``
    (those of every real customer and prospect, and of earlier traps).  No trap
    for an export without rows."""
    if not rows or count <= 0:
        return []
    rng = random.Random(hmac.digest(secret, b"clientfolio-traps/" + export_uid.encode(), "sha256"))
    codes = {str(r["code"]) for r in rows} | set(taken_codes)
    names = {canonical(str(r["name"])) for r in rows} | {canonical(n) for n in taken_names}
    sirens = {str(r.get("siren")) for r in rows} | set(taken_sirens)
    traps: list[TrapRecord] = []
    while len(traps) < count:
        model = rows[rng.randrange(len(rows))]
        trade = str(model["name"]).split()[0]
        who = rng.choice(_SURNAMES)
        if rng.random() < 0.3:
            who += "-" + rng.choice(_SURNAMES)
        name = f"{trade} {who} {rng.choice(_FORMS)}"
        siren = _siren(rng)
        if canonical(name) in names or siren in sirens:
            continue
        code = _code(rng, str(model["code"]), codes)
        names.add(canonical(name))
        sirens.add(siren)
        codes.add(code)
        shape = {k: v for k, v in model.items() if k not in _TRAP_FIELDS and not k.startswith("revenue")}
        traps.append(TrapRecord(code, name, siren, shape))
    return traps


def insert_traps(
    secret: bytes, export_uid: str, rows: list[dict[str, Any]], traps: Sequence[TrapRecord],
    columns: Sequence[str],
) -> list[dict[str, Any]]:
    """``rows`` with the ``traps`` (as rows of ``columns``) inserted at
    positions drawn from the secret, so that they are not all at the end."""
    rng = random.Random(hmac.digest(secret, b"clientfolio-trap-places/" + export_uid.encode(), "sha256"))
    result = list(rows)
    for trap in traps:
        result.insert(rng.randint(0, len(result)), trap.row(columns))
    return result


def find_traps(traps: Iterable[TrapRecord], cells: Collection[str]) -> list[TrapHit]:
    """The ``traps`` present in a file whose cells (trimmed, and each in its
    ``canonical`` form too) are ``cells``: a trap is present when the file holds
    its SIREN or its name (in canonical form: whatever the spelling of its legal
    form), in any column."""
    hits = []
    for trap in traps:
        matched = tuple(what for what, text in (("name", canonical(trap.name)), ("siren", trap.siren))
                        if text in cells)
        if matched:
            hits.append(TrapHit(trap.code, matched))
    return hits
