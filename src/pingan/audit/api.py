"""Audit trail search for auditors (read-only: the API has no way to change or delete a record)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from pingan.audit import service
from pingan.audit.schemas import AuditRecordPage, AuditRecordRead
from pingan.core.pagination import Limit, Offset
from pingan.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditRecordPage, summary="Search the audit trail (auditor, within scope)")
def search_audit(
    session: DbSession,
    actor: CurrentActor,
    who: Annotated[str | None, Query(description="username or account id")] = None,
    action: Annotated[
        str | None, Query(description='exact action, or a prefix such as "pii." or "account*"')
    ] = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    area: Annotated[str | None, Query(description="records inside this area code")] = None,
    since: Annotated[datetime | None, Query(description="from (ISO 8601; naive = UTC)")] = None,
    until: Annotated[datetime | None, Query(description="until, exclusive")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditRecordPage:
    query = service.AuditQuery(
        who=who,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        area_code=area,
        since=since,
        until=until,
    )
    rows, total = service.search_records(session, actor, query=query, limit=limit, offset=offset)
    return AuditRecordPage(
        items=[AuditRecordRead.of(r) for r in rows], total=total, limit=limit, offset=offset
    )
