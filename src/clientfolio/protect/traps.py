"""Trap records: plausible fictitious customers unique to one export.

The seed's *données spécifiques* and *données avec erreurs*: a few rows that
exist nowhere else, so that a copy holding one of them can only come from the
export that carried it.  A trap copies the shape of a real row of the export
(its sector, size band, segment, region, postal code and city) under a new
code, a new company name and a new SIREN number (with a valid check digit);
its revenue is that of another real row of the export, give or take 20 %,
so that nothing (a zero, a code after the highest) tells it apart: the sums
computed on the file include the traps' few revenues.  Its code is drawn among
the free codes of the real codes' range, and it is placed where its code sorts.

In a mailing export a trap is a contact person of that fictitious customer
(``fictitious_contacts``): a made-up name, the function of the row it copies,
a made-up street address and a phone number of the ranges the French
regulator (ARCEP) keeps for fiction, no e-mail: no real person's details are
copied into a trap or kept in the registry.

A trap is found again by its name (its ``canonical`` key, also inside a merged
cell) or by its SIREN (also as the start of a SIRET, spaces ignored).

Everything is drawn from ``HMAC(secret, export uid)``: the same export always
gets the same traps, and nobody without the secret can tell them apart.
"""

from __future__ import annotations

import bisect
import hmac
import random
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any

from clientfolio.identifiers import luhn_valid
from clientfolio.protect.fingerprint import canonical

__all__ = ["CellIndex", "TrapHit", "TrapRecord", "fictitious_contacts", "find_traps", "insert_traps", "make_traps"]

_SURNAMES = (
    "Arnaud",
    "Barbier",
    "Benoît",
    "Bertin",
    "Blanchard",
    "Bonnet",
    "Boyer",
    "Brunet",
    "Carpentier",
    "Charpentier",
    "Chevalier",
    "Collin",
    "Da Silva",
    "Denis",
    "Deschamps",
    "Dumont",
    "Dupuis",
    "Fabre",
    "Fleury",
    "Gaillard",
    "Garnier",
    "Gautier",
    "Guérin",
    "Hamon",
    "Huet",
    "Jacquet",
    "Joly",
    "Lacroix",
    "Lambert",
    "Leclerc",
    "Lemaire",
    "Lemoine",
    "Marchal",
    "Masson",
    "Mercier",
    "Meunier",
    "Morel",
    "Noël",
    "Perrin",
    "Picard",
    "Poirier",
    "Renaud",
    "Rolland",
    "Roussel",
    "Royer",
    "Schmitt",
    "Tessier",
    "Vidal",
)
_FORMS = ("SARL", "SAS", "SA")
_FIRST_NAMES = (
    "Alain",
    "Anne",
    "Camille",
    "Catherine",
    "Christophe",
    "Claire",
    "David",
    "Émilie",
    "Éric",
    "François",
    "Isabelle",
    "Julien",
    "Laurent",
    "Marie",
    "Nathalie",
    "Nicolas",
    "Olivier",
    "Pascal",
    "Philippe",
    "Sandrine",
    "Sophie",
    "Stéphane",
    "Sylvie",
    "Valérie",
)
_STREETS = (
    "rue de la Gare",
    "rue Victor Hugo",
    "rue Jean Jaurès",
    "rue Pasteur",
    "rue de la République",
    "avenue du Général de Gaulle",
    "avenue des Tilleuls",
    "boulevard Gambetta",
    "place de l'Église",
    "chemin des Vignes",
    "impasse des Lilas",
    "rue des Écoles",
)
_FICTION_PHONES = ("01 99 00", "02 61 91", "03 53 01", "04 65 71", "05 36 49", "06 39 98")
"""Numbers the ARCEP reserves for works of fiction: they reach nobody."""
_PERSONAL_FIELDS = ("contact", "email", "phone", "address")
_TRAP_FIELDS = ("code", "name", "siren")


@dataclass(frozen=True)
class TrapRecord:
    """A fictitious customer: its identity and the real row it copies the shape of."""

    code: str
    name: str
    siren: str
    shape: Mapping[str, Any]
    revenue: str | None = None  # a Decimal's text; None (traps made before it): zero

    def row(self, columns: Sequence[str]) -> dict[str, Any]:
        """The trap as an export row of ``columns``: its identity, the copied
        shape, and its revenue in the ``revenue*`` columns."""
        values = {**self.shape, "code": self.code, "name": self.name, "siren": self.siren}
        amount = Decimal(self.revenue or "0.00")
        return {c: amount if c.startswith("revenue") else values.get(c) for c in columns}

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
    shaped = re.compile(re.escape(prefix) + rf"(\d{{{width}}})")
    numbers = [int(m.group(1)) for c in taken if (m := shaped.fullmatch(c))]
    low, high = (min(numbers), max(numbers)) if numbers else (1, 1)
    for attempt in range(1000):
        spread = high - low + 1 + 2 * (attempt // 50)  # widen when the range is full
        code = f"{prefix}{min(low + rng.randrange(spread), 10**width - 1):0{width}d}"
        if code not in taken:
            return code
    raise ValueError(f"no free code shaped like {like!r}")


def make_traps(
    secret: bytes,
    export_uid: str,
    rows: Sequence[Mapping[str, Any]],
    count: int,
    *,
    taken_codes: Collection[str] = (),
    taken_names: Collection[str] = (),
    taken_sirens: Collection[str] = (),
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
    names_index = CellIndex(names)  # a trap's name is inside no real or earlier name either
    revenues = [r[k] for r in rows for k in r if k.startswith("revenue") and isinstance(r[k], Decimal) and r[k] > 0]
    traps: list[TrapRecord] = []
    while len(traps) < count:
        model = rows[rng.randrange(len(rows))]
        trade = str(model["name"]).split()[0]
        who = rng.choice(_SURNAMES)
        if rng.random() < 0.3:
            who += "-" + rng.choice(_SURNAMES)
        name = f"{trade} {who} {rng.choice(_FORMS)}"
        siren = _siren(rng)
        if canonical(name) in names or names_index.has_name(canonical(name)) or siren in sirens:
            continue
        code = _code(rng, str(model["code"]), codes)
        names.add(canonical(name))
        sirens.add(siren)
        codes.add(code)
        shape = {k: v for k, v in model.items() if k not in _TRAP_FIELDS and not k.startswith("revenue")}
        revenue = None
        if revenues:
            amount = rng.choice(revenues) * Decimal(rng.randint(800, 1200)) / 1000
            revenue = str(amount.quantize(Decimal("0.01")))
        traps.append(TrapRecord(code, name, siren, shape, revenue))
    return traps


def fictitious_contacts(
    secret: bytes, export_uid: str, traps: Sequence[TrapRecord], taken: Collection[str] = ()
) -> list[TrapRecord]:
    """The ``traps`` of a mailing export with a fictitious contact person:
    a made-up name (none of the ``taken`` names: the real people of the file)
    and street address, a phone number of a fiction range, no e-mail; the
    copied row's function, postal code, city and country are kept.  Drawn from
    ``HMAC(secret, export uid)`` like the traps."""
    rng = random.Random(hmac.digest(secret, b"clientfolio-trap-contacts/" + export_uid.encode(), "sha256"))
    made = []
    for trap in traps:
        shape = {k: v for k, v in trap.shape.items() if k not in _PERSONAL_FIELDS}
        contact = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}"
        while contact in taken:  # a real person of the file: another draw
            contact = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}"
        shape["contact"] = contact
        shape["email"] = None
        shape["phone"] = f"{rng.choice(_FICTION_PHONES)} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        shape["address"] = f"{rng.randint(1, 120)} {rng.choice(_STREETS)}"
        made.append(replace(trap, shape=shape))
    return made


def insert_traps(
    secret: bytes,
    export_uid: str,
    rows: list[dict[str, Any]],
    traps: Sequence[TrapRecord],
    columns: Sequence[str],
) -> list[dict[str, Any]]:
    """``rows`` with the ``traps`` (as rows of ``columns``) inserted where
    their codes sort when the rows are in code order, else at positions drawn
    from the secret: never all at the end."""
    rng = random.Random(hmac.digest(secret, b"clientfolio-trap-places/" + export_uid.encode(), "sha256"))
    result = list(rows)
    codes = [str(r.get("code")) for r in result]
    in_order = codes == sorted(codes)
    for trap in traps:
        place = bisect.bisect(codes, trap.code) if in_order else rng.randint(0, len(result))
        result.insert(place, trap.row(columns))
        codes.insert(place, trap.code)
    return result


_SEPARATORS = re.compile(r"[\s\u00a0\u202f]+")


class CellIndex:
    """The texts of a file, searchable for a trap's name (its canonical key as
    a run of whole words of a text's key, so inside a merged cell too) and its
    SIREN (a run of digits, spaces ignored, that is the SIREN or a SIRET
    starting with it)."""

    def __init__(self, texts: Iterable[str]) -> None:
        keys: list[str] = []
        digits: list[str] = []
        for text in texts:
            key = canonical(text)
            if key:
                keys.append(f" {key} ")
            if any(c.isdigit() for c in text):
                digits.extend(re.findall(r"\d+", _SEPARATORS.sub("", text)))
        self._keys = "\n".join(keys)
        self._digits = "|" + "|".join(digits) + "|"

    def has_name(self, key: str) -> bool:
        return bool(key) and f" {key} " in self._keys

    def has_siren(self, siren: str) -> bool:
        return re.search(rf"\|{re.escape(siren)}(?:\d{{5}})?\|", self._digits) is not None


def find_traps(traps: Iterable[TrapRecord], cells: CellIndex) -> list[TrapHit]:
    """The ``traps`` present in a file whose texts are indexed in ``cells``: a
    trap is present when the file holds its name (whatever its spelling, case,
    accents, punctuation or legal form, alone or inside a cell) or its SIREN
    (or a SIRET of it), in any column."""
    hits = []
    for trap in traps:
        matched = tuple(
            what
            for what, found in (("name", cells.has_name(canonical(trap.name))), ("siren", cells.has_siren(trap.siren)))
            if found
        )
        if matched:
            hits.append(TrapHit(trap.code, matched))
    return hits
