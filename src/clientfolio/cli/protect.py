"""``clientfolio keys``, ``backup`` and ``restore``: keys, rotation, encrypted backups."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from clientfolio.cli._common import DataTable, DbOption, actor, fmt, settings_for, stderr, stdout, tr
from clientfolio.errors import ClientfolioError

if TYPE_CHECKING:
    from rich.progress import Progress

    from clientfolio.protect.backup import BackupManifest
    from clientfolio.protect.keys import KeyRing

__all__ = ["backup_command", "keys_app", "restore_command"]

# the answers that confirm, in English and in French
YES = frozenset({"y", "yes", "o", "oui"})

keys_app = typer.Typer(help="The master keys: where they are, and their rotation.", no_args_is_help=True)


def _bar(description: str) -> Progress:
    """A progress bar on the error console (gone when done)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(f"[bold]{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr(),
        transient=True,
    )


def _source(ring: KeyRing) -> str:
    """Where the key is, as Rich markup (its path escaped, a loose mode in red)."""
    from clientfolio.protect.keys import KEY_ENV

    if ring.path is None:
        return escape(tr("environment variable {name}", name=KEY_ENV))
    mode = stat.S_IMODE(os.stat(ring.path).st_mode)
    loose = (
        ""
        if mode & 0o077 == 0
        else f" [bold red]{tr('(mode {mode}: readable by others, chmod 600)', mode=f'{mode:o}')}[/]"
    )
    return escape(tr("key file {path}", path=str(ring.path))) + loose


@keys_app.command("status")
def keys_status(db: DbOption = None) -> None:
    """Show where the key is, its id and fingerprint, and the values encrypted under each key."""
    from clientfolio.errors import KeyMissing
    from clientfolio.protect.keys import KeyRing
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
        stdout().print(tr("Key: {source}", source=_source(ring)), markup=True)  # the source's data escaped
        stdout().print(
            tr(
                "Current key: {key} (fingerprint {fingerprint}); active: {active}; retired (old backups only): "
                "{retired}",
                key=str(ring.current),
                fingerprint=ring.fingerprint(),
                active=", ".join(map(str, sorted(ring.keys))),
                retired=", ".join(map(str, sorted(ring.retired))) or tr("none"),
            )
        )
    table = DataTable(title=tr("Sensitive values in the store"), show_edge=False)
    table.add_column(tr("stored"))
    table.add_column(tr("values"), justify="right")
    for key_id, count in counts.by_key.items():
        note = (
            " " + tr("(key not held)")
            if ring is None or key_id not in {**ring.keys, **ring.retired}
            else " " + tr("(retired key: run `clientfolio keys rotate`)")
            if key_id in ring.retired
            else ""
        )
        table.add_row(tr("encrypted, key {key}", key=str(key_id)) + note, fmt().number(count))
    for field, count in counts.plain.items():
        table.add_row(tr("plain text: {field}", field=field), fmt().number(count))
    stdout().print(table)
    if ring is not None and ring.rotation_interrupted:
        interrupted = tr(
            "A key rotation to key {key} was interrupted (active keys: {active}): run `clientfolio keys recover`.",
            key=str(ring.current),
            active=", ".join(map(str, sorted(ring.keys))),
        )
        stdout().print(interrupted, style="yellow")
    if counts.plain:
        stdout().print(tr("Some values are not encrypted yet: run `clientfolio keys rotate`."), style="yellow")
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
    from clientfolio.protect.keys import KEY_ENV, KeyRing
    from clientfolio.protect.rotation import rotate_keys
    from clientfolio.store import Store

    settings = settings_for(db)
    ring = KeyRing.load(settings, create=not recover)
    if ring.path is None:
        raise ClientfolioError(
            "the key comes from {name}: rotation writes a new key, so it needs the key "
            "file; unset {name} and save the key in {path}",
            name=KEY_ENV,
            path=str(settings.key_file),
        )
    if recover and not ring.rotation_interrupted:
        stdout().print(
            tr(
                "No interrupted key rotation: key {key} is the only active key; nothing to recover.",
                key=str(ring.current),
            )
        )
        return
    store = Store(settings.database_url)
    with _bar(tr("Re-encrypting")) as bar:
        task = bar.add_task(tr("values"), total=None)
        report = rotate_keys(
            store,
            ring,
            forget=forget,
            actor=actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if report.resumed:
        resumed = tr("A key rotation to key {key} had been interrupted: completed.", key=str(report.new_key_id))
        stdout().print(
            f"[yellow]{resumed}[/] " + ("" if recover else tr("Run `clientfolio keys rotate` again for a new key.")),
            markup=True,
        )
    rotated = tr("Rotated:")
    stdout().print(
        f"[green]{rotated}[/] "
        + tr(
            "key {key} (fingerprint {fingerprint}) is current; {values} values in {rows} rows re-encrypted "
            "({plain} were plain text), {indexes} email indexes recomputed; audit log re-sealed.",
            key=str(report.new_key_id),
            fingerprint=report.ring.fingerprint(),
            values=report.values,
            rows=report.rows,
            plain=report.plain_values,
            indexes=report.indexes,
        ),
        markup=True,
    )
    old = ", ".join(map(str, report.old_key_ids))
    if forget:
        stdout().print(tr("Old key(s) {keys} dropped: backups made before now can no longer be restored.", keys=old))
    else:
        stdout().print(
            tr("Old key(s) {keys} retired in {path}: they open older backups only.", keys=old, path=str(ring.path))
        )


def backup_command(
    out: Annotated[
        Path | None, typer.Option(help="Archive to write (default: clientfolio-YYYYmmdd-HHMMSS.cfbackup here).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Back up the whole store into one encrypted, authenticated archive, while it runs."""
    from clientfolio.protect.backup import backup
    from clientfolio.protect.keys import KeyRing
    from clientfolio.store import Store

    settings = settings_for(db)
    dest = out or Path(f"clientfolio-{dt.datetime.now():%Y%m%d-%H%M%S}.cfbackup")
    ring = KeyRing.load(settings, create=True)
    store = Store(settings.database_url)
    with _bar(tr("Backing up")) as bar:
        task = bar.add_task(tr("rows"), total=None)
        manifest = backup(
            store,
            ring,
            dest,
            actor=actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    written = tr("Backup written to {path}", path=str(dest))
    stdout().print(
        f"[green]{escape(written)}[/] "
        + tr(
            "({size} bytes): {rows} rows in {tables} tables, schema revision {revision}, key {key} "
            "(fingerprint {fingerprint}). Keep the key apart from the backup.",
            size=manifest.size_bytes,
            rows=manifest.rows,
            tables=len(manifest.tables),
            revision=str(manifest.schema_revision),
            key=str(manifest.key_id),
            fingerprint=ring.fingerprint(),
        ),
        markup=True,
    )


def _show(manifest: BackupManifest) -> None:

    table = DataTable(
        title=tr(
            "Backup of {created} (Clientfolio {version}, {dialect}, revision {revision}): verified",
            created=str(manifest.created_at),
            version=str(manifest.app_version),
            dialect=str(manifest.dialect),
            revision=str(manifest.schema_revision),
        ),
        show_edge=False,
    )
    table.add_column(tr("table"))
    table.add_column(tr("rows"), justify="right")
    for entry in manifest.tables:
        if entry.rows:
            table.add_row(entry.name, fmt().number(entry.rows))
    stdout().print(table)


def restore_command(
    file: Annotated[Path, typer.Argument(help="The .cfbackup archive to restore.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the store's data without asking.")] = False,
    db: DbOption = None,
) -> None:
    """Restore a backup: verify the whole archive, then replace every row of the store."""
    from clientfolio.protect.backup import restore, verify_backup
    from clientfolio.protect.keys import KeyRing

    settings = settings_for(db)
    ring = KeyRing.load(settings)
    with stdout().status(tr("Verifying the archive...")):
        manifest = verify_backup(ring, file)
    _show(manifest)
    if not yes:
        asked = tr("Replace every row of {url} with this backup?", url=settings.database_url)
        answer = typer.prompt(f"{asked} {tr('[y/N]')}", default="", show_default=False)
        if answer.strip().lower() not in YES:
            raise typer.Abort()
    with _bar(tr("Restoring")) as bar:
        task = bar.add_task(tr("rows"), total=manifest.rows)
        report = restore(
            settings.database_url,
            ring,
            file,
            force=True,
            actor=actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    restored = tr("Restored")
    stdout().print(
        f"[green]{restored}[/] "
        + escape(
            tr(
                "{rows} rows from {path} ({replaced} rows replaced).",
                rows=report.manifest.rows,
                path=str(file),
                replaced=report.replaced_rows,
            )
        ),
        markup=True,
    )
