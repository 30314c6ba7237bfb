"""What the CLI prints fits the terminal, words and French amounts whole.

Rich breaks a line at any Unicode space, the no-break spaces of French amounts
included ("4" at a line's end, "454 354 €" below; Textualize/rich#4196), and narrows
a table too wide for the terminal by cutting its widest columns, mid-word
("renouvelle/ment", "orientatio/n"). :func:`fitting` puts a render hook on a console
that lays out what it prints at ASCII spaces only; :func:`keep_no_break_spaces` makes
Rich's own wrapping (typer's help, the cells of a table that fits) keep them too, and
:func:`glued` gives French's spaces before ":" or "%" their no-break space.
"""

from __future__ import annotations

import re
import textwrap
import weakref
from collections.abc import Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleRenderable, RenderableType, RenderHook
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

__all__ = ["fitting", "glued", "keep_no_break_spaces"]

_GLUED = re.compile(r" (?=[:;!?%»])|(?<=«) ")
"""The ASCII spaces no line breaks at: French's before a two-part punctuation mark or a
percent sign, and after an opening guillemet (no line starts with ":" or "%")."""

_LAYOUT_ROWS = 50
"""The rows a table too wide is laid out on (its first ones): the widths of a long listing are set in
a few milliseconds (0.1 s at most, 10 columns of long texts on a terminal of 200), the rows after it
wrapped at the same widths."""


_HEADER_LINES = 2
"""The lines a column's header is given first, when the table has room for them all
("Dans le" / "plan", not "Dans" / "le" / "plan")."""


class _FitToWidth(RenderHook):
    """What is printed on a console fits its width.

    - A table: a word too long for its column is folded onto the next line, never
      cut ("Prosp…" for three stages of the funnel); a table wider than the console
      loses its rules and the padding of its cells (a space between columns), then,
      when it is still too wide, its columns are given widths that keep every word
      and every amount whole (:func:`_whole_word_widths`), where there is room for
      them; only where there is not does Rich fold them.
    - A text, alone or in a panel: wrapped at ASCII spaces only, so that an amount
      in French ("4 454 354 €", no-break spaces) stays on one line."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        width = self.console.width
        fitted: list[ConsoleRenderable] = []
        for renderable in renderables:
            if isinstance(renderable, Table):
                for column in renderable.columns:
                    column.overflow = "fold"
                unbounded = self.console.options.update(max_width=10_000)  # as wide as its texts ask
                if Measurement.get(self.console, unbounded, renderable).maximum > width:
                    renderable.box, renderable.padding = box.SIMPLE_HEAD, (0, 0)
                    renderable.show_edge = renderable.pad_edge = False
                    if Measurement.get(self.console, unbounded, renderable).maximum > width:
                        self._lay_out(renderable, width)
            elif isinstance(renderable, Panel) and isinstance(renderable.renderable, str | Text):
                _, right, _, left = Padding.unpack(renderable.padding)
                inside = (renderable.width or width) - 2 - left - right  # less its borders and padding
                text = renderable.renderable
                text = self.console.render_str(text) if isinstance(text, str) else text  # as the panel would
                renderable.renderable = _unbroken(text, max(20, inside))
            elif isinstance(renderable, Text):  # a str printed (its markup read)
                renderable = _unbroken(renderable, max(20, width))
            fitted.append(renderable)
        return fitted

    def _lay_out(self, table: Table, width: int) -> None:
        """Give the columns of ``table`` (compacted, still wider than ``width``)
        widths that keep its words whole, and wrap its texts at ASCII spaces to
        them; leave it to Rich when a text is not plain or the words do not fit."""
        texts: list[list[Text]] = []
        for column in table.columns:
            cells: list[RenderableType] = [column.header, *column.cells] if table.show_header else [*column.cells]
            if table.show_footer:
                cells.append(column.footer)
            column_texts = [self._text(table, cell) for cell in cells if isinstance(cell, str | Text)]
            if column.width is not None or len(column_texts) < len(cells):
                return
            texts.append(column_texts)
        plain = [[text.plain for text in column[:_LAYOUT_ROWS]] for column in texts]
        widths = _whole_word_widths(plain, width - table._extra_width, headed=table.show_header)
        if widths is None:
            return
        for column, column_texts, column_width in zip(table.columns, texts, widths, strict=True):
            column.width = column_width
            wrapped = [_unbroken(text, column_width) for text in column_texts]
            if table.show_footer:
                column.footer = wrapped.pop()
            if table.show_header:
                column.header = wrapped.pop(0)
            rows: list[RenderableType] = [*wrapped]
            column._cells = rows

    def _text(self, table: Table, cell: str | Text) -> Text:
        """``cell`` as the table would render it (a str's markup read, not highlighted)."""
        return self.console.render_str(cell, highlight=table.highlight) if isinstance(cell, str) else cell


def _whole_word_widths(columns: Sequence[Sequence[str]], room: int, *, headed: bool) -> list[int] | None:
    """Widths for ``columns`` (the texts of each column, header first, the same rows
    in each) that sum to at most ``room`` and are each at least the column's longest
    word (split at ASCII spaces, but those of ``_GLUED``, and line ends: an amount with
    no-break spaces is one word, "20 %" another); each header then gets two lines at
    most (``_HEADER_LINES``), the cheapest first, where there is room; the room left
    over goes, a column at a time, where it makes the table the shortest per column of
    width (a row is as tall as its tallest cell), else where it saves the column the
    most lines.  When the words of the headers (``headed``: the first text of each
    column) do not fit, those of the rows do: a header's long word is folded, the
    figures below it stay whole.  None when even these do not fit in ``room``."""
    words = [
        [[[cell_len(w) for w in glued(line).split(" ")] for line in text.split("\n")] for text in col]
        for col in columns
    ]
    for first in (0, 1) if headed else (0,):  # the headers' words, then (when they do not fit) the rows' only
        # at least 1: a column whose rows are all empty, its header's words left out, still takes a character
        widths = [
            max((n for text in column[first:] for line in text for n in line), default=1) or 1 for column in words
        ]
        if sum(widths) <= room:
            break
    else:
        return None
    longest = [max((_line_len(line) for text in column for line in text), default=1) for column in words]
    if headed and first == 0:  # a header on two lines at most, the cheapest first, where there is room
        two = [_narrowest(column[0], widths[i], longest[i], _HEADER_LINES) for i, column in enumerate(words)]
        for i in sorted(range(len(words)), key=lambda i: two[i] - widths[i]):
            if sum(widths) + two[i] - widths[i] <= room:
                widths[i] = two[i]
    counted: dict[tuple[int, int], tuple[list[int], int]] = {}

    def lines(i: int, width: int) -> tuple[list[int], int]:
        """The lines of each text of column ``i`` at ``width``, and their sum."""
        if (i, width) not in counted:
            each = [_lines(text, width) for text in words[i]]
            counted[i, width] = (each, sum(each))
        return counted[i, width]

    spare = room - sum(widths)
    while spare > 0:
        now = [lines(i, width) for i, width in enumerate(widths)]
        # per row, the column that alone makes it as tall as it is, and the height without it
        alone: list[list[tuple[int, int, int]]] = [[] for _ in widths]
        for r, heights in enumerate(zip(*(each for each, _ in now), strict=True)):
            ranked = sorted(range(len(heights)), key=heights.__getitem__, reverse=True)
            if len(ranked) == 1 or heights[ranked[0]] > heights[ranked[1]]:
                alone[ranked[0]].append((r, heights[ranked[0]], heights[ranked[1]] if len(ranked) > 1 else 0))
        best: tuple[float, float, int, int] | None = None  # (table lines saved, column lines saved: per width; ...)
        for i, (_, total) in enumerate(now):
            last = total
            for wider in range(widths[i] + 1, min(longest[i], widths[i] + spare) + 1):
                there, fewer = lines(i, wider)
                if fewer == last:
                    continue  # no line saved at this width: a wider one may
                last, cost = fewer, wider - widths[i]
                table = sum(height - max(without, there[r]) for r, height, without in alone[i])
                gain = (table / cost, (total - fewer) / cost, i, wider)
                if best is None or gain[:2] > best[:2]:
                    best = gain
        if best is None:
            break
        _, _, i, wider = best
        spare -= wider - widths[i]
        widths[i] = wider
    return widths


def _narrowest(text: list[list[int]], start: int, stop: int, lines: int) -> int:
    """The narrowest width from ``start`` to ``stop`` at which ``text`` takes ``lines`` lines at most."""
    return next((width for width in range(start, stop) if _lines(text, width) <= lines), max(start, stop))


def _line_len(line: list[int]) -> int:
    """The width of a line of words of these widths, one space between them."""
    return sum(line) + len(line) - 1


def _lines(text: list[list[int]], width: int) -> int:
    """How many lines a text (its lines' word widths) takes at ``width``, wrapped at
    its spaces, a word longer than ``width`` folded on lines of its own."""
    count = 0
    for line in text:
        used = -1
        count += 1
        for length in line:
            if used >= 0 and used + 1 + length > width:
                count += 1
                used = -1
            if length > width:  # folded: whole lines, then the rest
                count += (length - 1) // width
                used = (length - 1) % width + 1
            else:
                used += 1 + length
    return count


def glued(plain: str) -> str:
    """``plain`` with the spaces of ``_GLUED`` made no-break (as long: positions kept)."""
    return _GLUED.sub("\u00a0", plain)


_NO_BREAK = "\u00a0\u2007\u202f"
_RICH_WORD = re.compile(rf"[^\S{_NO_BREAK}]*[\S{_NO_BREAK}]+[^\S{_NO_BREAK}]*")
"""Rich's word (``rich._wrap.re_word``, ``\\s*\\S+\\s*``) with the no-break spaces (no-break,
figure and narrow no-break) inside words rather than between them."""


def keep_no_break_spaces() -> None:
    """Make Rich wrap lines at breaking spaces only, for the rest of this process (the
    command's run): its word pattern is a module attribute read at each wrap."""
    import rich._wrap

    rich._wrap.re_word = _RICH_WORD


def _unbroken(text: Text, width: int) -> Text:
    """``text`` with its lines longer than ``width`` wrapped at ASCII spaces only
    (not at a no-break space, nor before French's ":" or "%": ``_GLUED``; a long
    word left whole), its styles kept."""
    lines = []
    for line in text.split("\n", allow_blank=True):
        plain, cuts, at = glued(line.plain), [], 0
        if len(plain) > width:
            for piece in textwrap.wrap(plain, width, break_long_words=False, break_on_hyphens=False, expand_tabs=False):
                at = plain.index(piece, at)
                cuts.append(at)
                at += len(piece)
        for part in line.divide(cuts[1:]):
            part.rstrip()
            lines.append(part)
    joined = Text("\n").join(lines)
    joined.justify, joined.overflow, joined.no_wrap = text.justify, text.overflow, text.no_wrap
    return joined


_FITTED: weakref.WeakSet[Console] = weakref.WeakSet()


def fitting(console: Console) -> Console:
    """``console``, what it prints fitted to its width (``_FitToWidth``, once per console)."""
    if console not in _FITTED:
        console.push_render_hook(_FitToWidth(console))
        _FITTED.add(console)
    return console
