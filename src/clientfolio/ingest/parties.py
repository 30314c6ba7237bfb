"""Loading reference files: customers, prospects and products, keyed by code.

A code already in the store is updated with the file's non-empty cells (an empty
cell never erases what the store holds); identical rows change nothing, so
importing a file twice adds nothing.  A code twice in one file is an error.
Regions, segments and product lines are matched by code or name and created
when new.  A contact (name, function, email, phone) is added to its company
once, matched by name.  Given a key ring, the sensitive fields (address,
contact name, email, phone) are stored encrypted (``clientfolio.protect.fields``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from clientfolio.access.writes import OUTSIDE_SCOPE, WriteGuard
from clientfolio.ingest.lookups import CodeBook, ErrorSink, slug
from clientfolio.ingest.report import ImportResult, Reason
from clientfolio.ingest.values import (
    DateParser,
    TooLong,
    fits,
    parse_amount_cents,
    parse_bool,
    parse_int,
    parse_siren,
    parse_siret,
)
from clientfolio.protect.fields import SENSITIVE_FIELDS, contact_values, open_field, seal_field
from clientfolio.protect.keys import KeyRing
from clientfolio.store import IdBlock
from clientfolio.store.schema import (
    CUSTOMER_STATUSES,
    PROSPECT_SOURCES,
    PROSPECT_STAGES,
    SIZE_BANDS,
    SUPPLIER_POLICIES,
    Contact,
    Customer,
    Product,
    ProductLine,
    Prospect,
    Region,
    Segment,
    StageChange,
)

__all__ = ["load_parties"]

Parser = Callable[[Any], Any]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NAF = re.compile(r"(\d{2})\.?(\d{2})([A-Z])")


def _choice(allowed: tuple[str, ...], words: dict[str, str]) -> Parser:
    def parse(raw: Any) -> str:
        text = slug(str(raw)).lower().replace("-", "_")
        value = words.get(text, text)
        if value not in allowed:
            raise Reason("expected one of {choices}", choices=", ".join(allowed))
        return value

    return parse


_STAGE = _choice(
    PROSPECT_STAGES,
    {
        "froid": "cold",
        "tiede": "warm",
        "chaud": "hot",
        "gagne": "won",
        "client": "won",
        "perdu": "lost",
        "suspects": "suspect",
        "prospects": "prospect",
    },
)
_SOURCE = _choice(
    PROSPECT_SOURCES,
    {
        "reseau": "network",
        "reseaux": "network",
        "presse": "press",
        "recommandation": "recommendation",
        "fichier_achete": "bought_file",
        "fichier": "bought_file",
        "salon": "event",
        "evenement": "event",
        "site_web": "web",
        "internet": "web",
        "autre": "other",
    },
)
_SIZE = _choice(
    SIZE_BANDS,
    {
        "tpe": "micro",
        "pme": "small",
        "eti": "medium",
        "ge": "large",
        "grande_entreprise": "large",
        "petite": "small",
        "moyenne": "medium",
        "grande": "large",
    },
)
_STATUS = _choice(CUSTOMER_STATUSES, {"actif": "active", "inactif": "inactive", "perdu": "lost"})
_POLICY = _choice(
    SUPPLIER_POLICIES,
    {
        "unique": "single",
        "fournisseur_unique": "single",
        "mono": "single",
        "prefere": "preferred",
        "privilegie": "preferred",
        "principal": "preferred",
        "multiple": "multiple",
        "plusieurs": "multiple",
        "multi": "multiple",
        "multi_sourcing": "multiple",
    },
)


def _percent(raw: Any) -> float:
    text = str(raw).strip().rstrip("%").strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    try:
        return float(text)
    except ValueError:
        raise ValueError("not a percentage (25 or 25 %)") from None


def _share(raw: Any) -> float:
    value = _percent(raw)
    if not 0 < value <= 100:
        raise ValueError("a share of purchases goes from 0 (excluded) to 100 %")
    return value


def _growth(raw: Any) -> float:
    value = _percent(raw)
    if not -100 < value <= 1000:
        raise ValueError("a yearly growth goes from -100 % (excluded) to 1000 %")
    return value


def _text(limit: int) -> Parser:
    """A text of at most ``limit`` characters: for the fields stored encrypted
    (their column holds the ciphertext, so the limit is not the column's)."""

    def parse(raw: Any) -> str:
        text = str(raw).strip()
        if len(text) > limit:
            raise TooLong(limit, len(text))
        return text

    return parse


def _plain(raw: Any) -> str:
    """A text whose length is checked against its column (``fits``)."""
    return str(raw).strip()


def _naf(raw: Any) -> str:
    m = _NAF.fullmatch(str(raw).strip().upper())
    if not m:
        raise ValueError("a NAF code looks like 25.62B")
    return f"{m[1]}.{m[2]}{m[3]}"


def _email(raw: Any) -> str:
    text = str(raw).strip()
    if not _EMAIL.fullmatch(text):
        raise ValueError("not an email address")
    return text.lower()


def _score(raw: Any) -> int:
    value = parse_int(raw)
    if not 0 <= value <= 10:
        raise ValueError("marks go from 0 to 10")
    return value


def _country(raw: Any) -> str:
    text = str(raw).strip().upper()
    return {"FRANCE": "FR", "BELGIQUE": "BE", "SUISSE": "CH", "LUXEMBOURG": "LU"}.get(text, text)[:2]


@dataclass(frozen=True)
class _Spec:
    table: Table
    code_field: str
    columns: dict[str, tuple[str, Parser]]  # field -> (db column, parser)
    with_contact: bool


def _specs(dates: DateParser, decimal: str) -> dict[str, _Spec]:
    def money(raw: Any) -> Any:
        return parse_amount_cents(raw, decimal)

    def past_day(raw: Any) -> Any:  # a creation or purchase date, as an invoice's: not after the import's day
        return dt.date.fromisoformat(dates.past(raw))

    company: dict[str, tuple[str, Parser]] = {
        "name": ("name", _plain),
        "siren": ("siren", parse_siren),
        "naf_code": ("naf_code", _naf),
        "sector": ("sector", _plain),
        "size_band": ("size_band", _SIZE),
        "city": ("city", _plain),
        "potential": ("potential_cents", money),
        "sector_growth": ("sector_growth_pct", _growth),
        "supplier_policy": ("supplier_policy", _POLICY),
        "created_on": ("created_on", past_day),
        "region": ("region_id", str),
        "segment": ("segment_id", str),
    }
    return {
        "customers": _Spec(
            Customer.__table__,  # type: ignore[arg-type]
            "customer_code",
            {
                **company,
                "siret": ("siret", parse_siret),
                "address": ("address", _text(500)),
                "postal_code": ("postal_code", _plain),
                "country": ("country", _country),
                "status": ("status", _STATUS),
                "wallet_share": ("wallet_share_pct", _share),
            },
            True,
        ),
        "prospects": _Spec(
            Prospect.__table__,  # type: ignore[arg-type]
            "prospect_code",
            {
                **company,
                "stage": ("stage", _STAGE),
                "source": ("source", _SOURCE),
                "accessibility_score": ("accessibility_score", _score),
                "potential_score": ("potential_score", _score),
                "has_project": ("has_project", parse_bool),
                "last_similar_purchase": ("last_similar_purchase_on", past_day),
                "contact_knowledge": ("contact_knowledge", _score),
                "receptivity": ("receptivity", _score),
                "timing": ("timing", _score),
                "lost_reason": ("lost_reason", _plain),
            },
            True,
        ),
        "products": _Spec(
            Product.__table__,  # type: ignore[arg-type]
            "product_code",
            {
                "name": ("name", _plain),
                "product_line": ("product_line_id", str),
                "unit_price": ("unit_price_cents", money),
            },
            False,
        ),
    }


_CONTACT_FIELDS = {"contact_name": _text(300), "contact_function": _text(200), "email": _email, "phone": _text(40)}


def load_parties(
    conn: Connection,
    kind: str,
    rows: Iterable[tuple[int, list[Any]]],
    idx: dict[str, int],
    import_id: int,
    errors: ErrorSink,
    result: ImportResult,
    dates: DateParser,
    decimal: str,
    ring: KeyRing | None = None,
    guard: WriteGuard | None = None,
) -> int:
    """Validate and upsert every row of a customers, prospects or products file;
    sensitive fields are encrypted with ``ring`` (kept plain without one).
    With ``guard`` (the actor's write scope), the stored rows out of scope are
    out of sight, and a row that would write one, or leave the scope, is
    refused (``OUTSIDE_SCOPE``, the same for a code that exists and one that
    does not)."""
    spec = _specs(dates, decimal)[kind]
    table = spec.table
    books = {
        "region_id": CodeBook(conn, Region.__table__),  # type: ignore[arg-type]
        "segment_id": CodeBook(conn, Segment.__table__),  # type: ignore[arg-type]
        "product_line_id": CodeBook(conn, ProductLine.__table__),  # type: ignore[arg-type]
    }
    db_columns = [col for col, _ in spec.columns.values()]
    stored = {
        row.code: row for row in conn.execute(select(table.c.id, table.c.code, *[table.c[c] for c in db_columns]))
    }
    if guard is not None and not guard.unlimited:  # rows out of scope are out of sight, as they are read
        stored = {code: row for code, row in stored.items() if guard.inside(row.region_id, row.segment_id)}
    contacts = _stored_contacts(conn, kind, ring) if spec.with_contact else {}
    contact_ids = IdBlock(conn, Contact.__table__, block=100)  # type: ignore[arg-type]
    secret = SENSITIVE_FIELDS.get(table.name, ())

    def sealed(record_id: int, values: dict[str, Any]) -> dict[str, Any]:
        return {c: seal_field(ring, table.name, record_id, c, v) if c in secret else v for c, v in values.items()}

    seen: dict[str, int] = {}
    count = 0
    for line, row in rows:
        count += 1

        def cell(name: str, row: list[Any] = row) -> Any:
            i = idx.get(name, -1)
            v = row[i] if i >= 0 else ""
            return v.strip() if isinstance(v, str) else v

        bad = errors.total
        values: dict[str, Any] = {}
        for name, (column, parse) in spec.columns.items():
            raw = cell(name)
            if raw == "" or raw is None:
                continue
            try:
                values[column] = value = parse(raw)
                if isinstance(value, str) and column not in secret:  # the store's column length
                    fits(
                        value,
                        books[column].table.name if column in books else table.name,
                        "name" if column in books else column,
                    )
            except ValueError as exc:
                errors.add(line, name, raw, exc)
        contact: dict[str, Any] = {}
        for name, parse in _CONTACT_FIELDS.items() if spec.with_contact else ():
            raw = cell(name)
            if raw != "":
                try:
                    contact[name] = parse(raw)
                except ValueError as exc:
                    errors.add(line, name, raw, exc)
        given_code = str(cell(spec.code_field))
        try:
            fits(given_code, table.name, "code")
        except TooLong as exc:
            errors.add(line, spec.code_field, given_code, exc)
            continue
        if "name" not in values and given_code not in stored:  # a stored name is kept, not erased
            errors.add(line, "name", "", "empty name")
        code = given_code or (slug(values.get("name", "")) if kind == "prospects" else "")
        if not code:
            errors.add(line, spec.code_field, "", "empty code")
        elif code in seen:
            errors.add(line, spec.code_field, code, Reason("code already at line {line}", line=seen[code]))
        seen.setdefault(code, line)
        if errors.total > bad:
            continue
        for column, book in books.items():
            if column in values:
                values[column] = book.resolve(values[column])
        old = stored.get(code)
        if (
            guard is not None
            and kind != "products"
            and not guard.may_write_party(
                kind,
                code,
                old,
                values.get("region_id", getattr(old, "region_id", None)),
                values.get("segment_id", getattr(old, "segment_id", None)),
            )
        ):
            errors.add(line, spec.code_field, code, OUTSIDE_SCOPE)
            continue
        if old is None:
            hidden = {c: values.pop(c) for c in secret if c in values}
            new_id = conn.execute(
                insert(table).values(code=code, import_id=import_id, **values).returning(table.c.id)
            ).scalar_one()
            if hidden:  # encrypted with the record id, known once inserted
                conn.execute(update(table).where(table.c.id == new_id).values(**sealed(new_id, hidden)))
            result.count("created", table.name)
            if kind == "prospects":
                _stage_change(
                    conn,
                    new_id,
                    None,
                    values.get("stage", "suspect"),
                    values.get("created_on") or dt.date.today(),
                    result,
                )
        else:
            new_id = old.id
            changed = {
                c: v
                for c, v in values.items()
                if v != (open_field(ring, table.name, old.id, c, getattr(old, c)) if c in secret else getattr(old, c))
            }
            if changed:
                conn.execute(update(table).where(table.c.id == old.id).values(**sealed(old.id, changed)))
                result.count("updated", table.name)
                if "stage" in changed:
                    _stage_change(conn, old.id, old.stage, changed["stage"], dt.date.today(), result)
            else:
                result.count("unchanged", table.name)
        if contact.get("contact_name"):
            _upsert_contact(conn, kind, new_id, contact, contacts, result, ring, contact_ids)
    for book in books.values():
        result.count("created", book.table.name, book.created)
    return count


def _stage_change(
    conn: Connection, prospect_id: int, before: str | None, after: str, on: dt.date, result: ImportResult
) -> None:
    """Record a prospect's entry in the funnel or its move, as ``move_prospect`` does."""
    conn.execute(insert(StageChange).values(prospect_id=prospect_id, from_stage=before, to_stage=after, changed_on=on))
    result.count("created", StageChange.__tablename__)


def _owner_column(kind: str) -> Any:
    return Contact.customer_id if kind == "customers" else Contact.prospect_id


def _stored_contacts(conn: Connection, kind: str, ring: KeyRing | None) -> dict[tuple[int, str], Any]:
    """The contacts of customers or prospects, decrypted, by (owner id, lower-cased name)."""
    owner = _owner_column(kind)
    query = select(owner, Contact.id, Contact.name, Contact.function, Contact.email, Contact.phone).where(
        owner.is_not(None)
    )
    stored: dict[tuple[int, str], Any] = {}
    for row in conn.execute(query):
        plain = SimpleNamespace(
            **{
                **row._asdict(),
                **{f: open_field(ring, "contacts", row.id, f, getattr(row, f)) for f in SENSITIVE_FIELDS["contacts"]},
            }
        )
        stored[(row[0], plain.name.lower())] = plain
    return stored


def _upsert_contact(
    conn: Connection,
    kind: str,
    owner_id: int,
    contact: dict[str, Any],
    contacts: dict[tuple[int, str], Any],
    result: ImportResult,
    ring: KeyRing | None,
    ids: IdBlock,
) -> None:
    values = {
        "name": contact["contact_name"],
        "function": contact.get("contact_function"),
        "email": contact.get("email"),
        "phone": contact.get("phone"),
    }
    values = {k: v for k, v in values.items() if v}
    key = (owner_id, values["name"].lower())
    old = contacts.get(key)
    if old is None:
        new_id = ids.take()
        conn.execute(
            insert(Contact).values(
                id=new_id, **{_owner_column(kind).key: owner_id}, **contact_values(ring, new_id, values)
            )
        )
        contacts[key] = True
        result.count("created", "contacts")
    elif old is not True and any(getattr(old, k) != v for k, v in values.items()):
        conn.execute(update(Contact).where(Contact.id == old.id).values(**contact_values(ring, old.id, values)))
        result.count("updated", "contacts")
