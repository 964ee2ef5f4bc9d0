"""grid register history: the ciphertexts of changed personal fields

Revision ID: 0011_grid_history_sealed
Revises: 0010_grids
Create Date: 2026-12-03 08:30:00

History compared masked values, so a phone changed behind the same mask left no entry. Changes are now found
on the real values; the entry shows the masks and keeps the old/new ciphertexts, read only by an audited
reveal (POST /api/v1/grids/history/changes/{id}/reveal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_grid_history_sealed"
down_revision: str | Sequence[str] | None = "0010_grids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("grid_record_changes") as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("grid_record_changes") as batch_op:
        batch_op.drop_column("sealed")
