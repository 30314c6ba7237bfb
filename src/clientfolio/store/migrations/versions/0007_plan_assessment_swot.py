"""plan assessment swot: plans (PAC header), self-assessments and the team's
answers, SWOT items, and the PAC columns of actions

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_year", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=300), nullable=False),
        sa.Column("business_area", sa.String(length=300), nullable=True),
        sa.Column("vision", sa.Text(), nullable=True),
        sa.Column("objective", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("budget_year", name=op.f("uq_plans_budget_year")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("fact_mark", sa.Float(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("assessed_on", name=op.f("uq_assessments_assessed_on")),
    )
    op.create_table(
        "assessment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=100), nullable=False),
        sa.Column("theme", sa.String(length=20), nullable=False),
        sa.Column("mark", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_answers_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_answers")),
        sa.UniqueConstraint("assessment_id", "respondent", "theme", name=op.f("uq_assessment_answers_assessment_id")),
    )
    op.create_table(
        "swot_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("quadrant", sa.String(length=13), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_swot_items_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_swot_items_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_swot_items")),
        sa.UniqueConstraint("plan_id", "key", name=op.f("uq_swot_items_plan_id")),
    )
    with op.batch_alter_table("swot_items") as batch:
        batch.create_index(batch.f("ix_swot_items_plan_id"), ["plan_id"], unique=False)
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("spent_cents", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("current_revenue_cents", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("result_revenue_cents", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("suggestion_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("created_on", sa.Date(), nullable=True))
        batch.create_index(batch.f("ix_actions_plan_id"), ["plan_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_actions_plan_id_plans"), "plans", ["plan_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint(batch.f("fk_actions_plan_id_plans"), type_="foreignkey")
        batch.drop_index(batch.f("ix_actions_plan_id"))
        for column in (
            "created_on",
            "suggestion_key",
            "reason",
            "result_revenue_cents",
            "current_revenue_cents",
            "spent_cents",
            "plan_id",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("swot_items") as batch:
        batch.drop_index(batch.f("ix_swot_items_plan_id"))
    op.drop_table("swot_items")
    op.drop_table("assessment_answers")
    op.drop_table("assessments")
    op.drop_table("plans")
