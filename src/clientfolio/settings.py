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

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) for each setting, for docs and CLI."""
        prefix = cls.model_config.get("env_prefix", "")
        return [
            (f"{prefix}{name}".upper(), repr(field.default), field.description or "")
            for name, field in cls.model_fields.items()
        ]
