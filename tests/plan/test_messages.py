"""The plan's texts as message keys: templates matched back from English
sentences, stored with the actions and SWOT items, migrated from the English
rows of revision 0012, shown in the reader's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import insert, select

from clientfolio.access import SYSTEM
from clientfolio.i18n import render
from clientfolio.plan.actions import PlanAction
from clientfolio.plan.messages import match, shown
from clientfolio.plan.records import add_actions, add_swot_item, edit_swot_item, plan_actions, save_swot, swot_items
from clientfolio.plan.rekey import action_keys, item_keys
from clientfolio.plan.suggestions import (
    DEPENDENCY_REASON,
    FOLLOW_UP_LAST,
    MSG_ALIASES,
    TEMPLATES,
    WIN_BACK_REASON,
    WIN_BACK_STEPS,
    WIN_BACK_TITLE,
    Suggestion,
    as_action,
)
from clientfolio.plan.swot import TEMPLATES as SWOT_TEMPLATES
from clientfolio.plan.swot import SwotSuggestion
from clientfolio.store import Store
from clientfolio.store.schema import Action, Plan, SwotItem

NNBSP = "\u202f"
WIN_BACK = (
    f"RFM profile declining (quarters 0011): 12{NNBSP}345 € in the 12 months before, 1{NNBSP}000 € in the last 12"
)
FOLLOW = f"A+VIP customer last contact 2025-01-15 (166 days ago); 50{NNBSP}000 € a year at stake"
DEPENDENCY = (
    f"Largest customer: 26.3% of revenue, above the 10% alert; 123{NNBSP}456 € more from other customers "
    "brings it to 10%"
)
CHURN = "Churn: 12% of customers lost a year; without prospecting half are gone in 5.4 years"


def _catalog() -> dict[str, str]:
    out: dict[str, str] = {}
    from pathlib import Path

    import clientfolio.i18n

    for po in sorted((Path(clientfolio.i18n.__file__).parent / "fr").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id:
                    out[str(m.id)] = str(m.string)
    return out


@pytest.mark.parametrize("template", TEMPLATES + SWOT_TEMPLATES)
def test_every_template_has_its_french_with_the_same_fields(template: str) -> None:
    french = _catalog().get(template)
    assert french, template
    fields = re.compile(r"\{(\w+)\}")
    assert set(fields.findall(french)) == set(fields.findall(template))


def test_match_reads_the_parameters_back() -> None:
    assert match(WIN_BACK, TEMPLATES, MSG_ALIASES) == (
        WIN_BACK_REASON,
        {
            "profile_msg": "to retain or losing speed",
            "quarters": "0011",
            "before_cents": 1_234_500,
            "now_cents": 100_000,
        },
    )
    assert match(FOLLOW, TEMPLATES) == (
        FOLLOW_UP_LAST,
        {"reasons": "A+VIP", "last_on": "2025-01-15", "days": 166, "revenue_cents": 5_000_000},
    )
    template, params = match(DEPENDENCY, TEMPLATES) or ("", {})
    assert template == DEPENDENCY_REASON
    assert params == {"largest_share": 0.263, "alert_share": 0.1, "needed_cents": 12_345_600}
    assert match("Tidy the customer file", TEMPLATES) is None


def test_a_matched_sentence_renders_in_french() -> None:
    template, params = match(WIN_BACK, TEMPLATES, MSG_ALIASES) or ("", {})
    french = render("fr", template, params)
    assert french.startswith("Profil RFM à fidéliser ou en perte de vitesse (trimestres 0011)")
    assert shown("en", WIN_BACK, template, params) == WIN_BACK
    follow = shown("fr", FOLLOW, *(match(FOLLOW, TEMPLATES) or ("", {})))
    assert "15 janvier 2025" in follow and "2025-01-15" not in follow


def test_rekey_of_an_action_and_of_items() -> None:
    keys = action_keys("Win back Dupont SA", WIN_BACK)
    assert (keys.title_msg, keys.reason_msg) == (WIN_BACK_TITLE, WIN_BACK_REASON)
    assert keys.params is not None and '"customer": "Dupont SA"' in keys.params
    assert action_keys("Tidy the customer file", "because") == action_keys("Tidy the customer file", None)
    assert action_keys("Tidy the customer file", None).title_msg is None
    assert item_keys(CHURN).text_msg is not None
    assert (
        item_keys("Renewal ratio: 0.85 (7.0/20)").params == '{"label_msg": "Renewal ratio", "mark": 7.0, "value": 0.85}'
    )
    assert item_keys("Our team knows the trade").text_msg is None


def _suggestion() -> Suggestion:
    return Suggestion(
        key="win_back:C1",
        kind="win_back",
        title="Win back Dupont SA",
        typology="VIP customers",
        reason=WIN_BACK,
        steps="Call.",
        priority=2,
        due_on=dt.date(2025, 9, 30),
        title_msg=WIN_BACK_TITLE,
        reason_msg=WIN_BACK_REASON,
        params={
            "customer": "Dupont SA",
            "profile_msg": "inactive",
            "quarters": "0011",
            "before_cents": 1_234_500,
            "now_cents": 100_000,
        },
    )


def test_an_accepted_suggestion_is_stored_with_its_keys_and_shown_in_french(store: Store) -> None:
    action = as_action(_suggestion(), dt.date(2025, 6, 30))
    assert action.title_msg == WIN_BACK_TITLE and action.params
    own = PlanAction(id=None, title="Tidy the customer file", typology="Internal work")
    add_actions(store, SYSTEM, 2025, [action, own], planned_on=dt.date(2025, 6, 30))
    stored, mine = plan_actions(store, SYSTEM, 2025)
    assert stored.title_msg == WIN_BACK_TITLE and stored.params == action.params
    fr = stored.localized("fr")
    assert fr.title == "Reconquérir Dupont SA" and fr.typology == "Clients VIP"
    assert fr.reason is not None and fr.reason.startswith("Profil RFM inactifs")
    assert fr.comments == fr.reason  # the reason repeated in the comments
    assert stored.localized("en").title == "Win back Dupont SA"
    assert mine.title_msg is None and mine.localized("fr").title == "Tidy the customer file"


def test_swot_items_keep_their_keys_until_the_user_rewrites_them(store: Store) -> None:
    item = SwotSuggestion(
        "threat:churn", "threats", CHURN, text_msg=SWOT_TEMPLATES[1], params={"churn_share": 0.12, "years": 5.4}
    )
    save_swot(store, SYSTEM, 2025, [item])
    add_swot_item(store, 2025, "strengths", "Our team knows the trade")
    kept, own = swot_items(store, SYSTEM, 2025)
    assert kept.localized("fr").text.startswith("Attrition") or "Churn" not in kept.localized("fr").text
    assert own.localized("fr").text == "Our team knows the trade"
    edit_swot_item(store, SYSTEM, 2025, kept.id, "Churn is our problem")
    [edited] = [i for i in swot_items(store, SYSTEM, 2025) if i.id == kept.id]
    assert edited.text_msg is None and edited.localized("fr").text == "Churn is our problem"


def test_migration_0013_keys_the_english_rows(store_url: str) -> None:
    store = Store(store_url, upgrade=False)
    try:
        store.upgrade("0012")
        with store.begin() as conn:
            plan = conn.execute(insert(Plan).values(budget_year=2025, company="").returning(Plan.id)).scalar_one()
            rows = [
                ("Win back Dupont SA", WIN_BACK, "win_back:C1", "VIP customers", WIN_BACK_STEPS),
                ("Follow up Martin", FOLLOW, "follow_up:C2", "Core business customers", None),
                ("Call Durand", "my own reason", None, None, "Ring him"),  # the user's action: kept as written
            ]
            for title, reason, key, typology, steps in rows:
                conn.execute(
                    insert(Action).values(
                        plan_id=plan,
                        title=title,
                        reason=reason,
                        suggestion_key=key,
                        typology=typology,
                        steps=steps,
                        kind="commercial",
                        progress=0,
                    )
                )
            for text, source, key in (
                (CHURN, "suggested", "threat:churn"),
                ("Renewal ratio: 0.85 (7.0/20)", "suggested", "weakness:renewal_ratio"),
                ("Our team knows the trade", "user", None),
            ):
                conn.execute(
                    insert(SwotItem).values(
                        plan_id=plan, quadrant="threats", text=text, source=source, key=key, accepted=True
                    )
                )
        store.upgrade()
        win, follow, own = plan_actions(store, SYSTEM, 2025)
        assert (win.title_msg, win.reason_msg) == (WIN_BACK_TITLE, WIN_BACK_REASON)
        assert win.params is not None and win.params["before_cents"] == 1_234_500
        assert win.localized("fr").title == "Reconquérir Dupont SA"
        assert win.localized("fr").reason == render("fr", WIN_BACK_REASON, win.params)
        assert "Win back" not in (win.localized("fr").reason or "")
        assert win.steps_msg == WIN_BACK_STEPS
        assert (win.localized("fr").steps or "").startswith("Appeler ou rendre visite")
        assert follow.localized("fr").title.startswith("Assurer le suivi de Martin")
        assert follow.localized("fr").typology == "Clients fonds de commerce"
        assert own.title_msg is None and own.params is None
        assert own.localized("fr").title == "Call Durand" and own.localized("fr").reason == "my own reason"
        assert own.steps_msg is None and own.localized("fr").steps == "Ring him"
        churn, ratio, mine = swot_items(store, SYSTEM, 2025)
        assert churn.text_msg == SWOT_TEMPLATES[1] and churn.params == {"churn_share": 0.12, "years": 5.4}
        assert "Churn" not in churn.localized("fr").text
        assert ratio.params == {"label_msg": "Renewal ratio", "value": 0.85, "mark": 7.0}
        assert ratio.localized("fr").text.startswith("Taux de renouvellement : 0,8")
        assert mine.text_msg is None and mine.localized("fr").text == "Our team knows the trade"
        with store.begin() as conn:
            assert conn.execute(select(Action.params).where(Action.title == "Call Durand")).scalar() is None
    finally:
        store.dispose()


def test_the_pac_workbook_in_french_and_in_english(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from clientfolio.plan.actions import PlanHeader, track
    from clientfolio.plan.xlsx import write_plan_xlsx

    action = as_action(_suggestion(), dt.date(2025, 6, 30))
    texts = {}
    for lang in ("fr", "en"):
        path = write_plan_xlsx(
            tmp_path / f"{lang}.xlsx",
            PlanHeader(2025, "Demo SA"),
            [action],
            track([action], dt.date(2025, 7, 1)),
            {"threats": ["x"]},
            lang=lang,
        )
        wb = openpyxl.load_workbook(path)
        texts[lang] = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
        texts[lang] += " " + " ".join(wb.sheetnames)
    fr, en = texts["fr"], texts["en"]
    assert "TYPOLOGIE N°1 : Clients VIP" in fr and "Reconquérir Dupont SA" in fr and "Court terme" in fr
    assert "Win back" not in fr and "VIP customers" not in fr and "Suivi" in fr and "MENACES" in fr
    assert "TYPOLOGY No. 1: VIP customers" in en and "Win back Dupont SA" in en and "THREATS" in en
    assert "Reconquérir" not in en and "TYPOLOGIE" not in en and "Commerciale" not in en
