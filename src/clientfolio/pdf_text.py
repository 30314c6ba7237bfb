"""The PDFs' page and text (the annual report, the evidence pack): A4 pages
written with the Open Sans font that ``ttf_opensans`` ships, which lacks a
few characters."""

from __future__ import annotations

from functools import cache

from fpdf import FPDF
from ttf_opensans import OPENSANS_BOLD, OPENSANS_REGULAR

__all__ = ["FAMILY", "A4Document", "pdf_safe"]

FAMILY = "Open Sans"


class A4Document(FPDF):
    """An A4 portrait document in mm with Open Sans (regular and bold), 15 mm
    margins and page breaks, and the text of its footer (``footer_text``)."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(FAMILY, "", str(OPENSANS_REGULAR.path))
        self.add_font(FAMILY, "B", str(OPENSANS_BOLD.path))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)


@cache
def _supported() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(OPENSANS_REGULAR.path)) as font:
        return frozenset(font.getBestCmap())


def pdf_safe(text: str) -> str:
    """``text`` with the characters the font lacks replaced by ``?`` (the
    narrow no-break space of French numbers by a no-break space)."""
    text = text.replace("\u202f", "\u00a0")
    known = _supported()
    return "".join(c if ord(c) in known or c in "\n\t" else "?" for c in text)
