"""row-level security fails closed: no declared scope, no rows; a scope cannot be widened

Revision ID: 0010
Revises: 0009

Migration 0008 read the scope from two settings any role may change with
``set_config`` (unset or empty meant "everything").  Here the scope of a
connection lives in a temporary table ``clientfolio_binding`` of the session,
owned by the tables' owner: the application role can neither write it nor
drop it.  It is filled by ``clientfolio_bind_scope(regions, segments, session)``
(SECURITY DEFINER), which keeps the FIRST binding of a transaction (or of the
session, for Ibis back-ends) and refuses any other one.  Policies read it
through ``clientfolio_scope(dimension)`` (STABLE, evaluated once per query):
no binding, nothing visible; ``{*}``: everything (the system actor only).
A temporary table dies with its session, so a binding never outlives its
connection (no reuse through a recycled process id).  SQLite: nothing to do.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BINDING = """
CREATE OR REPLACE FUNCTION clientfolio_binding_table() RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    found oid := to_regclass('pg_temp.clientfolio_binding');
BEGIN
    IF found IS NULL THEN
        RETURN false;
    END IF;
    -- a table of that name created by someone else is never trusted
    RETURN (SELECT relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
            FROM pg_class WHERE oid = found);
END $$;

CREATE OR REPLACE FUNCTION clientfolio_bind_scope(regions text[], segments text[], whole_session boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    key bigint := CASE WHEN whole_session THEN 0 ELSE txid_current() END;
    bound record;
BEGIN
    IF to_regclass('pg_temp.clientfolio_binding') IS NULL THEN
        CREATE TEMPORARY TABLE clientfolio_binding (
            xact bigint PRIMARY KEY, regions text[], segments text[], lookup boolean NOT NULL DEFAULT false);
        REVOKE ALL ON pg_temp.clientfolio_binding FROM PUBLIC;
    ELSIF NOT public.clientfolio_binding_table() THEN
        RAISE EXCEPTION 'clientfolio: the scope binding table was tampered with';
    END IF;
    -- bindings of finished transactions of this session go
    DELETE FROM pg_temp.clientfolio_binding WHERE xact NOT IN (0, txid_current());
    -- a session binding (Ibis) holds for all its transactions: one binding per session
    SELECT * INTO bound FROM pg_temp.clientfolio_binding WHERE xact IN (0, key) ORDER BY xact LIMIT 1;
    IF FOUND THEN
        IF bound.regions IS DISTINCT FROM regions OR bound.segments IS DISTINCT FROM segments THEN
            RAISE EXCEPTION 'clientfolio: this connection is already bound to another scope'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN;
    END IF;
    INSERT INTO pg_temp.clientfolio_binding (xact, regions, segments) VALUES (key, regions, segments);
END $$;

CREATE OR REPLACE FUNCTION clientfolio_scope(dimension text) RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    found text[];
BEGIN
    IF NOT public.clientfolio_binding_table() THEN
        RETURN ARRAY[]::text[];  -- nothing declared: nothing visible
    END IF;
    EXECUTE format('SELECT CASE WHEN lookup THEN ARRAY[''*''] ELSE %I END FROM pg_temp.clientfolio_binding '
                   'WHERE xact IN (0, coalesce(txid_current_if_assigned(), -1)) ORDER BY lookup DESC, xact LIMIT 1',
                   dimension) INTO found;
    RETURN coalesce(found, ARRAY[]::text[]);
END $$;

CREATE OR REPLACE FUNCTION clientfolio_taken(kind text, codes text[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
-- the codes of ``codes`` already used in ``kind`` (customers, prospects,
-- invoices), whatever the scope: a write refused without telling why
DECLARE
    found text[];
    col text := CASE WHEN kind = 'invoices' THEN 'number' ELSE 'code' END;
BEGIN
    IF kind NOT IN ('customers', 'prospects', 'invoices') THEN
        RAISE EXCEPTION 'clientfolio: unknown kind %', kind;
    END IF;
    IF NOT public.clientfolio_binding_table() THEN
        RETURN ARRAY[]::text[];
    END IF;
    UPDATE pg_temp.clientfolio_binding SET lookup = true WHERE xact = txid_current();
    EXECUTE format('SELECT coalesce(array_agg(%I), ARRAY[]::text[]) FROM public.%I WHERE %I = ANY ($1)',
                   col, kind, col) INTO found USING codes;
    UPDATE pg_temp.clientfolio_binding SET lookup = false WHERE xact = txid_current();
    RETURN found;
END $$;
"""


def _limit(dimension: str, column: str, table: str) -> str:
    scope = f"(SELECT clientfolio_scope('{dimension}'))::text[]"  # one call per query (an init plan)
    return f"({scope} @> ARRAY['*'] OR {column} IN (SELECT id FROM {table} WHERE code = ANY ({scope})))"


_PARTY = f"{_limit('regions', 'region_id', 'regions')} AND {_limit('segments', 'segment_id', 'segments')}"
_WHOLE = (
    "((SELECT clientfolio_scope('regions'))::text[] @> ARRAY['*'] AND "
    "(SELECT clientfolio_scope('segments'))::text[] @> ARRAY['*'])"
)
# rows about a customer or prospect follow it; rows about neither (company items) are for the whole company
_OWNED = (
    f"({_WHOLE} OR ((customer_id IS NOT NULL OR prospect_id IS NOT NULL) AND "
    "(customer_id IS NULL OR customer_id IN (SELECT id FROM customers)) AND "
    "(prospect_id IS NULL OR prospect_id IN (SELECT id FROM prospects))))"
)
# a SWOT item holding a company figure is a company item even when tied to a customer
# (``plan.swot.COMPANY_FIGURE_KEYS``)
_SWOT = f"({_WHOLE} OR (customer_id IN (SELECT id FROM customers) AND coalesce(key, '') NOT IN ('threat:dependency')))"
POLICIES = {
    "customers": _PARTY,
    "prospects": _PARTY,
    "invoices": "customer_id IN (SELECT id FROM customers)",
    "invoice_lines": "invoice_id IN (SELECT id FROM invoices)",
    "payments": "invoice_id IN (SELECT id FROM invoices)",
    "contacts": _OWNED,
    "activities": _OWNED,
    "actions": _OWNED,
    "prospect_stage_changes": "prospect_id IN (SELECT id FROM prospects)",
    "swot_items": _SWOT,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_BINDING)
    for table, condition in POLICIES.items():
        op.execute(f"DROP POLICY IF EXISTS need_to_know ON {table}")
        op.execute(f"CREATE POLICY need_to_know ON {table} USING ({condition})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from importlib import import_module

    previous = import_module("clientfolio.store.migrations.versions.0008_row_level_security").POLICIES
    for table, condition in previous.items():
        op.execute(f"DROP POLICY IF EXISTS need_to_know ON {table}")
        op.execute(f"CREATE POLICY need_to_know ON {table} USING ({condition})")
    for function in (
        "clientfolio_taken(text, text[])",
        "clientfolio_scope(text)",
        "clientfolio_bind_scope(text[], text[], boolean)",
        "clientfolio_binding_table()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
