"""The web application: server-rendered pages (Jinja2), their JSON, and the
REST API under ``/api/v1``, built by ``create_app(settings)`` (docs/web.md)."""

from clientfolio.web.app import create_app

__all__ = ["create_app"]
