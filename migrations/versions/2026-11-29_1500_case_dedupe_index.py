"""cases: an index on (category, latitude) for the nearby-duplicate search at intake

Revision ID: 0006_case_dedupe_index
Revises: 0005_case_calendar
Create Date: 2026-11-29 15:00:00

The search asks for a category's cases in a small latitude band; the (category, reported_at) index made it
scan every case of the category reported within the dedupe window (thousands under a burst of reports).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_case_dedupe_index"
down_revision: str | Sequence[str] | None = "0005_case_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_category_lat", "cases", ["category_code", "lat"])


def downgrade() -> None:
    op.drop_index("ix_cases_category_lat", table_name="cases")
