"""export registry: registered fingerprinted exports, approvals above the hard limit

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("export_uid", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_approvals")),
    )
    with op.batch_alter_table("export_approvals") as batch:
        batch.create_index(batch.f("ix_export_approvals_username"), ["username"], unique=False)
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_uid", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("traps", sa.Text(), nullable=False),
        sa.Column("alerts", sa.Text(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["export_approvals.id"], name=op.f("fk_exports_approval_id_export_approvals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
        sa.UniqueConstraint("export_uid", name=op.f("uq_exports_export_uid")),
    )
    with op.batch_alter_table("exports") as batch:
        batch.create_index(batch.f("ix_exports_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_exports_file_sha256"), ["file_sha256"], unique=False)
        batch.create_index(batch.f("ix_exports_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_index(batch.f("ix_exports_username"))
        batch.drop_index(batch.f("ix_exports_file_sha256"))
        batch.drop_index(batch.f("ix_exports_created_at"))
    op.drop_table("exports")
    with op.batch_alter_table("export_approvals") as batch:
        batch.drop_index(batch.f("ix_export_approvals_username"))
    op.drop_table("export_approvals")
