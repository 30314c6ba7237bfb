"""Suggested SWOT items, the customer lines query and the XLSX export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
from openpyxl import load_workbook

from clientfolio.analytics.engines import connect
from clientfolio.analytics.matrix import MatrixCell, WhiteSpace
from clientfolio.analytics.measures import Projection
from clientfolio.i18n import gettext_for
from clientfolio.plan.actions import PlanAction, PlanHeader, track
from clientfolio.plan.assessment import assess
from clientfolio.plan.facts import Facts, customer_lines, lines_from_rows
from clientfolio.plan.swot import SwotInputs, suggest_swot
from clientfolio.plan.xlsx import PAC_COLUMNS, write_plan_xlsx
from tests.plan.builders import AS_OF, concentration, customer, prospect


def test_swot_items_suggested_from_the_analyses() -> None:
    assessment = assess(Facts(AS_OF, renewal_ratio=1.5, largest_share=0.19))  # marks 20 and 1.3
    found = suggest_swot(
        SwotInputs(
            concentration=concentration(largest=0.25, alert=True, largest_id="C1"),
            projection=Projection(0.15, (0.85,), 4.3, 12.0),
            solvency={"has_payment_data": True, "customers_with_incidents": 3, "incident_revenue_share": 0.12},
            white_spaces=[WhiteSpace("S2", "P2", ("P1", "P3"), (1, 0))],
            winning=[MatrixCell("S1", "P1", 100, 0.8, 0.5)],
            prospects=[prospect("P1", 1, 50_000), prospect("P2", 1, 25_000), prospect("P3", 2, 99_000)],
            customers=[
                customer("C1", trajectory="down", revenue_cents=30_000),
                customer("C2", trajectory="up"),
                customer("C3", category="development", potential_cents=70_000),
            ],
            assessment=assessment,
            names={"C1": "Nautilus"},
        )
    )
    assert [(s.key, s.quadrant, s.text, s.customer_code) for s in found] == [
        ("threat:dependency", "threats", "Dependency: Nautilus makes 25% of revenue (alert above 10%)", "C1"),
        (
            "threat:churn",
            "threats",
            "Churn: 15% of customers lost a year; without prospecting half are gone in 4.3 years",
            None,
        ),
        ("threat:solvency", "threats", "Solvency: 3 customers with payment incidents, 12% of invoiced revenue", None),
        (
            "threat:trajectory",
            "threats",
            "1 customers moved down the profitability x potential matrix (300 € of revenue)",
            None,
        ),
        (
            "opportunity:white_space:S2/P2",
            "opportunities",
            "White space: segment S2 does not buy P2 yet (it buys P1, P3)",
            None,
        ),
        ("opportunity:prospects", "opportunities", "2 priority-1 prospects, 750 € of potential", None),
        (
            "opportunity:development",
            "opportunities",
            "1 customers with development potential, 700 € of potential revenue",
            None,
        ),
        ("weakness:largest_share", "weaknesses", "Largest customer share: 19% (1.3/20)", None),
        ("strength:renewal_ratio", "strengths", "Renewal ratio: 1.50 (20.0/20)", None),
        (
            "strength:winning:S1/P1",
            "strengths",
            "Winning combination: segment S1 x P1 (80% of the segment, 50% of the line)",
            None,
        ),
    ]


def test_no_threat_below_the_thresholds() -> None:
    found = suggest_swot(
        SwotInputs(
            concentration=concentration(largest=0.08, alert=False),
            projection=Projection(0.05, (0.95,), 13.5, 5.0),
            solvency={"has_payment_data": True, "customers_with_incidents": 0},
        )
    )
    assert found == []
    # no payment imported: every invoice looks unpaid, which is no incident (value.portfolio's solvency)
    unpaid = {"has_payment_data": False, "customers_with_incidents": 3, "incident_revenue_share": 0.5}
    assert suggest_swot(SwotInputs(concentration=concentration(largest=0.08, alert=False), solvency=unpaid)) == []


def test_customer_lines_now_and_the_year_before() -> None:
    con = connect("duckdb")
    rows = [
        ("A", dt.date(2025, 6, 30), 100, "P1"),
        ("A", dt.date(2025, 1, 2), 50, "P2"),
        ("A", dt.date(2024, 6, 30), 70, "P1"),  # the year before: (2023-06-30, 2024-06-30]
        ("A", dt.date(2023, 6, 30), 999, "P1"),  # too old
        ("B", dt.date(2024, 7, 1), 40, None),
        ("B", dt.date(2024, 8, 1), -40, "P1"),
        ("C", dt.date(2025, 7, 1), 5, "P1"),
    ]  # after the as-of date
    t = ibis.memtable(
        {
            "customer_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "amount_cents": [r[2] for r in rows],
            "product": [r[3] for r in rows],
        }
    )
    got = lines_from_rows(customer_lines(con.create_table("t", t), as_of=AS_OF).to_pyarrow().to_pylist())
    assert dict(got.now) == {"A": 150, "B": 0} and dict(got.before) == {"A": 70, "B": 0}
    assert got.by_line == {"A": {"P1": 100, "P2": 50}}  # B's lines net to nothing or are negative
    con.disconnect()


def test_plan_workbook_in_the_seed_layout(tmp_path: Path) -> None:
    actions = [
        PlanAction(
            1,
            "Visits",
            typology="VIP customers",
            customer_name="NAUTILUS",
            steps="3 visits a month",
            priority=1,
            owner="kam",
            participants="KAM, DG",
            due_on=dt.date(2025, 12, 31),
            horizon="short",
            progress=50,
            budget_cents=100_000,
            spent_cents=25_000,
            current_revenue_cents=52_200_000,
            target_revenue_cents=75_000_000,
            result_revenue_cents=60_000_000,
        ),
        PlanAction(2, "Training", kind="internal", due_on=dt.date(2025, 1, 31)),
    ]
    header = PlanHeader(2025, "CONNECT +", "GPS nautiques", "Leader en France dans 3 ans", "45 commandes / mois")
    path = write_plan_xlsx(
        tmp_path / "pac.xlsx",
        header,
        actions,
        track(actions, AS_OF),
        {"threats": ["Dependency"], "strengths": ["Team", "Product"]},
    )
    wb = load_workbook(path)
    assert wb.sheetnames == ["PAC", "Suivi", "EMOFF"]
    pac = wb["PAC"]
    assert [c.value for c in pac[1] if c.value] == [
        "PAC ENTREPRISE : CONNECT +",
        "DOMAINE D'ACTIVITÉ STRATÉGIQUE : GPS nautiques",
        "ANNÉE BUDGÉTAIRE : 2025",
        "VISION : Leader en France dans 3 ans",
        "OBJECTIF : 45 commandes / mois",
    ]
    assert tuple(c.value for c in pac[3]) == tuple(gettext_for("fr")(c).upper() for c in PAC_COLUMNS)
    assert [c.value for c in pac[3]][:3] == ["TYPOLOGIE", "CLIENT", "ÉTAPES"]
    assert [c.value for c in pac[4]][:13] == [
        "TYPOLOGIE N°1 : Clients VIP",
        "NAUTILUS",
        "Visits. 3 visits a month",
        1,
        "kam",
        "KAM, DG",
        dt.datetime(2025, 12, 31),
        0.5,
        1000,
        None,
        522_000,
        750_000,
        600_000,
    ]
    assert [c.value for c in pac[4]][13:] == ["Commerciale", "Court terme (0 à 6 mois)", 250, 0.8, None]
    assert [c.value for c in pac[5]][:3] == ["TYPOLOGIE N°2 : Autres", "-", "Training"]
    total = [c.value for c in pac[6]]
    assert (
        total[0] == "TOTAL"
        and total[2] == "2 actions, 0 terminées, 1 en retard"
        and total[10:13] == [522_000, 750_000, 600_000]
    )
    assert [[c.value for c in row] for row in wb["EMOFF"].iter_rows(min_row=2, max_row=4)] == [
        [None, "MENACES", "OPPORTUNITÉS"],
        [None, "SÉCURISER / RÉSISTER", "DÉVELOPPER"],
        [None, "- Dependency", None],
    ]
    assert wb["EMOFF"]["C8"].value == "- Team\n- Product"
    assert [r[1].value for r in wb["Suivi"].iter_rows()][1:4] == [2, 0, 1]
