"""The language of the web interface: the user's choice (``users.language``,
migration 0009) or the browser's ``Accept-Language``."""

from __future__ import annotations

from sqlalchemy import select, update

from clientfolio.i18n import LANGS
from clientfolio.store import Store
from clientfolio.store.schema import User

__all__ = ["DEFAULT_LANG", "browser_language", "save_language", "user_language"]

DEFAULT_LANG = "fr"


def user_language(store: Store, user_id: int) -> str | None:
    """The language user ``user_id`` chose, None when not chosen."""
    with store.engine.connect() as conn:
        chosen = conn.scalar(select(User.language).where(User.id == user_id))
    return chosen if chosen in LANGS else None


def save_language(store: Store, user_id: int, lang: str) -> None:
    """Keep ``lang`` (one of ``LANGS``) as the language of user ``user_id``."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    with store.begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(language=lang))


def browser_language(accept_language: str) -> str:
    """The first of ``LANGS`` in an ``Accept-Language`` header, by quality
    (``en-GB,en;q=0.9,fr;q=0.8`` -> ``en``); ``DEFAULT_LANG`` when none."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGS and quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else DEFAULT_LANG
