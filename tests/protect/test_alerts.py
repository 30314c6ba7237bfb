"""Export alerts: row threshold, unusual volume, off hours, departing user; the hard limit."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from clientfolio.errors import ClientfolioError
from clientfolio.protect.alerts import ExportRules, export_alerts
from clientfolio.settings import Settings

RULES = ExportRules()
UTC = dt.UTC
MONDAY_NOON = dt.datetime(2026, 1, 5, 11, 0, tzinfo=UTC)  # 12:00 in Paris (winter: UTC+1)


def kinds(
    rows: int,
    at: dt.datetime = MONDAY_NOON,
    past: list[int] | None = None,
    left_on: dt.date | None = None,
    rules: ExportRules = RULES,
) -> list[str]:
    return [a.kind for a in export_alerts(rows, at, past or [], left_on, rules)]


def test_a_usual_export_raises_nothing() -> None:
    assert kinds(1_000, past=[400, 500, 600]) == []


def test_rows_above_the_threshold() -> None:
    assert kinds(1_001) == ["rows"]
    (alert,) = export_alerts(1_001, MONDAY_NOON, [], None, RULES)
    assert alert.message == "1,001 rows: above the alert threshold of 1,000"


def test_volume_far_above_the_users_median_once_it_has_history() -> None:
    assert kinds(501, past=[100, 40]) == []  # two past exports: not enough history
    assert kinds(500, past=[100, 40, 900]) == []  # median 100: 5 x 100 is not above
    assert kinds(501, past=[100, 40, 900]) == ["volume"]
    assert kinds(181, past=[10, 20, 40, 50], rules=ExportRules(volume_factor=6)) == ["volume"]  # median 30
    assert kinds(180, past=[10, 20, 40, 50], rules=ExportRules(volume_factor=6)) == []


def test_off_hours_in_local_time_and_weekends() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert kinds(10, dt.datetime(2026, 1, 5, 6, 59, tzinfo=paris)) == ["off_hours"]
    assert kinds(10, dt.datetime(2026, 1, 5, 7, 0, tzinfo=paris)) == []
    assert kinds(10, dt.datetime(2026, 1, 5, 19, 59, tzinfo=paris)) == []
    assert kinds(10, dt.datetime(2026, 1, 5, 20, 0, tzinfo=paris)) == ["off_hours"]
    # 05:30 UTC is 06:30 in Paris in January, 07:30 in July (summer time)
    assert kinds(10, dt.datetime(2026, 1, 5, 5, 30, tzinfo=UTC)) == ["off_hours"]
    assert kinds(10, dt.datetime(2026, 7, 6, 5, 30, tzinfo=UTC)) == []
    saturday = export_alerts(10, dt.datetime(2026, 1, 10, 11, 0, tzinfo=UTC), [], None, RULES)
    assert [(a.kind, a.message) for a in saturday] == [
        ("off_hours", "made on a Saturday (10 January 2026 12:00 Europe/Paris)")
    ]
    assert saturday[0].in_language("fr") == "fait un samedi (10 janvier 2026 12:00 Europe/Paris)"
    assert kinds(10, dt.datetime(2026, 1, 5, 4, 0, tzinfo=UTC), rules=ExportRules(timezone="America/New_York")) == [
        "off_hours"
    ]  # 23:00 on the Sunday in New York


def test_a_departing_or_departed_user_raises_an_alert() -> None:
    assert kinds(10, left_on=dt.date(2026, 2, 1)) == ["departure"]
    assert kinds(10, left_on=dt.date(2025, 12, 1)) == ["departure"]


def test_every_alert_at_once_in_a_fixed_order() -> None:
    sunday_night = dt.datetime(2026, 1, 4, 22, 0, tzinfo=UTC)
    assert kinds(5_000, sunday_night, [100, 100, 100], dt.date(2026, 1, 31)) == [
        "rows",
        "volume",
        "off_hours",
        "departure",
    ]


def test_the_hard_limit_and_the_rules_from_the_settings() -> None:
    assert not RULES.needs_approval(10_000) and RULES.needs_approval(10_001)
    rules = ExportRules.from_settings(
        Settings(export_alert_rows=50, export_hard_limit_rows=60, export_timezone="UTC", export_trap_records=0)
    )
    assert (rules.alert_rows, rules.hard_limit_rows, rules.timezone, rules.trap_records) == (50, 60, "UTC", 0)
    assert rules.volume_factor == 5.0 and (rules.day_start_hour, rules.day_end_hour) == (7, 20)


def test_bad_rules_and_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        ExportRules(timezone="Mars/Olympus")
    with pytest.raises(ClientfolioError, match="aware"):
        export_alerts(10, dt.datetime(2026, 1, 5, 12, 0), [], None, RULES)
