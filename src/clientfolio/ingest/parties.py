"""Loading reference files: customers, prospects and products, keyed by code.

A code already in the store is updated with the file's non-empty cells (an empty
cell never erases what the store holds); identical rows change nothing, so
importing a file twice adds nothing.  A code twice in one file is an error.
Regions, segments and product lines are matched by code or name and created
when new.  A contact (name, function, email, phone) is added to its company
once, matched by name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from clientfolio.ingest.lookups import CodeBook, ErrorSink, slug
from clientfolio.ingest.report import ImportResult
from clientfolio.ingest.values import (
    DateParser,
    parse_amount_cents,
    parse_bool,
    parse_int,
    parse_siren,
    parse_siret,
)
from clientfolio.store.schema import (
    CUSTOMER_STATUSES,
    PROSPECT_SOURCES,
    PROSPECT_STAGES,
    SIZE_BANDS,
    Contact,
    Customer,
    Product,
    ProductLine,
    Prospect,
    Region,
    Segment,
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
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value
    return parse


_STAGE = _choice(PROSPECT_STAGES, {
    "froid": "cold", "tiede": "warm", "chaud": "hot", "gagne": "won", "client": "won",
    "perdu": "lost", "suspects": "suspect", "prospects": "prospect",
})
_SOURCE = _choice(PROSPECT_SOURCES, {
    "reseau": "network", "reseaux": "network", "presse": "press",
    "recommandation": "recommendation", "fichier_achete": "bought_file", "fichier": "bought_file",
    "salon": "event", "evenement": "event", "site_web": "web", "internet": "web", "autre": "other",
})
_SIZE = _choice(SIZE_BANDS, {
    "tpe": "micro", "pme": "small", "eti": "medium", "ge": "large", "grande_entreprise": "large",
    "petite": "small", "moyenne": "medium", "grande": "large",
})
_STATUS = _choice(CUSTOMER_STATUSES, {"actif": "active", "inactif": "inactive", "perdu": "lost"})


def _text(limit: int) -> Parser:
    def parse(raw: Any) -> str:
        text = str(raw).strip()
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text
    return parse


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
    money: Parser = lambda raw: parse_amount_cents(raw, decimal)
    day: Parser = lambda raw: dt.date.fromisoformat(dates(raw))
    company: dict[str, tuple[str, Parser]] = {
        "name": ("name", _text(300)), "siren": ("siren", parse_siren), "naf_code": ("naf_code", _naf),
        "sector": ("sector", _text(200)), "size_band": ("size_band", _SIZE),
        "city": ("city", _text(200)), "potential": ("potential_cents", money),
        "created_on": ("created_on", day), "region": ("region_id", str), "segment": ("segment_id", str),
    }
    return {
        "customers": _Spec(Customer.__table__, "customer_code", {  # type: ignore[arg-type]
            **company, "siret": ("siret", parse_siret), "address": ("address", _text(500)),
            "postal_code": ("postal_code", _text(10)), "country": ("country", _country),
            "status": ("status", _STATUS),
        }, True),
        "prospects": _Spec(Prospect.__table__, "prospect_code", {  # type: ignore[arg-type]
            **company, "stage": ("stage", _STAGE), "source": ("source", _SOURCE),
            "accessibility_score": ("accessibility_score", _score),
            "potential_score": ("potential_score", _score), "has_project": ("has_project", parse_bool),
            "last_similar_purchase": ("last_similar_purchase_on", day),
            "contact_knowledge": ("contact_knowledge", _score), "receptivity": ("receptivity", _score),
            "timing": ("timing", _score), "lost_reason": ("lost_reason", _text(200)),
        }, True),
        "products": _Spec(Product.__table__, "product_code", {  # type: ignore[arg-type]
            "name": ("name", _text(300)), "product_line": ("product_line_id", str),
            "unit_price": ("unit_price_cents", money),
        }, False),
    }


_CONTACT_FIELDS = {"contact_name": _text(300), "contact_function": _text(200), "email": _email,
                   "phone": _text(40)}


def load_parties(
    conn: Connection, kind: str, rows: Iterable[tuple[int, list[Any]]], idx: dict[str, int],
    import_id: int, errors: ErrorSink, result: ImportResult, dates: DateParser, decimal: str,
) -> int:
    """Validate and upsert every row of a customers, prospects or products file."""
    spec = _specs(dates, decimal)[kind]
    table = spec.table
    books = {
        "region_id": CodeBook(conn, Region.__table__),  # type: ignore[arg-type]
        "segment_id": CodeBook(conn, Segment.__table__),  # type: ignore[arg-type]
        "product_line_id": CodeBook(conn, ProductLine.__table__),  # type: ignore[arg-type]
    }
    db_columns = [col for col, _ in spec.columns.values()]
    stored = {row.code: row for row in conn.execute(select(table.c.id, table.c.code, *[table.c[c] for c in db_columns]))}
    contacts = _stored_contacts(conn, kind) if spec.with_contact else {}
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
                values[column] = parse(raw)
            except ValueError as exc:
                errors.add(line, name, raw, str(exc))
        contact: dict[str, Any] = {}
        for name, parse in _CONTACT_FIELDS.items() if spec.with_contact else ():
            raw = cell(name)
            if raw != "":
                try:
                    contact[name] = parse(raw)
                except ValueError as exc:
                    errors.add(line, name, raw, str(exc))
        given_code = str(cell(spec.code_field))
        if "name" not in values and given_code not in stored:  # a stored name is kept, not erased
            errors.add(line, "name", "", "empty name")
        code = given_code or (slug(values.get("name", "")) if kind == "prospects" else "")
        if not code:
            errors.add(line, spec.code_field, "", "empty code")
        elif code in seen:
            errors.add(line, spec.code_field, code, f"code already at line {seen[code]}")
        seen.setdefault(code, line)
        if errors.total > bad:
            continue
        for column, book in books.items():
            if column in values:
                values[column] = book.resolve(values[column])
        old = stored.get(code)
        if old is None:
            new_id = conn.execute(
                insert(table).values(code=code, import_id=import_id, **values).returning(table.c.id)
            ).scalar_one()
            result.count("created", table.name)
        else:
            new_id = old.id
            changed = {c: v for c, v in values.items() if getattr(old, c) != v}
            if changed:
                conn.execute(update(table).where(table.c.id == old.id).values(**changed))
                result.count("updated", table.name)
            else:
                result.count("unchanged", table.name)
        if contact.get("contact_name"):
            _upsert_contact(conn, kind, new_id, contact, contacts, result)
    for book in books.values():
        result.count("created", book.table.name, book.created)
    return count


def _owner_column(kind: str) -> Any:
    return Contact.customer_id if kind == "customers" else Contact.prospect_id


def _stored_contacts(conn: Connection, kind: str) -> dict[tuple[int, str], Any]:
    owner = _owner_column(kind)
    query = select(owner, Contact.id, Contact.name, Contact.function, Contact.email, Contact.phone).where(owner.is_not(None))
    return {(row[0], row.name.lower()): row for row in conn.execute(query)}


def _upsert_contact(conn: Connection, kind: str, owner_id: int, contact: dict[str, Any],
                    contacts: dict[tuple[int, str], Any], result: ImportResult) -> None:
    values = {"name": contact["contact_name"], "function": contact.get("contact_function"),
              "email": contact.get("email"), "phone": contact.get("phone")}
    values = {k: v for k, v in values.items() if v}
    key = (owner_id, values["name"].lower())
    old = contacts.get(key)
    if old is None:
        conn.execute(insert(Contact).values(**{_owner_column(kind).key: owner_id}, **values))
        contacts[key] = True
        result.count("created", "contacts")
    elif old is not True and any(getattr(old, k) != v for k, v in values.items()):
        conn.execute(update(Contact).where(Contact.id == old.id).values(**values))
        result.count("updated", "contacts")
