"""cases: drop two indexes no query needs, which every report paid for

Revision ID: 0008_cases_fewer_indexes
Revises: 0007_case_events_public_at
Create Date: 2026-11-29 17:00:00

``ix_cases_state`` repeats the first column of ``ix_cases_state_stage_due``, which serves every query by
state; ``ix_cases_source`` indexes eight values over all cases, where a scan is cheaper than the index (the
list filter by source always comes with the caller's area). Each one was written at every report.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_cases_fewer_indexes"
down_revision: str | Sequence[str] | None = "0007_case_events_public_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_cases_state", table_name="cases")
    op.drop_index("ix_cases_source", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_source", "cases", ["source"])
    op.create_index("ix_cases_state", "cases", ["state"])
