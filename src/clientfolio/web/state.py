"""What the requests of one app share, kept on ``app.state.web``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.templating import Jinja2Templates

from clientfolio.protect.keys import KeyRing
from clientfolio.settings import Settings
from clientfolio.store import Store
from clientfolio.web.figures import FigureCache
from clientfolio.web.uploads import UploadWorkers

__all__ = ["WebState"]


@dataclass(frozen=True)
class WebState:
    """The settings, the store, the key ring (None, with ``key_error``, when
    it could not be loaded), the templates, the dashboard figures' cache and
    the navigation list ``(path, English label, permission)``, and the
    workers that read the uploaded files (``web.uploads``)."""

    settings: Settings
    store: Store
    ring: KeyRing | None
    key_error: str | None
    templates: Jinja2Templates
    figures: FigureCache
    nav: tuple[tuple[str, str, str], ...]
    uploads: UploadWorkers
