"""prospect tracking: qualification marks, lost reason, stage history

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        batch.add_column(sa.Column("contact_knowledge", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("receptivity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("timing", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lost_reason", sa.String(length=200), nullable=True))
    op.create_table(
        "prospect_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=10), nullable=True),
        sa.Column("to_stage", sa.String(length=10), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospects.id"],
            name=op.f("fk_prospect_stage_changes_prospect_id_prospects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_prospect_stage_changes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospect_stage_changes")),
    )
    with op.batch_alter_table("prospect_stage_changes") as batch:
        batch.create_index(batch.f("ix_prospect_stage_changes_changed_on"), ["changed_on"], unique=False)
        batch.create_index(batch.f("ix_prospect_stage_changes_prospect_id"), ["prospect_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prospect_stage_changes") as batch:
        batch.drop_index(batch.f("ix_prospect_stage_changes_prospect_id"))
        batch.drop_index(batch.f("ix_prospect_stage_changes_changed_on"))
    op.drop_table("prospect_stage_changes")
    with op.batch_alter_table("prospects") as batch:
        batch.drop_column("lost_reason")
        batch.drop_column("timing")
        batch.drop_column("receptivity")
        batch.drop_column("contact_knowledge")
