"""What an import tells: the bad rows (file, line, column, value, reason) and
the counts of what was, or would be, written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clientfolio.errors import ClientfolioError

__all__ = ["ImportRejected", "ImportResult", "RowError", "SetAside"]


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
    template: str = ""  # the reason as a message template, for ``clientfolio.i18n.localized``
    params: Mapping[str, str | int] = field(default_factory=dict)

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
        }
