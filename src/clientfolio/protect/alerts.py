"""Alerts on unusual exports, and the hard limit that needs an admin's approval.

A pure function over one export request and the exporting user's history:

- ``rows``: more rows than ``alert_rows``;
- ``volume``: more than ``volume_factor`` times the median of the user's past
  exports, once the user has ``volume_min_history`` of them;
- ``off_hours``: outside ``day_start_hour``:00 - ``day_end_hour``:00 local time
  (``timezone``), or on a Saturday or Sunday;
- ``departure``: the user's departure is recorded (``left_on`` set, past or
  future: a departing user is the classic diversion risk).

Above ``hard_limit_rows`` an export is refused unless an admin approved it.

An alert's message is a message of the catalogs (``template`` and ``params``,
kept in the registry), shown in the reader's language by ``in_language``;
``message`` is its English text.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clientfolio.errors import ClientfolioError
from clientfolio.i18n import N_, gettext_for, render

if TYPE_CHECKING:
    from clientfolio.settings import Settings

__all__ = ["ALERT_KINDS", "ALERT_NAMES", "Alert", "ExportRules", "export_alerts"]

ALERT_KINDS = ("rows", "volume", "off_hours", "departure")
ALERT_NAMES = {
    "rows": N_("many rows"),
    "volume": N_("unusual volume"),
    "off_hours": N_("off hours"),
    "departure": N_("departing user"),
}
"""The English name of each alert kind (translated by the catalogs)."""


class ExportRules(BaseModel):
    """Thresholds of the export alerts, the hard limit and the trap records."""

    model_config = ConfigDict(frozen=True)

    alert_rows: int = Field(1_000, ge=1, description="Alert above this many rows in one export.")
    volume_factor: float = Field(5.0, gt=1, description="Alert above this many times the user's median export.")
    volume_min_history: int = Field(3, ge=1, description="Past exports a user needs before the volume alert applies.")
    day_start_hour: int = Field(7, ge=0, le=23, description="Working hours start (local hour).")
    day_end_hour: int = Field(20, ge=1, le=24, description="Working hours end (local hour).")
    timezone: str = Field("Europe/Paris", description="Time zone of the working hours.")
    hard_limit_rows: int = Field(10_000, ge=1, description="Exports above this many rows need an admin's approval.")
    trap_records: int = Field(3, ge=0, le=50, description="Trap records added to each export.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @classmethod
    def from_settings(cls, settings: Settings) -> ExportRules:
        return cls(
            alert_rows=settings.export_alert_rows,
            volume_factor=settings.export_volume_factor,
            volume_min_history=settings.export_volume_min_history,
            day_start_hour=settings.export_day_start_hour,
            day_end_hour=settings.export_day_end_hour,
            timezone=settings.export_timezone,
            hard_limit_rows=settings.export_hard_limit_rows,
            trap_records=settings.export_trap_records,
        )

    def needs_approval(self, rows: int) -> bool:
        return rows > self.hard_limit_rows


@dataclass(frozen=True)
class Alert:
    """An alert of ``kind`` (one of ``ALERT_KINDS``): ``message`` in English,
    ``template`` and ``params`` (JSON values; ``day``: an ISO date) to show it
    in another language (empty in alerts registered before them)."""

    kind: str
    message: str
    template: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, kind: str, template: str, **params: Any) -> Alert:
        alert = cls(kind, "", template, params)
        return cls(kind, alert.in_language("en"), template, params)

    def in_language(self, lang: str) -> str:
        """The alert's message in ``lang``."""
        if not self.template:
            return gettext_for(lang)(self.message)
        shown = {k: dt.date.fromisoformat(v) if k == "day" else v for k, v in self.params.items()}
        return render(lang, self.template, shown)


def export_alerts(
    rows: int,
    at: dt.datetime,
    past_rows: Sequence[int],
    left_on: dt.date | None,
    rules: ExportRules,
) -> list[Alert]:
    """The alerts raised by an export of ``rows`` rows made at ``at`` (an aware
    datetime) by a user whose earlier exports had ``past_rows`` rows and whose
    departure date is ``left_on`` (None: none recorded)."""
    if at.tzinfo is None:
        raise ClientfolioError("the time of an export is an aware datetime (with its time zone)")
    alerts: list[Alert] = []
    if rows > rules.alert_rows:
        alerts.append(
            Alert.of("rows", "{rows} rows: above the alert threshold of {limit}", rows=rows, limit=rules.alert_rows)
        )
    if len(past_rows) >= rules.volume_min_history:
        usual = statistics.median(past_rows)
        if rows > rules.volume_factor * usual:
            alerts.append(
                Alert.of(
                    "volume",
                    "{rows} rows: more than {factor} times this user's usual {usual}",
                    rows=rows,
                    factor=f"{rules.volume_factor:g}",
                    usual=round(usual),
                )
            )
    local = at.astimezone(ZoneInfo(rules.timezone))
    if local.weekday() >= 5:
        alerts.append(
            Alert.of(
                "off_hours",
                "made on a {weekday_msg} ({day} {time} {zone})",
                weekday_msg=N_("Saturday") if local.weekday() == 5 else N_("Sunday"),
                day=local.date().isoformat(),
                time=f"{local:%H:%M}",
                zone=rules.timezone,
            )
        )
    elif not rules.day_start_hour <= local.hour < rules.day_end_hour:
        alerts.append(
            Alert.of(
                "off_hours",
                "made at {time} ({zone}), outside {start}:00-{end}:00",
                time=f"{local:%H:%M}",
                zone=rules.timezone,
                start=f"{rules.day_start_hour:02d}",
                end=f"{rules.day_end_hour:02d}",
            )
        )
    if left_on is not None:
        alerts.append(Alert.of("departure", "by a user whose departure is recorded on {day}", day=left_on.isoformat()))
    return alerts
