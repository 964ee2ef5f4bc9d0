"""cases: an index on the time of public timeline steps, for Open311's service request updates

Revision ID: 0007_case_events_public_at
Revises: 0006_case_dedupe_index
Create Date: 2026-11-29 16:00:00

A front-end polls the public steps of every request in a time window (FixMyStreet: every 15 minutes);
without an index each poll reads the whole timeline table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_case_events_public_at"
down_revision: str | Sequence[str] | None = "0006_case_dedupe_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_events_public_at",
        "case_events",
        ["at"],
        sqlite_where=sa.text("is_public"),
        postgresql_where=sa.text("is_public"),
    )


def downgrade() -> None:
    op.drop_index("ix_case_events_public_at", table_name="case_events")
