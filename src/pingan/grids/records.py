"""The one step every register edit goes through: a record is created or changed together with its history
entry (``grid_record_changes``: who changed which fields, old → new, personal fields masked and their
ciphertexts sealed for an audited reveal). Plus the small checks the registers share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from pingan.core.db import Base
from pingan.core.errors import ValidationFailed
from pingan.core.pii import Protector
from pingan.core.security import Actor
from pingan.grids import history
from pingan.grids.common import grids_under

R = TypeVar("R", bound=Base)
Tokens = dict[str, bytes | None]


def create_with_history(
    session: Session,
    actor: Actor,
    record: R,
    *,
    record_type: str,
    changes: dict[str, list[Any]],
    source: str = "manual",
) -> R:
    """Add a new register record and its ``create`` history entry (``changes``: {field: [None, value]})."""
    session.add(record)
    session.flush()
    history.record_change(
        session,
        actor,
        record_type=record_type,
        record_id=record.id,  # type: ignore[attr-defined]
        area_code=record.area_code,  # type: ignore[attr-defined]
        action="create",
        changes=changes,
        source=source,
    )
    return record


def update_with_history(
    session: Session,
    actor: Actor,
    record: Base,
    *,
    record_type: str,
    before: dict[str, Any],
    after: dict[str, Any],
    source: str = "manual",
    protector: Protector | None = None,
    tokens_before: Tokens | None = None,
    tokens_after: Tokens | None = None,
) -> dict[str, list[Any]]:
    """Write the ``update`` history entry of a changed record: plain fields compared by value, personal fields
    (those in ``tokens_after``, ciphertexts) by their real decrypted value. Nothing changed: no entry."""
    personal = tokens_after or {}
    changes = history.diff(
        {k: v for k, v in before.items() if k not in personal},
        {k: v for k, v in after.items() if k not in personal},
    )
    sealed: dict[str, list[str | None]] = {}
    if personal:
        assert protector is not None, "personal fields are compared by their decrypted value"
        protected, sealed = history.protected_diff(protector, tokens_before or {}, personal, before, after)
        changes |= protected
    if changes:
        history.record_change(
            session,
            actor,
            record_type=record_type,
            record_id=record.id,  # type: ignore[attr-defined]
            area_code=record.area_code,  # type: ignore[attr-defined]
            action="update",
            changes=changes,
            source=source,
            sealed=sealed or None,
        )
        session.flush()
    return changes


def choice(value: str, allowed: Iterable[str], *, field: str) -> str:
    """``value`` when it is one of ``allowed``; else a 422 naming ``field``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of: {', '.join(allowed)}", field=field)
    return value


def given(changes: dict[str, Any], key: str, current: float) -> float:
    """A changed coordinate, or the current one."""
    value = changes.get(key)
    return current if value is None else float(value)


def within(session: Session, stmt: Select[Any], column: Any, area_code: str | None) -> Select[Any]:
    """``stmt`` narrowed to the grids at or below ``area_code`` (unchanged without one)."""
    if area_code is None:
        return stmt
    return stmt.where(column.in_(grids_under(session, area_code)))
