"""Fingerprints in exported text: imperceptible marks that name an export.

In the spirit of Agrawal & Kiernan's watermarking of relations and of Li,
Swarup & Jajodia's fingerprinting with a *virtual primary key*: a secret key
and an HMAC decide the marks, and a mark is a choice between two equivalent
writings of a text, never a change of meaning.  Two families of *slots*:

- ``form``: where the legal form of a company name stands, first or last
  (``SARL Dupont`` / ``Dupont SARL``, whatever its spelling: ``S.A.R.L.``,
  ``sarl``...).  It survives case, accents, punctuation, spacing and legal
  forms respelled (``SARL`` <-> ``S.A.R.L.``);
- ``spelling``: a common word or its usual abbreviation, ``Saint`` / ``St``,
  ``Sainte`` / ``Ste``, ``Société`` / ``Sté``, ``Compagnie`` / ``Cie``,
  ``Établissements`` / ``Ets``, ``Boulevard`` / ``Bd``, ``Avenue`` / ``Av``.
  It survives case, accents, punctuation and spacing.

The *key* of a text (``canonical``) is what a data cleaner cannot change
without changing the meaning: accents removed, case folded, punctuation and
spaces collapsed, dotted letters joined (``S.A.R.L.`` -> ``sarl``), legal forms
dropped, abbreviations written in one way.  Marks are found again from it, so
without the customer code, whatever columns were dropped, renamed, merged or
reordered: every text cell of a leaked file (and its parts) is read.

For an export, ``export_key(secret, export_uid)`` derives a key; every slot
``s`` of a text of key ``t`` carries the bit ``HMAC-SHA256(export key, t NUL
s)[0] & 1`` (``GAMMA``: every slot is marked).

Detection (``score``): over the distinct (key, slot) pairs of a file, count the
slots whose writing agrees with the export's bit, per family.  For a file that
does not come from this export the writings do not depend on the export's
HMAC, so in each family the count follows Binomial(n, 1/2).  Both tails are
evidence: a file whose every mark is the *opposite* of the export's (someone
who flipped every abbreviation) comes from it as surely as an exact copy.  The
probability of a score as extreme by chance is the smallest two-sided family
p-value times the number of families (Bonferroni).

Numbers and identifiers are never marked: the exporter marks only the columns
it names (company name, city).
"""

from __future__ import annotations

import hmac
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FAMILIES",
    "GAMMA",
    "LEGAL_FORMS",
    "Observation",
    "Score",
    "canonical",
    "export_key",
    "mark_text",
    "observe",
    "read_text",
    "score",
    "tail_probability",
    "tokens",
    "two_sided",
]

GAMMA = 1.0
"""Share of the slots that carry a mark.  Agrawal & Kiernan mark a fraction of
the tuples to limit the distortion; an equivalent writing distorts nothing, so
every slot carries a mark: what small leaks need."""

FAMILIES = ("form", "spelling")

LEGAL_FORMS = frozenset({"sarl", "sas", "sasu", "sa", "eurl", "snc", "sci", "selarl", "scop", "scp", "sca"})
"""Legal forms, as read once accents, case and dots are gone (``S.A.R.L.`` is ``sarl``)."""

_PAIRS: tuple[tuple[str, str], ...] = (
    ("Saint", "St"),
    ("Sainte", "Ste"),
    ("Société", "Sté"),
    ("Compagnie", "Cie"),
    ("Établissements", "Ets"),
    ("Boulevard", "Bd"),
    ("Avenue", "Av"),
)
_GROUPS: dict[str, tuple[str, int]] = {  # plain token -> (group, bit); Sainte and Société share "ste"
    "saint": ("saint", 0),
    "st": ("saint", 1),
    "sainte": ("ste", 0),
    "societe": ("ste", 0),
    "ste": ("ste", 1),
    "compagnie": ("cie", 0),
    "cie": ("cie", 1),
    "etablissements": ("ets", 0),
    "ets": ("ets", 1),
    "boulevard": ("bd", 0),
    "bd": ("bd", 1),
    "avenue": ("av", 0),
    "av": ("av", 1),
}
_SPELLINGS: dict[str, tuple[int, int]] = {  # casefolded spelling, with or without accents -> (pair index, bit)
    variant: (i, bit)
    for i, pair in reversed(list(enumerate(_PAIRS)))
    for bit, spelling in enumerate(pair)
    for variant in (
        unicodedata.normalize(
            "NFC", "".join(c for c in unicodedata.normalize("NFKD", spelling) if not unicodedata.combining(c))
        ).casefold(),
        spelling.casefold(),
    )
}  # reversed: "ste" (no accent) is Sainte's, "sté" Société's
_TOKEN = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(s) for s in sorted(_SPELLINGS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_FORM = "|".join(
    r"\.?\s?".join(letter for letter in form) + r"\.?" for form in sorted(LEGAL_FORMS, key=len, reverse=True)
)
_FORM_FIRST = re.compile(rf"^(?P<form>{_FORM})(?=[\s,;\-–]|$)[\s,;\-–]*(?P<rest>\S.*?)$", re.IGNORECASE)
_FORM_LAST = re.compile(rf"^(?P<rest>.*?\w\)?)[\s,;\-–]+(?P<form>{_FORM})$", re.IGNORECASE)
_WORDS = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Observation:
    """A text's key and the bit read in each of its slots (slot name, bit);
    slot names are ``form`` and ``<group>#<n>`` (the n-th such word)."""

    canonical: str
    slots: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Score:
    """Marked texts of a file checked against one export: ``checked`` slots,
    ``agreeing`` with the export's bits (``by_family``: (checked, agreeing) of
    each family), and the chance of a score as extreme, either way, in a file
    not made by that export (``probability``; ``log10_probability`` stays
    finite when it underflows).  ``anti`` when the evidence is the opposite
    marks (agreement far *below* one half)."""

    checked: int
    agreeing: int
    probability: float
    log10_probability: float
    anti: bool = False
    by_family: tuple[tuple[str, int, int], ...] = ()


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """The words of ``text`` a data cleaner would keep: accents removed, case
    folded, punctuation gone, runs of single letters joined (``s a r l`` ->
    ``sarl``)."""
    out: list[str] = []
    run: list[str] = []
    for word in _WORDS.split(_plain(text)):
        if not word:
            continue
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(word)
    if run:
        out.append("".join(run))
    return out


def _key(words: list[str]) -> str:
    return " ".join(_GROUPS[w][0] if w in _GROUPS else w for w in words if w not in LEGAL_FORMS)


def read_text(text: str) -> Observation | None:
    """The key and slot bits of ``text``; None when it has no slot."""
    words = tokens(text)
    slots: list[tuple[str, int]] = []
    if len(words) >= 2 and (words[0] in LEGAL_FORMS) != (words[-1] in LEGAL_FORMS):
        slots.append(("form", int(words[-1] in LEGAL_FORMS)))
    seen: Counter[str] = Counter()
    for word in words:
        if word in _GROUPS:
            group, bit = _GROUPS[word]
            slots.append((f"{group}#{seen[group]}", bit))
            seen[group] += 1
    key = _key(words)
    if not slots or not key:
        return None
    return Observation(key, tuple(slots))


def export_key(secret: bytes, export_uid: str) -> bytes:
    """The marking key of one export, from the fingerprint secret."""
    return hmac.digest(secret, b"clientfolio-mark/" + export_uid.encode(), "sha256")


def _bit(key: bytes, canonical: str, slot: str) -> int:
    """The bit the export of ``key`` writes in ``slot`` of a text of key ``canonical``."""
    return hmac.digest(key, f"{canonical}\x00{slot}".encode(), "sha256")[0] & 1


def family(slot: str) -> str:
    return "form" if slot == "form" else "spelling"


def _spelled(spelling: str, like: str) -> str:
    """``spelling`` in the case style of ``like`` (upper, lower or as given)."""
    if like.isupper():
        return spelling.upper()
    if like.islower():
        return spelling.lower()
    return spelling


def mark_text(key: bytes, text: str) -> str:
    """``text`` with the marks of the export of ``key`` (unchanged when it has
    no slot): each abbreviable word spelled, and the legal form placed, as the
    key's HMAC says."""
    seen = read_text(text)
    if seen is None:
        return text
    body = unicodedata.normalize("NFC", text)
    wanted = {slot: _bit(key, seen.canonical, slot) for slot, _ in seen.slots}
    counts: Counter[str] = Counter()

    def respell(match: re.Match[str]) -> str:
        word = match.group(1)
        group = _GROUPS[_plain(word)][0]
        slot = f"{group}#{counts[group]}"
        counts[group] += 1
        if slot not in wanted or (word.casefold() == "ste" and wanted[slot] == 0):
            return word  # "Ste" without accent: Sainte or Société?  Left as written
        pair, _ = _SPELLINGS[word.casefold()]
        return _spelled(_PAIRS[pair][wanted[slot]], word)

    body = _TOKEN.sub(respell, body)
    if "form" in wanted:
        stripped, moved = body.strip(), None
        if wanted["form"] == 1 and (first := _FORM_FIRST.match(stripped)):
            moved = f"{first.group('rest')} {first.group('form')}"
        elif wanted["form"] == 0 and (last := _FORM_LAST.match(stripped)):
            moved = f"{last.group('form')} {last.group('rest')}"
        after = read_text(moved) if moved else None
        if (
            moved
            and after is not None
            and after.canonical == seen.canonical
            and [slot for slot, _ in after.slots] == [slot for slot, _ in seen.slots]
        ):
            body = moved  # only a move that keeps the key and the slots (not "SNC et SNC")
    return body


def canonical(text: str) -> str:
    """The key of any text: what stays of it after a data cleaner's
    normalisation (accents, case, punctuation, spacing, legal forms,
    abbreviations)."""
    return _key(tokens(text))


def observe(observations: Iterable[Observation]) -> dict[tuple[str, str], int | None]:
    """The bit of every distinct (key, slot) of ``observations`` (one per text
    of a file); when the copies of a text disagree on a slot, its majority
    bit, or None on a tie."""
    counts: dict[tuple[str, str], Counter[int]] = {}
    for seen in observations:
        for slot, bit in seen.slots:
            counts.setdefault((seen.canonical, slot), Counter())[bit] += 1
    return {where: None if c[0] == c[1] else int(c[1] > c[0]) for where, c in counts.items()}


def tail_probability(checked: int, agreeing: int) -> tuple[float, float]:
    """P(X >= agreeing) for X ~ Binomial(checked, 1/2), and its log10."""
    if agreeing <= 0:
        return 1.0, 0.0
    # imported here: scipy.stats costs 0.4 s, and every command imports this module through the access layer
    from scipy.special import logsumexp
    from scipy.stats import binom

    # the sum of the pmf in logs: ``binom.logsf`` underflows to -inf in far tails
    log_p = min(0.0, float(logsumexp(binom.logpmf(np.arange(agreeing, checked + 1), checked, 0.5))))
    return math.exp(log_p), log_p / math.log(10)


def two_sided(checked: int, agreeing: int) -> tuple[float, float, bool]:
    """P(|X - n/2| >= |agreeing - n/2|) for X ~ Binomial(n, 1/2) (at most 1),
    its log10, and whether ``agreeing`` is in the lower tail."""
    anti = 2 * agreeing < checked
    _, log10 = tail_probability(checked, checked - agreeing if anti else agreeing)
    log10 = min(0.0, log10 + math.log10(2))
    return 10**log10, log10, anti


def score(key: bytes, observed: Mapping[tuple[str, str], int | None]) -> Score:
    """How the slots ``observed`` in a file agree with the marks of ``key``."""
    tally = {name: [0, 0] for name in FAMILIES}
    for (canonical, slot), bit in observed.items():
        if bit is None:
            continue
        counts = tally[family(slot)]
        counts[0] += 1
        counts[1] += bit == _bit(key, canonical, slot)
    tested = [(name, n, k, *two_sided(n, k)) for name, (n, k) in tally.items() if n]
    checked, agreeing = sum(n for n, _ in tally.values()), sum(k for _, k in tally.values())
    if not tested:
        return Score(0, 0, 1.0, 0.0)
    best = min(tested, key=lambda t: t[4])
    log10 = min(0.0, best[4] + math.log10(len(tested)))
    return Score(
        checked,
        agreeing,
        10**log10,
        log10,
        best[5] and log10 < math.log10(0.05),
        tuple((name, n, k) for name, n, k, *_ in tested),
    )
