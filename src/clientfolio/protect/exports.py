"""Registered, fingerprinted exports of customer data.

Every export is made by a principal for a named recipient and purpose, from
the rows that principal may read (the access layer), and registered with its
audit entry in one transaction.  Its file carries

- a fingerprint (``fingerprint``: marks in the company names, addresses and
  cities, never in figures, identifiers or people's details), keyed by the
  export's uid;
- trap records (``traps``): fictitious customers unique to the export;
- a signed manifest beside it (``manifest``: ``FILE.manifest.json``).

Alerts (``alerts``) are computed, stored with the export and audited; above
the hard limit the export is refused and a request recorded until an admin
other than the requester approves it (``approve_export``), after which the
same export by the same user goes through once.

Two kinds of export (``EXPORT_KINDS``):

- ``customers``: one row per customer, columns ``code, name, siren, sector,
  size_band, segment, region, postal_code, city, revenue_12m`` (revenue
  excluding tax of the twelve months to the export day, ``clientfolio.periods``,
  in euros);
- ``mailing``: one row per contact person of a customer, columns ``code, name,
  contact, function, email, phone, address, postal_code, city, country`` (the
  contact's name, e-mail and phone and the customer's address decrypted with
  the key ring).  Its trap records are fictitious people (``traps.
  fictitious_contacts``): no real person's details are copied into a trap, nor
  kept in the registry.

Headers (``HEADER_STYLES``): ``codes``, the identifiers above, for machine
use, the values as stored (size band ``large``, segment ``BTP``); or
``labels``, the column names in the export's language (``COLUMN_NAMES``,
translated by the catalogs) and the values by their names (size bands by
``store.schema.SIZE_BAND_NAMES``, segments and regions by their names in the store,
countries by their names).  CSV files are UTF-8 with BOM; with codes, and with
French labels, ``;`` separators and decimal commas (French spreadsheets); with
English labels, ``,`` separators and decimal points.  XLSX amounts are numbers.
The fingerprint and the trap records do not depend on the headers: a file is
traced whatever its headers and language.

No cell is a live formula: a text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is written with a ``'`` before it (OWASP's CSV
injection rule), in CSV and XLSX alike, and XLSX cells are written as strings,
never formulas (``neutral``; tracing strips the quote: ``trace.unquoted``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import insert, select, update

from clientfolio.access.principal import Principal
from clientfolio.access.reader import PortfolioReader
from clientfolio.crypto import open_field
from clientfolio.errors import AccessDenied, ClientfolioError, ExportRefused
from clientfolio.i18n import LANGS, N_, gettext_for
from clientfolio.periods import months_before
from clientfolio.protect.alerts import Alert, ExportRules, export_alerts
from clientfolio.protect.audit import record_event
from clientfolio.protect.audit import refusal as refusal_details
from clientfolio.protect.fingerprint import export_key, mark_text
from clientfolio.protect.manifest import Manifest, SignedManifest, file_sha256, manifest_path, sign_manifest
from clientfolio.protect.traps import TrapRecord, fictitious_contacts, insert_traps, make_traps
from clientfolio.store import Store
from clientfolio.store.schema import (
    SIZE_BAND_NAMES,
    Contact,
    Customer,
    Export,
    ExportApproval,
    Prospect,
    User,
)
from clientfolio.textfiles import neutral

if TYPE_CHECKING:
    from clientfolio.protect.keys import KeyRing

__all__ = [
    "APPROVAL_STATUS_NAMES",
    "COLUMN_NAMES",
    "CUSTOMER_COLUMNS",
    "EXPORT_COLUMNS",
    "EXPORT_FORMATS",
    "EXPORT_KINDS",
    "HEADER_STYLES",
    "KIND_NAMES",
    "MAILING_COLUMNS",
    "FINGERPRINT_PURPOSE",
    "MARKED_COLUMNS",
    "ApprovalRecord",
    "ExportKeys",
    "ExportRecord",
    "ExportRequest",
    "ExportResult",
    "approve_export",
    "customer_rows",
    "export_history",
    "find_signed",
    "fingerprint_secrets",
    "list_approvals",
    "labelled_rows",
    "list_exports",
    "mailing_rows",
    "make_export",
    "register_export",
    "traps_json",
    "traps_sha256",
    "verify_keys",
    "write_table",
]

EXPORT_KINDS = ("customers", "mailing")
KIND_NAMES = {"customers": N_("Customers"), "mailing": N_("Mailing (contact persons)")}
EXPORT_FORMATS = ("csv", "xlsx")
HEADER_STYLES = ("labels", "codes")
APPROVAL_STATUS_NAMES = {"pending": N_("pending"), "approved": N_("approved"), "used": N_("used")}
CUSTOMER_COLUMNS = (
    "code",
    "name",
    "siren",
    "sector",
    "size_band",
    "segment",
    "region",
    "postal_code",
    "city",
    "revenue_12m",
)
MAILING_COLUMNS = (
    "code",
    "name",
    "contact",
    "function",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
)
EXPORT_COLUMNS = {"customers": CUSTOMER_COLUMNS, "mailing": MAILING_COLUMNS}
COLUMN_NAMES = {
    "code": N_("Customer code"),
    "name": N_("Company name"),
    "siren": N_("SIREN"),
    "sector": N_("Sector"),
    "size_band": N_("Size"),
    "segment": N_("Segment"),
    "region": N_("Region"),
    "postal_code": N_("Postal code"),
    "city": N_("City"),
    "revenue_12m": N_("Revenue excl. tax, last 12 months (€)"),
    "contact": N_("Contact person"),
    "function": N_("Function"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "country": N_("Country"),
}
"""The English name of every export column, the header of ``labels`` exports
(translated by the catalogs)."""
MARKED_COLUMNS = ("name", "address", "city")
FINGERPRINT_PURPOSE = "export-fingerprint"
"""Key ring purpose of the fingerprint secret (``KeyRing.subkey``); not
``"fingerprint"``, whose first bytes the key ring prints as a key's public name."""


@dataclass(frozen=True)
class ExportKeys:
    """The keys an export uses: the fingerprint secret, the Ed25519 signing key
    and the audit chain key, all derived from the master key ``key_id``, and
    the key ring itself (``ring``), which opens the encrypted fields a mailing
    export carries (contacts, addresses)."""

    fingerprint: bytes
    signing: Ed25519PrivateKey
    audit: bytes
    key_id: int
    ring: KeyRing | None = None

    @classmethod
    def from_ring(cls, ring: KeyRing) -> ExportKeys:
        return cls(ring.subkey(FINGERPRINT_PURPOSE), ring.signing_key(), ring.subkey("audit"), ring.current, ring)


def verify_keys(ring: KeyRing) -> dict[int, Ed25519PublicKey]:
    """The Ed25519 public key of every master key of ``ring`` (active or
    retired), by key id: what checking the manifests of the registry needs."""
    return {key_id: ring.verify_key(key_id) for key_id in sorted({*ring.keys, *ring.retired})}


def fingerprint_secrets(ring: KeyRing) -> dict[int, bytes]:
    """The fingerprint secret of every master key of ``ring`` (active or
    retired), by key id: what tracing exports made under older keys needs."""
    return {key_id: ring.subkey(FINGERPRINT_PURPOSE, key_id) for key_id in sorted({*ring.keys, *ring.retired})}


@dataclass(frozen=True)
class ExportRequest:
    """What is exported (``kind``), for whom, why, as what file format, with
    which ``headers`` (``codes``: identifiers and stored codes, for machine
    use; ``labels``: names and labels in the language ``lang``)."""

    recipient: str
    purpose: str
    kind: str = "customers"
    format: str = "csv"
    headers: str = "codes"
    lang: str = "en"

    def checked(self) -> ExportRequest:
        """The request with its texts trimmed; raises ``ClientfolioError`` when
        a recipient or purpose is missing or the kind, format, headers or
        language is unknown."""
        recipient, purpose = " ".join(self.recipient.split()), " ".join(self.purpose.split())
        if not recipient or not purpose:
            raise ClientfolioError("an export is made for a named recipient and a stated purpose")
        for value, known, template in (
            (self.kind, EXPORT_KINDS, "unknown export kind {value}; use one of {known}"),
            (self.format, EXPORT_FORMATS, "unknown format {value}; use one of {known}"),
            (self.headers, HEADER_STYLES, "unknown headers {value}; use one of {known}"),
            (self.lang, LANGS, "unknown language {value}; use one of {known}"),
        ):
            if value not in known:
                raise ClientfolioError(template, value=repr(value), known=", ".join(known))
        return ExportRequest(recipient[:200], purpose[:500], self.kind, self.format, self.headers, self.lang)


@dataclass(frozen=True)
class ExportResult:
    """A made export: its file and manifest, rows (customers, traps apart)."""

    export_uid: str
    path: Path
    manifest_path: Path
    rows: int
    traps: int
    sha256: str
    alerts: tuple[Alert, ...]
    signed: SignedManifest


@dataclass(frozen=True)
class ExportRecord:
    """A registered export, as listed and as tracing reads it."""

    export_uid: str
    created_at: dt.datetime
    username: str
    recipient: str
    purpose: str
    kind: str
    format: str
    row_count: int
    file_sha256: str
    key_id: int
    traps: tuple[TrapRecord, ...]
    alerts: tuple[Alert, ...]
    signed: SignedManifest
    traps_sha256: str = ""  # of the trap records as registered, to check against the manifest's


def traps_json(traps: Sequence[TrapRecord]) -> str:
    """The trap records as the registry stores them (``exports.traps``)."""
    return json.dumps([t.as_dict() for t in traps], ensure_ascii=False, default=str)


def traps_sha256(text: str) -> str:
    """SHA-256 of the registry's trap records text, as signed in the manifest."""
    return hashlib.sha256(text.encode()).hexdigest()


def customer_rows(store: Store, principal: Principal, as_of: dt.date) -> list[dict[str, Any]]:
    """The customers ``principal`` may read, as export rows of
    ``CUSTOMER_COLUMNS`` (revenue of the twelve months to ``as_of``: the days
    after ``months_before(as_of, 12)`` up to ``as_of``, a Decimal in euros), by code."""
    reader = PortfolioReader(store, principal)
    placed = {a.code: a for a in reader.accounts() if a.kind == "customer"}
    start = months_before(as_of, 12)
    revenue: dict[str, int] = defaultdict(int)
    for code, day, cents in reader.revenue_by_customer_date():
        if start < day <= as_of:
            revenue[code] += cents
    return [
        {
            "code": c.code,
            "name": c.name,
            "siren": c.siren,
            "sector": c.sector,
            "size_band": c.size_band,
            "segment": placed[c.code].segment,
            "region": placed[c.code].region,
            "postal_code": c.postal_code,
            "city": c.city,
            "revenue_12m": Decimal(revenue[c.code]).scaleb(-2),
        }
        for c in reader.customers()
    ]


def mailing_rows(store: Store, principal: Principal, ring: KeyRing | None) -> list[dict[str, Any]]:
    """The contact persons of the customers ``principal`` may read (the access
    layer's scope), as export rows of ``MAILING_COLUMNS``, by customer code
    then in the order they were entered; names, e-mails, phones and addresses
    decrypted with ``ring`` (``KeyMissing`` when they are encrypted and
    ``ring`` is None); a person who objected to prospecting
    (``Contact.objects_to_prospecting``) is left out.  The store holds no
    civility, no first and last name apart: a contact's name is one text."""
    reader = PortfolioReader(store, principal)
    query = (
        select(
            Contact.id,
            Customer.id,
            Customer.code,
            Customer.name,
            Contact.name,
            Contact.function,
            Contact.email,
            Contact.phone,
            Customer.address,
            Customer.postal_code,
            Customer.city,
            Customer.country,
        )
        .join(Customer, Customer.id == Contact.customer_id)
        .where(reader.visible(Customer), Contact.objects_to_prospecting.is_(False))
        .order_by(Customer.code, Contact.id)
    )
    with reader.connect() as conn:
        found = conn.execute(query).all()
    addresses: dict[int, str | None] = {}
    rows = []
    for cid, customer_id, code, company, name, function, email, phone, address, postal_code, city, country in found:
        if customer_id not in addresses:
            addresses[customer_id] = open_field(ring, "customers", customer_id, "address", address)
        rows.append(
            {
                "code": code,
                "name": company,
                "contact": open_field(ring, "contacts", cid, "name", name) or "",
                "function": function,
                "email": open_field(ring, "contacts", cid, "email", email),
                "phone": open_field(ring, "contacts", cid, "phone", phone),
                "address": addresses[customer_id],
                "postal_code": postal_code,
                "city": city,
                "country": country,
            }
        )
    return rows


def _country_name(code: str, lang: str) -> str:
    from babel import Locale

    return str(Locale.parse("fr_FR" if lang == "fr" else "en_GB").territories.get(code.upper(), code))


def labelled_rows(
    rows: Sequence[Mapping[str, Any]],
    lang: str,
    *,
    segments: Mapping[str, str] | None = None,
    regions: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """``rows`` with their codes shown by their names in ``lang``: size bands
    (``SIZE_BAND_NAMES``), segments and regions (their names, ``segments`` and
    ``regions`` by code; a code without a name stays as it is), countries;
    booleans as yes/no.  Figures stay figures and texts as written."""
    _ = gettext_for(lang)

    def shown(column: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if column == "size_band":
            return _(SIZE_BAND_NAMES[value]) if value in SIZE_BAND_NAMES else value
        if column == "segment":
            return (segments or {}).get(value, value)
        if column == "region":
            return (regions or {}).get(value, value)
        if column == "country" and isinstance(value, str) and len(value) == 2:
            return _country_name(value, lang)
        return value

    return [{c: shown(c, v) for c, v in row.items()} for row in rows]


def _text(value: Any, decimal: str = ",") -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", decimal)  # a figure: a negative one stays a number
    return neutral(str(value))


def write_table(
    path: Path,
    fmt: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    header: Sequence[str] | None = None,
    english: bool = False,
) -> None:
    """Write ``rows`` as ``fmt`` at ``path``, under ``header`` (default: the
    ``columns`` themselves).  ``csv``: UTF-8 BOM, ``;`` and decimal commas
    (French spreadsheets), or with ``english``, ``,`` and decimal points;
    ``xlsx``: one sheet, figures as numbers, texts as strings.  Texts are
    ``neutral``: no cell is a formula."""
    header = list(columns if header is None else header)
    if fmt == "csv":
        decimal, delimiter = (".", ",") if english else (",", ";")
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, delimiter=delimiter)
            writer.writerow([neutral(c) for c in header])
            writer.writerows([_text(row.get(c), decimal) for c in columns] for row in rows)
        return
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")

    def cell(value: Any) -> Any:
        if isinstance(value, Decimal):
            amount = WriteOnlyCell(sheet, float(value))
            amount.number_format = "#,##0.00"  # shown in the reader's locale by the spreadsheet
            return amount
        if value is None or isinstance(value, int | float):
            return value
        written = WriteOnlyCell(sheet, neutral(str(value)))
        written.data_type = "s"  # a string, even if it were to start with "=": never a formula
        return written

    sheet.append([cell(c) for c in header])
    for row in rows:
        sheet.append([cell(row.get(c)) for c in columns])
    book.save(path)


def _mark(secret: bytes, uid: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    key = export_key(secret, uid)
    return [
        {c: mark_text(key, v) if c in MARKED_COLUMNS and isinstance(v, str) else v for c, v in row.items()}
        for row in rows
    ]


def _require_export(principal: Principal) -> None:
    from clientfolio.protect.users import require

    require(principal, "export")


def _refuse(
    store: Store,
    principal: Principal,
    request: ExportRequest,
    rows: int | None,
    reason: ClientfolioError,
    keys: ExportKeys,
    now: dt.datetime,
    *,
    approval: bool = False,
) -> int | None:
    """Audit a refused export (and, with ``approval``, record its pending
    request, reusing an identical pending one); returns the request id."""
    with store.begin() as conn:
        request_id = None
        if approval:
            request_id = conn.execute(
                select(ExportApproval.id).where(
                    ExportApproval.username == principal.username,
                    ExportApproval.status == "pending",
                    ExportApproval.recipient == request.recipient,
                    ExportApproval.purpose == request.purpose,
                    ExportApproval.kind == request.kind,
                    ExportApproval.row_count == rows,
                )
            ).scalar()
            if request_id is None:
                request_id = conn.execute(
                    insert(ExportApproval)
                    .values(
                        created_at=now,
                        username=principal.username,
                        recipient=request.recipient,
                        purpose=request.purpose,
                        kind=request.kind,
                        row_count=rows,
                        status="pending",
                    )
                    .returning(ExportApproval.id)
                ).scalar_one()
        record_event(
            conn,
            actor=principal.username,
            action="export.refused",
            target=request.kind,
            details={
                "recipient": request.recipient,
                "purpose": request.purpose,
                "rows": rows,
                "format": request.format,
                **refusal_details(reason),
                "request": request_id,
            },
            chain_key=keys.audit,
            at=now,
        )
    return request_id


def _approved_request(store: Store, username: str, request: ExportRequest, rows: int) -> int | None:
    with store.engine.connect() as conn:
        return conn.execute(
            select(ExportApproval.id)
            .where(
                ExportApproval.username == username,
                ExportApproval.status == "approved",
                ExportApproval.recipient == request.recipient,
                ExportApproval.purpose == request.purpose,
                ExportApproval.kind == request.kind,
                ExportApproval.row_count >= rows,
            )
            .order_by(ExportApproval.id)
            .limit(1)
        ).scalar()


def export_history(store: Store, username: str) -> tuple[list[int], dt.date | None, list[TrapRecord]]:
    """The user's past export sizes, its departure date, and every trap ever made
    (what the alerts and new trap records are computed from)."""
    with store.engine.connect() as conn:
        past = list(
            conn.execute(
                select(Export.row_count).where(Export.username == username).order_by(Export.created_at)
            ).scalars()
        )
        left_on = conn.execute(select(User.left_on).where(User.username == username)).scalar()
        traps = [TrapRecord(**t) for body in conn.execute(select(Export.traps)).scalars() for t in json.loads(body)]
    return past, left_on, traps


def make_export(
    store: Store,
    principal: Principal,
    request: ExportRequest,
    out: Path,
    *,
    keys: ExportKeys,
    rules: ExportRules,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Make, register and sign the export ``request`` of what ``principal`` may
    read, written at ``out`` with its manifest beside it; ``now`` (aware,
    default: the current time) dates it.  Raises ``ClientfolioError`` when
    ``out`` exists or the request is incomplete, ``AccessDenied`` when the
    principal may not export and ``ExportRefused`` above the hard limit without
    an approved request; both refusals are audited."""
    request = request.checked()
    if out.exists():
        raise ClientfolioError("{path} exists: an export never overwrites a file", path=str(out))
    now = now or dt.datetime.now(dt.UTC)
    try:
        _require_export(principal)
    except AccessDenied as exc:
        _refuse(store, principal, request, None, exc, keys, now)
        raise
    if request.kind == "mailing":
        rows = mailing_rows(store, principal, keys.ring)
    else:
        rows = customer_rows(store, principal, now.astimezone(ZoneInfo(rules.timezone)).date())
    approval_id = None
    if rules.needs_approval(len(rows)):
        approval_id = _approved_request(store, principal.username, request, len(rows))
        if approval_id is None:
            reason = ClientfolioError(
                "{rows} rows: above the hard limit of {limit}", rows=len(rows), limit=rules.hard_limit_rows
            )
            request_id = _refuse(store, principal, request, len(rows), reason, keys, now, approval=True)
            assert request_id is not None
            raise ExportRefused(
                "{rows} rows: above the hard limit of {limit}; request #{request} awaits an admin's approval, "
                "then make the same export again",
                request_id,
                rows=len(rows),
                limit=rules.hard_limit_rows,
                request=str(request_id),
            )
    past, left_on, taken = export_history(store, principal.username)
    alerts = tuple(export_alerts(len(rows), now, past, left_on, rules))
    uid = f"X{now:%Y%m%d}-{secrets.token_hex(6)}"
    codes, names, sirens = _identities(store)
    traps = make_traps(
        keys.fingerprint,
        uid,
        rows,
        rules.trap_records,
        taken_codes=codes,
        taken_names=names + [t.name for t in taken],
        taken_sirens=sirens + [t.siren for t in taken],
    )
    if request.kind == "mailing":
        traps = fictitious_contacts(keys.fingerprint, uid, traps, taken={str(r.get("contact")) for r in rows})
    columns = EXPORT_COLUMNS[request.kind]
    body = _mark(keys.fingerprint, uid, insert_traps(keys.fingerprint, uid, rows, traps, columns))
    header = None
    if request.headers == "labels":  # after the traps and marks: they never depend on the headers
        reference = PortfolioReader(store, principal).reference_names()
        body = labelled_rows(body, request.lang, segments=reference["segment"], regions=reference["region"])
        header = [gettext_for(request.lang)(COLUMN_NAMES[c]) for c in columns]
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        write_table(
            temp,
            request.format,
            columns,
            body,
            header=header,
            english=request.headers == "labels" and request.lang == "en",
        )
        digest = file_sha256(temp)
        signed = sign_manifest(
            Manifest(
                export_uid=uid,
                recipient=request.recipient,
                purpose=request.purpose,
                created_at=now.isoformat(),
                row_count=len(body),
                sha256=digest,
                format=request.format,
                file_name=out.name,
                key_id=keys.key_id,
                traps_sha256=traps_sha256(traps_json(traps)),
            ),
            keys.signing,
        )
        register_export(store, principal, request, signed, traps, alerts, len(rows), approval_id, keys, now)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    written = manifest_path(out)
    written.write_text(signed.to_json(), encoding="utf-8")
    return ExportResult(uid, out, written, len(rows), len(traps), digest, alerts, signed)


def _identities(store: Store) -> tuple[list[str], list[str], list[str]]:
    """Codes, names and SIRENs of every customer and prospect, whatever the
    exporter's scope: trap records must collide with none of them (read here,
    never shown)."""
    codes: list[str] = []
    names: list[str] = []
    sirens: list[str] = []
    with store.engine.connect() as conn:
        for model in (Customer, Prospect):
            for code, name, siren in conn.execute(select(model.code, model.name, model.siren)):
                codes.append(code)
                names.append(name)
                if siren:
                    sirens.append(siren)
    return codes, names, sirens


def register_export(
    store: Store,
    principal: Principal,
    request: ExportRequest,
    signed: SignedManifest,
    traps: Sequence[TrapRecord],
    alerts: Sequence[Alert],
    rows: int,
    approval_id: int | None,
    keys: ExportKeys,
    now: dt.datetime,
) -> None:
    """Register an export and write its audit entry, in one transaction (the
    customer exports here, the annual report in ``clientfolio.report``)."""
    manifest = signed.manifest
    with store.begin() as conn:
        conn.execute(
            insert(Export).values(
                export_uid=manifest.export_uid,
                created_at=now,
                username=principal.username,
                recipient=request.recipient,
                purpose=request.purpose,
                kind=request.kind,
                format=request.format,
                row_count=rows,
                file_sha256=manifest.sha256,
                key_id=keys.key_id,
                traps=traps_json(traps),
                alerts=json.dumps([a.__dict__ for a in alerts], ensure_ascii=False),
                manifest=json.dumps(manifest.__dict__, ensure_ascii=False),
                signature=signed.signature,
                approval_id=approval_id,
            )
        )
        if approval_id is not None:
            conn.execute(
                update(ExportApproval)
                .where(ExportApproval.id == approval_id)
                .values(status="used", export_uid=manifest.export_uid)
            )
        record_event(
            conn,
            actor=principal.username,
            action="export",
            target=manifest.export_uid,
            details={
                "recipient": request.recipient,
                "purpose": request.purpose,
                "rows": rows,
                "traps": len(traps),
                "kind": request.kind,
                "format": request.format,
                "fingerprint": f"{keys.key_id}:{manifest.export_uid}",
                "sha256": manifest.sha256,
                "alerts": [a.kind for a in alerts],
                "approval": approval_id,
            },
            chain_key=keys.audit,
            at=now,
        )


@dataclass(frozen=True)
class ApprovalRecord:
    """A request to export above the hard limit, and its state."""

    id: int
    created_at: dt.datetime
    username: str
    recipient: str
    purpose: str
    kind: str
    row_count: int
    status: str
    approved_by: str | None
    export_uid: str | None


def approve_export(
    store: Store,
    request_id: int,
    admin: Principal,
    *,
    password: str,
    totp: str | None = None,
    chain_key: bytes,
    now: dt.datetime | None = None,
) -> ApprovalRecord:
    """Approve the pending export request ``request_id`` as ``admin`` (an
    admin, not the requester: four eyes), audited.  The approver proves it is
    that admin: its own ``password`` (and ``totp``, its current code, when it
    has a second factor) are checked by ``users.authenticate`` (audited as a
    login, failures counted towards its lockout), and it must have existed
    when the request was made (an admin created afterwards, by the requester
    say, cannot approve it).  Raises ``AuthenticationFailed`` for a wrong
    password or code, ``AccessDenied`` for anyone else and ``ClientfolioError``
    for a request that is unknown or not pending."""
    from clientfolio.protect.clock import utc
    from clientfolio.protect.users import authenticate

    now = now or dt.datetime.now(dt.UTC)
    if admin.role != "admin":
        raise AccessDenied("only an admin approves an export above the hard limit")
    approver = authenticate(store, admin.username, password, totp=totp, chain_key=chain_key, now=now)
    if approver.role != "admin":
        raise AccessDenied("only an admin approves an export above the hard limit")
    with store.begin() as conn:
        row = conn.execute(select(ExportApproval.__table__).where(ExportApproval.id == request_id)).first()
        if row is None:
            raise ClientfolioError("no export request #{request}", request=str(request_id))
        if row.status != "pending":
            raise ClientfolioError(
                "export request #{request} is {status_msg}, not pending",
                request=str(request_id),
                status_msg=APPROVAL_STATUS_NAMES.get(row.status, row.status),
            )
        refusal = None
        created = conn.scalar(select(User.created_at).where(User.id == approver.id))
        if row.username == admin.username:
            refusal = AccessDenied("an export request is approved by another admin than its requester")
        elif created is not None and utc(created) > utc(row.created_at):
            refusal = AccessDenied(
                "{user} was created after export request #{request}: "
                "it is approved by an admin who existed when it was made",
                user=admin.username,
                request=str(request_id),
            )
        if refusal is not None:
            record_event(
                conn,
                actor=admin.username,
                action="export.approval.refused",
                target=str(request_id),
                details={"requester": row.username, **refusal_details(refusal)},
                chain_key=chain_key,
                at=now,
            )
    if refusal is not None:  # the refusal is audited (committed above), then raised
        raise refusal
    with store.begin() as conn:
        updated = conn.execute(
            update(ExportApproval)
            .where(ExportApproval.id == request_id, ExportApproval.status == "pending")
            .values(status="approved", approved_by=admin.username, approved_at=now)
        ).rowcount
        if updated != 1:
            raise ClientfolioError("export request #{request} is no longer pending", request=str(request_id))
        record_event(
            conn,
            actor=admin.username,
            action="export.approved",
            target=str(request_id),
            details={
                "requester": row.username,
                "recipient": row.recipient,
                "purpose": row.purpose,
                "rows": row.row_count,
            },
            chain_key=chain_key,
            at=now,
        )
    return ApprovalRecord(
        row.id,
        row.created_at,
        row.username,
        row.recipient,
        row.purpose,
        row.kind,
        row.row_count,
        "approved",
        admin.username,
        None,
    )


def list_approvals(store: Store, *, status: str | None = None) -> list[ApprovalRecord]:
    """Export requests above the hard limit (of ``status`` only, when given), newest first."""
    table = ExportApproval.__table__
    query = select(table).order_by(table.c.id.desc())
    if status is not None:
        query = query.where(table.c.status == status)
    with store.engine.connect() as conn:
        return [
            ApprovalRecord(
                r.id,
                r.created_at,
                r.username,
                r.recipient,
                r.purpose,
                r.kind,
                r.row_count,
                r.status,
                r.approved_by,
                r.export_uid,
            )
            for r in conn.execute(query)
        ]


def list_exports(store: Store) -> list[ExportRecord]:
    """Every registered export, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(Export.__table__).order_by(Export.created_at, Export.id)).all()
    return [
        ExportRecord(
            r.export_uid,
            r.created_at,
            r.username,
            r.recipient,
            r.purpose,
            r.kind,
            r.format,
            r.row_count,
            r.file_sha256,
            r.key_id,
            tuple(TrapRecord(**t) for t in json.loads(r.traps)),
            tuple(Alert(**a) for a in json.loads(r.alerts)),
            SignedManifest(Manifest(**json.loads(r.manifest)), r.signature),
            traps_sha256(r.traps),
        )
        for r in rows
    ]


def find_signed(store: Store, path: Path) -> SignedManifest:
    """The signed manifest of the registered export whose file has the SHA-256
    of ``path``; raises ``ClientfolioError`` when no export has it."""
    digest = file_sha256(path)
    with store.engine.connect() as conn:
        row = conn.execute(select(Export.manifest, Export.signature).where(Export.file_sha256 == digest)).first()
    if row is None:
        raise ClientfolioError(
            "no manifest beside {path} and no registered export has its SHA-256 {digest}...",
            path=str(path),
            digest=digest[:16],
        )
    return SignedManifest(Manifest(**json.loads(row.manifest)), row.signature)
