"""A demo portfolio: a fictitious French B2B SME's customers, sales and prospects,
and its sales ledger as a French FEC file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.demo.fec import write_fec
    from clientfolio.demo.generate import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo", "write_fec"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.demo.fec": ("write_fec",),
        "clientfolio.demo.generate": (
            "DemoSummary",
            "generate_demo",
        ),
    },
)
