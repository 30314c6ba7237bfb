"""What the resource pages (prospects, plan, SWOT, self-assessment, import,
export and trace, admin, report) share.

- ``Reader``, ``Writer``, ``Exporter``, ``Auditor``, ``Admin``: the logged-in
  principal, once its role is checked for that permission
  (``protect.users.require``); a refusal is written to the audit log
  (``web.refused`` by the error handler of ``web.render``: who, the method
  and path, the role and permission refused) before the 403 page.
- ``download``: a file written in a temporary directory, sent as an
  attachment, the directory removed once sent.
- ``upload_to``: an uploaded file saved under its (cleaned) name in a
  temporary directory, for the library functions that read a path;
  ``limited_upload`` does it within ``web_max_upload_mb`` (beyond: 413 with a
  message in the page's language, the partial copy dropped with its folder).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from clientfolio.access import Principal
from clientfolio.protect.users import require
from clientfolio.web.deps import PrincipalDep, View

__all__ = [
    "UPLOAD_PATHS",
    "Admin",
    "Auditor",
    "Exporter",
    "Reader",
    "UploadTooLarge",
    "Writer",
    "download",
    "limited_upload",
    "safe_name",
    "scratch",
    "too_large_message",
    "upload_to",
]


def _guard(permission: str) -> Callable[..., Principal]:
    def check(principal: PrincipalDep) -> Principal:
        """The principal when its role grants ``permission``; else ``AccessDenied``,
        which the error handler audits (``web.refused``) before the 403 page."""
        require(principal, permission)
        return principal

    return check


Reader = Annotated[Principal, Depends(_guard("read"))]
Writer = Annotated[Principal, Depends(_guard("write"))]
Exporter = Annotated[Principal, Depends(_guard("export"))]
Auditor = Annotated[Principal, Depends(_guard("audit"))]
Admin = Annotated[Principal, Depends(_guard("admin"))]


def safe_name(name: str, default: str = "file") -> str:
    """``name`` reduced to a plain file name (letters, digits, ``.-_``), never a path."""
    cleaned = re.sub(r"[^\w.-]+", "-", Path(name or "").name).strip(".-")
    return cleaned[:120] or default


@contextmanager
def scratch() -> Iterator[Path]:
    """A new private temporary directory (mode 0700) for a file to send with
    ``download`` (which removes it once sent); removed at once if the block fails."""
    folder = Path(tempfile.mkdtemp(prefix="clientfolio-web-"))
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


class UploadTooLarge(Exception):
    """An upload beyond the size limit (``limit``, bytes)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"upload larger than {limit} bytes")
        self.limit = limit


async def upload_to(upload: UploadFile, folder: Path, *, max_bytes: int | None = None) -> Path:
    """Save ``upload`` in ``folder`` under its cleaned name, by chunks; its
    path.  ``max_bytes``: ``UploadTooLarge`` as soon as the upload is known
    (its size) or read (the bytes copied) to be larger; the partial copy stays
    in ``folder``, which the caller removes."""
    if max_bytes is not None and upload.size is not None and upload.size > max_bytes:
        raise UploadTooLarge(max_bytes)
    path = folder / safe_name(upload.filename or "", "upload")
    written = 0
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            written += len(chunk)
            if max_bytes is not None and written > max_bytes:
                raise UploadTooLarge(max_bytes)
            out.write(chunk)
    return path


UPLOAD_PATHS = frozenset({"/import", "/trace"})
"""The pages that take a file upload, held to ``web_max_upload_mb``."""


def too_large_message(_: Callable[[str], str], megabytes: int) -> str:
    """The message of a refused upload, in the language of ``_``."""
    return _("The file is larger than the limit of {limit} MB: it was not read, nothing was imported.").format(
        limit=megabytes
    )


def too_large(view: View, megabytes: int) -> HTTPException:
    """The 413 answer to an upload beyond ``megabytes``, in the page's language."""
    return HTTPException(413, too_large_message(view._, megabytes))


async def limited_upload(view: View, upload: UploadFile, folder: Path) -> Path:
    """``upload_to`` within the setting ``web_max_upload_mb``; 413 beyond it."""
    megabytes = view.state.settings.web_max_upload_mb
    try:
        return await upload_to(upload, folder, max_bytes=megabytes * 1024 * 1024)
    except UploadTooLarge:
        raise too_large(view, megabytes) from None


def download(path: Path, filename: str, media_type: str, *, folder: Path) -> FileResponse:
    """``path`` as an attachment named ``filename``; ``folder`` is removed once sent."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
