"""Sales reports grouped by customer: the customer's name on a row of its own
above its lines, in a first column without a header, and a "Total for ..." row
below them (QuickBooks' "Sales by Customer Detail", accounting packages' sales
ledgers by customer).

Such a file is read as an invoices file whose first column is the customer
(``GROUP_COLUMN``), filled down from each group's row; the group's own row holds
no sale and is passed over, its total row is set aside as the export's totals
(``invoice_rows.TOTAL_ROWS``).  A line before any group has no customer: the
import says so, line by line.  Such a report's "Balance" is its running total of
the group's amounts, not what a customer still owes: left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from clientfolio.ingest.columns import FIELDS, header_forms, normalize
from clientfolio.ingest.invoice_rows import TOTAL_CELL
from clientfolio.ingest.sources import Table

__all__ = ["GROUP_COLUMN", "grouped_by_customer"]

GROUP_COLUMN = "Client"
"""The header given to the first column of a grouped report (a word of both languages, and one the
customer's column is found by)."""


def _customer_headers() -> frozenset[str]:
    return frozenset(
        normalize(s) for f in FIELDS["invoices"] if f.name in ("customer_code", "customer_name") for s in f.synonyms
    )


def grouped_by_customer(table: Table) -> Table | None:
    """``table`` read as a report grouped by customer, when its header's first cell
    is empty and no other column holds the customer; ``None`` otherwise."""
    header = table.header
    if len(header) < 3 or str(header[0]).strip():
        return None
    customers = _customer_headers()
    if any(form in customers for h in header[1:] for form in header_forms(str(h))):
        return None
    # the first column has a header now: the bulk reader, which checks the file's header, leaves it to the rows
    rest = ["" if normalize(str(h)) == "balance" else h for h in header[1:]]  # a running total
    return replace(table, header=[GROUP_COLUMN, *rest], rows=_filled_down(table.rows))


def _filled_down(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """The lines of a grouped report with the customer of their group in the first cell."""
    group = ""
    for line, row in rows:
        if not row:
            yield line, row
            continue
        first = row[0].strip() if isinstance(row[0], str) else row[0]
        rest = any((v.strip() if isinstance(v, str) else v) not in ("", None) for v in row[1:])
        if first not in ("", None) and not rest:
            group = str(first)  # the group's own row: its customer, no sale
        elif isinstance(first, str) and TOTAL_CELL.match(first):
            yield line, ["Total", *row[1:]]  # "Total for Boulangerie Martin": the group's total
        elif first in ("", None) and rest:
            yield line, [group, *row[1:]]
        else:
            yield line, row
