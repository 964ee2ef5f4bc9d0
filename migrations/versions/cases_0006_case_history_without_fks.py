"""case timeline and links: no foreign keys to cases

Revision ID: 0009_case_history_without_fks
Revises: 0008_cases_fewer_indexes
Create Date: 2026-11-30 09:00:00

Every timeline step and link had its case checked by a foreign key: a locking read of the case row (on
PostgreSQL a row lock written to the WAL), for rows the case services write only for cases they hold.
Cases are never deleted, so the keys' ON DELETE CASCADE never ran. See docs/decisions/0002.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_case_history_without_fks"
down_revision: str | Sequence[str] | None = "0008_cases_fewer_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (
    ("case_events", "fk_case_events_case_id_cases", "case_id"),
    ("case_links", "fk_case_links_case_id_cases", "case_id"),
    ("case_links", "fk_case_links_other_case_id_cases", "other_case_id"),
)


def upgrade() -> None:
    for table, name, _column in _KEYS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, name, column in _KEYS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(name, "cases", [column], ["id"], ondelete="CASCADE")


