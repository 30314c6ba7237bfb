"""Domain errors. Raised in the library, turned into exit codes or HTTP statuses
only by the shells."""

from __future__ import annotations

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
    "StoreError",
]


class ClientfolioError(Exception):
    """Base class of every error Clientfolio raises on purpose."""


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

    def __init__(self, message: str, minutes: int) -> None:
        super().__init__(message)
        self.minutes = minutes


class AccessDenied(ClientfolioError):
    """The principal may not do this (role permission or inactive user)."""


class PasswordRejected(ClientfolioError):
    """A new password breaks the policy; ``reasons`` lists why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("password refused: " + "; ".join(reasons))
        self.reasons = reasons


class ExportRefused(AccessDenied):
    """An export above the hard limit without an admin's approval: the request
    ``request_id`` is recorded, pending approval."""

    def __init__(self, message: str, request_id: int) -> None:
        super().__init__(message)
        self.request_id = request_id
