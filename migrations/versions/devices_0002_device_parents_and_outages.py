"""devices: a device's parent (a camera's NVR) and the outage history

Revision ID: devices_0002
Revises: devices_0001
Create Date: 2026-12-03 18:00:00

``devices.parent_id``: the device a device reports through; while the parent is out the child's outage folds
into the parent's case. ``device_outages``: each outage from when the device was last heard (or reported
down) to when it was heard again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "devices_0002"
down_revision: str | Sequence[str] | None = "devices_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_devices_parent_id_devices"), "devices", ["parent_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_devices_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "device_outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("started_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", pingan.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_outages_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_outages")),
    )
    with op.batch_alter_table("device_outages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_outages_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_outages_ended_at"), ["ended_at"], unique=False)
        batch_op.create_index("ix_device_outages_device_started", ["device_id", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_outages", schema=None) as batch_op:
        batch_op.drop_index("ix_device_outages_device_started")
        batch_op.drop_index(batch_op.f("ix_device_outages_started_at"))
        batch_op.drop_index(batch_op.f("ix_device_outages_ended_at"))
    op.drop_table("device_outages")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_parent_id"))
        batch_op.drop_constraint(op.f("fk_devices_parent_id_devices"), type_="foreignkey")
        batch_op.drop_column("parent_id")
