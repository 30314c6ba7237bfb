"""a contact's objection to prospecting (GDPR art. 21)

Revision ID: 0014
Revises: 0013

``contacts.objects_to_prospecting`` records that the person objected to
prospecting (``clientfolio gdpr object``): mailing exports leave them out.
Existing contacts get False (no objection recorded).  On PostgreSQL the
row-level security policies need no change (no new table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("objects_to_prospecting", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("objects_to_prospecting")
