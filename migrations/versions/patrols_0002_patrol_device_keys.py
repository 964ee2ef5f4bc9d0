"""patrol device keys: encrypted and blind-indexed, rejected attempts counted

Revision ID: 0006_patrol_device_keys
Revises: 0005_patrols
Create Date: 2026-12-03 09:15:00

The optional plaintext ``device_key`` becomes an encrypted copy (``device_key_enc``, core.pii) and a blind
index the OsmAnd receiver compares (``device_key_index``); ``key_rejects``/``key_rejected_at`` count fixes
refused for a wrong or missing key. Keys already set are carried over (encrypted with the configured
PINGAN_PII_KEY); devices without one get a key with ``pingan patrols rotate-key``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0006_patrol_device_keys"
down_revision: str | Sequence[str] | None = "0005_patrols"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patrol_volunteers") as batch_op:
        batch_op.add_column(sa.Column("device_key_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("device_key_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("key_rejects", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("key_rejected_at", pingan.core.db.UTCDateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    keyed = conn.execute(sa.text("SELECT id, device_key FROM patrol_volunteers WHERE device_key IS NOT NULL"))
    rows = keyed.all()
    if rows:
        from pingan.patrols.volunteers import device_key_columns

        for vid, key in rows:
            columns = device_key_columns(key)
            conn.execute(
                sa.text(
                    "UPDATE patrol_volunteers SET device_key_enc = :enc, device_key_index = :idx WHERE id = :id"
                ),
                {"enc": columns["device_key_enc"], "idx": columns["device_key_index"], "id": vid},
            )
    with op.batch_alter_table("patrol_volunteers") as batch_op:
        batch_op.drop_column("device_key")


def downgrade() -> None:
    with op.batch_alter_table("patrol_volunteers") as batch_op:
        batch_op.add_column(sa.Column("device_key", sa.String(length=64), nullable=True))
        batch_op.drop_column("key_rejected_at")
        batch_op.drop_column("key_rejects")
        batch_op.drop_column("device_key_index")
        batch_op.drop_column("device_key_enc")
