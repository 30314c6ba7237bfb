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
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from clientfolio.analytics.abc import AbcConfig, abc_needs, abc_of_totals, abc_summary
from clientfolio.analytics.customer_totals import customer_totals, settle_purchases
from clientfolio.analytics.matrix import MatrixConfig, SegmentProductMatrix, matrix_layout
from clientfolio.analytics.measures import Measures, MeasuresConfig, measures_needs, measures_of_totals
from clientfolio.analytics.rfm import RfmConfig, rfm_needs, rfm_of_totals

__all__ = ["Analysis", "AnalyticsConfig", "analyze", "latest_date"]


class AnalyticsConfig(BaseModel):
    """Every threshold and rule of the analysis, with its documented default."""

    model_config = ConfigDict(frozen=True)

    measures: MeasuresConfig = Field(default_factory=MeasuresConfig, description="Portfolio measures.")
    abc: AbcConfig = Field(default_factory=AbcConfig, description="ABC classes.")
    rfm: RfmConfig = Field(default_factory=RfmConfig, description="RFM purchase patterns.")
    matrix: MatrixConfig = Field(default_factory=MatrixConfig, description="Segment x product matrix.")


@dataclass(frozen=True)
class Analysis:
    """Results of ``analyze``, fetched from the engine."""

    as_of: dt.date
    measures: Measures
    abc: pa.Table
    abc_summary: pa.Table
    rfm: pa.Table
    matrix: SegmentProductMatrix

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


def analyze(transactions: ir.Table, *, as_of: dt.date, config: AnalyticsConfig | None = None) -> Analysis:
    """Run every analysis on ``transactions`` (see ``analytics.transactions``)
    as of ``as_of`` and fetch the results."""
    config = config or AnalyticsConfig()
    # the matrix's cells first: the product lines whose co-buyers its white spaces need
    layout = matrix_layout(transactions, as_of=as_of, config=config.matrix)
    needs = [
        measures_needs(as_of, config=config.measures),
        abc_needs(as_of, config.abc),
        rfm_needs(as_of, config.rfm),
        layout.needs(),
    ]
    # one pass over the lines for the four, cached in the engine (one row per customer)
    with customer_totals(transactions, as_of=as_of, needs=needs).cache() as cached:
        totals = settle_purchases(transactions, cached, as_of=as_of, needs=needs)
        classes = abc_of_totals(totals, as_of=as_of, config=config.abc).to_pyarrow()
        return Analysis(
            as_of=as_of,
            measures=measures_of_totals(totals, as_of=as_of, config=config.measures),
            abc=classes,
            # summed from the fetched classes (one row per customer), not by running them again
            abc_summary=abc_summary(ibis.memtable(classes)).to_pyarrow(),
            rfm=rfm_of_totals(totals, as_of=as_of, config=config.rfm).order_by("customer_id").to_pyarrow(),
            matrix=layout.finish(cached),
        )
