"""The case timeline: appending a step, storing an attachment, reading both back.

Every part of the cases package that records what happened to a case (intake, the workflow, the SLA jobs,
public tracking, Open311) writes through :func:`add_event` and :func:`attach_file` here; modules above the
spine reach them through :mod:`pingan.cases.interface`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases.access import ensure_visible
from pingan.cases.models import Attachment, Case, CaseEvent
from pingan.cases.storage import save_upload
from pingan.core.clock import utcnow
from pingan.core.config import settings_of
from pingan.core.errors import NotFound
from pingan.core.security import Actor


def add_event(
    session: Session,
    case: Case,
    actor: Actor | None,
    *,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    unit_id: int | None = None,
    is_public: bool = False,
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one step to the case timeline."""
    entry = CaseEvent(
        case_id=case.id,
        at=utcnow(),
        account_id=actor.account_id if actor else None,
        actor_name=(actor.display_name or actor.username) if actor else "system",
        action=action,
        from_state=from_state,
        to_state=to_state,
        unit_id=unit_id,
        note=note,
        is_public=is_public,
        details=details or {},
    )
    session.add(entry)
    return entry


def attach_file(
    session: Session,
    actor: Actor | None,
    case: Case,
    *,
    filename: str,
    data: bytes,
    kind: str = "report",
    event: CaseEvent | None = None,
) -> Attachment:
    """Store a photo/document for the case (validated by content, size-limited)."""
    stored = save_upload(case.number, filename, data, settings=settings_of(session))
    attachment = Attachment(
        case_id=case.id,
        event_id=event.id if event else None,
        kind=kind,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        is_public=True,
        uploaded_by=actor.account_id if actor else None,
        created_at=utcnow(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def timeline(session: Session, actor: Actor, *, case_id: int, public_only: bool = False) -> list[CaseEvent]:
    """The case's steps in order."""
    case = session.get(Case, case_id)
    if not actor.is_system:
        case = ensure_visible(actor, case)
    if case is None:
        raise NotFound("case not found", field="case_id")
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    if public_only:
        stmt = stmt.where(CaseEvent.is_public.is_(True))
    return list(session.scalars(stmt))


def attachments_of(session: Session, case_id: int, *, public_only: bool = False) -> list[Attachment]:
    stmt = select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
    if public_only:
        stmt = stmt.where(Attachment.is_public.is_(True))
    return list(session.scalars(stmt))
