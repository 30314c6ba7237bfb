"""Parsers for the values of imported cells, as French and other tools write them.

Each parser takes the raw cell (a string from a CSV, or whatever openpyxl gives
for an XLSX cell) and returns the storage form, or raises ``ValueError`` whose
message is the reason shown to the user.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from clientfolio.i18n import N_
from clientfolio.identifiers import luhn_valid
from clientfolio.ingest.report import Reason
from clientfolio.store.schema import column_length

__all__ = [
    "DateParser",
    "FutureDate",
    "TooLong",
    "fits",
    "luhn_valid",
    "parse_amount_cents",
    "parse_bool",
    "parse_int",
    "parse_quantity",
    "parse_siren",
    "parse_siret",
]

_SPACES = str.maketrans("", "", " \u00a0\u202f'’")
_SIMPLE_DOT = re.compile(r"[+-]?\d+(?:\.\d+)?")
_SIMPLE_COMMA = re.compile(r"[+-]?\d+(?:,\d+)?")
_GROUPED = {
    ",": re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"),
    ".": re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
}
_MAX_CENTS = 10**15  # ten thousand billion euros: beyond is a corrupt cell


def _number(raw: Any, decimal: str) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    text = str(raw).strip()
    negative = text.startswith("(") and text.endswith(")")  # accounting negatives
    if negative:
        text = text[1:-1]
    text = text.replace("€", "").replace("EUR", "").replace("\u2212", "-").translate(_SPACES)
    if text.endswith("-"):  # "12,50-" as some ERPs write credits
        text = "-" + text[:-1]
    simple = _SIMPLE_COMMA if decimal == "," else _SIMPLE_DOT
    if simple.fullmatch(text):
        value = float(text.replace(",", "."))
    elif _GROUPED[decimal].fullmatch(text):
        thousands = "." if decimal == "," else ","
        value = float(text.replace(thousands, "").replace(",", "."))
    elif decimal == "," and _SIMPLE_DOT.fullmatch(text) and not re.search(r"\.\d{3}$", text):
        value = float(text)  # a decimal point in a decimal-comma file: unambiguous
    elif decimal == "." and _SIMPLE_COMMA.fullmatch(text) and not re.search(r",\d{3}$", text):
        value = float(text.replace(",", "."))
    else:
        raise ValueError(f"not a number (decimal separator is {decimal!r})")
    return -value if negative else value


class TooLong(ValueError):
    """A text longer than its column of the store keeps (``String(n)`` in
    ``store/schema.py``, the one place the limits are read from)."""

    TEMPLATE = "longer than the {limit} characters the store keeps ({length} characters)"

    def __init__(self, limit: int, length: int) -> None:
        self.template = self.TEMPLATE
        self.params: dict[str, str | int] = {"limit": limit, "length": length}
        super().__init__(self.TEMPLATE.format(**self.params))


def fits(text: str, table: str, column: str) -> str:
    """``text`` when the store's ``table.column`` holds it, else ``TooLong``."""
    limit = column_length(table, column)
    if limit is not None and len(text) > limit:
        raise TooLong(limit, len(text))
    return text


def parse_amount_cents(raw: Any, decimal: str = ",") -> int:
    """An amount in euros ("1 234,56", "1.234,56", "1234.56", "(12,00)") -> cents."""
    cents = round(_number(raw, decimal) * 100)
    if abs(cents) >= _MAX_CENTS:
        raise ValueError("amount too large")
    return cents


def parse_quantity(raw: Any, decimal: str = ",") -> float:
    return _number(raw, decimal)


def parse_int(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = str(raw).strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError("not a whole number")
    return int(text)


_TRUE = {"1", "oui", "o", "yes", "y", "true", "vrai", "x"}
_FALSE = {"0", "non", "n", "no", "false", "faux"}


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected oui/non (yes/no)")


def parse_siren(raw: Any) -> str:
    """A SIREN: 9 digits with a valid Luhn key (spaces allowed)."""
    digits = str(raw).translate(_SPACES).strip()
    if not re.fullmatch(r"\d{9}", digits):
        raise ValueError("a SIREN has 9 digits")
    if not luhn_valid(digits):
        raise ValueError("invalid SIREN (check digit)")
    return digits


def parse_siret(raw: Any) -> str:
    """A SIRET: 14 digits (SIREN + NIC) with a valid Luhn key."""
    digits = str(raw).translate(_SPACES).strip()
    if not re.fullmatch(r"\d{14}", digits):
        raise ValueError("a SIRET has 14 digits")
    # La Poste establishments (SIREN 356000000) use another key: accept them.
    if not luhn_valid(digits) and not digits.startswith("356000000"):
        raise ValueError("invalid SIRET (check digit)")
    return digits


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SEPARATED = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T].*)?")
_MONTHS = {
    **dict.fromkeys(("janvier", "janv", "jan", "january"), 1),
    **dict.fromkeys(("fevrier", "fevr", "fev", "february", "feb"), 2),
    **dict.fromkeys(("mars", "mar", "march"), 3),
    **dict.fromkeys(("avril", "avr", "april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "juil", "july", "jul"), 7),
    **dict.fromkeys(("aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "sept", "sep", "september"), 9),
    **dict.fromkeys(("octobre", "oct", "october"), 10),
    **dict.fromkeys(("novembre", "nov", "november"), 11),
    **dict.fromkeys(("decembre", "dec", "december"), 12),
}
"""Month names and abbreviations, French and English (accents and case ignored)."""
_WEEKDAY = r"(?:(lun|mar|mer|jeu|ven|sam|dim|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_WEEKDAYS = {
    **dict.fromkeys(("lun", "mon"), 0),
    **dict.fromkeys(("mar", "tue"), 1),
    **dict.fromkeys(("mer", "wed"), 2),
    **dict.fromkeys(("jeu", "thu"), 3),
    **dict.fromkeys(("ven", "fri"), 4),
    **dict.fromkeys(("sam", "sat"), 5),
    **dict.fromkeys(("dim", "sun"), 6),
}
_DAY_MONTH_YEAR = re.compile(_WEEKDAY + r"(\d{1,2})(?:er)?[\s\-/.]+([a-z]+)\.?[\s\-/.,]+(\d{4}|\d{2})")
"""``15 janvier 2024``, ``lundi 1er avril 2024``, ``15-janv.-24`` (French Excel), ``15 Jan 2024``."""
_MONTH_DAY_YEAR = re.compile(_WEEKDAY + r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
"""``January 15, 2024``, ``Jan 15 2024``."""
_SERIAL = re.compile(r"\d{5}")
_SERIAL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of spreadsheet serial dates (a date cell saved as a number: ``45306`` is 15 January 2024)."""


def _textual(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a date written with its month's name, else None;
    ``ValueError`` when a weekday is written and the date falls on another (a typo)."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    if m := _DAY_MONTH_YEAR.fullmatch(plain):
        weekday, day, name, year = m.groups()
    elif m := _MONTH_DAY_YEAR.fullmatch(plain):
        weekday, name, day, year = m.groups()
    else:
        return None
    month = _MONTHS.get(name)
    if month is None:
        return None
    y = int(year) + ((2000 if int(year) < 70 else 1900) if len(year) == 2 else 0)
    if weekday is not None:
        try:
            falls = dt.date(y, month, int(day)).weekday()
        except ValueError:
            raise ValueError("no such date") from None
        if falls != _WEEKDAYS[weekday]:
            raise ValueError("the weekday written is not the date's")
    return y, month, int(day)


class FutureDate(ValueError):
    """A date after the day of the import where only the past makes sense (an
    invoice, a payment, an entry, an activity): a typing error (2031 for 2021)
    would otherwise move every default analysis to that day."""

    TEMPLATE = "date in the future (after {today}): check the file, or import it with --allow-future"

    def __init__(self, today: dt.date) -> None:
        self.template = self.TEMPLATE
        self.params: dict[str, str | int] = {"today": today.isoformat()}
        super().__init__(self.TEMPLATE.format(**self.params))


_ORDER_NAMES = {"dmy": N_("day/month/year"), "mdy": N_("month/day/year")}
"""How ``DateParser.order`` writes a separated date (messages of the catalogs)."""


class DateParser:
    """Dates as ISO strings (``YYYY-MM-DD``), from dd/mm/yyyy, dd-mm-yy, ISO,
    YYYYMMDD (FEC), spreadsheet date cells (or their serial numbers saved as text,
    ``45306``) or a month's name in French or English (``15 janvier 2024``,
    ``15-janv.-24``, ``January 15, 2024``).  ``order`` reads the ambiguous
    separated form: ``dmy`` (French), ``mdy`` or ``ymd``.  Results are cached:
    an invoice file holds few distinct dates.

    ``latest`` is the last day a *past* date may take (the day of the import;
    ``None``: no limit): ``past`` parses a date that must not be later (invoice,
    payment, FEC entry, activity) and raises ``FutureDate`` otherwise; ``__call__``
    parses any date (a due date may lie ahead).  ``past_cache`` holds the past
    dates already accepted, for the fast paths."""

    def __init__(self, order: str = "dmy", latest: dt.date | None = None) -> None:
        self.order = order
        self.latest = latest
        self._latest_iso = latest.isoformat() if latest else "9999-12-31"
        self.cache: dict[str, str] = {}  # raw text -> ISO date
        self.past_cache: dict[str, str] = {}  # raw text -> ISO date not after ``latest``

    def past(self, raw: Any) -> str:
        """A date not after ``latest`` (``FutureDate`` otherwise)."""
        if isinstance(raw, str) and (hit := self.past_cache.get(raw)) is not None:
            return hit
        iso = self(raw)
        if iso > self._latest_iso:
            assert self.latest is not None
            raise FutureDate(self.latest)
        if isinstance(raw, str) and len(self.past_cache) < 100_000:
            self.past_cache[raw] = iso
        return iso

    def __call__(self, raw: Any) -> str:
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        text = str(raw).strip()
        cached = self.cache.get(text)
        if cached is None:
            cached = self._parse(text)
            if len(self.cache) < 100_000:
                self.cache[text] = cached
        return cached

    def _parse(self, text: str) -> str:
        if (m := _ISO.fullmatch(text)) or (m := _COMPACT.fullmatch(text)):
            y, mo, d = (int(g) for g in m.groups())
        elif m := _SEPARATED.fullmatch(text):
            a, b, c = m.groups()
            if len(a) == 4 or (self.order == "ymd" and len(c) == 2):
                y, mo, d = int(a), int(b), int(c)
                short_year = len(a) == 2
            elif self.order == "mdy":
                mo, d, y = int(a), int(b), int(c)
                short_year = len(c) == 2
            else:
                d, mo, y = int(a), int(b), int(c)
                short_year = len(c) == 2
            if short_year:
                y += 2000 if y < 70 else 1900
        elif found := _textual(text):
            y, mo, d = found
        elif _SERIAL.fullmatch(text) and 20_000 <= int(text) <= 80_000:  # 1954 to 2119
            return (_SERIAL_EPOCH + dt.timedelta(days=int(text))).isoformat()
        else:
            raise ValueError("not a date (expected dd/mm/yyyy or yyyy-mm-dd)")
        if not 1900 <= y <= 2200:
            raise ValueError("year out of range")
        try:
            return dt.date(y, mo, d).isoformat()
        except ValueError:
            raise self._swapped(text, y, mo, d) from None

    def _swapped(self, text: str, y: int, mo: int, d: int) -> ValueError:
        """Why a date does not exist: when the file writes month before day (or
        day before month) where ``order`` says otherwise, the date it would be
        and the setting that reads it so."""
        other = {"dmy": "mdy", "mdy": "dmy"}.get(self.order)
        separated = _SEPARATED.fullmatch(text)
        if other is None or separated is None or len(separated.group(1)) == 4:  # not 2024/15/01
            return ValueError("no such date")
        try:
            day = dt.date(y, d, mo)
        except ValueError:
            return ValueError("no such date")
        return Reason(
            "no such date as {order_msg}; as {other_msg} it is {day}: if the file writes its dates so, "
            "set date_order = {other} (mapping file, or CLIENTFOLIO_DATE_ORDER)",
            order_msg=_ORDER_NAMES[self.order],
            other_msg=_ORDER_NAMES[other],
            day=day.isoformat(),
            other=f'"{other}"',
        )
