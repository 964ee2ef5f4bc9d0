"""patrols: volunteers, teams, training, handbook, shifts, positions stream, events, dispatches

Revision ID: 0005_patrols
Revises: 0002_audit
Create Date: 2026-11-29 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0005_patrols"
down_revision: str | Sequence[str] | None = "0002_audit"
branch_labels: str | Sequence[str] | None = ("patrols",)
depends_on: str | Sequence[str] | None = "0003_security"


def upgrade() -> None:
    op.create_table('patrol_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_courses')),
    sa.UniqueConstraint('code', name=op.f('uq_patrol_courses_code'))
    )
    op.create_table('patrol_handbook_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_handbook_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_patrol_handbook_versions_version'))
    )
    op.create_table('patrol_positions',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('fixed_ms', sa.BigInteger(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('received_ms', sa.BigInteger(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('speed_mps', sa.Float(), nullable=True),
    sa.Column('bearing', sa.Float(), nullable=True),
    sa.Column('altitude', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('battery', sa.Float(), nullable=True),
    sa.Column('is_moving', sa.Boolean(), nullable=True),
    sa.Column('flags', sa.SmallInteger(), nullable=False),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('device_id', 'fixed_ms', name=op.f('pk_patrol_positions')),
    sqlite_with_rowid=False,
    )
    # the stream keeps one index (its key) so appends stay cheap; PostgreSQL gets a BRIN index for period scans
    if op.get_bind().dialect.name == "postgresql":
        op.create_index('ix_patrol_positions_fixed_ms', 'patrol_positions', ['fixed_ms'], postgresql_using='brin')
    op.create_table('patrol_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_code', sa.String(length=20), nullable=False),
    sa.Column('starts_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_code'], ['areas.code'], name=op.f('fk_patrol_shifts_grid_code_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_shifts'))
    )
    op.create_index(op.f('ix_patrol_shifts_ends_at'), 'patrol_shifts', ['ends_at'], unique=False)
    op.create_index('ix_patrol_shifts_grid_start', 'patrol_shifts', ['grid_code', 'starts_at'], unique=False)
    op.create_index(op.f('ix_patrol_shifts_starts_at'), 'patrol_shifts', ['starts_at'], unique=False)
    op.create_table('patrol_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('leader_volunteer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_patrol_teams_area_code_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_teams')),
    sa.UniqueConstraint('area_code', 'name', name='uq_patrol_teams_area_name')
    )
    op.create_index(op.f('ix_patrol_teams_area_code'), 'patrol_teams', ['area_code'], unique=False)
    op.create_table('patrol_training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('trainer', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['patrol_courses.id'], name=op.f('fk_patrol_training_sessions_course_id_patrol_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_training_sessions'))
    )
    op.create_index(op.f('ix_patrol_training_sessions_area_code'), 'patrol_training_sessions', ['area_code'], unique=False)
    op.create_index(op.f('ix_patrol_training_sessions_course_id'), 'patrol_training_sessions', ['course_id'], unique=False)
    op.create_table('patrol_volunteers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('name_enc', sa.LargeBinary(), nullable=False),
    sa.Column('name_masked', sa.String(length=40), nullable=False),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('id_number_index', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=20), nullable=False),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('device_key', sa.String(length=64), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('created_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_patrol_volunteers_account_id_accounts')),
    sa.ForeignKeyConstraint(['team_id'], ['patrol_teams.id'], name=op.f('fk_patrol_volunteers_team_id_patrol_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_volunteers')),
    sa.UniqueConstraint('device_id', name=op.f('uq_patrol_volunteers_device_id')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_patrol_volunteers_id_number_index'))
    )
    op.create_index(op.f('ix_patrol_volunteers_account_id'), 'patrol_volunteers', ['account_id'], unique=False)
    op.create_index(op.f('ix_patrol_volunteers_area_code'), 'patrol_volunteers', ['area_code'], unique=False)
    op.create_index(op.f('ix_patrol_volunteers_phone_index'), 'patrol_volunteers', ['phone_index'], unique=False)
    op.create_index(op.f('ix_patrol_volunteers_status'), 'patrol_volunteers', ['status'], unique=False)
    op.create_index(op.f('ix_patrol_volunteers_team_id'), 'patrol_volunteers', ['team_id'], unique=False)
    op.create_table('patrol_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('started_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_activities_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_activities'))
    )
    op.create_index(op.f('ix_patrol_activities_area_code'), 'patrol_activities', ['area_code'], unique=False)
    op.create_index(op.f('ix_patrol_activities_shift_id'), 'patrol_activities', ['shift_id'], unique=False)
    op.create_index(op.f('ix_patrol_activities_started_at'), 'patrol_activities', ['started_at'], unique=False)
    op.create_index(op.f('ix_patrol_activities_volunteer_id'), 'patrol_activities', ['volunteer_id'], unique=False)
    op.create_table('patrol_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['patrol_courses.id'], name=op.f('fk_patrol_certificates_course_id_patrol_courses')),
    sa.ForeignKeyConstraint(['session_id'], ['patrol_training_sessions.id'], name=op.f('fk_patrol_certificates_session_id_patrol_training_sessions')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_certificates_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_certificates')),
    sa.UniqueConstraint('volunteer_id', 'session_id', name='uq_patrol_certificates_vs')
    )
    op.create_index(op.f('ix_patrol_certificates_course_id'), 'patrol_certificates', ['course_id'], unique=False)
    op.create_index(op.f('ix_patrol_certificates_expires_on'), 'patrol_certificates', ['expires_on'], unique=False)
    op.create_index(op.f('ix_patrol_certificates_volunteer_id'), 'patrol_certificates', ['volunteer_id'], unique=False)
    op.create_table('patrol_device_states',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('fixed_ms', sa.BigInteger(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('is_moving', sa.Boolean(), nullable=True),
    sa.Column('event', sa.String(length=20), nullable=True),
    sa.Column('battery', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('sos_ms', sa.BigInteger(), nullable=True),
    sa.Column('max_fixed_ms', sa.BigInteger(), nullable=True),
    sa.Column('received_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_device_states_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('volunteer_id', name=op.f('pk_patrol_device_states'))
    )
    op.create_index(op.f('ix_patrol_device_states_area_code'), 'patrol_device_states', ['area_code'], unique=False)
    op.create_index(op.f('ix_patrol_device_states_received_ms'), 'patrol_device_states', ['received_ms'], unique=False)
    op.create_table('patrol_dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=32), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('assigned_by', sa.String(length=64), nullable=False),
    sa.Column('assigned_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('arrived_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_dispatches_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_dispatches'))
    )
    op.create_index(op.f('ix_patrol_dispatches_area_code'), 'patrol_dispatches', ['area_code'], unique=False)
    op.create_index(op.f('ix_patrol_dispatches_case_id'), 'patrol_dispatches', ['case_id'], unique=False)
    op.create_index(op.f('ix_patrol_dispatches_volunteer_id'), 'patrol_dispatches', ['volunteer_id'], unique=False)
    op.create_table('patrol_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_events_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_events'))
    )
    op.create_index(op.f('ix_patrol_events_area_code'), 'patrol_events', ['area_code'], unique=False)
    op.create_index(op.f('ix_patrol_events_at'), 'patrol_events', ['at'], unique=False)
    op.create_index(op.f('ix_patrol_events_kind'), 'patrol_events', ['kind'], unique=False)
    op.create_index(op.f('ix_patrol_events_volunteer_id'), 'patrol_events', ['volunteer_id'], unique=False)
    op.create_table('patrol_handbook_acks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['patrol_handbook_versions.id'], name=op.f('fk_patrol_handbook_acks_version_id_patrol_handbook_versions')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_handbook_acks_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_handbook_acks')),
    sa.UniqueConstraint('volunteer_id', 'version_id', name='uq_patrol_handbook_acks_vv')
    )
    op.create_index(op.f('ix_patrol_handbook_acks_version_id'), 'patrol_handbook_acks', ['version_id'], unique=False)
    op.create_index(op.f('ix_patrol_handbook_acks_volunteer_id'), 'patrol_handbook_acks', ['volunteer_id'], unique=False)
    op.create_table('patrol_shift_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', pingan.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('how', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('checked_in_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_out_at', pingan.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shift_id'], ['patrol_shifts.id'], name=op.f('fk_patrol_shift_assignments_shift_id_patrol_shifts')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['patrol_volunteers.id'], name=op.f('fk_patrol_shift_assignments_volunteer_id_patrol_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_shift_assignments')),
    sa.UniqueConstraint('shift_id', 'volunteer_id', name='uq_patrol_shift_assignments_sv')
    )
    op.create_index(op.f('ix_patrol_shift_assignments_shift_id'), 'patrol_shift_assignments', ['shift_id'], unique=False)
    op.create_index(op.f('ix_patrol_shift_assignments_volunteer_id'), 'patrol_shift_assignments', ['volunteer_id'], unique=False)


def downgrade() -> None:
    op.drop_table('patrol_shift_assignments')
    op.drop_table('patrol_handbook_acks')
    op.drop_table('patrol_events')
    op.drop_table('patrol_dispatches')
    op.drop_table('patrol_device_states')
    op.drop_table('patrol_certificates')
    op.drop_table('patrol_activities')
    op.drop_table('patrol_volunteers')
    op.drop_table('patrol_training_sessions')
    op.drop_table('patrol_teams')
    op.drop_table('patrol_shifts')
    op.drop_table('patrol_positions')
    op.drop_table('patrol_handbook_versions')
    op.drop_table('patrol_courses')
