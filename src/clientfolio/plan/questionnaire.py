"""The team's own marks (the questionnaire of the self-assessment).

Several members of the team answer: each gives a mark **out of 20** to each
theme (the same scale as the fact marks, so the gap reads directly), or skips
it.  A file of answers is TOML or JSON, one table per respondent::

    [alice]
    portfolio = 14
    loyalty = 12.5

    [bob]
    portfolio = 9
    follow_up = 11

The themes are those of ``plan.assessment.THEMES``.  A theme's team mark is
the mean of its respondents' marks.
"""

from __future__ import annotations

import json
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clientfolio.errors import ClientfolioError, os_reason
from clientfolio.plan.assessment import THEMES

__all__ = ["Answer", "answers_from", "load_answers", "merge_answers", "team_marks"]


@dataclass(frozen=True)
class Answer:
    """One respondent's mark (0-20) for one theme."""

    respondent: str
    theme: str
    mark: float


def answers_from(data: Mapping[str, Any], source: str = "answers") -> list[Answer]:
    """Answers from ``{respondent: {theme: mark}}``; raises ``ClientfolioError``
    naming the first bad respondent, theme or mark."""
    answers = []
    for respondent, marks in data.items():
        name = str(respondent).strip()
        if not name or not isinstance(marks, Mapping):
            raise ClientfolioError(
                "{source}: {respondent!r} must be a table of theme = mark",
                source=str(source),
                respondent=str(respondent),
            )
        for theme, mark in marks.items():
            if theme not in THEMES:
                raise ClientfolioError(
                    "{source}: {name}: unknown theme {theme!r}; use {themes}",
                    source=str(source),
                    name=str(name),
                    theme=str(theme),
                    themes=", ".join(THEMES),
                )
            if isinstance(mark, bool) or not isinstance(mark, int | float) or not 0 <= mark <= 20:
                raise ClientfolioError(
                    "{source}: {name}: {theme} = {mark} is not a mark from 0 to 20",
                    source=str(source),
                    name=str(name),
                    theme=str(theme),
                    mark=repr(mark),
                )
            answers.append(Answer(name, theme, float(mark)))
    return answers


def load_answers(path: Path) -> list[Answer]:
    """Read a TOML or JSON file of answers (by its content: JSON starts with ``{``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClientfolioError("cannot read {path}: {why_msg}", path=str(path), why_msg=os_reason(exc)) from None
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ClientfolioError("{file}: not valid TOML or JSON ({reason})", file=path.name, reason=str(exc)) from None
    return answers_from(data, path.name)


def merge_answers(old: Iterable[Answer], new: Iterable[Answer]) -> list[Answer]:
    """``old`` with ``new`` added, a respondent's new mark for a theme replacing the old one."""
    merged = {(a.respondent, a.theme): a for a in old}
    merged.update({(a.respondent, a.theme): a for a in new})
    return sorted(merged.values(), key=lambda a: (a.respondent, THEMES.index(a.theme)))


def team_marks(answers: Iterable[Answer]) -> dict[str, list[float]]:
    """The marks given to each theme, by theme."""
    marks: dict[str, list[float]] = defaultdict(list)
    for a in answers:
        marks[a.theme].append(a.mark)
    return dict(marks)
