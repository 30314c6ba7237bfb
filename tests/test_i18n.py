"""French and English messages and formats."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientfolio.i18n import Formatter, formatter, gettext_for


def test_messages() -> None:
    assert gettext_for("fr")("Revenue") == "Chiffre d'affaires"
    assert gettext_for("en")("Revenue") == "Revenue"
    assert gettext_for("fr")("No such message") == "No such message"
    with pytest.raises(ValueError, match="unknown language"):
        gettext_for("de")


def test_french_and_english_formats() -> None:
    fr, en = formatter("fr"), formatter("en")
    assert fr.money(123_456) == "1\u202f234,56\u00a0€" and en.money(123_456) == "€1,234.56"
    assert fr.money(12_345_678, decimals=False) == "123\u202f457\u00a0€" and en.money(None) == "-"
    assert fr.percent(0.256, 1) == "25,6\u00a0%"
    assert en.percent(0.256, 1) == "25.6%"
    assert fr.number(1_234_567.891, 2) == "1\u202f234\u202f567,89" and en.number(1_234_567.891, 2) == "1,234,567.89"
    assert fr.date(dt.date(2026, 11, 23), long=True) == "23 novembre 2026"
    assert en.date(dt.date(2026, 11, 23)) == "23 Nov 2026"


@settings(max_examples=500, deadline=None)
@given(
    cents=st.one_of(
        st.floats(min_value=-1e14, max_value=1e14, allow_nan=False),
        st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: n / 8),  # halves, quarters, eighths of a cent
    ),
    lang=st.sampled_from(["fr", "en"]),
    decimals=st.booleans(),
)
def test_money_writes_what_babel_writes(cents: float, lang: str, decimals: bool) -> None:
    """The fast money format is Babel's ``format_currency`` (rounding and separators alike)."""
    from babel.numbers import format_currency

    pattern = None if decimals else ("#,##0\u00a0¤" if lang == "fr" else "¤#,##0")
    babel = format_currency(
        cents / 100, "EUR", format=pattern, locale={"fr": "fr_FR", "en": "en_GB"}[lang], currency_digits=decimals
    )
    assert Formatter(lang).money(cents, decimals=decimals) == babel


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
        st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: n / 8),
    ),
    lang=st.sampled_from(["fr", "en"]),
    digits=st.integers(min_value=0, max_value=2),
)
def test_numbers_and_percentages_are_written_as_babel_writes_them(value: float, lang: str, digits: int) -> None:
    from babel.numbers import format_decimal, format_percent

    locale = {"fr": "fr_FR", "en": "en_GB"}[lang]
    places = "." + "0" * digits if digits else ""
    assert Formatter(lang).number(value, digits) == format_decimal(
        round(value, digits), format=f"#,##0{places}", locale=locale
    )
    percent = f"#,##0{places}\u00a0%" if lang == "fr" else f"#,##0{places}%"
    assert Formatter(lang).percent(value, digits) == format_percent(value, format=percent, locale=locale)


def test_a_day_given_as_iso_text_is_a_date_in_french() -> None:
    """A message's parameter holding an ISO day (an import's limit, a parsed date) is shown
    as a date to a French reader, never as ``2026-12-07``; text that only looks like one stays."""
    from clientfolio.i18n import render

    template = "date in the future (after {today}): check the file, or import it with --allow-future"
    assert render("fr", template, {"today": "2026-12-07"}).startswith("date dans le futur (après le 7 décembre 2026)")
    assert render("en", template, {"today": "2026-12-07"}).startswith("date in the future (after 2026-12-07)")
    assert render("fr", "{value}", {"value": "2026-02-30"}) == "2026-02-30"  # no such day: as written


def test_an_empty_text_translates_to_itself_not_to_the_catalogs_header() -> None:
    """gettext answers "" with the catalog's header (``Project-Id-Version`` ...): an empty cell,
    column or help shown through ``_`` would print it."""
    assert gettext_for("fr")("") == "" and gettext_for("en")("") == ""
    assert gettext_for("fr")("Customers") == "Clients"
