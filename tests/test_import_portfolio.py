"""One portfolio, four files: the same year of sales written as an FEC in both
legal layouts (Debit/Credit, tab, UTF-8; Montant/Sens, pipe, ISO-8859-15), as an
invoicing tool's CSV (one row per invoice, a single "Client" column holding
names, no type column, TTC and paid amounts) and as the same export in XLSX with
a title row above the header.  Each gives the same ``clientfolio summary`` and
the same open amounts per customer.

The files are in ``tests/data/portfolio/`` (written by hand).  Figures, excl. tax:

=================  =============  ======================================  =========
customer           invoices       payments                                open
=================  =============  ======================================  =========
Boulangerie Martin 1 000 + 750    1 000 (10/02, whole)                    750
Les Sœurs Lefèvre  2 500 − 500    2 500 (05/03, whole); the credit note   0
                                  is not a receivable
Garage Dupuis SARL 4 000 + 1 200  2 000 (15/04, 2 400 TTC of 4 800 TTC);  2 000
                                  1 200 (01/10, whole)
Hôtel du Lac       1 800 + 2 200  1 800 (01/07, whole)                    2 200
=================  =============  ======================================  =========

Revenue 12 950 €, 4 customers, 8 documents (one credit note).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from typer.testing import CliRunner

from clientfolio.cli import app
from clientfolio.ingest import import_file
from clientfolio.store import Store

DATA = Path(__file__).parent / "data" / "portfolio"
TODAY = dt.date(2026, 1, 15)
OPEN = {"Boulangerie Martin": 75_000, "Les Sœurs Lefèvre": 0, "Garage Dupuis SARL": 200_000, "Hôtel du Lac": 220_000}


def _xlsx_with_title(path: Path) -> Path:
    """The invoicing CSV as an XLSX a user would save: a title, a blank row, then the header."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Export des factures – exercice 2025"])
    sheet.append([])
    lines = (DATA / "factures.csv").read_text(encoding="utf-8-sig").splitlines()
    sheet.append(lines[0].split(";"))
    for line in lines[1:]:
        number, date, client, ht, ttc, paid, paid_on = line.split(";")

        def euros(text: str) -> float:
            return float(text.replace(" ", "").replace(",", "."))

        day = dt.datetime.strptime(date, "%d/%m/%Y")
        sheet.append(
            [
                number,
                day,
                client,
                euros(ht),
                euros(ttc),
                euros(paid),
                dt.datetime.strptime(paid_on, "%d/%m/%Y") if paid_on else None,
            ]
        )
    target = path / "factures.xlsx"
    book.save(target)
    return target


def _files(tmp_path: Path) -> dict[str, Path]:
    return {
        "fec": DATA / "123456789FEC20251231.txt",
        "fec_montant_sens": DATA / "fec_montant_sens.txt",
        "csv": DATA / "factures.csv",
        "xlsx": _xlsx_with_title(tmp_path),
    }


def _open_by_customer(store: Store) -> dict[str, int]:
    """Outstanding amount per customer (excl. tax): invoices minus their payments
    (a payment without amount settles its invoice in full); credit notes aside."""
    query = text("""
        SELECT c.name, i.id, (SELECT SUM(l.amount_cents) FROM invoice_lines l WHERE l.invoice_id = i.id),
               (SELECT COUNT(*) FROM payments p WHERE p.invoice_id = i.id AND p.amount_cents IS NULL),
               (SELECT COALESCE(SUM(p.amount_cents), 0) FROM payments p WHERE p.invoice_id = i.id)
        FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'invoice'""")
    open_: dict[str, int] = {}
    with store.engine.connect() as conn:
        for name, _id, amount, whole, paid in conn.execute(query):
            open_[name] = open_.get(name, 0) + (0 if whole else amount - paid)
    for name in ("Les Sœurs Lefèvre",):
        open_.setdefault(name, 0)
    return open_


@pytest.mark.parametrize("variant", ["fec", "fec_montant_sens", "csv", "xlsx"])
def test_the_same_portfolio_from_every_layout(tmp_path: Path, variant: str) -> None:
    source = _files(tmp_path)[variant]
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = import_file(Store(db), source, today=TODAY)
    assert result.created.get("invoices", 0) + result.created.get("credit_notes", 0) >= 7
    store = Store(db)
    with store.engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, COUNT(*) FROM invoices GROUP BY kind")).all())
        revenue = conn.execute(text("SELECT SUM(amount_cents) FROM invoice_lines")).scalar_one()
        names = sorted(conn.execute(text("SELECT name FROM customers")).scalars())
    assert kinds == {"invoice": 7, "credit_note": 1}
    assert revenue == 1_295_000
    assert names == sorted(OPEN)
    assert _open_by_customer(store) == OPEN
    summary = CliRunner().invoke(app, ["summary", "--db", db, "--json"])
    assert summary.exit_code == 0, summary.output
    expected = json.loads(CliRunner().invoke(app, ["summary", "--db", _reference(tmp_path), "--json"]).output)
    assert json.loads(summary.output) == expected


def _reference(tmp_path: Path) -> str:
    """The store of the Debit/Credit FEC, the reference the other layouts are compared with."""
    folder = tmp_path / "reference"
    folder.mkdir(exist_ok=True)
    db = f"sqlite:///{folder / 'store.db'}"
    if not (folder / "store.db").exists():
        source = folder / "fec.txt"
        shutil.copy(DATA / "123456789FEC20251231.txt", source)
        import_file(Store(db), source, today=TODAY)
    return db
