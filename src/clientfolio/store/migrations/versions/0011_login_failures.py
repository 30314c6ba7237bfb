"""login failures: failed logins by client address

Revision ID: 0011
Revises: 0010

``login_failures`` keeps each failed login with the address it came from (the
username as typed, unknown users too): an address with too many failures is
refused for a while (429), and an account is locked only for the addresses
that failed on it, so that nobody can lock a colleague out.  Rows older than a
day are purged at each login.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"])
    op.create_index("ix_login_failures_username_address", "login_failures", ["username", "address"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_username_address", table_name="login_failures")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_table("login_failures")
