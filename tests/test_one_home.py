"""One home per rule (issue 16): every shell reads the portfolio measures from
``analytics.measures`` and the quadrants' axes from ``value.strategy``, so
``clientfolio summary``, ``clientfolio analyze`` (on the store and on a file
of its lines), the ``/api/v1/dashboard`` JSON and the annual report's data
agree, and a customer drawn in a quadrant is the one assigned to it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from rich.console import Console
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.access import PortfolioReader
from clientfolio.access.principal import SYSTEM
from clientfolio.analytics.run import copy_store_lines
from clientfolio.analytics.summary import summarize
from clientfolio.report.annual import gather_review
from clientfolio.store import Store
from clientfolio.value.strategy import STRATEGY_NAMES, quadrant_points
from clientfolio.web.build import dashboard
from clientfolio.web.figures import compute_figures
from tests.web.conftest import RING, fill_demo, logged_in, make_app

# Eleven customers active in the twelve months to 2024-12-31 (the last sale, so the
# as-of date everywhere): period N = 2024-01-01..2024-12-31, N-1 = 2023-01-01..2023-12-31.
#
#   N-1 (2023): K01..K08 1,000.00 each, L1 700.00, L2 300.00        -> 10 active, 9,000.00
#   N   (2024): K01 3,000.00 + 2,000.00, K02 3,000.00, K03 2,000.00, K04 1,000.00, K05 900.00,
#               K06 800.00, K07 700.00, K08 600.00, K09 500.00, K10 400.00, K11 100.00
#               Z1 300.00 then a 300.00 credit note (net 0: not active, not new)
#   active N  = K01..K11 = 11; new N = K09, K10, K11 = 3 (first line in 2024);
#   lost N    = L1, L2 = 2 (active in 2023, not in 2024)
#   revenue N = 5,000 + 3,000 + 2,000 + 1,000 + 900 + 800 + 700 + 600 + 500 + 400 + 100 + 0
#             = 15,000.00 -> 1,500,000 cents
#   top 20 %  = ceil(11 / 5) = 3 customers: K01 + K02 + K03 = 10,000.00 -> 10,000 / 15,000 = 2/3
#               (round(11 / 5) = 2 customers would give 8,000 / 15,000 = 53.3 %: the old summary)
#   N-1: active 10, new 10 (the data starts in it: every first line is there), lost 0,
#        revenue 900,000 cents, top ceil(10 / 5) = 2: (1,000 + 1,000) / 9,000 = 2/9
#   customers with sales (summary) = K01..K11, L1, L2 = 13
INVOICES = "N° facture;Date;Client;Nom;Montant\n" + "".join(
    f"{number};{day};{code};{code};{amount}\n"
    for number, day, code, amount in [
        *[(f"A{i}", "15/03/2023", f"K0{i}", "1000") for i in range(1, 9)],
        ("A9", "10/01/2023", "L1", "700"),
        ("A10", "20/06/2023", "L2", "300"),
        ("B1", "01/03/2024", "K01", "3000"),
        ("B2", "31/12/2024", "K01", "2000"),
        ("B3", "05/02/2024", "K02", "3000"),
        ("B4", "05/04/2024", "K03", "2000"),
        ("B5", "05/05/2024", "K04", "1000"),
        ("B6", "05/06/2024", "K05", "900"),
        ("B7", "05/07/2024", "K06", "800"),
        ("B8", "05/08/2024", "K07", "700"),
        ("B9", "05/09/2024", "K08", "600"),
        ("B10", "05/10/2024", "K09", "500"),
        ("B11", "05/11/2024", "K10", "400"),
        ("B12", "06/11/2024", "K11", "100"),
        ("B13", "07/11/2024", "Z1", "300"),
        ("AV1", "08/11/2024", "Z1", "-300"),
    ]
)

HAND_N = {"active": 11, "new": 3, "lost": 2, "revenue_cents": 1_500_000, "top20_share": 2 / 3}
HAND_N1 = {"active": 10, "new": 10, "lost": 0, "revenue_cents": 900_000, "top20_share": 2 / 9}


@pytest.fixture(autouse=True)
def plain_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200, color_system=None))
    monkeypatch.setattr(cli, "errors", Console(width=200, color_system=None, stderr=True))


def run_json(*args: str) -> Any:
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def of_measures(m: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Periods N and N-1 of a measures dict (``Measures.as_dict``)."""

    def period(p: dict[str, Any], share: float | None) -> dict[str, Any]:
        return {
            "active": p["active_customers"],
            "new": p["new_customers"],
            "lost": p["lost_customers"],
            "revenue_cents": p["revenue_cents"],
            "top20_share": share,
        }

    return {"N": period(m["current"], m["concentration"]["top_20pct_share"]), "N-1": period(m["previous"], None)}


def of_summary(s: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The last two periods of ``clientfolio summary --json`` (N-1 without its share: the
    others give the concentration of N only)."""
    keys = ("active", "new", "lost", "revenue_cents", "top20_share")
    n, n1 = s["periods"][-1], s["periods"][-2]
    return {"N": {k: n[k] for k in keys}, "N-1": {k: n1[k] for k in keys} | {"top20_share": None}}


def of_dashboard(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Periods N and N-1 of the dashboard JSON (its measures and its yearly trend)."""
    m = d["measures"]
    got = of_measures(
        {"current": m["current"], "previous": m["previous"], "concentration": {"top_20pct_share": m["top_20pct_share"]}}
    )
    for name, point, period in (("N", d["trend"][-1], m["current"]), ("N-1", d["trend"][-2], m["previous"])):
        assert point["end"] == period["end"]
        assert {k: point[k] for k in ("active", "new", "lost", "revenue_cents")} == {
            k: got[name][k] for k in ("active", "new", "lost", "revenue_cents")
        }, name
    return got


def export_lines(store: Store, tmp_path: Path) -> Path:
    """The store's lines as the file ``clientfolio analyze --transactions`` reads (amounts in euros)."""
    rows = pq.read_table(copy_store_lines(store, PortfolioReader(store, SYSTEM), tmp_path / "lines.parquet"))
    path = tmp_path / "lines.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "invoice_id", "date", "amount"])
        for r in rows.to_pylist():
            writer.writerow(
                [r["customer_id"], r["invoice_id"], r["date"].isoformat(), str(Decimal(r["amount_cents"]).scaleb(-2))]
            )
    return path


def every_shell(store: Store, tmp_path: Path, dashboard_json: dict[str, Any]) -> dict[str, Any]:
    """The figures of N and N-1 as every shell gives them, by shell."""
    lines = export_lines(store, tmp_path)
    review = gather_review(store, SYSTEM, ring=RING)
    return {
        "summary": of_summary(run_json("summary", "--json", "--db", store.url)),
        "analyze": of_measures(run_json("analyze", "--json", "--db", store.url)["measures"]),
        "analyze file": of_measures(run_json("analyze", "--json", "--transactions", str(lines))["measures"]),
        "api": of_dashboard(dashboard_json),
        "report": of_measures(review.inputs.analysis.measures.as_dict()),
    }


def assert_agree(shells: dict[str, Any]) -> dict[str, Any]:
    first, *others = shells
    for name in others:
        assert shells[name] == shells[first], name  # the same integers, the same division: exactly equal
    return shells[first]


@pytest.fixture
def hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "clientfolio.key"))
    url = f"sqlite:///{tmp_path}/hand.db"
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(INVOICES, encoding="utf-8")
    run_json("import", str(invoices), "--json", "--db", url)
    store = Store(url)
    yield store
    store.dispose()


def test_eleven_customers_the_same_figures_everywhere(hand: Store, tmp_path: Path) -> None:
    figures = compute_figures(hand, SYSTEM, RING)  # what /api/v1/dashboard answers, without the login
    assert figures is not None
    api = dashboard(figures, len(figures.inputs.value.customers), "en").model_dump(mode="json")
    shells = every_shell(hand, tmp_path, api)
    agreed = assert_agree(shells)
    assert agreed["N"] == pytest.approx(HAND_N)
    assert agreed["N-1"] == HAND_N1 | {"top20_share": None}
    summary = run_json("summary", "--json", "--db", hand.url)
    assert summary["customers"] == 13
    assert [(p["start"], p["end"], p["complete"]) for p in summary["periods"]] == [
        ("2023-01-01", "2023-12-31", False),
        ("2024-01-01", "2024-12-31", True),
    ]
    assert summary["periods"][-2]["top20_share"] == pytest.approx(HAND_N1["top20_share"])


def test_the_summary_periods_are_the_measures_of_their_end() -> None:
    """Each period of the summary is the measures' period N at its end date, even
    from a 29 February (the periods tile: each ends the day before the next starts)."""
    rows = [
        (f"C{i % 7}", dt.date(2019, 1, 1) + dt.timedelta(days=37 * i), 1000 + 13 * i - (300 if i % 5 else 0))
        for i in range(60)
    ]
    summary = summarize(rows, dt.date(2024, 2, 29))
    assert [p.end for p in summary.periods] == [dt.date(y, 2, 28) for y in (2019, 2020)] + [
        dt.date(y, 2, 28) for y in (2021, 2022, 2023)
    ] + [dt.date(2024, 2, 29)]
    for before, after in zip(summary.periods, summary.periods[1:], strict=False):
        assert after.start == before.end + dt.timedelta(days=1)
    assert summarize([], None).periods == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = fill_demo(Store(f"sqlite:///{tmp_path_factory.mktemp('one-home')}/demo.db"))
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def demo_app(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(demo, tmp_path_factory.mktemp("app"))


def test_the_demo_the_same_figures_everywhere(
    demo: Store, demo_app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTFOLIO_KEY_FILE", str(tmp_path / "absent.key"))
    api = logged_in(demo_app, "pbernard").get("/api/v1/dashboard").json()  # an admin: the whole portfolio
    figures = assert_agree(every_shell(demo, tmp_path, api))
    assert figures["N"]["active"] > 10 and 0 < figures["N"]["top20_share"] < 1


def test_the_quadrant_chart_draws_each_customer_in_its_quadrant(demo: Store, demo_app: FastAPI) -> None:
    figures = compute_figures(demo, SYSTEM, RING)
    assert figures is not None
    value = figures.inputs.value
    q = quadrant_points(value.customers, value.quadrant_thresholds)
    assert {c.customer_id for c, _, _ in q.points} == {c.customer_id for c in value.customers if c.quadrant}
    assert len({c.quadrant for c, _, _ in q.points}) >= 2
    for c, x, y in q.points:
        assert q.side(x, y) == c.quadrant, c.customer_id
    # the dashboard's chart (drawn in euros, on a log scale): customers per corner = customers per quadrant
    html = logged_in(demo_app, "pbernard").get("/").text
    chart = html[html.index('class="chart chart-quadrant"') :]
    desc = re.search(r"<desc[^>]*>([^<]*)</desc>", chart)
    assert desc is not None
    labels = STRATEGY_NAMES
    corners = dict(
        zip(
            ("low_high", "high_high", "low_low", "high_low"),
            (labels[k] for k in ("cross_sell", "loyalty", "termination", "retention")),
            strict=True,
        )
    )
    placed = Counter(c.quadrant for c in value.customers if c.quadrant)
    assert html_unescape(desc.group(1)) == "; ".join(f"{corners[k]}: {placed[k]}" for k in corners)
