"""major-event operations (平安护航)

Revision ID: inspections_0003
Revises: inspections_0002
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db


revision: str = 'inspections_0003'
down_revision: str | Sequence[str] | None = 'inspections_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inspection_major_operations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('area_codes', sa.JSON(), nullable=False),
    sa.Column('starts_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('target_turnouts', sa.Integer(), nullable=False),
    sa.Column('target_hours', sa.Integer(), nullable=False),
    sa.Column('target_key_places_per_day', sa.Integer(), nullable=False),
    sa.Column('campaign_ids', sa.JSON(), nullable=False),
    sa.Column('operation_ids', sa.JSON(), nullable=False),
    sa.Column('case_categories', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_major_operations')),
    sa.UniqueConstraint('code', name=op.f('uq_inspection_major_operations_code'))
    )


def downgrade() -> None:
    op.drop_table('inspection_major_operations')
