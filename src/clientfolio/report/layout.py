"""The review's layout: titled sections of key figures, tables and charts.

``Report`` is what the three renderers share: texts already in the chosen
language, figures kept as numbers with a ``kind`` telling how to show them
(``money`` in cents, ``euros`` in cents shown in whole euros, ``int``, ``num`` with one decimal, ``pct`` a share,
``date``, ``text``; ``row``: each cell is a ``(value, kind)`` pair), so the HTML and PDF format them with the language's
``Formatter`` and the XLSX writes them as numbers with a number format.
``format_value`` is that formatting.

Customer and prospect names pass through ``mark`` (the export's fingerprint,
``clientfolio.protect.fingerprint.mark_text`` with the export's key) wherever
they appear, free texts included; the codes of the customers named are
collected in ``Report.named``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clientfolio.i18n import Formatter, formatter, gettext_for

__all__ = ["Figure", "Report", "Section", "Table", "Namer", "format_value"]


@dataclass(frozen=True)
class Table:
    """A table: its caption, column headers, the kind of each column, rows of raw values."""

    caption: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Figure:
    """A key figure: its label, raw value and kind."""

    label: str
    value: Any
    kind: str


@dataclass(frozen=True)
class Section:
    """A section of the review; ``charts`` are SVG strings; ``notes`` short paragraphs."""

    key: str
    title: str
    notes: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """The review in one language, ready to render."""

    lang: str
    title: str
    subtitle: str
    as_of: dt.date
    headline: tuple[Figure, ...]
    sections: tuple[Section, ...]
    named: frozenset[str]
    labels: dict[str, str] = field(default_factory=dict)


def format_value(value: Any, kind: str, fmt: Formatter) -> str:
    """``value`` of ``kind`` as text in ``fmt``'s language (``-`` for None)."""
    if kind == "row":
        value, kind = value
    if value is None:
        return "-"
    if kind == "money":
        return fmt.money(value)
    if kind == "euros":
        return fmt.money(value, decimals=False)
    if kind == "int":
        return fmt.number(value)
    if kind == "num":
        return fmt.number(value, 1)
    if kind == "pct":
        return fmt.percent(value, 1)
    if kind == "date":
        return fmt.date(value)
    return str(value)


class Namer:
    """Marks names (``mark``) and remembers which customers were named."""

    def __init__(self, mark: Callable[[str], str], names: dict[str, str], prospects: dict[str, str]) -> None:
        self._mark = mark
        self._names = names
        self._prospects = prospects
        self.named: set[str] = set()

    def customer(self, code: str | None, name: str | None = None) -> str:
        """The marked name of customer ``code`` (its code when it has no name)."""
        if code is not None:
            self.named.add(code)
        text = name or (self._names.get(code, "") if code else "") or (code or "")
        return self._mark(text)

    def prospect(self, name: str) -> str:
        return self._mark(name)

    def text(self, text: str) -> str:
        """``text`` with every customer or prospect name in it marked."""
        for code, name in self._names.items():
            if name and name in text:
                self.named.add(code)
                text = text.replace(name, self._mark(name))
        for name in self._prospects.values():
            if name and name in text:
                text = text.replace(name, self._mark(name))
        return text


def translator(lang: str) -> tuple[Callable[[str], str], Formatter]:
    """``_`` and the formatter of ``lang``."""
    return gettext_for(lang), formatter(lang)


def money_axis(fmt: Formatter) -> Callable[[float], str]:
    """Euros without cents, for chart labels, from cents."""
    return lambda cents: fmt.money(cents, decimals=False)


def table(caption: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> Table:
    """A ``Table`` from (header, kind) pairs and rows."""
    return Table(caption, tuple(c for c, _ in columns), tuple(k for _, k in columns), tuple(tuple(r) for r in rows))
