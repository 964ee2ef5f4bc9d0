"""The per-record change history of every register record (who changed what, when)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.pii import Protector
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
    sealed: dict[str, list[str | None]] | None = None,
) -> RecordChange:
    """Append one change entry (values of personal fields masked; their ciphertexts in ``sealed``)."""
    entry = RecordChange(
        sealed=sealed or None,
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


def protected_diff(
    protector: Protector,
    before: dict[str, bytes | None],
    after: dict[str, bytes | None],
    masked_before: dict[str, Any],
    masked_after: dict[str, Any],
) -> tuple[dict[str, list[Any]], dict[str, list[str | None]]]:
    """Protected fields whose real value changed: ({field: [masked old, masked new]}, {field: [old, new]
    ciphertexts}). The real values are compared (two numbers may share a mask), never the masks."""
    changes: dict[str, list[Any]] = {}
    sealed: dict[str, list[str | None]] = {}
    for name, new_token in after.items():
        old_token = before.get(name)
        if old_token == new_token:
            continue
        old = protector.decrypt(old_token) if old_token else None
        new = protector.decrypt(new_token) if new_token else None
        if old != new:
            changes[name] = [masked_before.get(name), masked_after.get(name)]
            sealed[name] = [_text(old_token), _text(new_token)]
    return changes, sealed


def unseal(value: str | None) -> bytes | None:
    """The ciphertext kept in a change entry."""
    return value.encode("ascii") if value else None


def _text(token: bytes | None) -> str | None:
    return token.decode("ascii") if token else None  # Fernet tokens are url-safe base64


def get_change(session: Session, change_id: int) -> RecordChange | None:
    """One change entry (the caller checks the record's scope)."""
    return session.get(RecordChange, change_id)


def list_changes(session: Session, *, record_type: str, record_id: int) -> list[RecordChange]:
    """The history of one record, oldest first (the caller has checked the record's scope)."""
    stmt = (
        select(RecordChange)
        .where(RecordChange.record_type == record_type, RecordChange.record_id == record_id)
        .order_by(RecordChange.id)
    )
    return list(session.scalars(stmt))
