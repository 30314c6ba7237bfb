"""Typed settings, declared as data: each field has a default and help text.

Entry points (the CLI, later the web app factory) create one ``Settings`` and pass
it down; nothing reads the environment at import time.  Every field can be set
through an environment variable ``CLIENTFOLIO_<NAME>``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Application settings (environment prefix ``CLIENTFOLIO_``)."""

    model_config = SettingsConfigDict(env_prefix="CLIENTFOLIO_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./clientfolio.db",
        description=(
            "Where the customer store lives. The embedded default is one SQLite file "
            "(WAL mode) in the current directory; PostgreSQL: "
            "postgresql+psycopg://user@host/dbname."
        ),
    )
    date_order: Literal["dmy", "mdy", "ymd"] = Field(
        "dmy",
        description=(
            "How to read ambiguous dates such as 03/04/2024 in imported files: "
            "dmy (French, 3 April), mdy (US) or ymd. ISO dates are always understood."
        ),
    )
    import_chunk_rows: int = Field(
        20_000,
        ge=100,
        description="Rows validated and written per batch during an import.",
    )
    max_reported_errors: int = Field(
        10_000,
        ge=1,
        description=(
            "Bad rows kept in an import report; beyond this the report counts them "
            "without listing them."
        ),
    )

    key_file: str = Field(
        "./clientfolio.key",
        description=(
            "The key file holding the master keys that encrypt the sensitive fields "
            "(contacts, addresses, notes) and the backups; created with mode 0600 by "
            "`demo` and `import`. Keep it outside the database and its backups. "
            "CLIENTFOLIO_KEY (base64 of 32 bytes) takes precedence over it."
        ),
    )

    login_max_failures: int = Field(
        5,
        ge=1,
        description=(
            "Consecutive failed logins that lock an account. Each further run of as "
            "many failures doubles the lock (up to 24 hours); a success resets the count."
        ),
    )
    login_lockout_minutes: int = Field(
        15,
        ge=1,
        description="How long the first lock lasts, in minutes (even the right password is refused).",
    )
    session_idle_minutes: int = Field(
        30,
        ge=1,
        description="A session unused for this many minutes ends (OWASP: 15-30 for sensitive data).",
    )
    session_lifetime_hours: int = Field(
        8,
        ge=1,
        description="A session ends this many hours after login, however active (a working day).",
    )

    export_alert_rows: int = Field(
        1_000, ge=1, description="An export of more rows than this raises an alert.",
    )
    export_volume_factor: float = Field(
        5.0,
        gt=1,
        description=(
            "An export of more than this many times the user's median export raises an "
            "alert (once the user has CLIENTFOLIO_EXPORT_VOLUME_MIN_HISTORY exports)."
        ),
    )
    export_volume_min_history: int = Field(
        3, ge=1, description="Past exports a user needs before the volume alert applies.",
    )
    export_day_start_hour: int = Field(
        7, ge=0, le=23, description="Exports before this local hour (or at weekends) raise an alert.",
    )
    export_day_end_hour: int = Field(
        20, ge=1, le=24, description="Exports from this local hour on raise an alert.",
    )
    export_timezone: str = Field(
        "Europe/Paris", description="Time zone of the working hours of the export alerts.",
    )
    export_hard_limit_rows: int = Field(
        10_000,
        ge=1,
        description="An export of more rows than this is refused until an admin approves the request.",
    )
    export_trap_records: int = Field(
        3, ge=0, le=50, description="Trap records (fictitious customers unique to the export) per export.",
    )
    trace_threshold: float = Field(
        1e-9,
        gt=0,
        lt=1,
        description=(
            "A leaked file is attributed to an export only when the probability of a wrong "
            "attribution (binomial tail times the number of exports) is below this."
        ),
    )

    web_secure_cookies: bool = Field(
        False,
        description=(
            "Mark the web app's cookies Secure (sent over HTTPS only). Set it behind a TLS proxy "
            "that forwards plain HTTP; requests that arrive as https get Secure cookies anyway."
        ),
    )
    web_cache_seconds: int = Field(
        600,
        ge=0,
        description=(
            "How long the web app keeps a user's dashboard figures (analysis and valuation) "
            "while the data does not change; 0 recomputes them on every page."
        ),
    )
    web_max_upload_mb: int = Field(
        20,
        ge=1,
        description=(
            "The largest file the web app accepts on its import and trace uploads, in megabytes; "
            "a larger upload is refused (413) and nothing is imported."
        ),
    )

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) for each setting, for docs and CLI."""
        prefix = cls.model_config.get("env_prefix", "")
        return [
            (f"{prefix}{name}".upper(), repr(field.default), field.description or "")
            for name, field in cls.model_fields.items()
        ]
