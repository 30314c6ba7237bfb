"""The review names who it is made for and the segments and product lines by
their names, in French and in English (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest

from clientfolio.access import Principal
from clientfolio.demo import generate_demo
from clientfolio.i18n import gettext_for
from clientfolio.protect.keys import KeyRing
from clientfolio.report.annual import gather_review
from clientfolio.report.export import DEFAULT_PURPOSE, DEFAULT_RECIPIENT
from clientfolio.report.sections import build_report
from clientfolio.store import Store

RING = KeyRing.for_tests(b"n" * 32)


@pytest.fixture
def demo(store: Store) -> Store:
    generate_demo(store, customers=30, years=2, seed=5, as_of=dt.date(2025, 6, 30), ring=RING)
    return store


def test_the_review_names_its_reader_and_the_segments(demo: Store) -> None:
    data = gather_review(demo, Principal("cmorel", "manager"), ring=RING)
    assert data.full_name == "Claire Morel" and data.segment_names and data.product_names
    for lang, made_for in (("fr", "établie pour Claire Morel"), ("en", "made for Claire Morel")):
        report = build_report(data, lang)
        assert report.subtitle.endswith(made_for) and "cmorel" not in report.subtitle
        matrix = next(s for s in report.sections if s.key == "matrix")
        first = matrix.tables[0]
        shown = {row[0] for row in first.rows}
        assert set(data.segment_names.values()) & shown
        assert not set(data.segment_names) - set(data.segment_names.values()) & shown  # no code shown for a name


def test_the_default_recipient_and_purpose_are_messages() -> None:
    fr = gettext_for("fr")
    assert (fr(DEFAULT_RECIPIENT), fr(DEFAULT_PURPOSE)) == ("interne", "revue annuelle du portefeuille")
    assert (DEFAULT_RECIPIENT, DEFAULT_PURPOSE) == ("internal", "annual portfolio review")


def test_the_local_owner_is_not_named_by_its_principal(demo: Store) -> None:
    from clientfolio.access import SYSTEM

    data = gather_review(demo, SYSTEM, ring=RING)
    assert data.full_name == ""
    subtitle = build_report(data, "fr").subtitle
    assert "system" not in subtitle and "établie pour" not in subtitle
