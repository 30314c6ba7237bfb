"""The annual portfolio review (``/report``): a button that downloads it as
PDF, XLSX or HTML, in French or English, for a recipient and a purpose.
``report.export.write_report`` makes it an audited, fingerprinted,
registered export of what the user may read (permission ``export``); it is a
POST, since each download registers an export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from clientfolio.i18n import gettext_for
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.exports import ExportKeys
from clientfolio.report.export import DEFAULT_PURPOSE, DEFAULT_RECIPIENT, REPORT_FORMATS, write_report
from clientfolio.web.deps import CsrfChecked, RingDep, ViewDep
from clientfolio.web.pages import Exporter, download, scratch
from clientfolio.web.render import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/report")
def report_form(view: ViewDep, principal: Exporter) -> Response:
    """The review's button: format, language, recipient and purpose."""
    return page(
        view,
        "report.html",
        {
            "formats": list(REPORT_FORMATS),
            "lang": view.lang,
            "recipient": view._(DEFAULT_RECIPIENT),
            "purpose": view._(DEFAULT_PURPOSE),
        },
    )


@router.post("/report", dependencies=[CsrfChecked])
def report(
    view: ViewDep,
    principal: Exporter,
    ring: RingDep,
    format: Annotated[str, Form(pattern="^(pdf|xlsx|html)$")] = "pdf",  # noqa: A002
    lang: Annotated[str, Form(pattern="^(fr|en)$")] = "fr",
    recipient: Annotated[str | None, Form(max_length=200)] = None,
    purpose: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Write the review of what the user may read and send it as a download
    (without a recipient or a purpose: the defaults, in the review's language);
    from the analyses of the dashboard's figures when they are of the data as
    it is now, run again otherwise."""
    state = view.state
    _ = gettext_for(lang)
    recipient = _(DEFAULT_RECIPIENT) if recipient is None else recipient
    purpose = _(DEFAULT_PURPOSE) if purpose is None else purpose
    figures = state.figures.fresh(state.store, principal)  # the dashboard's analyses, when still current
    with scratch() as folder:
        result = write_report(
            state.store,
            principal,
            folder / f"review-{lang}.{format}",
            fmt=format,
            lang=lang,
            keys=ExportKeys.from_ring(ring),
            rules=ExportRules.from_settings(state.settings),
            recipient=recipient,
            purpose=purpose,
            ring=ring,
            inputs=None if figures is None else figures.inputs,
        )
        response = download(
            result.path, f"review-{result.export_uid}-{lang}.{format}", MEDIA_TYPES[format], folder=folder
        )
    response.headers["X-Export-Uid"] = result.export_uid
    return response
