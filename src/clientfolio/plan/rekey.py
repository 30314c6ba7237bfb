"""The message keys of the plan's texts stored as English sentences by the
versions before migration ``0013``: an accepted suggestion's title and reason,
a suggested SWOT item's text, read back to their template and parameters
(``plan.messages.match``: a title against ``plan.suggestions.TITLE_TEMPLATES``,
a reason and steps against theirs, an item against
``plan.swot.TEMPLATES``).  A text that is an instance of no template is the
user's: it keeps no key (shown as written).  Pure functions, called by the
migration."""

from __future__ import annotations

from dataclasses import dataclass

from clientfolio.plan.messages import dump_params, match
from clientfolio.plan.suggestions import MSG_ALIASES, REASON_TEMPLATES, STEPS_TEMPLATES, TITLE_TEMPLATES
from clientfolio.plan.swot import TEMPLATES as SWOT_TEMPLATES

__all__ = ["ActionKeys", "ItemKeys", "action_keys", "item_keys"]


@dataclass(frozen=True)
class ActionKeys:
    """An action's stored keys: templates (None: the text as written) and parameters (JSON)."""

    title_msg: str | None
    reason_msg: str | None
    steps_msg: str | None
    params: str | None


@dataclass(frozen=True)
class ItemKeys:
    """A SWOT item's stored keys: its template (None: the text as written) and parameters (JSON)."""

    text_msg: str | None
    params: str | None


def action_keys(title: str, reason: str | None, steps: str | None = None) -> ActionKeys:
    """The keys of an action stored with the English ``title``, ``reason`` and ``steps``."""
    params: dict[str, str | int | float] = {}
    found = [
        None if text is None else match(text, templates, MSG_ALIASES)
        for text, templates in ((title, TITLE_TEMPLATES), (reason, REASON_TEMPLATES), (steps, STEPS_TEMPLATES))
    ]
    for one in reversed(found):
        if one is not None:
            params |= one[1]
    title_msg, reason_msg, steps_msg = (None if one is None else one[0] for one in found)
    return ActionKeys(title_msg, reason_msg, steps_msg, dump_params(params))


def item_keys(text: str) -> ItemKeys:
    """The keys of a SWOT item stored with the English ``text``."""
    found = match(text, SWOT_TEMPLATES, MSG_ALIASES)
    return ItemKeys(None, None) if found is None else ItemKeys(found[0], dump_params(found[1]))
