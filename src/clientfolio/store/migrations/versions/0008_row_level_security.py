"""row-level security on PostgreSQL: the second wall of the need-to-know scopes

Revision ID: 0008
Revises: 0007

On PostgreSQL the tables of customer data get policies that keep the rows
outside the scope that the access layer declares for its connection
(``clientfolio.access.rls``: the settings ``clientfolio.regions`` and
``clientfolio.segments``, comma-separated codes; unset or empty = no limit,
as for imports and maintenance).  ``FORCE`` binds the tables' owner too;
superusers always bypass row-level security, so the application must connect
as an ordinary role.  Product-line scopes stay with the access layer (an
invoice's total spans its lines).  SQLite has no row-level security: nothing
to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _limit(setting: str, column: str, table: str) -> str:
    value = f"current_setting('clientfolio.{setting}', true)"
    return (
        f"(coalesce({value}, '') = '' OR {column} IN "
        f"(SELECT id FROM {table} WHERE code = ANY (string_to_array({value}, ','))))"
    )


_PARTY = f"{_limit('regions', 'region_id', 'regions')} AND {_limit('segments', 'segment_id', 'segments')}"
_OWNED = (
    "(customer_id IS NULL OR customer_id IN (SELECT id FROM customers)) AND "
    "(prospect_id IS NULL OR prospect_id IN (SELECT id FROM prospects))"
)
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
    "swot_items": "customer_id IS NULL OR customer_id IN (SELECT id FROM customers)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, condition in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY need_to_know ON {table} USING ({condition})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS need_to_know ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
