"""The audit trail: append-only records of who saw or changed personal data, and other sensitive acts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.clock import utcnow
from pingan.core.db import Base, UTCDateTime


class AuditRecord(Base):
    """One audited act: who, when, what (action on a subject), why, from where."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: records outlive accounts
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)  # reveal, export, bulk_read, purge, login …
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    area_code: Mapped[str | None] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditPurgeGuard(Base):
    """Present (inside one transaction only) while the audited retention purge deletes audit records.

    The database triggers refuse every DELETE of audit_records unless a row exists here; the purge inserts
    one, deletes, writes its own audit record and removes the row again before commit.
    """

    __tablename__ = "audit_purge_guards"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
