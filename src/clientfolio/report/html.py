"""The review as one self-contained HTML file: inline CSS, inline SVG charts,
no script, nothing fetched; prints on A4 one section a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from clientfolio.i18n import formatter, gettext_for
from clientfolio.report.layout import Report, format_value

__all__ = ["render_html", "write_html"]


def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("clientfolio.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    fmt = formatter(lang)
    env.filters["fv"] = lambda value, kind: format_value(value, kind, fmt)
    return env


def render_html(report: Report, *, export_uid: str | None = None) -> str:
    """The HTML text of ``report`` (``export_uid`` written in it when given)."""
    context: dict[str, Any] = {
        "report": report,
        "export_uid": export_uid,
        "no_data": gettext_for(report.lang)("No data"),
    }
    return _environment(report.lang).get_template("annual.html").render(context)


def write_html(report: Report, path: Path, *, export_uid: str | None = None) -> Path:
    """Write ``report`` as HTML (UTF-8) at ``path``; returns ``path``."""
    path.write_text(render_html(report, export_uid=export_uid), encoding="utf-8")
    return path
