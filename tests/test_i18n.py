"""French and English messages and formats."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.i18n import formatter, gettext_for


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
