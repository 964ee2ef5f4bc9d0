"""grid + party building: party branches of communities/grids and their members

Revision ID: 0012_grid_party_branches
Revises: 0011_grid_history_sealed
Create Date: 2026-12-03 09:00:00

A branch (党支部) belongs to a community and covers it whole or only the grids listed in
grid_party_branch_grids; its members are grid staff or accounts (no personal data copied).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0012_grid_party_branches"
down_revision: str | Sequence[str] | None = "0011_grid_history_sealed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grid_party_branches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_grid_party_branches_area_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_party_branches")),
    )
    with op.batch_alter_table("grid_party_branches") as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_party_branches_area_code"), ["area_code"], unique=False)

    op.create_table(
        "grid_party_branch_grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_grid_party_branch_grids_area_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["grid_party_branches.id"],
            name=op.f("fk_grid_party_branch_grids_branch_id_grid_party_branches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_party_branch_grids")),
        sa.UniqueConstraint("branch_id", "area_code", name=op.f("uq_grid_party_branch_grids_branch_id")),
    )
    with op.batch_alter_table("grid_party_branch_grids") as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_party_branch_grids_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_grid_party_branch_grids_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "grid_party_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("since_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_grid_party_members_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["grid_party_branches.id"],
            name=op.f("fk_grid_party_members_branch_id_grid_party_branches"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["grid_staff.id"], name=op.f("fk_grid_party_members_staff_id_grid_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_party_members")),
        sa.UniqueConstraint("account_id", "branch_id", name=op.f("uq_grid_party_members_account_id")),
        sa.UniqueConstraint("staff_id", "branch_id", name=op.f("uq_grid_party_members_staff_id")),
    )
    with op.batch_alter_table("grid_party_members") as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_party_members_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grid_party_members_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grid_party_members_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_table("grid_party_members")
    op.drop_table("grid_party_branch_grids")
    op.drop_table("grid_party_branches")
