"""Marks in text: equivalent spellings chosen by an HMAC, read back whatever the columns."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from clientfolio.protect.fingerprint import (
    GAMMA,
    Observation,
    canonical,
    export_key,
    mark_text,
    observe,
    read_text,
    score,
    tail_probability,
)

SECRET = b"s" * 32
NAMES = [f"Atelier {who} {n} {form}" for n in range(400) for who, form in
         (("Martin", "SARL"), ("Petit", "SAS"))]


def test_read_text_gives_the_canonical_form_and_the_bit_of_each_slot() -> None:
    assert read_text("Mécanique Dupont SARL") == Observation("mécanique dupont sarl", (0,))
    assert read_text("Mécanique  Dupont S.A.R.L.") == Observation("mécanique dupont sarl", (1,))
    assert read_text("ST-DENIS") == Observation("saint-denis", (1,))
    assert read_text("Sté Générale de Cie SA") == Observation("société générale de compagnie sa", (1, 1, 0))
    assert read_text("Dupont S.A.S.") == Observation("dupont sas", (1,))
    assert read_text("Boulangerie Martin") is None
    assert read_text("1234,56") is None
    assert read_text("Dupont S.A.R.L") is None  # not a spelling of the pair: no slot
    assert canonical("  Boulangerie   MARTIN ") == "boulangerie martin"
    assert canonical("Saint-Denis") == canonical("St-Denis") == "saint-denis"


def test_a_mark_changes_one_spelling_and_keeps_the_case_style() -> None:
    changed = {}
    for uid in (f"E{i}" for i in range(200)):
        key = export_key(SECRET, uid)
        for text in ("Transports Morel SAS", "TRANSPORTS MOREL SAS", "Saint-Malo"):
            marked = mark_text(key, text)
            if marked != text:
                changed[text] = marked
    assert changed == {"Transports Morel SAS": "Transports Morel S.A.S.",
                       "TRANSPORTS MOREL SAS": "TRANSPORTS MOREL S.A.S.", "Saint-Malo": "St-Malo"}


words = st.sampled_from(["Dupont", "SARL", "S.A.", "sas", "Saint", "st", "Ste", "Cie", "Sté", "12", "et",
                         "Établissements", "Ets", "-", "Lyon", "E.U.R.L.", "SNC", "SA."])


@given(st.lists(words, min_size=1, max_size=8), st.text(alphabet="ab", min_size=1, max_size=4))
def test_marking_keeps_the_canonical_form_and_the_slots(parts: list[str], uid: str) -> None:
    text = " ".join(parts)
    marked = mark_text(export_key(SECRET, uid), text)
    before, after = read_text(text), read_text(marked)
    if before is None:
        assert marked == text and after is None
    else:
        assert after is not None and after.canonical == before.canonical
        assert len(after.bits) == len(before.bits)
        assert sum(a != b for a, b in zip(after.bits, before.bits, strict=True)) <= 1


def test_about_gamma_of_the_texts_are_marked_and_read_back_by_their_own_key_only() -> None:
    key, other = export_key(SECRET, "E1"), export_key(SECRET, "E2")
    seen = observe(o for o in (read_text(mark_text(key, n)) for n in NAMES) if o)
    own = score(key, seen)
    # 800 texts, each selected with probability GAMMA: within 4 standard deviations
    assert abs(own.checked - GAMMA * len(NAMES)) <= 4 * math.sqrt(len(NAMES) * GAMMA * (1 - GAMMA))
    assert own.agreeing == own.checked and own.log10_probability < -100
    foreign = score(other, seen)
    assert abs(foreign.agreeing - foreign.checked / 2) < 2 * math.sqrt(foreign.checked)
    assert foreign.probability > 1e-3
    # another secret: the same export uid gives other marks
    assert score(export_key(b"t" * 32, "E1"), seen).probability > 1e-3


def test_tail_probability_is_the_binomial_tail() -> None:
    p, log10 = tail_probability(10, 10)
    assert math.isclose(p, 1 / 1024) and math.isclose(log10, math.log10(1 / 1024))
    p, _ = tail_probability(4, 3)
    assert math.isclose(p, 5 / 16)
    assert tail_probability(5, 0) == (1.0, 0.0)
    assert tail_probability(0, 0) == (1.0, 0.0)
    p, log10 = tail_probability(3000, 3000)
    assert p == 0.0 and math.isclose(log10, -3000 * math.log10(2))


def test_observe_takes_the_majority_of_the_copies_and_drops_ties() -> None:
    cells = ["Dupont SARL", "Dupont S.A.R.L.", "Dupont S.A.R.L.", "Morel SA", "Morel S.A.", "St-Lô"]
    seen = observe(o for o in map(read_text, cells) if o)
    assert seen == {"dupont sarl": (1,), "morel sa": (None,), "saint-lô": (1,)}
