"""Fingerprints in exported text: imperceptible marks that name an export.

In the spirit of Agrawal & Kiernan's watermarking of relations and of Li,
Swarup & Jajodia's fingerprinting with a *virtual primary key*: a secret key
and an HMAC decide which values carry a mark and which one, and the mark is a
choice between two equivalent spellings of a word, never a change of meaning:

- a legal form written with or without dots: ``SARL`` / ``S.A.R.L.``, ``SAS`` /
  ``S.A.S.``, ``SA`` / ``S.A.``, ``SASU``, ``EURL``, ``SNC``;
- a common word or its usual abbreviation: ``Saint`` / ``St``, ``Sainte`` /
  ``Ste``, ``Société`` / ``Sté``, ``Compagnie`` / ``Cie``, ``Établissements`` /
  ``Ets``.

Each occurrence of such a word in a text is a *slot* holding one bit (0: the
first spelling, 1: the second).  The *canonical* form of a text (every slot
spelled the first way, case folded, spaces collapsed) is the same for all its
marked variants; it is the key of the mark, so that a mark is found again
without the customer code, whatever columns were dropped, renamed or
reordered: every text cell of a leaked file is read for slots.

For an export, ``export_key(secret, export_uid)`` derives a key; for a text
``t`` with ``n >= 1`` slots, ``h = HMAC-SHA256(export key, canonical(t))``:
the text is marked when ``h[0] < 256 * GAMMA`` (always: ``GAMMA`` is 1), in slot ``h[1:5] mod n``, with
the bit ``h[5] & 1``.  Identical texts are marked identically within an export.

Detection (``score``): over the distinct canonical texts of a file that the
export would have marked, count the slots whose spelling agrees with the
expected bit.  For a file that does not come from this export, the spellings
are independent of the HMAC, so each agrees with probability 1/2 and the
count follows Binomial(n, 1/2): ``tail_probability(n, k)`` is the probability
of at least ``k`` agreements by chance.

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
    "GAMMA",
    "Observation",
    "Score",
    "canonical",
    "export_key",
    "mark_text",
    "observe",
    "read_text",
    "score",
    "tail_probability",
]

GAMMA = 1.0
"""Share of the texts having a slot that carry a mark.  Agrawal & Kiernan mark
a fraction of the tuples to limit the distortion; an equivalent spelling
distorts nothing, so every markable text carries a mark: twice the evidence
per row, which is what small leaks need.  Fixed: changing it would make the
exports already made untraceable."""

_PAIRS: tuple[tuple[str, str], ...] = (
    ("SARL", "S.A.R.L."), ("SASU", "S.A.S.U."), ("SAS", "S.A.S."), ("SA", "S.A."),
    ("EURL", "E.U.R.L."), ("SNC", "S.N.C."),
    ("Saint", "St"), ("Sainte", "Ste"), ("Société", "Sté"), ("Compagnie", "Cie"),
    ("Établissements", "Ets"),
)
_SPELLINGS: dict[str, tuple[int, int]] = {  # casefolded spelling -> (pair index, bit)
    spelling.casefold(): (i, bit) for i, pair in enumerate(_PAIRS) for bit, spelling in enumerate(pair)
}
_TOKEN = re.compile(
    r"(?<![\w.])("
    + "|".join(re.escape(s) for s in sorted((s for p in _PAIRS for s in p), key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Observation:
    """A text's canonical form and the bit read in each of its slots."""

    canonical: str
    bits: tuple[int, ...]


@dataclass(frozen=True)
class Score:
    """Marked texts of a file checked against one export: ``checked`` slots,
    ``agreeing`` with the export's bits, and the chance of as many agreements
    in a file not made by that export (``probability``; ``log10_probability``
    stays finite when it underflows)."""

    checked: int
    agreeing: int
    probability: float
    log10_probability: float


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def read_text(text: str) -> Observation | None:
    """The canonical form and slot bits of ``text``; None when it has no slot."""
    text = _normal(text)
    bits: list[int] = []

    def plain(match: re.Match[str]) -> str:
        pair, bit = _SPELLINGS[match.group(1).casefold()]
        bits.append(bit)
        return _PAIRS[pair][0]

    canonical = _TOKEN.sub(plain, text)
    if not bits:
        return None
    return Observation(_SPACES.sub(" ", canonical).strip().casefold(), tuple(bits))


def export_key(secret: bytes, export_uid: str) -> bytes:
    """The marking key of one export, from the fingerprint secret."""
    return hmac.digest(secret, b"clientfolio-mark/" + export_uid.encode(), "sha256")


def _choice(key: bytes, canonical: str, slots: int) -> tuple[int, int] | None:
    """(slot, bit) of a marked text, None for an unmarked one."""
    h = hmac.digest(key, canonical.encode(), "sha256")
    if h[0] >= 256 * GAMMA:
        return None
    return int.from_bytes(h[1:5], "big") % slots, h[5] & 1


def _spelled(spelling: str, like: str) -> str:
    """``spelling`` in the case style of ``like`` (upper, lower or as given)."""
    if like.isupper():
        return spelling.upper()
    if like.islower():
        return spelling.lower()
    return spelling


def mark_text(key: bytes, text: str) -> str:
    """``text`` with the mark of the export of ``key`` (unchanged when it has
    no slot or is not selected)."""
    seen = read_text(text)
    if seen is None:
        return text
    chosen = _choice(key, seen.canonical, len(seen.bits))
    if chosen is None:
        return text
    slot, bit = chosen
    matches = list(_TOKEN.finditer(_normal(text)))
    target = matches[slot]
    pair, _ = _SPELLINGS[target.group(1).casefold()]
    spelling = _spelled(_PAIRS[pair][bit], target.group(1))
    body = _normal(text)
    return body[: target.start(1)] + spelling + body[target.end(1):]


def canonical(text: str) -> str:
    """The canonical form of any text: that of ``read_text`` when it has slots,
    else the text with its spaces collapsed, case folded."""
    seen = read_text(text)
    return seen.canonical if seen else _SPACES.sub(" ", _normal(text)).strip().casefold()


def observe(observations: Iterable[Observation]) -> dict[str, tuple[int | None, ...]]:
    """The slot bits of every distinct canonical text of ``observations`` (one
    per cell of a file); when the copies of a text disagree on a slot, its
    majority bit, or None on a tie."""
    counts: dict[str, list[Counter[int]]] = {}
    for seen in observations:
        slots = counts.setdefault(seen.canonical, [Counter() for _ in seen.bits])
        for counter, bit in zip(slots, seen.bits, strict=True):
            counter[bit] += 1
    return {
        text: tuple(None if c[0] == c[1] else int(c[1] > c[0]) for c in slots)
        for text, slots in counts.items()
    }


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


def score(key: bytes, observed: Mapping[str, tuple[int | None, ...]]) -> Score:
    """How the texts ``observed`` in a file agree with the marks of ``key``."""
    checked = agreeing = 0
    for canonical, bits in observed.items():
        chosen = _choice(key, canonical, len(bits))
        if chosen is None or bits[chosen[0]] is None:
            continue
        checked += 1
        agreeing += bits[chosen[0]] == chosen[1]
    probability, log10 = tail_probability(checked, agreeing)
    return Score(checked, agreeing, probability, log10)

