"""message keys of the plan's texts: shown in the reader's language

Revision ID: 0013
Revises: 0012

An accepted suggestion's title, reason and steps (``actions.title_msg``,
``actions.reason_msg``, ``actions.steps_msg``) and a suggested SWOT item's text
(``swot_items.text_msg``) are stored with their English message template and
its parameters (``params``, JSON), to be shown in the reader's language; a
text the user wrote keeps none (NULL: shown as written).

The rows written before are converted: an accepted suggestion's action
(``suggestion_key`` set) and a suggested item (``source = 'suggested'``) whose
English text is an instance of a template of the plan package get that
template and their parameters read back from the sentence
(``clientfolio.plan.rekey``); the others stay as written.  On PostgreSQL the
conversion binds the whole scope (row-level security, migrations 0008/0010),
as the system actor does; the policies need no change (no new table).
"""

from __future__ import annotations

from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ACTIONS = sa.table(
    "actions",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("reason", sa.Text),
    sa.column("steps", sa.Text),
    sa.column("suggestion_key", sa.String),
    sa.column("title_msg", sa.Text),
    sa.column("reason_msg", sa.Text),
    sa.column("steps_msg", sa.Text),
    sa.column("params", sa.Text),
)
_ITEMS = sa.table(
    "swot_items",
    sa.column("id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("source", sa.String),
    sa.column("text_msg", sa.Text),
    sa.column("params", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_msg", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reason_msg", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("steps_msg", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("params", sa.Text(), nullable=True))
    with op.batch_alter_table("swot_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_msg", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("params", sa.Text(), nullable=True))
    _convert(op.get_bind())


def _convert(conn: sa.Connection) -> None:
    # the store sits below the plan package: its matching is imported by name, at run time
    rekey = import_module("clientfolio.plan.rekey")
    if conn.dialect.name == "postgresql":  # see every row (the system actor's binding)
        conn.execute(sa.text("SELECT clientfolio_bind_scope(ARRAY['*']::text[], ARRAY['*']::text[], false)"))
    actions = conn.execute(
        sa.select(_ACTIONS.c.id, _ACTIONS.c.title, _ACTIONS.c.reason, _ACTIONS.c.steps).where(
            _ACTIONS.c.suggestion_key.is_not(None)
        )
    ).all()
    for row in actions:
        keys = rekey.action_keys(row.title, row.reason, row.steps)
        if (keys.title_msg, keys.reason_msg, keys.steps_msg) != (None, None, None):
            conn.execute(
                sa.update(_ACTIONS)
                .where(_ACTIONS.c.id == row.id)
                .values(
                    title_msg=keys.title_msg, reason_msg=keys.reason_msg, steps_msg=keys.steps_msg, params=keys.params
                )
            )
    items = conn.execute(sa.select(_ITEMS.c.id, _ITEMS.c.text).where(_ITEMS.c.source == "suggested")).all()
    for item in items:
        found = rekey.item_keys(item.text)
        if found.text_msg is not None:
            conn.execute(
                sa.update(_ITEMS).where(_ITEMS.c.id == item.id).values(text_msg=found.text_msg, params=found.params)
            )


def downgrade() -> None:
    with op.batch_alter_table("swot_items", schema=None) as batch_op:
        batch_op.drop_column("params")
        batch_op.drop_column("text_msg")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("params")
        batch_op.drop_column("steps_msg")
        batch_op.drop_column("reason_msg")
        batch_op.drop_column("title_msg")
