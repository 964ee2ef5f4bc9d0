"""Shapes of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pingan.audit.models import AuditRecord


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
            action=rec.action,
            subject_type=rec.subject_type,
            subject_id=rec.subject_id,
            area_code=rec.area_code,
            reason=rec.reason,
            client_ip=rec.client_ip,
            details=rec.details or {},
        )


class AuditRecordPage(BaseModel):
    items: list[AuditRecordRead]
    total: int
    limit: int
    offset: int
