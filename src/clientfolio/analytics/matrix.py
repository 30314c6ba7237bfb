"""Segment x product matrix (DOMAIN.md section 5, seed 001).

Customer segments in rows, product lines in columns, each cell filled with the
revenue (or margin) of the period; then bring out the winning combinations and
the ones to develop.  Done once a year to prepare the commercial action plan.

Rules (``as_of`` is the analysis date):

- **Period**: the ``MatrixConfig.months`` months ending at ``as_of``, i.e. the
  lines dated in ``(as_of - months, as_of]`` ("- months" keeps the day of month,
  clamped to the end of a shorter month); the boundary is computed in Python.
- **Value** of a cell: the net amount (invoices minus credit notes) of its
  lines, revenue (``amount_cents``) or margin (``margin_cents``, lines of
  unknown margin counting 0) depending on ``MatrixConfig.basis``.
- **Unknown**: a line with no segment (NULL or blank) goes to the row
  ``(unknown)``, one with no product line to the column ``(unknown)``.  Those
  are shown and counted in the totals, but an ``(unknown)`` row or column is
  never a winning cell nor a white space, and does not count as "another
  segment" or "another product line" below (nothing can be targeted there).
- **Order**: segments and product lines sorted by name, ``(unknown)`` last.
- **Bought**: segment S buys product line P when the net revenue of the cell
  (S, P) is positive, whatever the basis (a line sold at a loss is still bought).
- **Winning cell** (*combinaison gagnante*): a cell of positive value holding at
  least ``winning_share`` (default 20 %) of its segment's total value AND at
  least ``winning_share`` of its product line's total value: a combination
  that weighs both for the segment and for the product line.  In the seed's
  table: segment 1 x product 1 (74 % of segment 1, 40 % of product 1),
  segment 2 x product 2, segment 4 x products 1 and 3; segment 3 x product 1 is
  all of segment 3 but only 10 % of product 1.
- **White space** (*combinaison à développer*): a cell (S, P) that S does not
  buy, while S buys at least one other product line (its *neighbours*: S is an
  active segment with a relation to build on) and at least one other segment
  buys P (P sells to that kind of business).  In the seed's table: segment 2 x
  product 1, segment 3 x products 2 and 3, segment 5 x products 1 and 2.
  Co-purchase evidence makes it more precise: for each neighbour Q, the number
  of customers (of any segment) who buy both Q and P in the period.  A high
  count says that buyers of what S already takes often take P too, so P is a
  natural next sale for S; 0 says the link is only by segment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.customer_totals import CustomerNeeds, Span, customer_totals
from clientfolio.i18n import N_
from clientfolio.periods import months_before

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "UNKNOWN",
    "MatrixCell",
    "MatrixConfig",
    "MatrixLayout",
    "SegmentProductMatrix",
    "WhiteSpace",
    "matrix_layout",
    "matrix_name",
    "segment_product",
    "segment_product_cells",
]

UNKNOWN = "(unknown)"
"""Row or column of the lines without segment or product line (a code: shown
by ``matrix_name``, in the reader's language)."""

UNKNOWN_NAME = N_("(not given)")
"""The English name of ``UNKNOWN``, a message of the catalogs (French in ``i18n/fr/library.po``)."""


def matrix_name(code: str, names: Mapping[str, str], gettext: Callable[[str], str]) -> str:
    """The name shown for the segment or product line ``code`` of the matrix:
    its name in ``names`` (as the store holds it), ``UNKNOWN``'s translated by
    ``gettext``, else the code itself."""
    if code == UNKNOWN:
        return gettext(UNKNOWN_NAME)
    return names.get(code, code)


class MatrixConfig(BaseModel):
    """Segment x product matrix settings."""

    model_config = ConfigDict(frozen=True)

    basis: Literal["revenue", "margin"] = Field(
        "revenue",
        description="What fills the cells: 'revenue' (net revenue excluding tax, default) or "
        "'margin' (gross margin; lines of unknown margin count 0).",
    )
    months: int = Field(
        12,
        ge=1,
        le=120,
        description="Length in months of the period ending at the as-of date (default 12: one "
        "year, as the seed does it once a year).",
    )
    winning_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="A cell is winning when it holds at least this share of its segment's value "
        "and at least this share of its product line's value (default 0.2 = 20 %).",
    )


@dataclass(frozen=True)
class MatrixCell:
    """A winning cell, with its shares of its row and of its column."""

    segment: str
    product: str
    value_cents: int
    segment_share: float  # value / segment total
    product_share: float  # value / product line total


@dataclass(frozen=True)
class WhiteSpace:
    """A combination to develop: ``segment`` does not buy ``product`` yet.

    ``neighbours`` are the other product lines the segment buys (in product
    order); ``co_buyers[i]`` is the number of customers, of any segment, who buy
    both ``neighbours[i]`` and ``product`` in the period.
    """

    segment: str
    product: str
    neighbours: tuple[str, ...]
    co_buyers: tuple[int, ...]

    @property
    def evidence(self) -> int:
        """The strongest co-purchase link (0 when none)."""
        return max(self.co_buyers, default=0)


@dataclass(frozen=True)
class SegmentProductMatrix:
    """The matrix: ``cells`` as an Ibis table, the rest fetched and small.

    ``grid[i][j]`` is the value of ``segments[i]`` x ``products[j]`` in cents (0
    when no line); totals in cents.
    """

    as_of: dt.date
    start: dt.date  # the period is (start, as_of]
    basis: str
    cells: ir.Table = field(compare=False, repr=False)
    segments: tuple[str, ...]
    products: tuple[str, ...]
    grid: tuple[tuple[int, ...], ...]
    row_totals: tuple[int, ...]
    column_totals: tuple[int, ...]
    total: int
    winning: tuple[MatrixCell, ...]
    white_spaces: tuple[WhiteSpace, ...]

    def value(self, segment: str, product: str) -> int:
        """The cell's value in cents (0 when the segment or product line is absent)."""
        if segment not in self.segments or product not in self.products:
            return 0
        return self.grid[self.segments.index(segment)][self.products.index(product)]

    def as_rows(self, total_label: str = "Total") -> list[dict[str, str | int]]:
        """The wide table for ``segment_product.csv``: one dict per segment with the
        keys ``segment``, each product line, ``total`` (values in cents), then the
        totals row labelled ``total_label``.  A product line named ``segment`` or
        ``total`` would collide with those keys."""
        rows: list[dict[str, str | int]] = []
        for name, values, row_total in zip(self.segments, self.grid, self.row_totals, strict=True):
            rows.append({"segment": name, **dict(zip(self.products, values, strict=True)), "total": row_total})
        rows.append(
            {"segment": total_label, **dict(zip(self.products, self.column_totals, strict=True)), "total": self.total}
        )
        return rows

    def as_dict(self) -> dict[str, Any]:
        """Everything but ``cells``, JSON-ready (amounts in cents)."""
        return {
            "as_of": self.as_of.isoformat(),
            "start": self.start.isoformat(),
            "basis": self.basis,
            "segments": list(self.segments),
            "products": list(self.products),
            "grid": [list(row) for row in self.grid],
            "row_totals": list(self.row_totals),
            "column_totals": list(self.column_totals),
            "total": self.total,
            "winning": [
                {
                    "segment": c.segment,
                    "product": c.product,
                    "value_cents": c.value_cents,
                    "segment_share": c.segment_share,
                    "product_share": c.product_share,
                }
                for c in self.winning
            ],
            "white_spaces": [
                {
                    "segment": w.segment,
                    "product": w.product,
                    "neighbours": list(w.neighbours),
                    "co_buyers": list(w.co_buyers),
                }
                for w in self.white_spaces
            ],
        }


def _label(column: ir.StringValue) -> ir.StringValue:
    import ibis

    return ibis.ifelse(column.isnull() | (column.strip() == ""), UNKNOWN, column)


def _order(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(names - {UNKNOWN})) + ((UNKNOWN,) if UNKNOWN in names else ())


def segment_product_cells(transactions: ir.Table, *, as_of: dt.date, config: MatrixConfig | None = None) -> ir.Table:
    """The matrix in long format.

    Takes the transactions table (``date, amount_cents, margin_cents, segment,
    product``); gives one row per (segment, product line) with lines in the
    period::

        segment        string  segment, or "(unknown)"
        product        string  product line, or "(unknown)"
        value_cents    int64   net revenue or margin (config.basis)
        revenue_cents  int64   net revenue (decides "bought")
    """
    import ibis

    config = config or MatrixConfig()
    start = months_before(as_of, config.months)
    t = transactions.filter(
        (transactions.date > ibis.literal(start, "date")) & (transactions.date <= ibis.literal(as_of, "date"))
    )
    value = t.amount_cents if config.basis == "revenue" else t.margin_cents.fill_null(0)
    # summed by the names as written, then labelled (blank -> "(unknown)") and summed again:
    # the labels are computed on a few rows, not on every line
    raw = t.group_by(["segment", "product"]).aggregate(value=value.sum(), revenue=t.amount_cents.sum())
    labelled = raw.select(
        segment=_label(raw.segment), product=_label(raw.product), value=raw.value, revenue=raw.revenue
    )
    return labelled.group_by(["segment", "product"]).aggregate(
        value_cents=labelled.value.sum().cast("int64"),
        revenue_cents=labelled.revenue.sum().cast("int64"),
    )


@dataclass(frozen=True)
class MatrixLayout:
    """The matrix before its co-purchases: ``matrix`` has everything but its
    white spaces, of which ``candidates`` are known and ``pairs`` of product
    lines need their co-buyers counted (``segment_product`` counts them with a
    pass of its own; ``analyze`` with its per-customer pass, ``needs``)."""

    matrix: SegmentProductMatrix  # white_spaces empty
    candidates: tuple[tuple[str, str, tuple[str, ...]], ...]  # (segment, product line, neighbours)
    pairs: tuple[tuple[str, str], ...]  # (neighbour, product line), sorted

    @property
    def involved(self) -> tuple[str, ...]:
        """The product lines of the pairs, sorted."""
        return tuple(sorted({name for pair in self.pairs for name in pair}))

    def needs(self) -> CustomerNeeds:
        """Each involved product line's net revenue of the period, per customer
        (``customer_totals``; columns ``bought_0`` ... in ``involved`` order)."""
        return CustomerNeeds(
            spans={
                f"bought_{i}": Span(self.matrix.start, self.matrix.as_of, "amount_cents", product=name)
                for i, name in enumerate(self.involved)
            }
        )

    def finish(self, totals: ir.Table | None) -> SegmentProductMatrix:
        """The matrix, its co-buyers counted on ``totals`` (one row per customer,
        with the ``needs`` columns; None when there are no pairs): one query
        when there are pairs."""
        import ibis

        column = {name: f"bought_{i}" for i, name in enumerate(self.involved)}
        counts: dict[tuple[str, str], int] = {}
        if self.pairs:
            if totals is None:
                raise ValueError("the co-purchases need the customers' totals")
            row = (
                totals.aggregate(
                    **{
                        f"pair{k}": ibis.ifelse((totals[column[q]] > 0) & (totals[column[p]] > 0), 1, 0).sum()
                        for k, (q, p) in enumerate(self.pairs)
                    }
                )
                .to_pyarrow()
                .to_pylist()[0]
            )
            counts = {pair: int(row[f"pair{k}"] or 0) for k, pair in enumerate(self.pairs)}
        return replace(
            self.matrix,
            white_spaces=tuple(
                WhiteSpace(s, p, neighbours, tuple(counts.get((q, p), 0) for q in neighbours))
                for s, p, neighbours in self.candidates
            ),
        )


def matrix_layout(transactions: ir.Table, *, as_of: dt.date, config: MatrixConfig | None = None) -> MatrixLayout:
    """The cells of ``segment_product_cells`` fetched (one query) and laid out
    by the rules of the module docstring, the co-purchases still to count.

    Takes the transactions table (``date, amount_cents, margin_cents,
    segment, product``)."""
    config = config or MatrixConfig()
    start = months_before(as_of, config.months)
    cells = segment_product_cells(transactions, as_of=as_of, config=config)
    fetched = cells.to_pyarrow().to_pylist()
    values = {(r["segment"], r["product"]): int(r["value_cents"]) for r in fetched}
    revenue = {(r["segment"], r["product"]): int(r["revenue_cents"]) for r in fetched}
    segments = _order({s for s, _ in values})
    products = _order({p for _, p in values})
    grid = tuple(tuple(values.get((s, p), 0) for p in products) for s in segments)
    row_totals = tuple(sum(row) for row in grid)
    column_totals = tuple(sum(column) for column in zip(*grid, strict=True)) if grid else ()

    share = Fraction(str(config.winning_share))
    winning: list[MatrixCell] = []
    for i, s in enumerate(segments):
        for j, p in enumerate(products):
            v, row, col = grid[i][j], row_totals[i], column_totals[j]
            if UNKNOWN in (s, p) or v <= 0 or row <= 0 or col <= 0:
                continue
            if Fraction(v, row) >= share and Fraction(v, col) >= share:
                winning.append(MatrixCell(s, p, v, v / row, v / col))

    known_segments = [s for s in segments if s != UNKNOWN]
    known_products = [p for p in products if p != UNKNOWN]

    def buys(s: str, p: str) -> bool:
        return revenue.get((s, p), 0) > 0

    candidates = [
        (s, p, tuple(q for q in known_products if q != p and buys(s, q)))
        for s in known_segments
        for p in known_products
        if not buys(s, p) and any(buys(o, p) for o in known_segments if o != s)
    ]
    candidates = [(s, p, neighbours) for s, p, neighbours in candidates if neighbours]
    matrix = SegmentProductMatrix(
        as_of=as_of,
        start=start,
        basis=config.basis,
        cells=cells,
        segments=segments,
        products=products,
        grid=grid,
        row_totals=row_totals,
        column_totals=column_totals,
        total=sum(row_totals),
        winning=tuple(winning),
        white_spaces=(),
    )
    return MatrixLayout(
        matrix=matrix,
        candidates=tuple(candidates),
        pairs=tuple(sorted({(q, p) for _, p, neighbours in candidates for q in neighbours})),
    )


def segment_product(
    transactions: ir.Table, *, as_of: dt.date, config: MatrixConfig | None = None
) -> SegmentProductMatrix:
    """The segment x product matrix of the period ending at ``as_of``.

    Takes the transactions table (``customer_id, date, amount_cents,
    margin_cents, segment, product``).  Gives a ``SegmentProductMatrix`` whose
    ``cells`` is the long table of ``segment_product_cells`` (``segment,
    product, value_cents, revenue_cents``) and whose other fields are fetched:
    the ordered segments and product lines, the grid with its totals, the
    winning cells and the white spaces (rules in the module docstring).  Runs
    one query, and, when there are white spaces, a pass per customer over the
    period's lines of the product lines involved for their co-purchases
    (``analyze`` folds that pass into its own: ``matrix_layout``).
    """
    import ibis

    layout = matrix_layout(transactions, as_of=as_of, config=config)
    if not layout.pairs:
        return layout.finish(None)
    t = transactions.filter(
        (transactions.date > ibis.literal(layout.matrix.start, "date")) & transactions.product.isin(layout.involved)
    )
    return layout.finish(customer_totals(t, as_of=as_of, needs=[layout.needs()]))
