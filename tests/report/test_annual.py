"""The annual review: gathered within the principal's scope, written as HTML,
PDF and XLSX in French and English, registered, signed and audited."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.demo import generate_demo
from clientfolio.errors import AccessDenied, ClientfolioError
from clientfolio.i18n import formatter
from clientfolio.plan.run import PlanInputs
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.audit import list_events, verify_chain
from clientfolio.protect.exports import ExportKeys, list_exports
from clientfolio.protect.fingerprint import canonical
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.manifest import SignedManifest, verify_file
from clientfolio.report.annual import gather_review
from clientfolio.report.export import write_report
from clientfolio.report.html import render_html
from clientfolio.report.layout import Namer, format_value
from clientfolio.report.pdf import render_pdf
from clientfolio.report.sections import build_report
from clientfolio.store import Store

RING = KeyRing.for_tests(b"r" * 32)
KEYS = ExportKeys.from_ring(RING)
NOON = dt.datetime(2025, 7, 1, 10, 0, tzinfo=dt.UTC)
MANAGER = Principal("cmorel", "manager")
FRENCH_MONEY = re.compile(r"\d{1,3}(?:\u202f\d{3})+,\d{2}\u00a0€")
FRENCH_TITLES = (
    "Mesures du portefeuille",
    "Matrice ABC",
    "Valeur client",
    "Matrice RFM : profils d'achat",
    "Matrice segments x produits",
    "Prospects",
    "Activité commerciale",
    "Autodiagnostic",
    "Matrice EMOFF (SWOT)",
    "Plan d'action commerciale (PAC)",
)


@pytest.fixture
def demo(store: Store) -> Store:
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30), ring=RING)
    return store


def _write(
    store: Store, out: Path, fmt: str, lang: str, principal: Principal = MANAGER, inputs: PlanInputs | None = None
) -> object:
    return write_report(
        store, principal, out, fmt=fmt, lang=lang, keys=KEYS, rules=ExportRules(), ring=RING, now=NOON, inputs=inputs
    )


def test_each_format_is_written_registered_signed_and_audited(demo: Store, tmp_path: Path) -> None:
    """The three formats written from one gathering of the analyses (as the web
    app writes the review from its figures)."""
    data = gather_review(demo, MANAGER, ring=RING)
    equity = data.inputs.value.equity.total_cents
    assert equity is not None and equity > 0

    html = _write(demo, tmp_path / "revue.html", "html", "fr", inputs=data.inputs)
    text = (tmp_path / "revue.html").read_text(encoding="utf-8")
    assert "Revue annuelle du portefeuille client" in text and "Valeur du capital client" in text
    assert formatter("fr").money(equity) in text
    assert all(f"{title}</h2>" in text for title in (t.replace("'", "&#39;") for t in FRENCH_TITLES))
    assert FRENCH_MONEY.search(text)
    assert (
        text.count("<svg") >= 9
        and "<script" not in text
        and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )

    pdf = _write(demo, tmp_path / "review.pdf", "pdf", "en", inputs=data.inputs)
    body = (tmp_path / "review.pdf").read_bytes()
    assert body.startswith(b"%PDF") and body.count(b"/Type /Page\n") >= 11

    _write(demo, tmp_path / "review.xlsx", "xlsx", "en", inputs=data.inputs)
    book = load_workbook(tmp_path / "review.xlsx")
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) == 11
    summary = book["Summary"]
    assert summary["A1"].value == "Annual portfolio review"
    assert summary["A5"].value == "Value of the customer capital"
    assert summary["B5"].value == pytest.approx(equity / 100, abs=0.01)
    assert summary["B5"].number_format.endswith('"€"')
    abc = book[book.sheetnames[2]]
    assert abc["A1"].value == "ABC analysis"

    records = {r.export_uid: r for r in list_exports(demo)}
    assert len(records) == 3
    for result, path in ((html, tmp_path / "revue.html"), (pdf, tmp_path / "review.pdf")):
        signed = SignedManifest.from_json(Path(f"{path}.manifest.json").read_text(encoding="utf-8"))
        assert verify_file(path, signed, RING.verify_key()).ok
        record = records[signed.manifest.export_uid]
        assert (record.kind, record.recipient, record.purpose, record.username) == (
            "report",
            "internal",
            "annual portfolio review",
            "cmorel",
        )
        assert record.row_count == result.customers > 0  # type: ignore[attr-defined]
    events = list_events(demo, action="export")
    assert {e.target for e in events} == set(records)
    assert all(e.details["kind"] == "report" for e in events)
    assert verify_chain(demo, KEYS.audit).ok
    tampered = tmp_path / "revue.html"
    tampered.write_text(text.replace("Valeur du capital client", "Valeur"), encoding="utf-8")
    signed = SignedManifest.from_json(Path(f"{tampered}.manifest.json").read_text(encoding="utf-8"))
    assert not verify_file(tampered, signed, RING.verify_key()).ok


def test_names_are_marked_escaped_and_the_pdf_embeds_a_unicode_font(demo: Store) -> None:
    data = gather_review(demo, MANAGER, ring=RING)
    plain = build_report(data, "fr")
    marked = build_report(data, "fr", mark=lambda name: f"[{name}]")
    largest = next(
        t
        for s in marked.sections
        if s.key == "abc"
        for t in s.tables
        if len(t.columns) == 5 and t.rows and isinstance(t.rows[0][0], str) and t.rows[0][0].startswith("[")
    )
    assert all(row[0].startswith("[") and row[0].endswith("]") for row in largest.rows)
    assert plain.named == marked.named and len(plain.named) == len(data.inputs.names)
    pdf = render_pdf(plain, compress=False)
    assert b"OpenSans" in pdf
    # the embedded font's Unicode map has the euro sign and e acute: they were set in the font
    assert b"<20AC>" in pdf and b"<00E9>" in pdf
    html = render_html(build_report(data, "en", mark=lambda name: f"<b>{name}</b>"))
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_a_scoped_report_names_only_the_customers_in_scope(demo: Store, tmp_path: Path) -> None:
    scoped = Principal("cmorel", "manager", Scope(regions=frozenset({"IDF"})))
    everyone = PortfolioReader(demo, MANAGER).customers()
    visible = {c.code for c in PortfolioReader(demo, scoped).customers()}
    assert 0 < len(visible) < len(everyone)
    result = _write(demo, tmp_path / "idf.html", "html", "en", scoped)
    text = canonical((tmp_path / "idf.html").read_text(encoding="utf-8"))
    inside = [c for c in everyone if c.code in visible]
    outside = [c for c in everyone if c.code not in visible]
    assert sum(canonical(c.name) in text for c in inside) >= len(inside) // 2
    assert not [c.name for c in outside if canonical(c.name) in text]
    assert result.customers <= len(visible)  # type: ignore[attr-defined]
    data = gather_review(demo, scoped, ring=RING)
    assert set(build_report(data, "en").named) <= visible


def test_a_user_who_may_not_export_is_refused_and_audited(demo: Store, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        _write(demo, tmp_path / "r.pdf", "pdf", "fr", Principal("sgirard", "sales"))
    assert not (tmp_path / "r.pdf").exists()
    (event,) = list_events(demo, action="report.refused")
    assert event.actor == "sgirard" and json.dumps(event.details)
    assert list_exports(demo) == []


def test_bad_requests_are_refused_before_any_work(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(ClientfolioError, match="unknown report format"):
        _write(store, tmp_path / "r.doc", "doc", "fr")
    with pytest.raises(ClientfolioError, match="unknown language"):
        _write(store, tmp_path / "r.pdf", "pdf", "de")
    (tmp_path / "there.pdf").write_bytes(b"x")
    with pytest.raises(ClientfolioError, match="never overwrites"):
        _write(store, tmp_path / "there.pdf", "pdf", "fr")
    with pytest.raises(ClientfolioError, match="no sales"):
        _write(store, tmp_path / "r.pdf", "pdf", "fr")


def test_formats_and_names_in_free_text() -> None:
    fr = formatter("fr")
    assert format_value(123456, "money", fr) == "1\u202f234,56\u00a0€"
    assert format_value((0.25, "pct"), "row", fr) == "25,0\u00a0%"
    assert format_value(None, "int", fr) == "-"
    assert format_value(dt.date(2025, 6, 30), "date", formatter("en")) == "30 Jun 2025"
    namer = Namer(str.upper, {"C1": "Dupont SARL", "C2": "Martin SA"}, {"P1": "Prospect SAS"})
    assert namer.text("Follow up Dupont SARL and Prospect SAS") == "Follow up DUPONT SARL and PROSPECT SAS"
    assert namer.customer("C2") == "MARTIN SA" and namer.named == {"C1", "C2"}
