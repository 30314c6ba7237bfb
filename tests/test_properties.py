"""Property tests: what the parsers read back is what a French or English tool wrote."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clientfolio.ingest.values import DateParser, parse_amount_cents

cents = st.integers(min_value=-(10**13), max_value=10**13)


def french(value: int, thousands: str) -> str:
    sign = "-" if value < 0 else ""
    euros, rest = divmod(abs(value), 100)
    return f"{sign}{euros:,}".replace(",", thousands) + f",{rest:02d}"


def english(value: int) -> str:
    sign = "-" if value < 0 else ""
    euros, rest = divmod(abs(value), 100)
    return f"{sign}{euros:,}.{rest:02d}"


@given(cents, st.sampled_from([" ", "\u00a0", "\u202f", ".", ""]))
def test_french_amounts_read_back_exactly(value: int, thousands: str) -> None:
    assert parse_amount_cents(french(value, thousands), ",") == value


@given(cents)
def test_english_amounts_read_back_exactly(value: int) -> None:
    assert parse_amount_cents(english(value), ".") == value
    assert parse_amount_cents(english(value).replace(",", ""), ".") == value


@given(cents)
def test_accounting_negatives(value: int) -> None:
    text = french(abs(value), " ")
    assert parse_amount_cents(f"({text})", ",") == -abs(value)
    assert parse_amount_cents(f"{text}-", ",") == -abs(value)


@given(st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_dates_in_every_written_form(day: dt.date) -> None:
    iso = day.isoformat()
    dmy = DateParser("dmy")
    assert dmy(day.strftime("%d/%m/%Y")) == iso
    assert dmy(day.strftime("%d.%m.%Y")) == iso
    assert dmy(day.strftime("%Y%m%d")) == iso
    assert dmy(iso) == iso
    assert DateParser("mdy")(day.strftime("%m/%d/%Y")) == iso
