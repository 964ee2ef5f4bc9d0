"""cases: the wall's roll-ups read from two indexes alone (they replace two narrower ones)

Revision ID: 0010_cases_rollup_indexes
Revises: 0009_case_history_without_fks
Create Date: 2026-12-03 09:00:00

The command-centre wall counts open cases per grid and SLA colour, picks the most urgent ones, and counts
received cases per day and category (``pingan.cases.rollups``). With the grid, street, community and colour
in the index by state, and the state, area and category in the index by report time, those counts are index
scans that never read a case row. Each index keeps the leading columns of the one it replaces
(``ix_cases_state_stage_due``, ``ix_cases_reported_at``), so every query those served is served the same way,
and a report still writes two index entries.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_cases_rollup_indexes"
down_revision: str | Sequence[str] | None = "0009_case_history_without_fks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ["state", "stage_due_at", "sla_color", "area_code", "street_code", "community_code", "reported_at"]
REPORTED = ["reported_at", "state", "area_code", "category_code"]


def upgrade() -> None:
    op.create_index("ix_cases_open_rollup", "cases", OPEN)
    op.drop_index("ix_cases_state_stage_due", table_name="cases")
    op.create_index("ix_cases_reported_rollup", "cases", REPORTED)
    op.drop_index("ix_cases_reported_at", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_reported_at", "cases", ["reported_at"])
    op.drop_index("ix_cases_reported_rollup", table_name="cases")
    op.create_index("ix_cases_state_stage_due", "cases", ["state", "stage_due_at"])
    op.drop_index("ix_cases_open_rollup", table_name="cases")
