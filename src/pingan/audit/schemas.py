"""Shapes of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pingan.audit.models import AuditRecord
from pingan.audit.pii_service import MAX_REASON, MIN_REASON, PURPOSES
from pingan.audit.service import canonical_action
from pingan.core.pagination import Page


class AuditRecordRead(BaseModel):
    id: int
    at: datetime
    account_id: int | None
    username: str
    action: str
    subject_type: str
    subject_id: str | None
    area_code: str | None
    reason: str | None
    client_ip: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, rec: AuditRecord) -> AuditRecordRead:
        return cls(
            id=rec.id,
            at=rec.at,
            account_id=rec.account_id,
            username=rec.username,
            action=canonical_action(rec.action),
            subject_type=rec.subject_type,
            subject_id=rec.subject_id,
            area_code=rec.area_code,
            reason=rec.reason,
            client_ip=rec.client_ip,
            details=rec.details or {},
        )


class AuditRecordPage(Page[AuditRecordRead]):
    """One page of audit records (the one list envelope)."""


class RevealRequest(BaseModel):
    """What every reveal endpoint takes: which fields, the purpose (from a list) and a written reason."""

    fields: list[str] = Field(min_length=1, description="the protected fields to show in full (only these)")
    purpose: str = Field(description="why, one of: " + ", ".join(f"{k} ({v})" for k, v in PURPOSES.items()))
    reason: str = Field(
        min_length=MIN_REASON,
        max_length=MAX_REASON,
        description="why, in words (recorded in the audit trail)",
    )
