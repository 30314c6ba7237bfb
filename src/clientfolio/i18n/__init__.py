"""French and English for the web app and the report: messages and formats.

Messages are written in English in the code (``_("Customers")``); the French
catalog is made of gettext ``.po`` files in ``i18n/fr/`` (one per part of the
product: ``web.po``, ``report.po`` ...), read with Babel when first needed and
merged, so no compiled file is kept in the repository.  Formats follow the
locale: ``money(123456.78 €)`` is ``123 456,78 €`` in French, ``€123,456.78``
in English.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "LANGS",
    "Formatter",
    "N_",
    "Params",
    "euros",
    "formatter",
    "gettext_for",
    "language_from_environment",
    "localized",
    "percent",
    "render",
    "translations",
]

LANGS = ("fr", "en")
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A parameter that is a day written as ISO text (an import's limit, a parsed date)."""
_SEPARATORS = {"fr": ("\u202f", ","), "en": (",", ".")}  # (group, decimal point): CLDR's, as Babel writes them
_PLACES = [Decimal(1).scaleb(-n) for n in range(10)]  # 1, 0.1, 0.01 ...
_CATALOGS = Path(__file__).parent
_LOADED: dict[str, NullTranslations] = {}
_LOADING = threading.Lock()


def translations(lang: str) -> NullTranslations:
    """The merged catalog of ``lang`` (English is the source: no catalog),
    read once per process: the threads that ask for it meanwhile wait for that
    one reading."""
    found = _LOADED.get(lang)
    if found is None:
        with _LOADING:
            found = _LOADED.get(lang)
            if found is None:
                found = _LOADED[lang] = _merged(lang)
    return found


def _merged(lang: str) -> NullTranslations:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    parts = [_compiled(path, lang) for path in sorted((_CATALOGS / lang).glob("*.po"))] if lang != "en" else []
    if not parts:
        return NullTranslations()
    for part in parts[1:]:
        parts[0].merge(part)
    # gettext keeps the catalogs' header as the translation of "": an empty text (a cell, a
    # column, a help left blank) would show it
    parts[0]._catalog.pop("", None)  # noqa: SLF001 - the stdlib's GNUTranslations catalog
    return parts[0]


def _compiled(path: Path, lang: str) -> Translations:
    with path.open("rb") as f:
        catalog = read_po(f, locale=_LOCALES[lang])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def N_(message: str) -> str:
    """Mark ``message`` (English, possibly a ``{field}`` template) as a message
    of the catalogs, translated where it is shown rather than where it is
    written: the gettext idiom for texts stored or built before the reader's
    language is known.  Returns ``message`` unchanged."""
    return message


def language_from_environment(environ: Mapping[str, str]) -> str:
    """The language of a terminal user: ``CLIENTFOLIO_LANG`` (``fr`` or ``en``),
    else the POSIX locale (``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``:
    ``fr_FR.UTF-8`` and every ``fr*`` locale give French), else English.

    Raises ``ValueError`` for a ``CLIENTFOLIO_LANG`` that is not a language of
    the product."""
    chosen = environ.get("CLIENTFOLIO_LANG", "").strip().lower()
    if chosen:
        if chosen not in LANGS:
            raise ValueError(f"CLIENTFOLIO_LANG={chosen!r}: use one of {', '.join(LANGS)}")
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def gettext_for(lang: str) -> Callable[[str], str]:
    """``_`` for ``lang``: the French text of an English message (the message
    itself when the catalog lacks it)."""
    return translations(lang).gettext


class Formatter:
    """Numbers, money, percentages and dates in a language's conventions."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
        self.lang = lang
        self.locale = _LOCALES[lang]

    def money(self, cents: float | None, *, decimals: bool = True) -> str:
        """Euros from cents: ``1 234,56 €`` (fr) or ``€1,234.56`` (en); ``-`` for None."""
        if cents is None:
            return "-"
        sign, digits = self._decimal(Decimal(str(cents / 100)), 2 if decimals else 0)
        return f"{sign}{digits}\u00a0€" if self.lang == "fr" else f"{sign}€{digits}"

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "-"
        sign, text = self._decimal(Decimal(str(round(value, digits))), digits)
        return sign + text

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share (0.256) as ``25,6 %`` / ``25.6%``."""
        if share is None:
            return "-"
        sign, text = self._decimal(Decimal(str(share)).scaleb(2), digits)
        return f"{sign}{text}\u00a0%" if self.lang == "fr" else f"{sign}{text}%"

    def _decimal(self, value: Decimal, digits: int) -> tuple[str, str]:
        """The sign (``-`` or nothing) and the digits of ``value`` rounded half to
        even to ``digits`` decimals, grouped by thousands with the language's
        separators: what Babel's formats write (tests/test_i18n.py compares
        them), twenty times faster, pages showing hundreds of numbers."""
        rounded = value.quantize(_PLACES[digits], rounding=ROUND_HALF_EVEN)
        group, point = _SEPARATORS[self.lang]
        text = format(abs(rounded), ",f").replace(",", "\0").replace(".", point).replace("\0", group)
        return "-" if rounded.is_signed() else "", text

    def date(self, day: dt.date | None, *, long: bool = False) -> str:
        if day is None:
            return "-"
        return format_date(day, format="long" if long else "medium", locale=self.locale)

    def quarter(self, year: int, quarter: int) -> str:
        """A calendar quarter: ``T3 2026`` (fr, *trimestre*) or ``Q3 2026`` (en)."""
        return f"{'T' if self.lang == 'fr' else 'Q'}{quarter}\u00a0{year}"

    def period(self, code: str | None) -> str:
        """A stored period code shown to a reader: a quarter ``2026-Q3`` as
        ``quarter`` shows it, a day ``2026-09-30`` as ``date``, a month
        ``2026-09`` as ``septembre 2026`` / ``September 2026``; other codes
        unchanged, None as ``-``."""
        if code is None:
            return "-"
        try:
            if len(code) == 7 and code[4:6] == "-Q":
                return self.quarter(int(code[:4]), int(code[6]))
            if len(code) == 10:
                return self.date(dt.date.fromisoformat(code))
            if len(code) == 7 and code[4] == "-":
                return format_date(dt.date(int(code[:4]), int(code[5:]), 1), format="LLLL y", locale=self.locale)
        except ValueError:
            return code
        return code


def euros(cents: float | None) -> str:
    """Whole euros from cents, as the library's English texts (a suggestion's
    reason, a SWOT item) and the terminal show them, whatever the language:
    ``12\u202f345 €`` (narrow no-break space between thousands, a space before
    the sign); ``-`` for None.  Shown to a reader in a language, a library text
    is rendered again from its template by ``render``, which uses ``money``."""
    if cents is None:
        return "-"
    return f"{cents / 100:,.0f} €".replace(",", "\u202f")


def percent(share: float | None) -> str:
    """A share as the terminal shows it, whatever the language: ``26%`` (0.256);
    ``-`` for None."""
    return "-" if share is None else f"{share:.0%}"


@cache
def formatter(lang: str) -> Formatter:
    return Formatter(lang)


Params = Mapping[str, str | int | float | dt.date]
"""The parameters of a library message (see ``render``)."""


def render(
    lang: str, template: str, params: Params | None = None, formatter: Callable[[str], Formatter] = formatter
) -> str:
    """The library message ``template`` (English, with ``{name}`` fields, e.g.
    ``"Win back {customer}"``) in ``lang``, its fields filled from ``params``.

    The template is translated with the catalog of ``lang`` (``gettext_for``;
    itself when missing), then each parameter is shown in ``lang``'s
    conventions through ``formatter(lang)``: a name ending in ``_cents`` is an
    amount in cents, shown by ``money`` without decimals (``1 234 €``); a name
    ending in ``_share`` is a share (0.256), shown by ``percent`` (``26 %``, one
    decimal when not a whole percentage); a name ending in ``_msg`` is an
    English message itself translated; a date is shown by ``date`` (long form);
    other ints and floats are shown by
    ``number`` (floats with one decimal), strings as they are (but a valid ISO
    day, ``2026-12-07``, shown by ``date`` in every language but English).
    """
    f = formatter(lang)
    _ = gettext_for(lang)
    shown: dict[str, str] = {}
    for name, value in (params or {}).items():
        if isinstance(value, dt.date):
            shown[name] = f.date(value, long=True)
        elif name.endswith("_cents") and not isinstance(value, str):
            shown[name] = f.money(value, decimals=False)
        elif name.endswith("_share") and not isinstance(value, str):
            shown[name] = f.percent(value, 0 if abs(value * 100 - round(value * 100)) < 1e-9 else 1)
        elif name.endswith("_msg"):
            shown[name] = _(str(value))
        elif isinstance(value, str) and lang != "en" and (day := _iso_day(value)) is not None:
            shown[name] = f.date(day, long=True)  # a day the code passed as ISO text
        elif isinstance(value, bool | str):
            shown[name] = str(value)
        elif isinstance(value, int):
            shown[name] = f.number(value)
        else:
            shown[name] = f.number(value, 1)
    return _(template).format(**shown)


def _iso_day(text: str) -> dt.date | None:
    """``text`` as a day when it is a valid ISO day (``2026-12-07``), else None (``2026-02-30``)."""
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def localized(
    lang: str, text: str, template: str, params: Params | None = None, formatter: Callable[[str], Formatter] = formatter
) -> str:
    """A library text shown in ``lang``: ``text`` (the English the library
    wrote) in English; else ``render`` of its ``template``, or, without one,
    ``text`` translated as it is (itself when the catalog lacks it)."""
    if lang == "en":
        return text
    return render(lang, template, params, formatter) if template else gettext_for(lang)(text)
