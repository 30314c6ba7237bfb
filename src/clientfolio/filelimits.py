"""Limits on what a file may expand to while it is read (imports, traces).

A small upload can expand enormously: an XLSX file is a ZIP of XML parts,
and a few megabytes of repeated rows inflate to gigabytes ("zip bomb"); a
sheet may also declare a million rows or sixteen thousand columns that the
reader pads with empty cells.  Every reader of an uploaded or imported file
goes through the checks here, which need nothing of the domain (a leaf, like
``errors``):

- ``check_zip``: before an XLSX file is opened, the ZIP's *declared*
  uncompressed sizes (``zipfile.infolist``) are summed against
  ``expanded_bytes``, each large part's compression ratio is held to
  ``zip_ratio``, and only the methods XLSX uses (stored, deflate) are
  accepted.  ``zipfile`` never inflates a part beyond its declared size, so
  the declared total bounds what one reading of the parts can give.
- ``open_workbook``: openpyxl (read-only) over that ZIP, every part read
  through a counting stream (the bytes of each opening of a part against
  ``expanded_bytes``, and the time limit checked on each chunk the XML
  parser takes).
- ``RowGuard``: the rows and cells read (empty padding included) against
  ``rows`` and ``cells``, and the time limit on each row.

A limit passed raises ``FileLimitExceeded`` naming the file, the limit and
the value reached, with an English message and its ``template`` and
``params`` for ``clientfolio.i18n.render`` (the French is in
``i18n/fr/uploads.po``).  The limits are settings (``upload_max_*``);
``reading_limits`` makes a set of them (and a deadline) the active one of
the current thread or task, which the readers take with ``active_limits``.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

from clientfolio.errors import ClientfolioError

__all__ = [
    "FileLimitExceeded",
    "LimitSettings",
    "ReadLimits",
    "RowGuard",
    "active_limits",
    "check_zip",
    "open_workbook",
    "reading_limits",
]

MB = 1024 * 1024
RATIO_GRACE_BYTES = MB
"""Parts smaller than this once inflated are not held to the compression ratio
(small XML parts of any file compress well, and cannot hurt)."""

XLSX_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


class LimitSettings(Protocol):
    """The settings the reading limits come from (``clientfolio.settings.Settings``)."""

    upload_max_expanded_mb: int
    upload_max_zip_ratio: int
    upload_max_rows: int
    upload_max_cells: int
    upload_max_field_chars: int
    upload_seconds: int


@dataclass(frozen=True)
class ReadLimits:
    """What a file may expand to while read.  ``seconds``: the time limit of
    the reading (None: none), counted from ``started()``, which sets the
    ``deadline`` (``time.monotonic()``)."""

    expanded_bytes: int = 200 * MB
    zip_ratio: float = 100.0
    rows: int = 1_048_576
    cells: int = 5_000_000
    field_chars: int = 131_072
    seconds: float | None = None
    deadline: float | None = None

    @classmethod
    def from_settings(cls, settings: LimitSettings, *, timed: bool = False) -> ReadLimits:
        """The limits of ``settings`` (the time limit only when ``timed``: the web app's workers)."""
        return cls(
            expanded_bytes=settings.upload_max_expanded_mb * MB,
            zip_ratio=settings.upload_max_zip_ratio,
            rows=settings.upload_max_rows,
            cells=settings.upload_max_cells,
            field_chars=settings.upload_max_field_chars,
            seconds=settings.upload_seconds if timed else None,
        )

    def started(self) -> ReadLimits:
        """These limits with the deadline set ``seconds`` from now."""
        return replace(self, deadline=None if self.seconds is None else time.monotonic() + self.seconds)


_TEMPLATES = {
    "expanded": "{file}: its contents expand to {value_mb} MB, beyond the limit of {limit_mb} MB; "
    "the file is refused, nothing was imported.",
    "bytes": "{file}: more than {limit_mb} MB read from inside the file (the limit); "
    "the file is refused, nothing was imported.",
    "ratio": "{file}: its part {member} is compressed {value} times, beyond the limit of {limit} times "
    "(a compression bomb?); the file is refused, nothing was imported.",
    "method": "{file}: its part {member} uses a compression method that XLSX files do not use ({value}); "
    "the file is refused, nothing was imported.",
    "rows": "{file}: more than {limit} rows (the limit; row {value} reached); "
    "the file is refused, nothing was imported.",
    "cells": "{file}: more than {limit} cells (the limit; {value} reached at row {row}); "
    "the file is refused, nothing was imported.",
    "field": "{file}, line {row}: a field longer than {limit} characters (the limit); "
    "the file is refused, nothing was imported.",
    "seconds": "{file}: reading it took longer than the limit of {limit} seconds; "
    "the file is refused, nothing was imported.",
}


SETTINGS = {
    "expanded": "CLIENTFOLIO_UPLOAD_MAX_EXPANDED_MB",
    "bytes": "CLIENTFOLIO_UPLOAD_MAX_EXPANDED_MB",
    "ratio": "CLIENTFOLIO_UPLOAD_MAX_ZIP_RATIO",
    "rows": "CLIENTFOLIO_UPLOAD_MAX_ROWS",
    "cells": "CLIENTFOLIO_UPLOAD_MAX_CELLS",
    "field": "CLIENTFOLIO_UPLOAD_MAX_FIELD_CHARS",
    "seconds": "CLIENTFOLIO_UPLOAD_SECONDS",
}
"""The setting that raises each limit (none for ``method``: a part no XLSX uses)."""


class FileLimitExceeded(ClientfolioError):
    """A file passed one of its reading limits: ``limit`` (``expanded``,
    ``bytes``, ``ratio``, ``method``, ``rows``, ``cells``, ``field``,
    ``seconds``), its ``maximum`` and the ``value`` reached.  Nothing was
    imported.  ``message(lang)`` is the message in ``lang``."""

    def __init__(self, file: str, limit: str, value: float | str, maximum: float, **extra: str | int) -> None:
        self.file = file
        self.limit = limit
        self.value = value
        self.maximum = maximum
        params: dict[str, Any] = {"file": file, "value": value, "limit": maximum, **extra}
        if limit in ("expanded", "bytes"):
            limit_mb = maximum / MB
            params["value_mb"] = float(value) / MB
            params["limit_mb"] = int(limit_mb) if float(limit_mb).is_integer() else limit_mb
        if isinstance(maximum, float) and maximum.is_integer():
            params["limit"] = int(maximum)
        super().__init__(_TEMPLATES[limit], **params)

    def message(self, lang: str) -> str:
        """The message in ``lang`` (``fr`` or ``en``)."""
        return self.in_language(lang)


_ACTIVE: ContextVar[ReadLimits | None] = ContextVar("clientfolio_read_limits", default=None)


@contextmanager
def reading_limits(limits: ReadLimits) -> Iterator[ReadLimits]:
    """Make ``limits`` the active limits of the current thread or task (its
    deadline set now, when it has a time limit) within the block."""
    started = limits.started() if limits.deadline is None else limits
    token = _ACTIVE.set(started)
    try:
        yield started
    finally:
        _ACTIVE.reset(token)


def active_limits() -> ReadLimits:
    """The limits of the enclosing ``reading_limits``, else the defaults."""
    return _ACTIVE.get() or ReadLimits()


def check_deadline(name: str, limits: ReadLimits) -> None:
    """``FileLimitExceeded`` (``seconds``) once the deadline is past."""
    if limits.deadline is not None and time.monotonic() > limits.deadline:
        raise FileLimitExceeded(name, "seconds", limits.seconds or 0, limits.seconds or 0)


def check_zip(path: Path, name: str, limits: ReadLimits) -> None:
    """Check the ZIP at ``path`` from its directory alone, before any part
    is inflated: the compression methods, each part's ratio, the declared
    total.  A file that is not a readable ZIP passes (its reader says so)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    total = 0
    for info in infos:
        if info.compress_type not in XLSX_METHODS:
            raise FileLimitExceeded(name, "method", str(info.compress_type), 0, member=info.filename)
        if info.file_size > RATIO_GRACE_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.zip_ratio:
                raise FileLimitExceeded(name, "ratio", round(ratio), limits.zip_ratio, member=info.filename)
        total += info.file_size
    if total > limits.expanded_bytes:
        raise FileLimitExceeded(name, "expanded", total, limits.expanded_bytes)


class _Budget:
    """The bytes inflated from one opening of a part of a file (openpyxl
    reads a sheet twice when it declares no dimension: once to look for it)."""

    def __init__(self, name: str, limits: ReadLimits) -> None:
        self.name = name
        self.limits = limits
        self.read = 0

    def take(self, n: int) -> None:
        self.read += n
        if self.read > self.limits.expanded_bytes:
            raise FileLimitExceeded(self.name, "bytes", self.read, self.limits.expanded_bytes)
        check_deadline(self.name, self.limits)


class _CountingPart:
    """A part of the ZIP opened for reading, its bytes taken from the budget."""

    def __init__(self, raw: IO[bytes], budget: _Budget) -> None:
        self._raw = raw
        self._budget = budget

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._budget.take(len(data))
        return data

    def read1(self, n: int = -1) -> bytes:
        return self.read(n)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _CountingPart:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._raw, attr)


class _GuardedArchive:
    """A ``zipfile.ZipFile`` whose parts are read within the limits, each
    opening with its own budget of bytes."""

    def __init__(self, archive: zipfile.ZipFile, name: str, limits: ReadLimits) -> None:
        self._archive = archive
        self._name = name
        self._limits = limits

    def open(self, member: str | zipfile.ZipInfo, mode: str = "r", **kwargs: Any) -> _CountingPart:
        return _CountingPart(
            self._archive.open(member, mode, **kwargs),  # type: ignore[arg-type]
            _Budget(self._name, self._limits),
        )

    def read(self, member: str | zipfile.ZipInfo) -> bytes:
        with self.open(member) as part:
            return part.read()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._archive, attr)


def open_workbook(handle: IO[bytes], path: Path, name: str, limits: ReadLimits, *, formulas: bool = False) -> Any:
    """openpyxl's read-only workbook of the XLSX file at ``path`` (open as
    ``handle``), after ``check_zip``, every part read within the limits: its
    cells' values (the values kept beside formulas), or with ``formulas`` the
    formulas themselves.  openpyxl's own errors propagate (the caller words them)."""
    from openpyxl.reader.excel import ExcelReader  # deferred: only XLSX files need it

    check_zip(path, name, limits)
    reader = ExcelReader(handle, read_only=True, data_only=not formulas)
    reader.archive = _GuardedArchive(reader.archive, name, limits)
    reader.read()
    return reader.wb


class RowGuard:
    """Counts the rows and cells read from ``name`` (``cells`` of each row,
    empty ones included) against ``limits``, and checks the time limit."""

    def __init__(self, name: str, limits: ReadLimits) -> None:
        self.name = name
        self.limits = limits
        self.rows = 0
        self.cells = 0

    def __call__(self, cells: int) -> None:
        self.rows += 1
        self.cells += cells
        limits = self.limits
        if self.rows > limits.rows:
            raise FileLimitExceeded(self.name, "rows", self.rows, limits.rows)
        if self.cells > limits.cells:
            raise FileLimitExceeded(self.name, "cells", self.cells, limits.cells, row=self.rows)
        if limits.deadline is not None and (self.rows & 0xFF == 0 or cells > 1000):
            check_deadline(self.name, limits)

    def rows_of(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """``rows``, each counted as it is read."""
        for row in rows:
            self(len(row))
            yield row
