"""A demo portfolio: a fictitious French B2B SME's customers, sales and prospects,
and its sales ledger as a French FEC file."""

from clientfolio.demo.fec import write_fec
from clientfolio.demo.generate import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo", "write_fec"]
