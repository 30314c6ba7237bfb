"""planned activities: the next call or visit, scheduled, not yet made

Revision ID: 0015
Revises: 0014

``activities.planned`` marks an activity scheduled for later (the web form's
"next activity"): it is no contact until it is made, so the last contact, the
activity index and the as-of date leave it out, and once its day has passed
without a later activity on the account it is a follow-up overdue.  Existing
activities get False (made).  On PostgreSQL the row-level security policies
need no change (no new table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("planned")
