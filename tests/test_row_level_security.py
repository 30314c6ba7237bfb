"""PostgreSQL's row-level security: the second wall behind the access layer.

Connected as an ordinary role (superusers bypass it), a connection bound to a
scope sees only that scope's rows even through queries without any filter."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.access.rls import limit_backend, limit_connection, scope_settings
from clientfolio.analytics.engines import connect
from clientfolio.demo import generate_demo
from clientfolio.store import Store

pytestmark = pytest.mark.postgres


def test_scope_settings() -> None:
    assert scope_settings(Scope()) == {"clientfolio.regions": "", "clientfolio.segments": ""}
    assert scope_settings(Scope(regions=frozenset({"OCC", "IDF"}), segments=frozenset())) == {
        "clientfolio.regions": "IDF,OCC", "clientfolio.segments": ","}


@pytest.fixture
def app_role_url(pg_url: str) -> Iterator[str]:
    """The demo in a fresh database, and the URL of an ordinary role allowed to read it."""
    store = Store(pg_url)
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30))
    store.dispose()
    role = f"cf_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    try:
        yield make_url(pg_url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def counts(conn) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("customers", "invoices", "invoice_lines", "payments", "contacts", "prospects", "activities")}


def test_unfiltered_queries_see_only_the_scope(pg_url: str, app_role_url: str) -> None:
    scope = Scope(regions=frozenset({"IDF"}))
    store = Store(pg_url)
    expected = {c.code for c in PortfolioReader(store, Principal("rep", "sales", scope)).customers()}
    store.dispose()
    assert expected
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn:
            everything = counts(conn)  # nothing declared: no limit (imports, maintenance)
        with engine.connect() as conn:
            limit_connection(conn, scope)
            seen = {code for (code,) in conn.execute(text("SELECT code FROM customers"))}
            assert seen == expected
            scoped = counts(conn)
            assert all(0 < scoped[t] < everything[t] for t in scoped)
            invoices = conn.execute(text(
                "SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id")).scalar_one()
            assert scoped["invoices"] == invoices
        with engine.connect() as conn:
            limit_connection(conn, Scope(regions=frozenset()))
            assert set(counts(conn).values()) == {0}
    finally:
        engine.dispose()


def test_ibis_backend_bound_to_the_scope(app_role_url: str) -> None:
    scope = Scope(segments=frozenset({"SAN"}))
    con = connect("postgres", url=app_role_url)
    try:
        total = con.table("customers").count().to_pyarrow().as_py()
        limit_backend(con, scope)
        customers = con.table("customers")
        segments = con.table("segments")
        seen = customers.join(segments, customers.segment_id == segments.id).select(segments.code)
        codes = {r["code"] for r in seen.to_pyarrow().to_pylist()}
        assert codes == {"SAN"} and 0 < customers.count().to_pyarrow().as_py() < total
    finally:
        con.disconnect()
