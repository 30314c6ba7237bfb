"""The dashboard's value strategy chart is drawn at the thresholds of the
assignment, and the potential's sources show in the reader's language."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI

from clientfolio.i18n import gettext_for
from clientfolio.value.potential import SOURCE_LABELS
from clientfolio.value.strategy import AXIS_LABELS
from tests.web.conftest import logged_in
from tests.web.test_charts_pages import charts_of


def test_the_quadrant_chart_counts_the_quadrants_of_the_assignment(app: FastAPI) -> None:
    client = logged_in(app, "pbernard")
    quadrants = client.get("/?format=json").json()["quadrants"]
    chart = charts_of(client.get("/").text)["Value strategy: profitability x potential"]
    desc = chart.find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and desc.text
    # the chart counts its points by side of its two lines; the counts are those of the assignment, so
    # every point on the high side of a line is a customer of a "high" quadrant on that axis
    drawn = dict(part.rsplit(": ", 1) for part in desc.text.split("; "))
    assigned = {q["label"]: q["customers"] for q in quadrants}
    assert not set(assigned) & {"high_high", "low_high", "high_low", "low_low"}  # labels, even of empty quadrants
    assert {label: int(n) for label, n in drawn.items()} == assigned
    assert sum(assigned.values()) > 0


def test_the_potential_sources_are_labelled_in_french(app: FastAPI) -> None:
    fr = logged_in(app, "pbernard", headers={"Accept-Language": "fr"})
    en = logged_in(app, "pbernard", headers={"Accept-Language": "en"})
    sources = en.get("/?format=json").json()["potential_sources"]
    assert sources and {s["kind"] for s in sources} <= {"customers", "prospects"}
    assert all(s["label"] == SOURCE_LABELS[s["source"]] for s in sources)
    french = {(s["kind"], s["source"]): s["label"] for s in fr.get("/?format=json").json()["potential_sources"]}
    assert all(french[(s["kind"], s["source"])] != s["label"] for s in sources)  # translated, every one
    page = html.unescape(fr.get("/").text)
    line = re.search(r'<p class="muted potential-sources">(.*?)</p>', page, re.S)
    assert line is not None and "Origine du potentiel des clients : " in line.group(1)
    assert all(f"{label} (" in line.group(1) for label in french.values())
    assert not any(code in page for code in SOURCE_LABELS if ":" in code or "_" in code)
    assert "Potential sources of the customers: " in html.unescape(en.get("/").text)


def test_every_source_and_axis_has_a_french_label() -> None:
    fr = gettext_for("fr")
    assert all(fr(label) != label for label in SOURCE_LABELS.values())
    assert fr(SOURCE_LABELS["peers_revenue:segment+size"]) == (
        "estimé d'après le CA de clients comparables (même segment et même taille)"
    )
    assert all(fr(label) != label for label in AXIS_LABELS.values())
