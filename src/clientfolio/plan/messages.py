"""The plan's library texts stored as message keys: an accepted suggestion's
title and reason, a suggested SWOT item's text are stored with their English
template (``*_msg``) and its parameters (``params``, JSON), and shown in the
reader's language (``shown``); a text the user wrote has no template and is
shown as written.

``match`` is the way back from an English sentence the earlier versions
stored to its template and parameters (migration ``0013``): the sentence is
matched against each template (its ``{fields}`` as the holes), and each field
read back by its name, as ``clientfolio.i18n.render`` shows it: ``*_cents``
from whole euros (``12 345 €``, ``i18n.euros``), ``*_share`` from a
percentage (``26%``, ``26.3%``), ``*_msg`` as the English message (a code of
``aliases`` as its English name), the counts of ``INT_FIELDS`` and the
figures of ``FLOAT_FIELDS`` as numbers, others as strings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from clientfolio.i18n import Params, localized

__all__ = ["FLOAT_FIELDS", "INT_FIELDS", "dump_params", "load_params", "match", "shown"]

INT_FIELDS = frozenset({"buyers", "days", "customers", "prospects", "members"})
"""Fields of the plan's templates that are counts."""
FLOAT_FIELDS = frozenset({"ipa", "ipo", "years", "mark", "value"})
"""Fields of the plan's templates that are figures with decimals."""

_FIELD = re.compile(r"\{(\w+)\}")


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    last = 0
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        last = m.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def _euros_cents(text: str) -> int:
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "").removesuffix("€")
    if cleaned == "-":
        return 0
    return round(float(cleaned) * 100)


def _field(name: str, text: str, aliases: Mapping[str, str]) -> str | int | float:
    """A field's value read back from the English sentence (ValueError when it cannot be)."""
    if name.endswith("_cents"):
        return _euros_cents(text)
    if name.endswith("_share"):
        if not text.endswith("%"):
            raise ValueError(text)
        return round(float(text[:-1]) / 100, 6)
    if name.endswith("_msg"):
        return aliases.get(text, text)
    if name in INT_FIELDS:
        return int(text)
    if name in FLOAT_FIELDS:
        return float(text)
    return text


def match(
    text: str, templates: Iterable[str], aliases: Mapping[str, str] | None = None
) -> tuple[str, dict[str, str | int | float]] | None:
    """The first template of ``templates`` that ``text`` (an English sentence
    the library wrote) is an instance of, with its parameters read back; None
    when it is none of them (a text the user wrote)."""
    for template in templates:
        found = _pattern(template).fullmatch(text)
        if found is None:
            continue
        try:
            params = {k: _field(k, v, aliases or {}) for k, v in found.groupdict().items()}
        except ValueError:
            continue
        return template, params
    return None


def dump_params(params: Mapping[str, Any] | None) -> str | None:
    """The parameters as stored (JSON; None without any)."""
    return None if not params else json.dumps(dict(params), ensure_ascii=False, sort_keys=True)


def load_params(stored: str | None) -> dict[str, str | int | float]:
    """The stored parameters (``dump_params``) back."""
    return {} if not stored else dict(json.loads(stored))


def _values(params: Mapping[str, Any]) -> Params:
    """The parameters as ``render`` takes them: a ``*_on`` field (an ISO date) as a date."""
    out: dict[str, str | int | float | dt.date] = {}
    for k, v in params.items():
        if k.endswith("_on") and isinstance(v, str) and v:
            try:
                out[k] = dt.date.fromisoformat(v)
                continue
            except ValueError:
                pass
        out[k] = v
    return out


def shown(lang: str, text: str, template: str | None, params: Mapping[str, Any] | None) -> str:
    """A stored text in ``lang``: in English, as the library wrote it; in
    another language rendered from its template when it has one; the user's
    own text (no template) as written."""
    if not template:
        return text
    return localized(lang, text, template, _values(params or {}))
