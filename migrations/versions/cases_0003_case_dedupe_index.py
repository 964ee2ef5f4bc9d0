"""cases: an index on (category, latitude, longitude) of non-duplicates for the nearby search at intake

Revision ID: 0006_case_dedupe_index
Revises: 0005_case_calendar
Create Date: 2026-11-29 15:00:00

The search asks for a category's cases in a small latitude band that are not themselves duplicates; the
(category, reported_at) index made it scan every case of the category reported within the dedupe window
(thousands under a burst of reports), and a full index would still hold every linked duplicate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_case_dedupe_index"
down_revision: str | Sequence[str] | None = "0005_case_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_nearby",
        "cases",
        ["category_code", "lat", "lon"],
        sqlite_where=sa.text("duplicate_of_id IS NULL"),
        postgresql_where=sa.text("duplicate_of_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_nearby", table_name="cases")
