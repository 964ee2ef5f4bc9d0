"""cases: categories, routing rules, cases, timeline, attachments, links, ratings, SLA reminders, leases

Revision ID: 0004_cases
Revises: 0002_audit
Create Date: 2026-11-29 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0004_cases"
down_revision: str | Sequence[str] | None = "0002_audit"
branch_labels: str | Sequence[str] | None = ("cases",)
depends_on: str | Sequence[str] | None = "0003_security"


def upgrade() -> None:
    op.create_table('case_categories',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('parent_code', sa.String(length=8), nullable=True),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('keywords', sa.String(length=200), nullable=False),
    sa.Column('default_priority', sa.String(length=10), nullable=False),
    sa.Column('sla_minutes', sa.JSON(), nullable=False),
    sa.Column('dedupe_radius_m', sa.Float(), nullable=False),
    sa.Column('dedupe_window_minutes', sa.Integer(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['case_categories.code'], name=op.f('fk_case_categories_parent_code_case_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_case_categories'))
    )
    with op.batch_alter_table('case_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_categories_parent_code'), ['parent_code'], unique=False)

    op.create_table('case_counters',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_case_counters'))
    )

    op.create_table('case_job_leases',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_run_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_case_job_leases'))
    )

    op.create_table('case_snoozed_keys',
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('until', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('suppressed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dedupe_key', name=op.f('pk_case_snoozed_keys'))
    )

    op.create_table('case_routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_prefix', sa.String(length=8), nullable=False),
    sa.Column('area_prefix', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_routing_rules_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_routing_rules'))
    )

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('category_code', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('source_crs', sa.String(length=10), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('community_code', sa.String(length=20), nullable=True),
    sa.Column('street_code', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('signal_count', sa.Integer(), nullable=False),
    sa.Column('last_signal_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('suspended_from', sa.String(length=16), nullable=True),
    sa.Column('owner_unit_id', sa.Integer(), nullable=True),
    sa.Column('routed_unit_id', sa.Integer(), nullable=True),
    sa.Column('escalation_level', sa.String(length=10), nullable=False),
    sa.Column('is_supervised', sa.Boolean(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('reporter_account_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('reporter_name_masked', sa.String(length=40), nullable=False),
    sa.Column('reporter_phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('reporter_phone_index', sa.String(length=64), nullable=True),
    sa.Column('reporter_phone_masked', sa.String(length=40), nullable=False),
    sa.Column('is_anonymous_public', sa.Boolean(), nullable=False),
    sa.Column('tracking_digest', sa.String(length=64), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('media_url', sa.String(length=500), nullable=True),
    sa.Column('stage', sa.String(length=10), nullable=True),
    sa.Column('stage_started_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stage_due_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_due_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sla_color', sa.String(length=8), nullable=False),
    sa.Column('paused_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), nullable=False),
    sa.Column('reported_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handled_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_closed_on_time', sa.Boolean(), nullable=True),
    sa.Column('return_count', sa.Integer(), nullable=False),
    sa.Column('rework_count', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('public_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['case_categories.code'], name=op.f('fk_cases_category_code_case_categories')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['cases.id'], name=op.f('fk_cases_duplicate_of_id_cases')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['accounts.id'], name=op.f('fk_cases_entered_by_id_accounts')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_cases_owner_unit_id_units')),
    sa.ForeignKeyConstraint(['reporter_account_id'], ['accounts.id'], name=op.f('fk_cases_reporter_account_id_accounts')),
    sa.ForeignKeyConstraint(['routed_unit_id'], ['units.id'], name=op.f('fk_cases_routed_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_area_code'), ['area_code'], unique=False)
        batch_op.create_index('ix_cases_category_reported', ['category_code', 'reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_dedupe_key'), ['dedupe_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_owner_unit_id'), ['owner_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_reported_at'), ['reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_reporter_account_id'), ['reporter_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_reporter_phone_index'), ['reporter_phone_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_state'), ['state'], unique=False)
        batch_op.create_index('ix_cases_state_stage_due', ['state', 'stage_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_street_code'), ['street_code'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('other_case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_case_id'], ['cases.id'], name=op.f('fk_case_links_other_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links')),
    sa.UniqueConstraint('case_id', 'other_case_id', 'kind', name='uq_case_links_all')
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_links_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_links_other_case_id'), ['other_case_id'], unique=False)

    op.create_table('case_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('is_fixed', sa.Boolean(), nullable=False),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_ratings_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_ratings'))
    )
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_ratings_case_id'), ['case_id'], unique=False)

    op.create_table('case_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('due_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reminders_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reminders')),
    sa.UniqueConstraint('case_id', 'kind', 'stage', name='uq_case_reminders_once')
    )
    with op.batch_alter_table('case_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_reminders_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reminders_area_code'), ['area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reminders_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reminders_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_reminders_unit_id'), ['unit_id'], unique=False)

    op.create_table('case_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_attachments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_case_attachments_event_id_case_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments'))
    )
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachments_case_id'), ['case_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS case_number_seq")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS case_number_seq")
    op.drop_table("case_attachments")
    op.drop_table("case_reminders")
    op.drop_table("case_ratings")
    op.drop_table("case_links")
    op.drop_table("case_events")
    op.drop_table("cases")
    op.drop_table("case_routing_rules")
    op.drop_table("case_snoozed_keys")
    op.drop_table("case_job_leases")
    op.drop_table("case_counters")
    op.drop_table("case_categories")
