"""The PDF keeps each table's caption with its header and first rows."""

from __future__ import annotations

import datetime as dt

from clientfolio.report.layout import Report, Section, Table
from clientfolio.report.pdf import KEEP_ROWS, _render, render_pdf


def _report(tables: int) -> Report:
    made = [
        Table(
            caption=f"Table {n}: revenue of the customers of region {n}",
            columns=("Customer", "Revenue"),
            kinds=("text", "money"),
            rows=tuple((f"Customer {n}-{i}", 1000 * i) for i in range(1 + n % 9)),
        )
        for n in range(tables)
    ]
    made.append(Table(caption="An empty table", columns=("Customer",), kinds=("text",), rows=()))
    return Report(
        lang="fr",
        title="Revue",
        subtitle="Test",
        as_of=dt.date(2026, 6, 30),
        headline=(),
        sections=(Section("tables", "Many tables", tables=tuple(made)),),
        named=frozenset(),
    )


def test_no_caption_is_left_at_the_foot_of_a_page() -> None:
    pdf = _render(_report(60))
    assert bytes(pdf.output()).startswith(b"%PDF")  # also closes the fonts
    assert len(pdf.captions) == 61
    assert len({page for page, *_ in pdf.captions}) > 3  # the tables run over several pages
    for _page, _y, left, needed in pdf.captions:
        # room for the caption, the header and the first rows under it
        assert left >= needed >= 10
    # at least one caption was moved to the top of the next page rather than orphaned
    assert any(y == pdf.t_margin for _, y, _, _ in pdf.captions)
    assert KEEP_ROWS >= 1
    assert render_pdf(_report(5)).startswith(b"%PDF")
