"""Write and search the audit trail. Records are never updated or deleted through the app.

The database enforces it as well (triggers from migration 0003_security): UPDATE is always refused and
DELETE only inside the audited retention purge (:mod:`pingan.audit.jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.core.errors import ValidationFailed
from pingan.core.pagination import check_window
from pingan.core.security import Actor, Role, require_role, scope_clause

AUDIT_READERS = (Role.AUDITOR,)
# Actions recorded before every read of personal data was named ``pii.*`` (the table is append-only: old
# records keep their names and are found, and shown, under the new ones).
LEGACY_ACTIONS = {"reveal": "pii.reveal", "pii_search": "pii.search"}


def canonical_action(action: str) -> str:
    """The current name of a recorded action."""
    return LEGACY_ACTIONS.get(action, action)


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


@dataclass(frozen=True)
class AuditQuery:
    """Filters of an audit search; every one optional."""

    who: str | None = None  # username (exact) or account id
    action: str | None = None  # exact, or a prefix ending in "." / "*" (e.g. "account.")
    subject_type: str | None = None
    subject_id: str | None = None
    area_code: str | None = None  # everything inside this area
    since: datetime | None = None
    until: datetime | None = None


def _visible(actor: Actor) -> Any:
    """Auditors see records inside their area scope; district-wide auditors also those without an area."""
    inside = scope_clause(AuditRecord.area_code, actor, roles=AUDIT_READERS)
    if actor.has_district_scope(AUDIT_READERS):
        return or_(inside, AuditRecord.area_code.is_(None))
    return inside


def _filters(query: AuditQuery) -> list[Any]:
    conds: list[Any] = []
    if query.who:
        who = query.who.strip()
        conds.append(
            or_(AuditRecord.username == who, AuditRecord.account_id == int(who))
            if who.isdigit()
            else AuditRecord.username == who
        )
    if query.action:
        action = query.action.strip()
        if action.endswith(("*", ".")):
            prefix = action.rstrip("*")
            old = [o for o, new in LEGACY_ACTIONS.items() if new.startswith(prefix)]
            conds.append(
                or_(AuditRecord.action.startswith(prefix, autoescape=True), AuditRecord.action.in_(old))
            )
        else:
            old = [o for o, new in LEGACY_ACTIONS.items() if new == action]
            conds.append(AuditRecord.action.in_([action, *old]))
    if query.subject_type:
        conds.append(AuditRecord.subject_type == query.subject_type)
    if query.subject_id:
        conds.append(AuditRecord.subject_id == query.subject_id)
    if query.area_code:
        conds.append(scope_clause(AuditRecord.area_code, Actor.scoped_to(query.area_code)))
    if query.since and query.until and query.since > query.until:
        raise ValidationFailed("since must not be after until", field="since")
    if query.since:
        conds.append(AuditRecord.at >= query.since)
    if query.until:
        conds.append(AuditRecord.at < query.until)
    return conds


def search_records(
    session: Session, actor: Actor, *, query: AuditQuery, limit: int = 50, offset: int = 0
) -> tuple[list[AuditRecord], int]:
    """Audit records matching the filters inside the auditor's scope, newest first, with the total."""
    require_role(actor, *AUDIT_READERS)
    check_window(limit=limit, offset=offset)
    where = and_(_visible(actor), *_filters(query))
    total = session.scalar(select(func.count()).select_from(AuditRecord).where(where)) or 0
    rows = session.scalars(
        select(AuditRecord)
        .where(where)
        .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
