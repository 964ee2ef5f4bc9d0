"""Write and search the audit trail. Records are never updated or deleted through the app."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.core.security import Actor


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str | int | None = None,
    area_code: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one audit record in the caller's transaction."""
    entry = AuditRecord(
        account_id=actor.account_id,
        username=actor.username,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        area_code=area_code,
        reason=reason,
        client_ip=actor.client_ip,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry
