"""The per-record change history of every register record (who changed what, when)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.security import Actor
from pingan.grids.models import RecordChange


def record_change(
    session: Session,
    actor: Actor,
    *,
    record_type: str,
    record_id: int,
    area_code: str,
    action: str,
    changes: dict[str, Any],
    source: str = "manual",
) -> RecordChange:
    """Append one change entry (values of personal fields must already be masked)."""
    entry = RecordChange(
        record_type=record_type,
        record_id=record_id,
        area_code=area_code,
        action=action,
        changes=changes,
        account_id=actor.account_id,
        username=actor.username,
        source=source,
    )
    session.add(entry)
    return entry


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs: {field: [old, new]}."""
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def list_changes(session: Session, *, record_type: str, record_id: int) -> list[RecordChange]:
    """The history of one record, oldest first (the caller has checked the record's scope)."""
    stmt = (
        select(RecordChange)
        .where(RecordChange.record_type == record_type, RecordChange.record_id == record_id)
        .order_by(RecordChange.id)
    )
    return list(session.scalars(stmt))
