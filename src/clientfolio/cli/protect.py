"""``clientfolio keys``, ``backup`` and ``restore``: keys, rotation, encrypted backups."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from clientfolio.cli._common import DbOption, actor, settings_for, stderr, stdout
from clientfolio.errors import ClientfolioError
from clientfolio.protect.keys import KEY_ENV, KeyRing

if TYPE_CHECKING:
    from clientfolio.protect.backup import BackupManifest

__all__ = ["backup_command", "keys_app", "restore_command"]

keys_app = typer.Typer(help="The master keys: where they are, and their rotation.", no_args_is_help=True)


def _bar(description: str) -> Progress:

    return Progress(
        TextColumn(f"[bold]{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr(),
        transient=True,
    )


def _source(ring: KeyRing) -> str:
    if ring.path is None:
        return f"environment variable {KEY_ENV}"
    mode = stat.S_IMODE(os.stat(ring.path).st_mode)
    loose = "" if mode & 0o077 == 0 else f" [bold red](mode {mode:o}: readable by others, chmod 600)[/]"
    return f"key file {ring.path}{loose}"


@keys_app.command("status")
def keys_status(db: DbOption = None) -> None:
    """Show where the key is, its id and fingerprint, and the values encrypted under each key."""
    from clientfolio.errors import KeyMissing
    from clientfolio.protect.rotation import key_status
    from clientfolio.store import Store

    settings = settings_for(db)
    missing: KeyMissing | None = None
    try:
        ring: KeyRing | None = KeyRing.load(settings)
    except KeyMissing as exc:
        ring, missing = None, exc
    counts = key_status(Store(settings.database_url))
    if ring is not None:
        stdout().print(f"Key: {_source(ring)}")
        stdout().print(
            f"Current key: {ring.current} (fingerprint {ring.fingerprint()}); "
            f"active: {', '.join(map(str, sorted(ring.keys)))}; "
            f"retired (old backups only): {', '.join(map(str, sorted(ring.retired))) or 'none'}"
        )
    table = Table(title="Sensitive values in the store", show_edge=False)
    table.add_column("stored")
    table.add_column("values", justify="right")
    for key_id, count in counts.by_key.items():
        note = (
            " (key not held)"
            if ring is None or key_id not in {**ring.keys, **ring.retired}
            else " (retired key: run `clientfolio keys rotate`)"
            if key_id in ring.retired
            else ""
        )
        table.add_row(f"encrypted, key {key_id}{note}", f"{count:,}")
    for field, count in counts.plain.items():
        table.add_row(f"plain text: {field}", f"{count:,}")
    stdout().print(table)
    if ring is not None and ring.rotation_interrupted:
        stdout().print(
            f"[yellow]A key rotation to key {ring.current} was interrupted (active keys: "
            f"{', '.join(map(str, sorted(ring.keys)))}): run `clientfolio keys recover`."
        )
    if counts.plain:
        stdout().print("[yellow]Some values are not encrypted yet: run `clientfolio keys rotate`.")
    if missing is not None and counts.encrypted:
        raise missing


@keys_app.command("rotate")
def keys_rotate(
    db: DbOption = None,
    forget: Annotated[
        bool, typer.Option("--forget-old", help="Drop the old keys instead of keeping them to open older backups.")
    ] = False,
) -> None:
    """Re-encrypt every sensitive value under a new key, then retire the old one
    (an interrupted rotation is completed instead: run it again for a new key)."""
    _rotate(db, forget, recover=False)


@keys_app.command("recover")
def keys_recover(
    db: DbOption = None,
    forget: Annotated[
        bool, typer.Option("--forget-old", help="Drop the old keys instead of keeping them to open older backups.")
    ] = False,
) -> None:
    """Complete a key rotation that was interrupted (error, crash, kill): everything
    under the current key, the audit log re-sealed, the old key retired."""
    _rotate(db, forget, recover=True)


def _rotate(db: str | None, forget: bool, *, recover: bool) -> None:
    from clientfolio.protect.rotation import rotate_keys
    from clientfolio.store import Store

    settings = settings_for(db)
    ring = KeyRing.load(settings, create=not recover)
    if ring.path is None:
        raise ClientfolioError(
            f"the key comes from {KEY_ENV}: rotation writes a new key, so it needs the key "
            f"file; unset {KEY_ENV} and save the key in {settings.key_file}"
        )
    if recover and not ring.rotation_interrupted:
        stdout().print(f"No interrupted key rotation: key {ring.current} is the only active key; nothing to recover.")
        return
    store = Store(settings.database_url)
    with _bar("Re-encrypting") as bar:
        task = bar.add_task("values", total=None)
        report = rotate_keys(
            store,
            ring,
            forget=forget,
            actor=actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if report.resumed:
        stdout().print(
            f"[yellow]A key rotation to key {report.new_key_id} had been interrupted: completed.[/] "
            + ("" if recover else "Run `clientfolio keys rotate` again for a new key.")
        )
    stdout().print(
        f"[green]Rotated:[/] key {report.new_key_id} (fingerprint {report.ring.fingerprint()}) is current; "
        f"{report.values:,} values in {report.rows:,} rows re-encrypted "
        f"({report.plain_values:,} were plain text), {report.indexes:,} email indexes recomputed; "
        "audit log re-sealed."
    )
    old = ", ".join(map(str, report.old_key_ids))
    if forget:
        stdout().print(f"Old key(s) {old} dropped: backups made before now can no longer be restored.")
    else:
        stdout().print(f"Old key(s) {old} retired in {ring.path}: they open older backups only.")


def backup_command(
    out: Annotated[
        Path | None, typer.Option(help="Archive to write (default: clientfolio-YYYYmmdd-HHMMSS.cfbackup here).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Back up the whole store into one encrypted, authenticated archive, while it runs."""
    from clientfolio.protect.backup import backup
    from clientfolio.store import Store

    settings = settings_for(db)
    dest = out or Path(f"clientfolio-{dt.datetime.now():%Y%m%d-%H%M%S}.cfbackup")
    ring = KeyRing.load(settings, create=True)
    store = Store(settings.database_url)
    with _bar("Backing up") as bar:
        task = bar.add_task("rows", total=None)
        manifest = backup(
            store,
            ring,
            dest,
            actor=actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    stdout().print(
        f"[green]Backup written to {dest}[/] ({manifest.size_bytes:,} bytes): "
        f"{manifest.rows:,} rows in {len(manifest.tables)} tables, schema revision "
        f"{manifest.schema_revision}, key {manifest.key_id} "
        f"(fingerprint {ring.fingerprint()}). Keep the key apart from the backup."
    )


def _show(manifest: BackupManifest) -> None:

    table = Table(
        title=f"Backup of {manifest.created_at} (Clientfolio {manifest.app_version}, "
        f"{manifest.dialect}, revision {manifest.schema_revision}): verified",
        show_edge=False,
    )
    table.add_column("table")
    table.add_column("rows", justify="right")
    for entry in manifest.tables:
        if entry.rows:
            table.add_row(entry.name, f"{entry.rows:,}")
    stdout().print(table)


def restore_command(
    file: Annotated[Path, typer.Argument(help="The .cfbackup archive to restore.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the store's data without asking.")] = False,
    db: DbOption = None,
) -> None:
    """Restore a backup: verify the whole archive, then replace every row of the store."""
    from clientfolio.protect.backup import restore, verify_backup

    settings = settings_for(db)
    ring = KeyRing.load(settings)
    with stdout().status("Verifying the archive..."):
        manifest = verify_backup(ring, file)
    _show(manifest)
    if not yes:
        typer.confirm(f"Replace every row of {settings.database_url} with this backup?", abort=True)
    with _bar("Restoring") as bar:
        task = bar.add_task("rows", total=manifest.rows)
        report = restore(
            settings.database_url,
            ring,
            file,
            force=True,
            actor=actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    stdout().print(
        f"[green]Restored[/] {report.manifest.rows:,} rows from {file} ({report.replaced_rows:,} rows replaced)."
    )
