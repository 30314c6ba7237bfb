"""Text for the PDFs (the annual report, the evidence pack): written with the
Open Sans font that ``ttf_opensans`` ships, which lacks a few characters."""

from __future__ import annotations

from functools import cache

__all__ = ["pdf_safe"]


@cache
def _supported() -> frozenset[int]:
    from fontTools.ttLib import TTFont
    from ttf_opensans import OPENSANS_REGULAR

    with TTFont(str(OPENSANS_REGULAR.path)) as font:
        return frozenset(font.getBestCmap())


def pdf_safe(text: str) -> str:
    """``text`` with the characters the font lacks replaced by ``?`` (the
    narrow no-break space of French numbers by a no-break space)."""
    text = text.replace("\u202f", "\u00a0")
    known = _supported()
    return "".join(c if ord(c) in known or c in "\n\t" else "?" for c in text)
