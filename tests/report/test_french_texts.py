"""The texts the library writes (suggested actions, SWOT items, valuation
method) read in French in the French review, and as before in English."""

from __future__ import annotations

import html

from clientfolio.i18n import render
from clientfolio.plan.messages import shown
from clientfolio.report.annual import gather_review
from clientfolio.report.html import render_html
from clientfolio.report.sections import build_report
from clientfolio.store import Store
from tests.report.test_annual import MANAGER, RING, demo  # noqa: F401  (the fixture)


def test_the_library_texts_are_in_french_in_the_french_review(demo: Store) -> None:  # noqa: F811
    data = gather_review(demo, MANAGER, ring=RING)
    fr = html.unescape(render_html(build_report(data, "fr")))
    en = html.unescape(render_html(build_report(data, "en")))
    assert "Somme sur les clients de la marge brute attendue" in fr and "Sum over customers" not in fr
    assert "Sum over customers of the expected gross margin" in en and "Somme sur les clients" not in en
    assert data.suggestions and data.swot
    for s in data.suggestions:
        assert shown("fr", s.title, s.title_msg, s.params) in fr and s.title in en
        assert shown("fr", s.reason, s.reason_msg, s.params) in fr and s.reason in en
    for item in data.swot:
        assert render("fr", item.text_msg, item.params) in fr and item.text in en
    kinds = {s.kind for s in data.suggestions}
    assert "follow_up" not in kinds or "Assurer le suivi de " in fr
    assert "prospect" not in kinds or "Prospect de priorité 1 (IPA " in fr
    assert "Follow up " not in fr and "Priority-1 prospect" not in fr


def test_the_review_says_how_far_to_trust_the_valuation(demo: Store) -> None:  # noqa: F811
    data = gather_review(demo, MANAGER, ring=RING)
    eq = data.inputs.value.equity
    assert eq.spend is not None and eq.backtest_statement is not None and eq.backtest is not None
    fr = html.unescape(render_html(build_report(data, "fr")))
    en = html.unescape(render_html(build_report(data, "en")))
    assert eq.spend.in_language("fr") in fr and eq.spend.text in en
    assert eq.backtest_statement.in_language("fr") in fr and eq.backtest_statement.text in en
    assert "Contrôle a posteriori : les modèles mis à l'épreuve de la dernière année" in fr
    assert "Clients d'un seul achat" in fr and "One-time buyers" in en and "one_time" not in fr


def test_the_lines_without_a_segment_or_product_line_are_named_in_french(demo: Store) -> None:  # noqa: F811
    """The matrix's row and column of the lines with no segment or product line
    (``analytics.matrix.UNKNOWN``) read as a name in the review's language, never as the code."""
    from dataclasses import replace

    from clientfolio.analytics.matrix import UNKNOWN

    data = gather_review(demo, MANAGER, ring=RING)
    mx = data.inputs.analysis.matrix
    unnamed = replace(mx, segments=(*mx.segments[:-1], UNKNOWN), products=(*mx.products[:-1], UNKNOWN))
    data = replace(data, inputs=replace(data.inputs, analysis=replace(data.inputs.analysis, matrix=unnamed)))
    fr = html.unescape(render_html(build_report(data, "fr")))
    en = html.unescape(render_html(build_report(data, "en")))
    assert fr.count("(non renseigné)") >= 2 and en.count("(not given)") >= 2
    assert UNKNOWN not in fr and UNKNOWN not in en


def test_why_a_customer_is_important_is_said_in_the_reviews_language(demo: Store) -> None:  # noqa: F811
    """The follow-up table says why each customer is important by name ("Classe A", "VIP"), not as
    the bare code "A"."""
    from dataclasses import replace

    data = gather_review(demo, MANAGER, ring=RING)
    important = data.inputs.activity.important
    first = next(c for c in important if c.unfollowed)  # made never contacted
    never = replace(first, last_contact=None, days_since=None)
    followed = [never if c is first else c for c in important]
    data = replace(data, inputs=replace(data.inputs, activity=replace(data.inputs.activity, important=followed)))
    rows = {
        lang: [
            row
            for section in build_report(data, lang).sections
            for t in section.tables
            if t.caption in ("Important customers without recent follow-up", "Clients importants sans suivi récent")
            for row in t.rows
        ]
        for lang in ("fr", "en")
    }
    reasons = {lang: [row[1] for row in found] for lang, found in rows.items()}
    assert reasons["fr"] and len(reasons["fr"]) == len(reasons["en"])
    assert set(reasons["fr"]) <= {"Classe A", "VIP", "Classe A, VIP"} and "Classe A" in reasons["fr"]
    assert set(reasons["en"]) <= {"Class A", "VIP", "Class A, VIP"}
    # a customer never contacted is said so, not left as a dash
    assert ("jamais", "text") in [row[2] for row in rows["fr"]] and ("never", "text") in [row[2] for row in rows["en"]]
    assert all(row[2][1] == "date" for row in rows["fr"] if row[2] != ("jamais", "text"))
