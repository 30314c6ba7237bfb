"""The web application: server-rendered pages (Jinja2), their JSON, and the
REST API under ``/api/v1``, built by ``create_app(settings)`` (docs/web.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.web.app import create_app

__all__ = ["create_app"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.web.app": ("create_app",),
    },
)
