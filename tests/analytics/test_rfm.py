"""RFM on small hand-computed portfolios, on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from clientfolio.analytics.rfm import (
    RFM_PROFILES,
    RfmConfig,
    RfmRule,
    quarter_bounds,
    rfm,
)
from tests.analytics.conftest import Load, as_rows

D = dt.date


def line(customer: str, invoice: str, day: dt.date, amount: float) -> dict[str, Any]:
    return {"customer_id": customer, "invoice_id": invoice, "date": day, "amount": amount}


# as_of 2024-05-31, 4 quarters (31 May - 3 months = 29 February, leap year):
#   q1 = (2023-05-31, 2023-08-31]   q2 = (2023-08-31, 2023-11-30]
#   q3 = (2023-11-30, 2024-02-29]   q4 = (2024-02-29, 2024-05-31]
# "new" = first purchase after 2023-11-30 (the last 2 quarters).
PORTFOLIO = [
    # C01 every quarter, on the boundary days; a purchase before the window, one after as_of
    line("C01", "F0101", D(2023, 1, 10), 50),
    line("C01", "F0102", D(2023, 6, 1), 100),
    line("C01", "F0103", D(2023, 9, 1), 100),
    line("C01", "F0104", D(2024, 2, 29), 100),
    line("C01", "F0105", D(2024, 5, 31), 100),
    line("C01", "F0106", D(2024, 6, 1), 999),
    # C02 three quarters: 1101
    line("C02", "F0201", D(2023, 8, 31), 200),
    line("C02", "F0202", D(2023, 10, 15), 200),
    line("C02", "F0203", D(2024, 4, 1), 300),
    # C03 1010, its second invoice has two lines (one purchase)
    line("C03", "F0301", D(2023, 7, 1), 150),
    line("C03", "F0302", D(2023, 12, 1), 100),
    line("C03", "F0302", D(2023, 12, 1), 50),
    # C04 1100, and a credit note in q3 (net -100: not bought, not a purchase)
    line("C04", "F0401", D(2023, 6, 15), 400),
    line("C04", "F0402", D(2023, 11, 30), 400),
    line("C04", "AV0401", D(2024, 1, 10), -100),
    # C05 the seed: no, no, yes 100 K€, yes 230 K€ -> 0011; first purchase in q3 -> new
    line("C05", "F0501", D(2023, 12, 15), 100_000),
    line("C05", "F0502", D(2024, 3, 15), 230_000),
    # C06 nothing in the window
    line("C06", "F0601", D(2023, 3, 1), 80),
    # C07 0011 too but an older customer: no rule matches -> fallback (declining, "à fidéliser")
    line("C07", "F0701", D(2022, 12, 1), 60),
    line("C07", "F0702", D(2024, 1, 20), 60),
    line("C07", "F0703", D(2024, 5, 2), 60),
    # C08 its q4 invoice fully credited: q4 net 0 -> 1000; the credited invoice is still a purchase
    line("C08", "F0801", D(2023, 7, 10), 200),
    line("C08", "F0802", D(2024, 3, 10), 300),
    line("C08", "AV0801", D(2024, 4, 10), -300),
    # C09 only a credit note in the window
    line("C09", "F0901", D(2022, 6, 1), 70),
    line("C09", "AV0901", D(2024, 5, 1), -50),
    # C10 only a credit note: no purchase at all, recency NULL
    line("C10", "AV1001", D(2024, 5, 1), -20),
    # C11 only after as_of: no row
    line("C11", "F1101", D(2024, 6, 15), 10),
]

COLUMNS = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary_cents",
    "amount_q1",
    "amount_q2",
    "amount_q3",
    "amount_q4",
    "quarters",
    "r",
    "f",
    "m",
    "profile",
]
EXPECTED = [
    # id    recency freq monetary     q1      q2      q3        q4         code  r  f  m  profile
    ("C01", 0, 4, 40000, 10000, 10000, 10000, 10000, "1111", 5, 5, 4, "very_regular"),
    ("C02", 60, 3, 70000, 20000, 20000, 0, 30000, "1101", 4, 5, 4, "regular"),
    ("C03", 182, 2, 30000, 15000, 0, 15000, 0, "1010", 3, 2, 3, "cyclical"),
    ("C04", 183, 2, 70000, 40000, 40000, -10000, 0, "1100", 2, 3, 5, "declining"),
    ("C05", 77, 2, 33_000_000, 0, 0, 10_000_000, 23_000_000, "0011", 4, 3, 5, "new"),
    ("C06", 457, 0, 0, 0, 0, 0, 0, "0000", 2, 1, 2, "inactive"),
    ("C07", 29, 2, 12000, 0, 0, 6000, 6000, "0011", 5, 4, 2, "declining"),
    ("C08", 82, 2, 20000, 20000, 0, 0, 0, "1000", 3, 4, 3, "declining"),
    ("C09", 730, 0, -5000, 0, 0, 0, -5000, "0000", 1, 1, 1, "inactive"),
    ("C10", None, 0, -2000, 0, 0, 0, -2000, "0000", 1, 2, 1, "inactive"),
]
# Scores: NTILE(5) over 10 customers = buckets of 2.
#   r, recency DESC (NULL first), id: C10 C09 | C06 C04 | C03 C08 | C05 C02 | C07 C01
#   f, frequency, id:                 C06 C09 | C10 C03 | C04 C05 | C07 C08 | C02 C01
#   m, monetary, id:                  C09 C10 | C06 C07 | C08 C03 | C01 C02 | C04 C05
#   (C10 ties C06 and C09 on frequency 0 but gets 2; C02 ties C04 on 700 € but gets 4, C04 5)


def test_rfm_profiles_scores_and_credit_notes(load: Load) -> None:
    result = rfm(load(PORTFOLIO), as_of=D(2024, 5, 31))
    assert result.columns == tuple(COLUMNS)
    assert as_rows(result, ["customer_id"]) == [dict(zip(COLUMNS, row, strict=True)) for row in EXPECTED]


def test_rfm_invoices_netting_to_zero_or_less_are_not_purchases(load: Load) -> None:
    # Same quarters as PORTFOLIO (as of 2024-05-31).  An invoice is a purchase when its
    # lines net to a positive amount, whatever the sign of each line.
    rows = [
        # M1 a purchase in q1, then an invoice of +100 and -150 (net -50): not a purchase
        line("M1", "F1", D(2023, 7, 1), 100),
        line("M1", "F2", D(2024, 4, 10), 100),
        line("M1", "F2", D(2024, 4, 10), -150),
        # M2 one invoice of +200 with a -50 discount line (net 150): a purchase, its first -> new
        line("M2", "G1", D(2024, 3, 1), 200),
        line("M2", "G1", D(2024, 3, 1), -50),
        # M3 a purchase before the window, then +30 -30 (net 0): last purchase stays 2023-01-01
        line("M3", "H0", D(2023, 1, 1), 40),
        line("M3", "H1", D(2024, 1, 15), 30),
        line("M3", "H1", D(2024, 1, 15), -30),
        # M4 +50 -80 in q1 (net -30), then a purchase in q4: the first purchase is in q4 -> new
        line("M4", "J1", D(2023, 8, 15), 50),
        line("M4", "J1", D(2023, 8, 15), -80),
        line("M4", "J2", D(2024, 4, 1), 70),
    ]
    result = rfm(load(rows), as_of=D(2024, 5, 31)).select(
        "customer_id", "recency_days", "frequency", "monetary_cents", "quarters", "profile"
    )
    assert as_rows(result, ["customer_id"]) == [
        {
            "customer_id": "M1",
            "recency_days": 335,
            "frequency": 1,
            "monetary_cents": 5000,
            "quarters": "1000",
            "profile": "declining",
        },
        {
            "customer_id": "M2",
            "recency_days": 91,
            "frequency": 1,
            "monetary_cents": 15000,
            "quarters": "0001",
            "profile": "new",
        },
        {
            "customer_id": "M3",
            "recency_days": 516,
            "frequency": 0,
            "monetary_cents": 0,
            "quarters": "0000",
            "profile": "inactive",
        },
        {
            "customer_id": "M4",
            "recency_days": 60,
            "frequency": 1,
            "monetary_cents": 4000,
            "quarters": "0001",
            "profile": "new",
        },
    ]


def test_rfm_quintile_ties_broken_by_customer_id(load: Load) -> None:
    # seven identical customers: NTILE(5) makes buckets of 2, 2, 1, 1, 1 in customer_id order
    rows = [line(f"K{i}", f"F{i}", D(2024, 2, 1), 10) for i in range(1, 8)]
    result = rfm(load(rows), as_of=D(2024, 3, 31)).select("customer_id", "r", "f", "m", "quarters")
    scores = [1, 1, 2, 2, 3, 4, 5]
    assert as_rows(result, ["customer_id"]) == [
        {"customer_id": f"K{i}", "r": s, "f": s, "m": s, "quarters": "0001"}
        for i, s in zip(range(1, 8), scores, strict=True)
    ]


def _rule(profile: str, when: Any, k: int | None = None) -> RfmRule:
    return RfmRule(profile=profile, when=when, k=k, label=profile, action="-")


def test_rfm_custom_rules_two_quarters_two_buckets(load: Load) -> None:
    # q1 = (2023-09-30, 2023-12-31], q2 = (2023-12-31, 2024-03-31]; "new" = first purchase in q2
    config = RfmConfig(
        quarters=2,
        score_buckets=2,
        fallback="lapsing",
        rules=(
            _rule("gone", "no_quarter"),
            _rule("new", "first_purchase_within", 1),
            _rule("steady", "every_quarter"),
            _rule("back", "gap"),
            _rule("lapsing", "fading"),
        ),
    )
    rows = [
        line("A", "A1", D(2023, 10, 1), 10),
        line("A", "A2", D(2024, 1, 1), 10),
        line("B", "B1", D(2023, 12, 31), 30),
        line("C", "C1", D(2024, 3, 31), 5),
        line("D", "D1", D(2023, 1, 1), 8),
        line("D", "D2", D(2024, 2, 1), 8),  # 01, not new: fallback
    ]
    result = rfm(load(rows), as_of=D(2024, 3, 31), config=config)
    columns = [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary_cents",
        "amount_q1",
        "amount_q2",
        "quarters",
        "r",
        "f",
        "m",
        "profile",
    ]
    assert result.columns == tuple(columns)
    assert as_rows(result, ["customer_id"]) == [
        dict(zip(columns, row, strict=True))
        for row in [
            ("A", 90, 2, 2000, 1000, 1000, "11", 1, 2, 2, "steady"),
            ("B", 91, 1, 3000, 3000, 0, "10", 1, 1, 2, "lapsing"),
            ("C", 0, 1, 500, 0, 500, "01", 2, 1, 1, "new"),
            ("D", 59, 1, 800, 0, 800, "01", 2, 2, 1, "lapsing"),
        ]
    ]


def test_default_profiles_labels_and_actions() -> None:
    assert [(p.key, p.label_in("fr"), p.label_in("en")) for p in RFM_PROFILES.values()] == [
        ("inactive", "inactifs", "inactive"),
        ("new", "nouveaux", "new"),
        ("very_regular", "très réguliers", "very regular"),
        ("regular", "réguliers", "regular"),
        ("declining", "à fidéliser ou en perte de vitesse", "to retain or losing speed"),
        ("cyclical", "cycliques", "cyclical"),
    ]
    assert all(p.action_in("fr") != p.action_in("en") for p in RFM_PROFILES.values())  # every action translated
    assert RfmConfig().profile("inactive").action_in("fr").startswith("Reconquérir")
    assert RfmConfig().profile("inactive").action_in("en").startswith("Win back")
    assert RfmConfig().fallback == "declining"
    with pytest.raises(TypeError):
        RFM_PROFILES["x"] = RFM_PROFILES["new"]  # type: ignore[index]


def _raw(profile: str, when: str, k: int | None = None) -> dict[str, Any]:
    return {
        "profile": profile,
        "when": when,
        "k": k,
        "label": profile,
        "action": "-",
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rules": [_raw("a", "at_least")], "fallback": "a"}, "needs k"),
        ({"rules": [_raw("a", "gap", 2)], "fallback": "a"}, "takes no k"),
        ({"rules": [_raw("a", "sometimes")], "fallback": "a"}, "literal_error"),
        ({"rules": [_raw("a", "at_least", 5)], "fallback": "a"}, "k = 5 is more than the 4 quarters"),
        ({"rules": [_raw("a", "gap")], "fallback": "b"}, "fallback 'b'"),
        ({"rules": [_raw("a", "gap"), _raw("a", "fading")], "fallback": "a"}, "one rule"),
    ],
)
def test_rfm_config_rejects_inconsistent_rules(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RfmConfig(**kwargs)


def test_quarter_bounds_clamp_month_ends() -> None:
    assert quarter_bounds(D(2024, 5, 31), 4) == [
        (D(2023, 5, 31), D(2023, 8, 31)),
        (D(2023, 8, 31), D(2023, 11, 30)),
        (D(2023, 11, 30), D(2024, 2, 29)),
        (D(2024, 2, 29), D(2024, 5, 31)),
    ]
    assert quarter_bounds(D(2023, 1, 31), 2) == [(D(2022, 7, 31), D(2022, 10, 31)), (D(2022, 10, 31), D(2023, 1, 31))]


def test_a_profile_of_the_settings_is_shown_as_written_and_former_pairs_still_load() -> None:
    own = RfmRule(profile="gone", when="no_quarter", label="partis", action="Appeler le gérant.")
    assert own.as_profile().label_in("en") == own.as_profile().label_in("fr") == "partis"
    assert own.as_profile().action_in("en") == "Appeler le gérant."
    # settings written with the former French/English pairs: a product message stays one message (translated
    # both ways); a user's own words are kept as written (the French the user gave)
    former = RfmRule.model_validate(
        {"profile": "x", "when": "no_quarter", "label_fr": "inactifs", "label_en": "inactive"}
        | {"action_fr": "Relancer.", "action_en": "Follow up."}
    )
    assert (former.label, former.action) == ("inactive", "Relancer.")
    assert former.as_profile().label_in("fr") == "inactifs"
