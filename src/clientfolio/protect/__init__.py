"""Protection of the customer file (DOMAIN.md section 13).

Master keys, field encryption, key rotation and encrypted backups (``keys``,
``fields``, ``rotation``, ``backup``); users and roles,
passwords and login throttling, sessions and CSRF tokens, TOTP second factor,
and the tamper-evident audit log (``users``, ``passwords``, ``sessions``,
``csrf``, ``totp``, ``audit``); registered, fingerprinted exports with trap
records and signed manifests, their alerts, and the tracing of a leaked file
(``exports``, ``fingerprint``, ``traps``, ``manifest``, ``alerts``, ``trace``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientfolio.lazy import lazy_exports

if TYPE_CHECKING:
    from clientfolio.protect.alerts import Alert, ExportRules, export_alerts
    from clientfolio.protect.audit import (
        AuditEvent,
        AuditReport,
        list_events,
        record_customer_read,
        record_event,
        reseal_chain,
        verify_chain,
    )
    from clientfolio.protect.backup import BackupManifest, RestoreReport, backup, restore, verify_backup
    from clientfolio.protect.csrf import csrf_token, verify_csrf
    from clientfolio.protect.exports import (
        ExportKeys,
        ExportRequest,
        ExportResult,
        approve_export,
        fingerprint_secrets,
        list_approvals,
        list_exports,
        make_export,
    )
    from clientfolio.protect.fields import (
        SENSITIVE_FIELDS,
        contact_values,
        decrypt_field,
        email_index,
        encrypt_field,
        is_token,
        normalize_email,
        open_field,
        seal_field,
        token_key_id,
    )
    from clientfolio.protect.keys import KEY_ENV, KeyRing, KeySettings
    from clientfolio.protect.manifest import SignedManifest, verify_file
    from clientfolio.protect.passwords import check_password, hash_password, verify_password
    from clientfolio.protect.rotation import KeyStatus, RotationReport, key_status, rotate_keys
    from clientfolio.protect.sessions import (
        close_all_sessions,
        close_session,
        open_session,
        session_user,
    )
    from clientfolio.protect.totp import new_totp_secret, provisioning_uri, verify_totp
    from clientfolio.protect.trace import TraceResult, trace_file
    from clientfolio.protect.users import (
        PERMISSIONS,
        ROLE_PERMISSIONS,
        UserRecord,
        authenticate,
        can,
        create_user,
        disable_user,
        get_user,
        list_users,
        principal_for,
        require,
        set_password,
        set_scopes,
        set_totp,
    )

__all__ = [
    "Alert",
    "AuditEvent",
    "AuditReport",
    "BackupManifest",
    "ExportKeys",
    "ExportRequest",
    "ExportResult",
    "ExportRules",
    "KEY_ENV",
    "KeyRing",
    "KeySettings",
    "KeyStatus",
    "PERMISSIONS",
    "ROLE_PERMISSIONS",
    "RestoreReport",
    "RotationReport",
    "SENSITIVE_FIELDS",
    "SignedManifest",
    "TraceResult",
    "UserRecord",
    "approve_export",
    "authenticate",
    "backup",
    "can",
    "check_password",
    "close_all_sessions",
    "close_session",
    "contact_values",
    "create_user",
    "csrf_token",
    "decrypt_field",
    "disable_user",
    "email_index",
    "encrypt_field",
    "export_alerts",
    "fingerprint_secrets",
    "get_user",
    "hash_password",
    "is_token",
    "key_status",
    "list_approvals",
    "list_events",
    "list_exports",
    "list_users",
    "make_export",
    "new_totp_secret",
    "normalize_email",
    "open_field",
    "open_session",
    "principal_for",
    "provisioning_uri",
    "record_customer_read",
    "record_event",
    "reseal_chain",
    "require",
    "restore",
    "rotate_keys",
    "seal_field",
    "session_user",
    "set_password",
    "set_scopes",
    "set_totp",
    "token_key_id",
    "trace_file",
    "verify_backup",
    "verify_chain",
    "verify_csrf",
    "verify_file",
    "verify_password",
    "verify_totp",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clientfolio.protect.alerts": (
            "Alert",
            "ExportRules",
            "export_alerts",
        ),
        "clientfolio.protect.audit": (
            "AuditEvent",
            "AuditReport",
            "list_events",
            "record_customer_read",
            "record_event",
            "reseal_chain",
            "verify_chain",
        ),
        "clientfolio.protect.backup": (
            "BackupManifest",
            "RestoreReport",
            "backup",
            "restore",
            "verify_backup",
        ),
        "clientfolio.protect.csrf": (
            "csrf_token",
            "verify_csrf",
        ),
        "clientfolio.protect.exports": (
            "ExportKeys",
            "ExportRequest",
            "ExportResult",
            "approve_export",
            "fingerprint_secrets",
            "list_approvals",
            "list_exports",
            "make_export",
        ),
        "clientfolio.protect.fields": (
            "SENSITIVE_FIELDS",
            "contact_values",
            "decrypt_field",
            "email_index",
            "encrypt_field",
            "is_token",
            "normalize_email",
            "open_field",
            "seal_field",
            "token_key_id",
        ),
        "clientfolio.protect.keys": (
            "KEY_ENV",
            "KeyRing",
            "KeySettings",
        ),
        "clientfolio.protect.manifest": (
            "SignedManifest",
            "verify_file",
        ),
        "clientfolio.protect.passwords": (
            "check_password",
            "hash_password",
            "verify_password",
        ),
        "clientfolio.protect.rotation": (
            "KeyStatus",
            "RotationReport",
            "key_status",
            "rotate_keys",
        ),
        "clientfolio.protect.sessions": (
            "close_all_sessions",
            "close_session",
            "open_session",
            "session_user",
        ),
        "clientfolio.protect.totp": (
            "new_totp_secret",
            "provisioning_uri",
            "verify_totp",
        ),
        "clientfolio.protect.trace": (
            "TraceResult",
            "trace_file",
        ),
        "clientfolio.protect.users": (
            "PERMISSIONS",
            "ROLE_PERMISSIONS",
            "UserRecord",
            "authenticate",
            "can",
            "create_user",
            "disable_user",
            "get_user",
            "list_users",
            "principal_for",
            "require",
            "set_password",
            "set_scopes",
            "set_totp",
        ),
    },
)
