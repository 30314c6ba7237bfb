"""Importing a file (``/import``): upload it with its kind (or let the
header tell) and, optionally, as a dry run; the page shows the columns
matched, and either the counts written (or that would be) or every bad row
(file, line, column, value, reason) with the statement that nothing was
imported: ``ingest.import_file`` is all or nothing.  For the roles with the
``write`` permission; each import, accepted or rejected, is audited (the
accepted one by ``import_file``, in the import's transaction).  The file is
read in an upload worker (``web.uploads``: off the event loop, a few at a
time, 503 when busy) within the reading limits (``clientfolio.filelimits``:
413 beyond them, nothing imported)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import Response

from clientfolio.errors import ClientfolioError
from clientfolio.i18n import localized
from clientfolio.ingest import KINDS, ImportRejected, guess_kind, import_file
from clientfolio.ingest.columns import field_name, match_columns
from clientfolio.ingest.sources import open_table
from clientfolio.protect.audit import record_event
from clientfolio.web.deps import CsrfChecked, RingDep, ViewDep
from clientfolio.web.pages import Writer, limited_upload
from clientfolio.web.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _columns(path: Path, kind: str | None) -> tuple[str | None, dict[str, str]]:
    """The kind and the columns matched in the file at ``path`` (what can be told of a rejected file)."""
    try:
        table = open_table(path)
        try:
            kind = kind or guess_kind(table)
            return kind, {} if kind == "fec" else match_columns(path.name, table.header, kind).shown()
        finally:
            table.close()
    except ClientfolioError:
        return kind, {}


@router.get("/import")
def import_form(view: ViewDep, principal: Writer) -> Response:
    """The upload form."""
    return page(view, "import.html", {"kinds": list(KINDS), "result": None, "errors": None})


@router.post("/import", dependencies=[CsrfChecked])
async def upload(
    view: ViewDep,
    principal: Writer,
    ring: RingDep,
    file: UploadFile,
    kind: Annotated[str, Form(max_length=20)] = "",
    dry_run: Annotated[bool, Form()] = False,
    header_row: Annotated[int | None, Form(ge=1, le=1000)] = None,
    allow_future: Annotated[bool, Form()] = False,
    discounts_as_products: Annotated[bool, Form()] = False,
) -> Response:
    """Import the uploaded ``file`` (``kind`` empty: told by its header); 422 with every bad row when rejected.
    ``header_row`` overrides the header line found; ``allow_future`` keeps dates after today;
    ``discounts_as_products`` makes an FEC's discounts (709) a product line."""
    state = view.state
    data: dict[str, Any] = {
        "kinds": list(KINDS),
        "kind": kind or None,
        "dry_run": dry_run,
        "file": file.filename,
        "result": None,
        "errors": None,
        "header_row": header_row,
        "allow_future": allow_future,
        "discounts_as_products": discounts_as_products,
    }
    with tempfile.TemporaryDirectory(prefix="clientfolio-import-") as folder:
        path = await limited_upload(view, file, Path(folder))
        try:
            result = await state.uploads.run(  # a worker thread, within the reading limits
                import_file,
                state.store,
                path,
                kind=kind or None,
                dry_run=dry_run,
                settings=state.settings,
                ring=ring,
                chain_key=ring.subkey("audit"),
                principal=principal,
                header_row=header_row,
                allow_future=allow_future,
                discounts_as_products=discounts_as_products,
            )
        except ImportRejected as exc:
            data["kind"], data["columns"] = await state.uploads.run(_columns, path, kind or None)
            data["errors"] = [
                {
                    **e.__dict__,
                    "column": e.column_in(view.lang),
                    "reason": localized(view.lang, e.reason, e.template, e.params),
                }
                for e in exc.errors
            ]
            data["total_errors"] = exc.total
            if not dry_run:
                with state.store.begin() as conn:
                    record_event(
                        conn,
                        actor=principal.username,
                        action="import.rejected",
                        target=path.name,
                        details={"kind": data["kind"], "rejected": exc.total},
                        chain_key=ring.subkey("audit"),
                    )
        else:
            data["result"] = {**result.as_dict(), "file": file.filename}
            data["result"]["set_aside"] = [
                {**item.as_dict(), "reason": localized(view.lang, item.reason, item.reason)}
                for item in result.set_aside
            ]
            data["kind"] = result.kind
            data["columns"] = result.columns
    fields = {name: view._(field_name(name, data.get("kind"))) for name in data.get("columns") or {}}
    return page(view, "import.html", data, status_code=200 if data["errors"] is None else 422, html={"fields": fields})
