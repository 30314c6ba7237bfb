"""invoice gross amount: what the customer owes, tax included

Revision ID: 0012
Revises: 0011

``invoices.gross_cents`` keeps the amount tax included (the FEC's customer
line, or an export's "Total TTC"), so that a payment of part of it, told in
that basis (an instalment, a carried-forward balance settled in a later fiscal
year), is stored in proportion to the invoice's lines (excluding tax).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gross_cents", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("gross_cents")
