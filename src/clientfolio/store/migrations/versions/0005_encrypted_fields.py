"""encrypted fields: sensitive columns widened to text for their ciphertext
tokens, and the blind index of contact emails

Existing values stay as they are (plain text): a migration holds no key.
``clientfolio keys rotate`` encrypts them; ``clientfolio keys status`` counts them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CONTACT_WIDTHS = (("name", 300, False), ("email", 320, True), ("phone", 40, True))


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        for column, width, nullable in _CONTACT_WIDTHS:
            batch.alter_column(
                column, existing_type=sa.String(length=width), type_=sa.Text(), existing_nullable=nullable
            )
        batch.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_contacts_email_index"), ["email_index"], unique=False)
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("address", existing_type=sa.String(length=500), type_=sa.Text(), existing_nullable=True)


def downgrade() -> None:
    # ciphertext tokens are longer than the old widths: decrypt (or wipe) first
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("address", existing_type=sa.Text(), type_=sa.String(length=500), existing_nullable=True)
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index(batch.f("ix_contacts_email_index"))
        batch.drop_column("email_index")
        for column, width, nullable in reversed(_CONTACT_WIDTHS):
            batch.alter_column(
                column, existing_type=sa.Text(), type_=sa.String(length=width), existing_nullable=nullable
            )
