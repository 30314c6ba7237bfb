"""Typed settings, declared as data: each field has a default and help text.

Entry points (the CLI, later the web app factory) create one ``Settings`` and pass
it down; nothing reads the environment at import time.  Every field can be set
through an environment variable ``CLIENTFOLIO_<NAME>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from clientfolio.errors import ClientfolioError, reason_in
from clientfolio.i18n import N_, render

__all__ = ["Settings", "SettingsError"]

_WRONG = N_("{variable}={value}: {reason}")


class SettingsError(ClientfolioError):
    """A ``CLIENTFOLIO_<NAME>`` variable is wrong: the variable, its value and why,
    in the reader's language (the kinds of ``errors.REASONS``); nothing is run."""

    def __init__(self, variable: str, value: str, kind: str, context: Mapping[str, Any], reason: str) -> None:
        self.kind, self.context, self.reason = kind, context, reason
        super().__init__(_WRONG, variable=variable, value=value, reason=reason_in("en", kind, context, reason))

    def in_language(self, lang: str) -> str:
        params = {**self.params, "reason": reason_in(lang, self.kind, self.context, self.reason)}
        return render(lang, _WRONG, params)


class Settings(BaseSettings):
    """Application settings (environment prefix ``CLIENTFOLIO_``)."""

    model_config = SettingsConfigDict(env_prefix="CLIENTFOLIO_", extra="ignore")

    def __init__(self, **values: Any) -> None:
        """The settings of the environment (and ``values``); a wrong one raises
        ``SettingsError`` naming its variable, not pydantic's traceback."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            variable = "CLIENTFOLIO_" + str(problem["loc"][0]).upper()
            context = problem.get("ctx") or {}
            value = json.dumps(problem["input"], ensure_ascii=False, default=str)  # quoted, control characters escaped
            raise SettingsError(variable, value, problem["type"], context, problem["msg"]) from None

    database_url: str = Field(
        "sqlite:///./clientfolio.db",
        description=(
            "Where the customer store lives. The embedded default is one SQLite file "
            "(WAL mode) in the current directory; PostgreSQL: "
            "postgresql+psycopg://user@host/dbname."
        ),
    )
    config: str = Field(
        "",
        description=(
            "The domain settings file (TOML: one table per analysis, e.g. [abc], [rfm], [valuation "
            "sections]; see docs/settings.md). Default: clientfolio.toml beside the SQLite store, or in "
            "the working directory for other stores; none found: the defaults. Each of its keys can also "
            "be set as CLIENTFOLIO_<TABLE>__<KEY>, which wins over the file."
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
        description=("Bad rows kept in an import report; beyond this the report counts them without listing them."),
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
            "Consecutive failed logins on an account from one client address that lock the account "
            "for that address only (the right password from another address still works). Each "
            "further run of as many failures doubles the lock (up to 24 hours); a success resets "
            "the count."
        ),
    )
    login_lockout_minutes: int = Field(
        15,
        ge=1,
        description=(
            "How long the first lock lasts, in minutes (even the right password is refused from "
            "the address that failed)."
        ),
    )
    login_address_max_failures: int = Field(
        20,
        ge=1,
        description=(
            "Failed logins from one client address (on any accounts, known or not) within "
            "CLIENTFOLIO_LOGIN_ADDRESS_WINDOW_MINUTES after which that address is refused (429, "
            "try again in a few minutes) without its password being checked. The address is the "
            "connection's; X-Forwarded-For is trusted only from the proxies listed in "
            "FORWARDED_ALLOW_IPS (default 127.0.0.1: a reverse proxy on the same machine)."
        ),
    )
    login_address_window_minutes: int = Field(
        15,
        ge=1,
        description="The sliding window, in minutes, over which failures from one address are counted.",
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

    retention_prospect_years: int = Field(
        3,
        ge=1,
        description=(
            "GDPR retention of a prospect: years without any contact (activity, stage change, creation) "
            "after which `clientfolio gdpr retention` lists the prospect and its contact persons for "
            "deletion; 3 years is the CNIL's usual duration for prospects."
        ),
    )
    retention_customer_contact_years: int = Field(
        3,
        ge=1,
        description=(
            "GDPR retention of a customer's contact persons: years after the end of the relationship "
            "(the customer's last invoice or activity) after which `clientfolio gdpr retention` lists them for "
            "deletion; the invoices themselves are kept 10 years (Code de commerce L123-22)."
        ),
    )

    export_alert_rows: int = Field(
        1_000,
        ge=1,
        description="An export of more rows than this raises an alert.",
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
        3,
        ge=1,
        description="Past exports a user needs before the volume alert applies.",
    )
    export_day_start_hour: int = Field(
        7,
        ge=0,
        le=23,
        description="Exports before this local hour (or at weekends) raise an alert.",
    )
    export_day_end_hour: int = Field(
        20,
        ge=1,
        le=24,
        description="Exports from this local hour on raise an alert.",
    )
    export_timezone: str = Field(
        "Europe/Paris",
        description="Time zone of the working hours of the export alerts.",
    )
    export_hard_limit_rows: int = Field(
        10_000,
        ge=1,
        description="An export of more rows than this is refused until an admin approves the request.",
    )
    export_trap_records: int = Field(
        3,
        ge=0,
        le=50,
        description="Trap records (fictitious customers unique to the export) per export.",
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
    web_figures_dir: str = Field(
        "./clientfolio-figures",
        description=(
            "Where the web app keeps the figures it computed (encrypted with the key), so that after a "
            "restart the first page is served at once while they are recomputed; empty: not kept."
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

    upload_max_expanded_mb: int = Field(
        200,
        ge=1,
        description=(
            "The most an imported or traced XLSX file may expand to, in megabytes: the sum of the "
            "uncompressed sizes its ZIP declares (checked before it is opened) and the bytes read "
            "from it. Beyond: the file is refused, nothing is imported."
        ),
    )
    upload_max_zip_ratio: int = Field(
        100,
        ge=2,
        description=(
            "The highest compression ratio (uncompressed / compressed size) of a part of an XLSX "
            "file larger than 1 MB once uncompressed; beyond, the file is refused as a zip bomb. "
            "Ordinary spreadsheets stay well below 100."
        ),
    )
    upload_max_rows: int = Field(
        1_048_576,
        ge=1,
        description=(
            "The most rows read from an imported or traced file (CSV or XLSX, empty rows included); "
            "the default is the most a spreadsheet holds. Beyond: the file is refused."
        ),
    )
    upload_max_cells: int = Field(
        5_000_000,
        ge=1,
        description=(
            "The most cells read from an imported or traced file (rows x columns, empty cells "
            "included: a sheet declaring 16,384 columns counts them all). Beyond: the file is refused."
        ),
    )
    upload_max_field_chars: int = Field(
        131_072,
        ge=1024,
        description="The longest CSV field, in characters; a longer one rejects the file.",
    )
    upload_seconds: int = Field(
        120,
        ge=1,
        description=(
            "The web app's time limit of reading an uploaded file (import, trace), in seconds; "
            "beyond, the file is refused and nothing is imported."
        ),
    )
    upload_workers: int = Field(
        2,
        ge=1,
        description=(
            "Uploaded files (import, trace) the web app reads at the same time, each in a worker "
            "thread off the event loop."
        ),
    )
    upload_queue: int = Field(
        4,
        ge=0,
        description=("Uploads that may wait for a worker; beyond, an upload is answered 503 (busy, try again)."),
    )

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) for each setting, for docs and CLI."""
        prefix = cls.model_config.get("env_prefix", "")
        return [
            (f"{prefix}{name}".upper(), repr(field.default), field.description or "")
            for name, field in cls.model_fields.items()
        ]
