"""What an import tells: the bad rows (file, line, column, value, reason) and
the counts of what was, or would be, written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clientfolio.errors import ClientfolioError
from clientfolio.i18n import localized, render

__all__ = ["ImportRejected", "ImportResult", "Reason", "RowError", "SetAside"]


class Reason(ValueError):
    """A reason a value or a row is refused, with parameters: ``template`` (an
    English message of the catalogs, French in ``i18n/fr/ingest.po``) filled
    with ``params``; ``str()`` is the English text."""

    def __init__(self, template: str, **params: str | int) -> None:
        self.template = template
        self.params: dict[str, str | int] = params
        super().__init__(template.format(**params))


@dataclass(frozen=True)
class RowError:
    """One reason a row cannot be imported.  ``line`` is the line of the file
    (the header is line 1; for XLSX the sheet row); 0 when the whole file is at fault.
    A reason with parameters also has its ``template`` and ``params`` (its
    French is in ``i18n/fr/library.po``)."""

    file: str
    line: int
    column: str
    value: str
    reason: str
    # the reason as a message template, for ``clientfolio.i18n.localized`` (not
    # compared: two errors are equal when they tell the same thing)
    template: str = field(default="", compare=False)
    params: Mapping[str, str | int] = field(default_factory=dict, compare=False)

    @classmethod
    def because(cls, file: str, line: int, column: str, value: str, template: str, **params: str | int) -> RowError:
        """The row error whose reason is ``template`` filled with ``params``."""
        return cls(file, line, column, value, template.format(**params), template, params)

    def column_in(self, lang: str) -> str:
        """The column as a reader is shown it: the file's header as written, or
        the name of a field in ``lang`` where there is no header to show (a
        required column missing: ``column`` is the field, ``customer_code``)."""
        from clientfolio.i18n import gettext_for
        from clientfolio.ingest.columns import FIELD_NAMES, field_name

        if self.column not in FIELD_NAMES:  # a header of the file (or none: the whole file, a row)
            return self.column
        kind = self.params.get("kind")
        return gettext_for(lang)(field_name(self.column, kind if isinstance(kind, str) else None))

    def in_language(self, lang: str) -> str:
        """The error as ``str()`` tells it, in ``lang``: where, the column, the
        value and the reason."""
        if lang == "en":
            return str(self)
        where = f"{self.file}:{self.line}" if self.line else self.file
        value = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        parts = [where]
        if self.column:
            parts.append(render(lang, "column {column}", {"column": f"« {self.column_in(lang)} »"}))
        if self.value:
            parts.append(render(lang, "value {value}", {"value": f"« {value} »"}))
        reason = localized(lang, self.reason, self.template, self.params)
        return f"{' '.join(parts)} : {reason}"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        value = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        column = f" column {self.column!r}" if self.column else ""
        shown = f" value {value!r}" if self.value else ""
        return f"{where}:{column}{shown}: {self.reason}"


class ImportRejected(ClientfolioError):
    """Nothing was imported: the file has bad rows (all of them listed)."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = total if total is not None else len(errors)
        first = str(errors[0]) if errors else "rejected"
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        super().__init__(f"nothing imported: {first}{more}")

    def in_language(self, lang: str) -> str:
        """The message in ``lang``: the first bad row and how many more."""
        if lang == "en":
            return str(self)
        first = self.errors[0].in_language(lang) if self.errors else render(lang, "rejected")
        more = render(lang, " (and {n} more)", {"n": self.total - 1}) if self.total > 1 else ""
        return render(lang, "nothing imported: {first}{more}", {"first": first, "more": more})


@dataclass
class SetAside:
    """Rows of a file deliberately not imported, for one reason (an English
    message, translated at display), with their count and amount (cents,
    excluding tax where the file tells it; 0 when the rows carry no amount)."""

    reason: str
    rows: int = 0
    amount_cents: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"reason": self.reason, "rows": self.rows, "amount_cents": self.amount_cents}


@dataclass
class ImportResult:
    """Counts of an accepted import (or of a dry run: what it would write)."""

    file: str
    kind: str
    rows_read: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    already_imported: bool = False
    import_id: int | None = None
    set_aside: list[SetAside] = field(default_factory=list)
    sheet: str | None = None  # the sheet read, in a workbook of several (the one holding the table)

    def put_aside(self, reason: str, rows: int = 1, amount_cents: int = 0) -> None:
        """Count ``rows`` set aside for ``reason`` (added to the same reason's count)."""
        for item in self.set_aside:
            if item.reason == reason:
                item.rows += rows
                item.amount_cents += amount_cents
                return
        self.set_aside.append(SetAside(reason, rows, amount_cents))

    def count(self, bucket: str, table: str, n: int = 1) -> None:
        counts: dict[str, int] = getattr(self, bucket)
        counts[table] = counts.get(table, 0) + n

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "kind": self.kind,
            "rows_read": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "columns": self.columns,
            "dry_run": self.dry_run,
            "already_imported": self.already_imported,
            "import_id": self.import_id,
            "set_aside": [item.as_dict() for item in self.set_aside],
            "sheet": self.sheet,
        }
