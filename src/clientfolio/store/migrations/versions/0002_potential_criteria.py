"""potential criteria: share of wallet, sector growth, supplier policy

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("wallet_share_pct", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sector_growth_pct", sa.Float(), nullable=True))
        batch.add_column(sa.Column("supplier_policy", sa.String(length=10), nullable=True))
    with op.batch_alter_table("prospects") as batch:
        batch.add_column(sa.Column("sector_growth_pct", sa.Float(), nullable=True))
        batch.add_column(sa.Column("supplier_policy", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        batch.drop_column("supplier_policy")
        batch.drop_column("sector_growth_pct")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("supplier_policy")
        batch.drop_column("sector_growth_pct")
        batch.drop_column("wallet_share_pct")
