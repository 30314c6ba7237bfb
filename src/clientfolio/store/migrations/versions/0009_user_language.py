"""user language: the language each user chose for the web interface

Revision ID: 0009
Revises: 0008

``users.language`` holds ``fr`` or ``en`` once the user switched language in
the web app (POST /lang); NULL means "not chosen": the browser's
``Accept-Language`` decides.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
