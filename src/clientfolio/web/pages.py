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
  temporary directory, for the library functions that read a path.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from clientfolio.access import Principal
from clientfolio.protect.users import require
from clientfolio.web.deps import PrincipalDep

__all__ = ["Admin", "Auditor", "Exporter", "Reader", "Writer", "download", "safe_name", "scratch", "upload_to"]


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


async def upload_to(upload: UploadFile, folder: Path) -> Path:
    """Save ``upload`` in ``folder`` under its cleaned name; its path."""
    path = folder / safe_name(upload.filename or "", "upload")
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            out.write(chunk)
    return path


def download(path: Path, filename: str, media_type: str, *, folder: Path) -> FileResponse:
    """``path`` as an attachment named ``filename``; ``folder`` is removed once sent."""
    return FileResponse(path, media_type=media_type, filename=filename,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
