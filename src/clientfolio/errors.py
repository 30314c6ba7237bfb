"""Domain errors. Raised in the library, turned into exit codes or HTTP statuses
only by the shells.

An error's message is a message of the catalogs: an English template with
``{field}`` parameters (``AccessDenied("{user} may not {permission_msg}",
user=..., permission_msg=...)``), rendered in English by ``str(error)`` and in
the reader's language by ``error.in_language(lang)`` (``clientfolio.i18n.render``:
amounts, shares, dates and ``_msg`` fields shown in that language)."""

from __future__ import annotations

import errno
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from clientfolio.i18n import N_, gettext_for, render

__all__ = [
    "AccessDenied",
    "AuthenticationFailed",
    "BackupRefused",
    "ClientfolioError",
    "DecryptionFailed",
    "ExportRefused",
    "KeyMissing",
    "LoginThrottled",
    "PasswordRejected",
    "REASONS",
    "RuleError",
    "StoreError",
    "os_reason",
    "reason_in",
]


_OS_REASONS: Mapping[int, str] = MappingProxyType(
    {
        errno.ENOENT: N_("no such file or folder"),
        errno.EACCES: N_("permission denied"),
        errno.EPERM: N_("operation not permitted"),
        errno.EISDIR: N_("a folder, not a file"),
        errno.ENOTDIR: N_("a file where a folder is expected"),
        errno.EEXIST: N_("already exists"),
        errno.ENAMETOOLONG: N_("file name too long"),
        errno.ENOSPC: N_("no space left on the disk"),
        errno.EROFS: N_("read-only file system"),
    }
)


def os_reason(exc: OSError) -> str:
    """Why the system refused a file, as an English message of the catalogs (pass it as a
    ``*_msg`` parameter: translated where shown); the system's own words when not known."""
    if exc.errno is not None and exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return exc.strerror or str(exc)


REASONS: Mapping[str, str] = MappingProxyType(
    {
        "less_than_equal": N_("must be at most {le}"),
        "greater_than_equal": N_("must be at least {ge}"),
        "less_than": N_("must be less than {lt}"),
        "greater_than": N_("must be greater than {gt}"),
        "int_parsing": N_("must be a whole number"),
        "int_from_float": N_("must be a whole number"),
        "float_parsing": N_("must be a number"),
        "bool_parsing": N_("must be true or false"),
        "literal_error": N_("must be one of: {expected}"),
        "environment": N_(
            "set by the environment ({variable}), which wins over the file: change or unset the variable"
        ),
        "json": N_("give a list or a table as JSON"),
        "empty": N_("a file cannot hold an empty value: reset the key to go back to its default"),
    }
)
"""The reason of a settings problem by its kind (pydantic's error type, or the
settings page's own), in English with the fields of its ``context``: shown
translated (``reason_in``) by the domain settings (``clientfolio.config``) and
the environment's (``clientfolio.settings``)."""


def reason_in(lang: str, kind: str, context: Mapping[str, Any], fallback: str) -> str:
    """The reason of ``REASONS`` for ``kind`` in ``lang``, filled from ``context``
    (a whole float shown whole); ``fallback`` (pydantic's English) for another kind."""
    template = REASONS.get(kind)
    if template is None:
        return fallback
    try:
        whole = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in context.items()}
        return gettext_for(lang)(template).format(**whole)
    except (KeyError, IndexError):
        return fallback


class ClientfolioError(Exception):
    """Base class of every error Clientfolio raises on purpose: ``template``
    (English, a message of the catalogs) filled with ``params``."""

    def __init__(self, template: str = "", /, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(render("en", template, params) if params else template)

    def in_language(self, lang: str) -> str:
        """The message in ``lang`` (English: ``str(self)``)."""
        if lang == "en":
            return str(self)
        return render(lang, self.template, self.params) if self.params else gettext_for(lang)(self.template)


class RuleError(ClientfolioError, ValueError):
    """A settings model's rule is broken (raised by its validator): pydantic
    reports it as a ``ValueError`` of the table or key, and the settings'
    messages show its template in the reader's language
    (``clientfolio.config.ConfigProblem.in_language``)."""


class StoreError(ClientfolioError):
    """The customer store cannot be opened or migrated."""


class KeyMissing(ClientfolioError):
    """No master key: neither ``CLIENTFOLIO_KEY`` nor the key file, or a key id
    the key ring does not hold."""


class DecryptionFailed(ClientfolioError):
    """An encrypted value or archive does not open: wrong key, or altered."""


class BackupRefused(ClientfolioError):
    """A backup archive fails its verification; nothing was restored."""


class AuthenticationFailed(ClientfolioError):
    """A login is refused.  One message whatever the cause (unknown user, bad
    password or code, locked, disabled, expired): the cause goes to the audit
    log only."""


class LoginThrottled(AuthenticationFailed):
    """A login refused before its password is checked: too many failures from
    the client's address.  ``minutes``: when to try again (at least 1)."""

    def __init__(self, message: str, minutes: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.minutes = minutes


class AccessDenied(ClientfolioError):
    """The principal may not do this (role permission or inactive user)."""


class PasswordRejected(ClientfolioError):
    """A new password breaks the policy; ``reasons`` lists why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("password refused: {reasons}", reasons="; ".join(reasons))
        self.reasons = reasons


class ExportRefused(AccessDenied):
    """An export above the hard limit without an admin's approval: the request
    ``request_id`` is recorded, pending approval."""

    def __init__(self, message: str, request_id: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.request_id = request_id
