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
NAMES = [f"Atelier {who} {n} {form}" for n in range(400) for who, form in (("Martin", "SARL"), ("Petit", "SAS"))]


def test_read_text_gives_the_key_and_the_bit_of_each_slot() -> None:
    assert read_text("Mécanique Dupont SARL") == Observation("mecanique dupont", (("form", 1),))
    assert read_text("S.A.R.L. Mécanique  Dupont") == Observation("mecanique dupont", (("form", 0),))
    assert read_text("ST-DENIS") == Observation("saint denis", (("saint#0", 1),))
    assert read_text("Sté Générale de Cie SA") == Observation(
        "ste generale de cie", (("form", 1), ("ste#0", 1), ("cie#0", 1))
    )
    assert read_text("Boulangerie Martin") is None
    assert read_text("1234,56") is None
    # the key survives what a data cleaner does: case, accents, punctuation, spacing, legal forms, abbreviations
    assert canonical("  Boulangerie   MARTIN ") == "boulangerie martin"
    assert canonical("Saint-Denis") == canonical("St Denis") == canonical("ST. DENIS") == "saint denis"
    assert canonical("Sté Générale S.A.") == canonical("SOCIETE GENERALE") == canonical("SA Société Générale")
    assert canonical("12 Bd Voltaire") == canonical("12 boulevard voltaire")


def test_a_mark_changes_spellings_and_places_the_legal_form() -> None:
    changed: dict[str, set[str]] = {}
    for uid in (f"E{i}" for i in range(200)):
        key = export_key(SECRET, uid)
        for text in ("Transports Morel SAS", "TRANSPORTS MOREL SAS", "Saint-Malo"):
            changed.setdefault(text, set()).add(mark_text(key, text))
    assert changed == {
        "Transports Morel SAS": {"Transports Morel SAS", "SAS Transports Morel"},
        "TRANSPORTS MOREL SAS": {"TRANSPORTS MOREL SAS", "SAS TRANSPORTS MOREL"},
        "Saint-Malo": {"Saint-Malo", "St-Malo"},
    }


words = st.sampled_from(
    [
        "Dupont",
        "SARL",
        "S.A.",
        "sas",
        "Saint",
        "st",
        "Ste",
        "Cie",
        "Sté",
        "12",
        "et",
        "Établissements",
        "Ets",
        "-",
        "Lyon",
        "E.U.R.L.",
        "SNC",
        "SA.",
    ]
)


@given(st.lists(words, min_size=1, max_size=8), st.text(alphabet="ab", min_size=1, max_size=4))
def test_marking_keeps_the_canonical_form_and_the_slots(parts: list[str], uid: str) -> None:
    text = " ".join(parts)
    marked = mark_text(export_key(SECRET, uid), text)
    before, after = read_text(text), read_text(marked)
    if before is None:
        assert marked == text and after is None
    else:
        assert after is not None and after.canonical == before.canonical
        assert [slot for slot, _ in after.slots] == [slot for slot, _ in before.slots]


def test_about_gamma_of_the_texts_are_marked_and_read_back_by_their_own_key_only() -> None:
    key, other = export_key(SECRET, "E1"), export_key(SECRET, "E2")
    seen = observe(o for o in (read_text(mark_text(key, n)) for n in NAMES) if o)
    own = score(key, seen)
    # 800 texts, every slot marked (GAMMA = 1)
    assert GAMMA == 1 and own.checked == len(NAMES)
    assert own.agreeing == own.checked and own.log10_probability < -100
    foreign = score(other, seen)
    assert abs(foreign.agreeing - foreign.checked / 2) < 2 * math.sqrt(foreign.checked)
    assert foreign.probability > 1e-4
    # another secret: the same export uid gives other marks
    assert score(export_key(b"t" * 32, "E1"), seen).probability > 1e-4
    # every mark reversed: the lower tail, as strong as the upper one
    flipped = {k: None if b is None else 1 - b for k, b in seen.items()}
    reversed_score = score(key, flipped)
    assert reversed_score.agreeing == 0 and reversed_score.anti
    assert math.isclose(reversed_score.log10_probability, own.log10_probability)


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
    cells = ["Dupont SARL", "SARL Dupont", "S.A.R.L. Dupont", "Morel SA", "S.A. Morel", "St-Lô"]
    seen = observe(o for o in map(read_text, cells) if o)
    assert seen == {("dupont", "form"): 0, ("morel", "form"): None, ("saint lo", "saint#0"): 1}
