"""The registers' change history: every register record's entries (``records.py`` writes them) and the
audited reveal of the personal values one entry changed. The registers themselves are one file each:
``buildings``, ``households``, ``residents``, ``places``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from pingan.audit import pii_service
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.pii import get_protector
from pingan.core.security import Actor, require_role
from pingan.grids import history
from pingan.grids.buildings import get_building
from pingan.grids.common import WRITE_ROLES
from pingan.grids.households import get_household
from pingan.grids.places import get_place
from pingan.grids.residents import get_resident

_RECORDS: dict[str, Any] = {
    "building": get_building,
    "household": get_household,
    "resident": get_resident,
    "place": get_place,
}


def record_history(session: Session, actor: Actor, *, record_type: str, record_id: int) -> list[Any]:
    """The change history of one register record inside the actor's scope."""
    getter = _RECORDS.get(record_type)
    if getter is None:
        raise ValidationFailed(f"record_type must be one of: {', '.join(_RECORDS)}", field="record_type")
    getter(session, actor, record_id)
    return history.list_changes(session, record_type=record_type, record_id=record_id)


def reveal_change(
    session: Session,
    actor: Actor,
    *,
    change_id: int,
    fields: Sequence[str] | None = None,
    purpose: str | None,
    reason: str,
) -> dict[str, dict[str, str | None]]:
    """Full old and new values of the personal fields of one history entry (only ``fields`` when given): a
    reveal with a purpose and a reason, audited per value."""
    require_role(actor, *WRITE_ROLES)
    entry = history.get_change(session, change_id)
    getter = _RECORDS.get(entry.record_type) if entry is not None else None
    if entry is None or getter is None:
        raise NotFound("history entry not found", field="change_id")
    getter(session, actor, entry.record_id)  # 404 outside the actor's scope
    if not entry.sealed:
        raise ValidationFailed("this history entry changed no personal data", field="change_id")
    unknown = sorted(set(fields or ()) - set(entry.sealed))
    if unknown:
        raise ValidationFailed(
            f"this history entry changed no {', '.join(unknown)}; "
            f"revealable: {', '.join(sorted(entry.sealed))}",
            field="fields",
        )
    protector = get_protector()
    out: dict[str, dict[str, str | None]] = {}
    for name, (old, new) in sorted(entry.sealed.items()):
        if fields and name not in fields:
            continue
        out[name] = {}
        for side, token in (("old", old), ("new", new)):
            out[name][side] = None
            if token:
                out[name][side] = pii_service.reveal(
                    session,
                    actor,
                    protector=protector,
                    subject_type=f"grid_{entry.record_type}",
                    subject_id=entry.record_id,
                    area_code=entry.area_code,
                    field=f"{name}.{side}",
                    ciphertext=history.unseal(token),
                    reason=reason,
                    purpose=purpose,
                    roles=WRITE_ROLES,
                )
    return out
