"""PostgreSQL's row-level security: the second wall behind the access layer.

Connected as an ordinary role (superusers bypass it), a connection bound to a
scope sees only that scope's rows even through queries without any filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clientfolio.access import PortfolioReader, Principal, Scope
from clientfolio.access.rls import limit_backend, limit_connection, scope_settings
from clientfolio.analytics.engines import connect
from clientfolio.demo import generate_demo
from clientfolio.store import Store
from tests.conftest import ordinary_role

pytestmark = pytest.mark.postgres


def test_scope_settings() -> None:
    assert scope_settings(Scope()) == {"clientfolio.regions": "", "clientfolio.segments": ""}
    assert scope_settings(Scope(regions=frozenset({"OCC", "IDF"}), segments=frozenset())) == {
        "clientfolio.regions": "IDF,OCC",
        "clientfolio.segments": ",",
    }


@pytest.fixture
def app_role_url(pg_url: str) -> Iterator[str]:
    """The demo in a fresh database, and the URL of an ordinary role allowed to read it."""
    store = Store(pg_url)
    generate_demo(store, customers=40, years=2, seed=3, as_of=dt.date(2025, 6, 30))
    store.dispose()
    with ordinary_role(pg_url) as url:
        yield url


def counts(conn) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
        for t in ("customers", "invoices", "invoice_lines", "payments", "contacts", "prospects", "activities")
    }


def test_unfiltered_queries_see_only_the_scope(pg_url: str, app_role_url: str) -> None:
    scope = Scope(regions=frozenset({"IDF"}))
    store = Store(pg_url)
    expected = {c.code for c in PortfolioReader(store, Principal("rep", "sales", scope)).customers()}
    store.dispose()
    assert expected
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn:
            assert set(counts(conn).values()) == {0}  # nothing declared: nothing visible (fails closed)
        with engine.connect() as conn:
            limit_connection(conn, Scope())  # the system actor binds "*"
            everything = counts(conn)
        with engine.connect() as conn:
            limit_connection(conn, scope)
            seen = {code for (code,) in conn.execute(text("SELECT code FROM customers"))}
            assert seen == expected
            scoped = counts(conn)
            assert all(0 < scoped[t] < everything[t] for t in scoped)
            invoices = conn.execute(
                text("SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id")
            ).scalar_one()
            assert scoped["invoices"] == invoices
        with engine.connect() as conn:
            limit_connection(conn, Scope(regions=frozenset()))
            assert set(counts(conn).values()) == {0}
    finally:
        engine.dispose()


def test_ibis_backend_bound_to_the_scope(app_role_url: str) -> None:
    scope = Scope(segments=frozenset({"SAN"}))
    whole = connect("postgres", url=app_role_url)
    try:
        assert whole.table("customers").count().to_pyarrow().as_py() == 0  # nothing bound: nothing
        limit_backend(whole, Scope())
        total = whole.table("customers").count().to_pyarrow().as_py()
    finally:
        whole.disconnect()
    con = connect("postgres", url=app_role_url)
    try:
        limit_backend(con, scope)
        customers = con.table("customers")
        segments = con.table("segments")
        seen = customers.join(segments, customers.segment_id == segments.id).select(segments.code)
        codes = {r["code"] for r in seen.to_pyarrow().to_pylist()}
        assert codes == {"SAN"} and 0 < customers.count().to_pyarrow().as_py() < total
        with pytest.raises(Exception, match="already bound"):  # a session binding cannot be widened
            limit_backend(con, Scope())
        assert 0 < customers.count().to_pyarrow().as_py() < total
    finally:
        con.disconnect()


def test_a_bound_scope_cannot_be_widened(app_role_url: str) -> None:
    """``set_config`` changes nothing any more, and a second, different binding
    in the same transaction is refused by the database (the first one wins)."""
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn:
            limit_connection(conn, Scope())
            total = conn.execute(text("SELECT count(*) FROM customers")).scalar_one()
        with engine.connect() as conn:
            conn.execute(text("SELECT set_config('clientfolio.regions', 'IDF', true)"))
            assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 0
        with engine.connect() as conn:
            limit_connection(conn, Scope(regions=frozenset({"IDF"})))
            idf = conn.execute(text("SELECT count(*) FROM customers")).scalar_one()
            assert 0 < idf < total
            conn.execute(text("SELECT set_config('clientfolio.regions', '', true)"))
            conn.execute(text("SELECT set_config('clientfolio.segments', '', true)"))
            assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == idf
            limit_connection(conn, Scope(regions=frozenset({"IDF"})))  # the same binding again: fine
            with pytest.raises(Exception, match="already bound"):
                limit_connection(conn, Scope())
        with engine.connect() as conn:
            limit_connection(conn, Scope(regions=frozenset({"IDF"})))
            with pytest.raises(Exception, match="permission denied|must be owner"):
                conn.execute(text("DELETE FROM pg_temp.clientfolio_binding"))
        with engine.connect() as conn:  # a table of the same name made by the application is not trusted
            conn.execute(
                text(
                    "CREATE TEMPORARY TABLE clientfolio_binding "
                    "(xact bigint PRIMARY KEY, regions text[], segments text[], lookup boolean)"
                )
            )
            conn.execute(text("INSERT INTO pg_temp.clientfolio_binding VALUES (0, '{*}', '{*}', true)"))
            assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 0
            with pytest.raises(Exception, match="tampered"):
                limit_connection(conn, Scope())
    finally:
        engine.dispose()


def test_system_work_sees_every_row_as_an_ordinary_role(pg_url: str, app_role_url: str, tmp_path: Path) -> None:
    """Row-level security fails closed, so the system's own work binds "all": a backup
    and the key status made as the application's ordinary role hold every row, not none."""
    from clientfolio.protect.backup import backup
    from clientfolio.protect.keys import KeyRing
    from clientfolio.protect.rotation import key_status

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    role = make_url(app_role_url).username
    with admin.connect() as conn:  # the audit entry of the backup
        conn.execute(text(f'GRANT INSERT ON audit_log TO "{role}"'))
        conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        everything = counts(conn)
    admin.dispose()
    store = Store(app_role_url)
    try:
        with store.engine.connect() as conn:
            assert counts(conn)["customers"] == 0  # nothing bound: nothing seen
        manifest = backup(store, KeyRing.for_tests(b"k" * 32), tmp_path / "b.cfbackup")
        rows = {t.name: t.rows for t in manifest.tables}
        assert {t: rows[t] for t in everything} == everything and everything["customers"] > 0
        status = key_status(store)
        assert sum(status.plain.values()) + sum(status.by_key.values()) > 0
    finally:
        store.dispose()


def test_company_items_are_for_the_whole_company(pg_url: str, app_role_url: str) -> None:
    """SWOT items and actions about no customer (company figures), and the SWOT item
    stating the whole portfolio's largest share, are hidden from a scoped session by
    the database itself, not only by the access layer."""
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        plan = conn.execute(text("INSERT INTO plans (budget_year, company) VALUES (2025, 'X') RETURNING id")).scalar()
        idf = conn.execute(
            text("SELECT c.id FROM customers c JOIN regions r ON r.id = c.region_id WHERE r.code = 'IDF' LIMIT 1")
        ).scalar()
        for key, customer in (("company:churn", None), ("threat:dependency", idf), ("customer:idf", idf)):
            conn.execute(
                text(
                    "INSERT INTO swot_items (plan_id, quadrant, text, source, key, accepted, customer_id) "
                    "VALUES (:p, 'threats', 'figure', 'suggested', :k, true, :c)"
                ),
                {"p": plan, "k": key, "c": customer},
            )
    admin.dispose()
    store = Store(app_role_url)
    try:
        for scope, keys in (
            (Scope(regions=frozenset({"IDF"})), {"customer:idf"}),
            (Scope(), {"company:churn", "threat:dependency", "customer:idf"}),
        ):
            with store.begin() as conn:
                limit_connection(conn, scope)
                assert set(conn.execute(text("SELECT key FROM swot_items")).scalars()) == keys, scope
    finally:
        store.dispose()
