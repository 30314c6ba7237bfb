"""An audit entry's details read by people (``web.audit_text``): the record's
keys and codes named in the reader's language, texts written from a template
rendered again from it, amounts, numbers and days in the reader's conventions;
what this version does not know is shown as it is."""

from __future__ import annotations

from clientfolio.web.audit_text import action_text, detail_pairs, details_text, target_text


def test_a_plan_action_is_read_from_its_templates() -> None:
    details = {
        "year": 2025,
        "after": {
            "title": "Win back Plomberie Martinez SAS",
            "title_msg": "Win back {customer}",
            "params": '{"customer": "Plomberie Martinez SAS"}',
            "target_revenue_cents": 1234500,
            "due_on": "2025-07-30",
            "horizon": "short",
            "suggestion_key": "win_back:C00036",
            "owner": None,
        },
    }
    assert detail_pairs("plan.action.add", details, "fr") == [
        ("année", "2025"),
        (
            "après",
            "(intitulé\xa0: Reconquérir Plomberie Martinez SAS ; CA visé\xa0: 12\u202f345\xa0€ ; "
            "échéance\xa0: 30 juil. 2025 ; horizon\xa0: Court terme (0 à 6 mois) ; "
            "suggestion\xa0: Reconquête (C00036))",
        ),
    ]
    english = details_text("plan.action.add", details, "en")
    assert "title: Win back Plomberie Martinez SAS" in english and "target revenue: €12,345" in english


def test_codes_are_named_by_their_key() -> None:
    stage = {"before": "hot", "after": "lost", "on": "2026-12-07", "reason": "price too high"}
    assert details_text("prospect.stage", stage, "fr") == (
        "avant\xa0: Prospect chaud ; après\xa0: Perdu ; Date\xa0: 7 déc. 2026 ; motif\xa0: price too high"
    )
    # "before" and "after" of another action are texts, not stages
    swot = {"before": "hot", "after": "A loyal team", "quadrant": "strengths"}
    assert details_text("swot.edit", swot, "fr") == "avant\xa0: hot ; après\xa0: A loyal team ; quadrant\xa0: Forces"
    login = {"reason": "address throttled", "retry_after_minutes": 15, "locked_until": "2026-12-07T05:55:58+00:00"}
    assert details_text("login.failure", login, "fr") == (
        "motif\xa0: trop d'échecs depuis cette adresse ; réessayer après (minutes)\xa0: 15 ; "
        "verrouillé jusqu'au\xa0: 7 déc. 2026 05:55:58"
    )


def test_a_refusal_is_rendered_again_from_its_template() -> None:
    details = {
        "reason": "60 rows: above the hard limit of 59",
        "reason_msg": "{rows} rows: above the hard limit of {limit}",
        "reason_params": {"rows": 1200, "limit": 1000},
        "rows": 1200,
    }
    assert details_text("export.refused", details, "fr") == (
        "motif\xa0: 1\u202f200 lignes : au-delà de la limite stricte de 1\u202f000 ; lignes\xa0: 1\u202f200"
    )
    # a template whose parameters do not fit it (another version's): the text as written
    broken = {"reason": "as written", "reason_msg": "{missing} rows", "reason_params": {}}
    assert details_text("export.refused", broken, "fr") == "motif\xa0: as written"


def test_what_this_version_does_not_know_shows_as_it_is() -> None:
    assert action_text("future.action", "fr") == "future.action"
    assert action_text("export.refused", "fr") == "Export refusé"
    assert detail_pairs("future.action", {"novel_key": [1, True, None]}, "fr") == [("novel_key", "1, oui, —")]
    assert detail_pairs("user.password", None, "fr") == []


def test_a_scope_without_restriction_reads_all_and_a_day_as_a_target_is_a_date() -> None:
    scoped = {"before": {}, "after": {"region": ["IDF"]}}
    assert details_text("user.scope", scoped, "fr") == "avant\xa0: tous ; après\xa0: (régions\xa0: IDF)"
    created = {"after": {"role": "sales", "scopes": {}, "is_active": True}}
    assert details_text("user.create", created, "fr") == (
        "après\xa0: (rôle\xa0: commercial ; périmètre\xa0: tous ; actif\xa0: oui)"
    )
    assert details_text("plan.header", {"before": {}}, "fr") == "avant\xa0: —"  # not a scope: nothing
    assert (target_text("2026-12-04", "fr"), target_text("2026-12-04", "en")) == ("4 déc. 2026", "4 Dec 2026")
    assert target_text("GET /admin", "fr") == "GET /admin" and target_text(None, "fr") == ""
