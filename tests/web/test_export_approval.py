"""Four eyes on the web: an export above the hard limit waits for a second admin,
who approves it on the administration page with its own password."""

from __future__ import annotations

import re
from pathlib import Path

from clientfolio.protect.exports import list_approvals
from tests.web.conftest import PASSWORD, csrf_of, demo_store, logged_in, make_app


def test_an_admin_approves_with_its_own_password(filled_demo: Path, tmp_path: Path) -> None:
    store = demo_store(filled_demo, tmp_path)
    app = make_app(store, tmp_path, export_hard_limit_rows=5)
    manager = logged_in(app, "cmorel")
    refused = manager.post(
        "/export",
        data={
            "recipient": "Agence X",
            "purpose": "mailing",
            "format": "csv",
            "csrf_token": csrf_of(manager.get("/export").text),
        },
    )
    assert refused.status_code == 403
    (pending,) = [a for a in list_approvals(store) if a.status == "pending"]

    admin = logged_in(app, "pbernard")
    page = admin.get("/admin").text
    form = re.search(r'<form method="post" action="/admin/approvals/approve".*?</form>', page, re.S)
    assert form is not None and 'name="password" type="password" required' in form.group(0)
    token = csrf_of(page)
    wrong = admin.post(
        "/admin/approvals/approve", data={"request_id": pending.id, "password": "not it at all", "csrf_token": token}
    )
    assert wrong.status_code in (401, 403) and [a.status for a in list_approvals(store)] == ["pending"]
    right = admin.post(
        "/admin/approvals/approve",
        data={"request_id": pending.id, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert right.status_code in (200, 303) and [a.status for a in list_approvals(store)] == ["approved"]
    store.dispose()
