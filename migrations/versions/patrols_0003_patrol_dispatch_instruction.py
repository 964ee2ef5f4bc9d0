"""patrol dispatches: the operator's instruction in its own column

Revision ID: 0007_patrols_instruction
Revises: 0006_patrol_device_keys
Create Date: 2026-12-03 09:20:00

The operator's instruction used to be stored in ``outcome``, where the volunteer's report then overwrote it.
Open dispatches (assigned, accepted, arrived) still hold the instruction there: it moves to ``instruction``.
Finished ones (done, declined) hold the volunteer's outcome when they reported one, the instruction
otherwise; which of the two cannot be told apart, so they keep it as the outcome.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_patrols_instruction"
down_revision: str | Sequence[str] | None = "0006_patrol_device_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "('assigned', 'accepted', 'arrived')"


def upgrade() -> None:
    with op.batch_alter_table("patrol_dispatches") as batch_op:
        batch_op.add_column(sa.Column("instruction", sa.Text(), nullable=False, server_default=""))
    op.execute(f"UPDATE patrol_dispatches SET instruction = outcome, outcome = '' WHERE status IN {OPEN}")


def downgrade() -> None:
    op.execute(
        f"UPDATE patrol_dispatches SET outcome = instruction WHERE status IN {OPEN} AND outcome = ''"
    )
    with op.batch_alter_table("patrol_dispatches") as batch_op:
        batch_op.drop_column("instruction")
