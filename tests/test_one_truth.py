"""One truth per number (issue 18): the headline figures of the small demo
are the same in the CLI's ``--json``, the ``/api/v1`` API, the pages' JSON
(``?format=json``) and the annual report's data; a customer's lifetime value
does not change with who looks; the charts draw what the tables say."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from clientfolio import cli
from clientfolio.access import SYSTEM
from clientfolio.i18n import formatter
from clientfolio.protect.users import principal_for
from clientfolio.report.annual import ReviewData, gather_review
from clientfolio.store import Store
from clientfolio.web.figures import quarter_of, quarter_series
from tests.web.conftest import RING, fill_demo, logged_in, make_app

ADMIN, REP = "pbernard", "jleroy"  # jleroy: a sales rep of region IDF


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = fill_demo(Store(f"sqlite:///{tmp_path_factory.mktemp('truth')}/demo.db"))
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def app(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(demo, tmp_path_factory.mktemp("app"))


@pytest.fixture(scope="module")
def cli_json(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``value``, ``analyze`` and ``summary`` with ``--json`` on the demo (the local owner: every customer)."""
    env = {"CLIENTFOLIO_KEY_FILE": str(tmp_path_factory.mktemp("key") / "clientfolio.key")}
    out = {}
    for command in ("value", "analyze", "summary"):
        result = CliRunner().invoke(cli.app, [command, "--json", "--db", demo.url], env=env)
        assert result.exit_code == 0, result.output
        out[command] = json.loads(result.stdout)
    return out


@pytest.fixture(scope="module")
def web_json(app: FastAPI) -> dict[str, Any]:
    """The admin's dashboard through the API and the page's JSON."""
    client = logged_in(app, ADMIN)
    api, page = client.get("/api/v1/dashboard"), client.get("/?format=json")
    assert api.status_code == page.status_code == 200
    return {"api": api.json(), "page": page.json(), "html": client.get("/").text}


@pytest.fixture(scope="module")
def review(demo: Store) -> ReviewData:
    return gather_review(demo, principal_for(demo, ADMIN), ring=RING)


def _classes(rows: list[dict[str, Any]], key: str = "abc") -> dict[str, tuple[int, float, float]]:
    """Customers, share of customers and share of revenue of each ABC class."""
    return {r[key]: (r["customers"], r["customer_share"], r["value_share"]) for r in rows}


def test_pareto_zones_agree(cli_json: dict[str, Any], web_json: dict[str, Any], review: ReviewData) -> None:
    report = _classes(review.inputs.analysis.abc_summary.to_pylist(), "class")
    cli_zones = _classes(cli_json["analyze"]["abc_summary"], "class")
    assert _classes(web_json["api"]["abc"]) == _classes(web_json["page"]["abc"]) == cli_zones == report
    assert {k: n for k, (n, _, _) in report.items()} == {"A": 9, "B": 10, "C": 18}  # the demo's real classes
    # the valuation's crossed ABC counts the same A and B customers
    crossed = {
        r: sum(c["customers"] for c in cli_json["value"]["crossed_abc"] if c["revenue_class"] == r) for r in "AB"
    }
    assert crossed == {r: report[r][0] for r in "AB"}
    assert (
        web_json["api"]["pareto"]
        == web_json["page"]["pareto"]
        == sorted(r["cumulative_share"] for r in review.inputs.analysis.abc.to_pylist())
    )


def test_pareto_chart_draws_the_table(web_json: dict[str, Any], review: ReviewData) -> None:
    """The chart's zones hold the table's customers: its labels are the table's shares of customers."""
    pct = formatter("en").percent
    svg = re.search(r'<svg[^>]*class="[^"]*pareto.*?</svg>', web_json["html"], re.S)
    assert svg, "no Pareto chart on the dashboard"
    zones = [html.unescape(t) for t in re.findall(r'class="zone"[^>]*>([^<]+)<', svg.group(0))]
    table = web_json["page"]["abc"]
    assert zones == [f"{r['abc']} {pct(r['customer_share'])}" for r in table if r["customers"]]
    # the report's chart cuts at the configured thresholds: the same customers
    cfg, shares = review.config.analytics.abc, web_json["page"]["pareto"]
    cuts = [next(i for i, s in enumerate(shares) if s >= t) + 1 for t in (cfg.a, cfg.b)]
    counts = {r["abc"]: r["customers"] for r in table}
    assert cuts == [counts["A"], counts["A"] + counts["B"]]


def test_quadrant_thresholds_agree(cli_json: dict[str, Any], web_json: dict[str, Any], review: ReviewData) -> None:
    cli_t = cli_json["value"]["quadrant_thresholds"]
    assert cli_t == web_json["api"]["quadrant_thresholds"] == web_json["page"]["quadrant_thresholds"]
    assert cli_t == review.inputs.value.quadrant_thresholds
    assert cli_t["profit_cents"] > 0 and cli_t["potential_cents"] > 0
    # the quadrants' counts too
    counts = {q["quadrant"]: q["customers"] for q in web_json["api"]["quadrants"]}
    cli_counts = {q: sum(c["quadrant"] == q for c in cli_json["value"]["customers"]) for q in counts}
    assert counts == cli_counts == {q: sum(c.quadrant == q for c in review.inputs.value.customers) for q in counts}


def test_top_20pct_share_agrees(cli_json: dict[str, Any], web_json: dict[str, Any], review: ReviewData) -> None:
    share = cli_json["analyze"]["measures"]["concentration"]["top_20pct_share"]
    assert 0 < share < 1
    assert share == cli_json["summary"]["periods"][-1]["top20_share"]  # summary: ceil(n / 5) as well
    assert share == web_json["api"]["measures"]["top_20pct_share"] == web_json["page"]["measures"]["top_20pct_share"]
    assert share == review.inputs.analysis.measures.concentration.top_20pct_share
    assert share == pytest.approx(review.inputs.analysis.measures.concentration.top_20pct_share)


def test_customer_clv_agrees_and_does_not_change_with_the_viewer(
    app: FastAPI, demo: Store, cli_json: dict[str, Any], review: ReviewData
) -> None:
    rep, admin = logged_in(app, REP), logged_in(app, ADMIN)
    visible = [c["code"] for c in rep.get("/api/v1/customers", params={"per_page": 100}).json()["items"]]
    everyone = {c["customer_id"]: c for c in cli_json["value"]["customers"]}
    assert 0 < len(visible) < len(everyone)  # the rep sees a part of the portfolio
    rep_review = gather_review(demo, principal_for(demo, REP), ring=RING)
    rep_values = {c.customer_id: c for c in rep_review.inputs.value.customers}
    assert set(rep_values) == set(visible)
    admin_values = {c.customer_id: c for c in review.inputs.value.customers}
    valued = 0
    for code in visible:
        clv = everyone[code]["clv_cents"]
        pages = [
            client.get(path).json()["clv_cents"]
            for client in (admin, rep)
            for path in (f"/api/v1/customers/{code}", f"/customers/{code}?format=json")
        ]
        assert pages == [clv] * 4, code
        assert admin_values[code].clv_cents == rep_values[code].clv_cents == clv
        assert admin_values[code].p_alive == rep_values[code].p_alive == everyone[code]["p_alive"]
        valued += clv is not None
    assert valued > 0
    # the rep's capital is its customers' lifetime values (the portfolio's models), never the whole's
    rep_total = rep.get("/api/v1/dashboard").json()["equity"]["total_cents"]
    assert rep_total == pytest.approx(sum(rep_values[c].clv_cents or 0 for c in visible))
    assert rep_total < cli_json["value"]["equity"]["total_cents"]
    low, high = rep_review.inputs.value.equity.low_cents, rep_review.inputs.value.equity.high_cents
    assert low is not None and high is not None and low <= rep_total <= high
    # and the rep's rows and pages hold none of the other customers
    others = set(everyone) - set(visible)
    assert not others & set(rep_values)
    assert rep.get(f"/api/v1/customers/{sorted(others)[0]}").status_code == 404


def test_quarter_series_has_every_quarter(app: FastAPI, review: ReviewData) -> None:
    assert quarter_series({"2024-Q3": 5, "2025-Q1": 3}, dt.date(2025, 6, 30)) == [
        ("2024-Q3", 5),
        ("2024-Q4", 0),
        ("2025-Q1", 3),
        ("2025-Q2", 0),
    ]
    assert quarter_series({"2024-Q4": 5}, dt.date(2025, 2, 1)) == [("2024-Q4", 5), ("2025-Q1", 0)]
    assert quarter_series({}, dt.date(2025, 6, 30)) == []
    client = logged_in(app, ADMIN)
    last = quarter_of(review.as_of)
    fmt = formatter("en")
    zeros = 0
    for code in sorted({c.customer_id for c in review.inputs.value.customers})[:12]:
        history = client.get(f"/customers/{code}?format=json").json()["history"]
        if not history:
            continue
        quarters = [h["quarter"] for h in history]
        assert quarters[-1] == last, code  # up to the as-of date's quarter, a customer gone quiet included
        years = [int(q[:4]) * 4 + int(q[-1]) for q in quarters]
        assert years == list(range(years[0], years[0] + len(years))), code  # one point per quarter
        zeros += sum(h["revenue_cents"] == 0 for h in history)
        page = client.get(f"/customers/{code}").text
        chart = re.search(r"<svg.*?</svg>", page[page.find("Revenue per quarter") - 3000 :], re.S)
        assert chart is not None
        for q in quarters:  # every quarter drawn, the empty ones too
            assert html.escape(fmt.period(q)) in chart.group(0) or fmt.period(q) in chart.group(0), (code, q)
    assert zeros > 0  # the demo has customers with empty quarters


def test_strategy_chart_uses_the_valuation_thresholds(web_json: dict[str, Any], review: ReviewData) -> None:
    """The quadrant chart's lines are the valuation's thresholds: every point sits in its quadrant."""
    from clientfolio.value.strategy import quadrant_points

    v = review.inputs.value
    q = quadrant_points(v.customers, web_json["page"]["quadrant_thresholds"])
    assert (q.x_cut, q.y_cut) == quadrant_points(v.customers, v.quadrant_thresholds).thresholds.lines()
    assert all(q.side(x, y) == c.quadrant for c, x, y in q.points)


def test_system_and_admin_review_agree(demo: Store, review: ReviewData, tmp_path: Path) -> None:
    """The report made for the local owner and for the admin: the same figures (both see everything)."""
    owner = gather_review(demo, SYSTEM, ring=RING)
    assert owner.inputs.value.quadrant_thresholds == review.inputs.value.quadrant_thresholds
    assert owner.inputs.value.equity.total_cents == review.inputs.value.equity.total_cents


def test_the_prospects_page_and_the_review_agree(demo: Store, review: ReviewData) -> None:
    """The review's prospects take the churn projection of its analysis (no
    second pass over the sales): the same view as ``/prospects`` computes alone."""
    from clientfolio.prospects.run import prospects_view

    alone = prospects_view(demo, principal_for(demo, ADMIN), as_of=review.as_of)
    assert alone == review.inputs.prospects
    assert alone.backward is not None and alone.prospects


@pytest.mark.parametrize("username", [ADMIN, REP])
def test_the_activity_view_and_the_review_agree(demo: Store, review: ReviewData, username: str) -> None:
    """The review's follow-up of the A customers takes the ABC classes of its
    analysis (no second pass over the sales): the same view as computed alone,
    for a user who sees everything and for a rep of one region."""
    from clientfolio.prospects.run import activity_view

    principal = principal_for(demo, username)
    gathered = review if username == ADMIN else gather_review(demo, principal, ring=RING)
    vip = [c.customer_id for c in gathered.inputs.value.customers if c.category == "vip"]
    alone = activity_view(demo, principal, as_of=gathered.as_of, vip=vip)
    assert alone == gathered.inputs.activity
    assert any("A" in c.reasons for c in alone.important)
