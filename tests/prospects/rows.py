"""Hand-made rows of the access layer for the prospects tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientfolio.access import ActivityRow, ProspectRow, StageChangeRow


def prospect(code: str, stage: str = "suspect", **fields: Any) -> ProspectRow:
    """A prospect with every field None but those given."""
    values: dict[str, Any] = dict.fromkeys(ProspectRow.__dataclass_fields__)
    values.update(code=code, name=f"Société {code}", stage=stage, **fields)
    return ProspectRow(**values)


def move(code: str, before: str | None, after: str, day: str, user: str | None = None) -> StageChangeRow:
    return StageChangeRow(code, before, after, dt.date.fromisoformat(day), user)


def activity(
    day: str, user: str | None, *, customer: str | None = None, prospect: str | None = None, kind: str = "call"
) -> ActivityRow:
    return ActivityRow(kind, dt.date.fromisoformat(day), customer, prospect, user)
