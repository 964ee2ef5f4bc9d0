"""cases: work calendar days (admin overrides), SLA clock per category and per case

Revision ID: 0005_case_calendar
Revises: 0004_cases
Create Date: 2026-11-29 14:00:00

Existing categories count in working time from now on; existing cases keep the natural clock their deadlines
were computed with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0005_case_calendar"
down_revision: str | Sequence[str] | None = "0004_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_case_calendar_days")),
    )
    with op.batch_alter_table("case_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock", sa.String(length=10), server_default="working", nullable=False))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_clock", sa.String(length=10), server_default="natural", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("sla_clock")
    with op.batch_alter_table("case_categories", schema=None) as batch_op:
        batch_op.drop_column("clock")
    op.drop_table("case_calendar_days")
