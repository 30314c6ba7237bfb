"""The full portfolio analysis: measures, ABC, RFM and the segment x product
matrix, computed on one transactions table and fetched as small results.
The measures, ABC, RFM and the matrix's co-purchases start from one pass
over the lines (``customer_totals``, cached in the engine); the matrix's
cells are one query of their own.

``analyze`` is what the shells call (``clientfolio analyze``, the web app, the
report); each part is also a pure function of its own module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.abc import AbcConfig, abc_needs, abc_of_totals, abc_summary
from clientfolio.analytics.customer_totals import customer_totals, settle_purchases
from clientfolio.analytics.matrix import MatrixConfig, MatrixLayout, SegmentProductMatrix, matrix_layout
from clientfolio.analytics.measures import Measures, MeasuresConfig, measures_needs, measures_of_totals
from clientfolio.analytics.rfm import RfmConfig, rfm_needs, rfm_of_totals

__all__ = ["Analysis", "AnalyticsConfig", "Overview", "analyze", "latest_date", "overview"]


class AnalyticsConfig(BaseModel):
    """Every threshold and rule of the analysis, with its documented default."""

    model_config = ConfigDict(frozen=True)

    measures: MeasuresConfig = Field(default_factory=MeasuresConfig, description="Portfolio measures.")
    abc: AbcConfig = Field(default_factory=AbcConfig, description="ABC classes.")
    rfm: RfmConfig = Field(default_factory=RfmConfig, description="RFM purchase patterns.")
    matrix: MatrixConfig = Field(default_factory=MatrixConfig, description="Segment x product matrix.")


@dataclass(frozen=True)
class Overview:
    """What ``clientfolio analyze`` shows (``overview``): the results of the
    analysis without its per-customer rows."""

    as_of: dt.date
    measures: Measures
    abc_summary: pa.Table
    rfm_profiles: dict[str, int]
    """Customers per RFM profile, the most common first."""
    matrix: SegmentProductMatrix


@dataclass(frozen=True)
class Analysis(Overview):
    """Results of ``analyze``, fetched from the engine: the overview and the
    per-customer rows (``abc`` classes, ``rfm`` patterns by customer code)."""

    abc: pa.Table
    rfm: pa.Table

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "measures": self.measures.as_dict(),
            "abc_summary": self.abc_summary.to_pylist(),
            "abc": self.abc.to_pylist(),
            "rfm": self.rfm.to_pylist(),
            "segment_product": self.matrix.as_dict(),
        }


def latest_date(transactions: ir.Table) -> dt.date | None:
    """The date of the last transaction (the default as-of date)."""
    value = transactions.date.max().to_pyarrow().as_py()
    if isinstance(value, dt.datetime):
        return value.date()
    day: dt.date | None = value
    return day


@contextmanager
def _customer_totals(
    transactions: ir.Table, as_of: dt.date, config: AnalyticsConfig
) -> Iterator[tuple[MatrixLayout, ir.Table, ir.Table]]:
    """The matrix's layout, and the customer totals of the four analyses (one
    pass over the lines, cached in the engine) before and after the purchases'
    settlement (``customer_totals``)."""
    # the matrix's cells first: the product lines whose co-buyers its white spaces need
    layout = matrix_layout(transactions, as_of=as_of, config=config.matrix)
    needs = [
        measures_needs(as_of, config=config.measures),
        abc_needs(as_of, config.abc),
        rfm_needs(as_of, config.rfm),
        layout.needs(),
    ]
    with customer_totals(transactions, as_of=as_of, needs=needs).cache() as cached:
        yield layout, cached, settle_purchases(transactions, cached, as_of=as_of, needs=needs)


def _most_common(counts: dict[str, int]) -> dict[str, int]:
    """``counts`` the largest first (then by name)."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def analyze(transactions: ir.Table, *, as_of: dt.date, config: AnalyticsConfig | None = None) -> Analysis:
    """Run every analysis on ``transactions`` (see ``analytics.transactions``)
    as of ``as_of`` and fetch the results, the per-customer rows included."""
    config = config or AnalyticsConfig()
    with _customer_totals(transactions, as_of, config) as (layout, cached, totals):
        classes = abc_of_totals(totals, as_of=as_of, config=config.abc).to_pyarrow()
        rfm = rfm_of_totals(totals, as_of=as_of, config=config.rfm).order_by("customer_id").to_pyarrow()
        return Analysis(
            as_of=as_of,
            measures=measures_of_totals(totals, as_of=as_of, config=config.measures),
            # summed from the fetched classes (one row per customer), not by running them again
            abc_summary=abc_summary(ibis.memtable(classes)).to_pyarrow(),
            rfm_profiles=_most_common(
                {c["values"]: c["counts"] for c in rfm.column("profile").value_counts().to_pylist()}
            ),
            matrix=layout.finish(cached),
            abc=classes,
            rfm=rfm,
        )


def overview(transactions: ir.Table, *, as_of: dt.date, config: AnalyticsConfig | None = None) -> Overview:
    """``analyze`` without fetching the per-customer rows: the ABC summary and
    the customers per RFM profile are counted in the engine (at 10M lines,
    fetching and sorting 500,000 RFM rows is a tenth of the command)."""
    config = config or AnalyticsConfig()
    with _customer_totals(transactions, as_of, config) as (layout, cached, totals):
        patterns = rfm_of_totals(totals, as_of=as_of, config=config.rfm)
        profiles = patterns.group_by("profile").aggregate(customers=patterns.count()).to_pyarrow().to_pylist()
        return Overview(
            as_of=as_of,
            measures=measures_of_totals(totals, as_of=as_of, config=config.measures),
            abc_summary=abc_summary(abc_of_totals(totals, as_of=as_of, config=config.abc)).to_pyarrow(),
            rfm_profiles=_most_common({p["profile"]: p["customers"] for p in profiles}),
            matrix=layout.finish(cached),
        )
