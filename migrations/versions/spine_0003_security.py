"""security: protected account phone, append-only audit trail (database triggers), purge guard

Revision ID: 0003_security
Revises: 0002_audit
Create Date: 2026-11-29 11:00:00

The audit trail is append-only in the database itself: UPDATE of audit_records is always refused, DELETE
only while a row of audit_purge_guards exists, which the audited retention purge
(pingan.audit.jobs.purge_audit_records) inserts and removes inside its own transaction. On PostgreSQL
TRUNCATE is refused too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0003_security"
down_revision: str | Sequence[str] | None = "0002_audit"
branch_labels: str | Sequence[str] | None = ("spine",)
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pingan_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purge_guards) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("phone_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("phone_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone_masked", sa.String(length=20), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_accounts_phone_index"), ["phone_index"], unique=False)
    op.create_table(
        "audit_purge_guards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_purge_guards")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
            "FOR EACH ROW EXECUTE FUNCTION pingan_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records "
            "FOR EACH STATEMENT EXECUTE FUNCTION pingan_audit_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
            "BEGIN SELECT RAISE(ABORT, 'audit records are append-only (UPDATE refused)'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
            "WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guards) "
            "BEGIN SELECT RAISE(ABORT, 'audit records are append-only (DELETE refused)'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_truncate ON audit_records")
        op.execute("DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records")
        op.execute("DROP FUNCTION IF EXISTS pingan_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_update")
    op.drop_table("audit_purge_guards")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_phone_index"))
        batch_op.drop_column("phone_masked")
        batch_op.drop_column("phone_index")
        batch_op.drop_column("phone_enc")
