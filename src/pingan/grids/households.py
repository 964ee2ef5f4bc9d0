"""The register of households (户), one per room of a building."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.core.errors import Conflict, NotFound
from pingan.core.security import Actor, in_scope, require_role
from pingan.grids.buildings import get_building
from pingan.grids.common import READ_ROLES, WRITE_ROLES, check_read, check_write, clean_text
from pingan.grids.models import Household
from pingan.grids.records import choice, create_with_history, update_with_history, within

HOUSEHOLD_KINDS = ("registered", "rental", "vacant")


def create_household(
    session: Session,
    actor: Actor,
    *,
    building_id: int,
    room: str,
    kind: str = "registered",
    notes: str = "",
    source: str = "manual",
) -> Household:
    """Register a household at a room of a building (one household per room)."""
    require_role(actor, *WRITE_ROLES)
    building = get_building(session, actor, building_id)
    check_write(actor, building.area_code, what="building")
    room = clean_text(room, field="room", max_len=40)
    choice(kind, HOUSEHOLD_KINDS, field="kind")
    exists = session.scalar(
        select(Household.id).where(Household.building_id == building.id, Household.room == room)
    )
    if exists is not None:
        raise Conflict(f"room {room} of this building already has household #{exists}", field="room")
    household = Household(
        area_code=building.area_code, building_id=building.id, room=room, kind=kind, notes=notes
    )
    changes: dict[str, list[Any]] = {
        "building_id": [None, building.id],
        "room": [None, room],
        "kind": [None, kind],
    }
    return create_with_history(
        session, actor, household, record_type="household", changes=changes, source=source
    )


def get_household(session: Session, actor: Actor, household_id: int) -> Household:
    """One household inside the actor's scope."""
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound("household not found", field="household_id")
    check_read(actor, household.area_code, what="household")
    return household


def _view(h: Household) -> dict[str, Any]:
    return {"room": h.room, "kind": h.kind, "notes": h.notes, "is_active": h.is_active}


def update_household(
    session: Session, actor: Actor, *, household_id: int, changes: dict[str, Any], source: str = "manual"
) -> Household:
    """Change a household's room, kind, notes or active flag."""
    require_role(actor, *WRITE_ROLES)
    household = get_household(session, actor, household_id)
    check_write(actor, household.area_code, what="household")
    before = _view(household)
    if "room" in changes:
        household.room = clean_text(changes["room"], field="room", max_len=40)
    if "kind" in changes:
        household.kind = choice(changes["kind"], HOUSEHOLD_KINDS, field="kind")
    if "notes" in changes:
        household.notes = clean_text(changes["notes"], field="notes", max_len=2000, required=False)
    if "is_active" in changes:
        household.is_active = bool(changes["is_active"])
    update_with_history(
        session,
        actor,
        household,
        record_type="household",
        before=before,
        after=_view(household),
        source=source,
    )
    return household


def list_households(
    session: Session, actor: Actor, *, area_code: str | None = None, building_id: int | None = None
) -> Select[Household]:
    """The households visible to the actor."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Household), Household.area_code, actor, roles=READ_ROLES).order_by(Household.id)
    stmt = within(session, stmt, Household.area_code, area_code)
    if building_id is not None:
        stmt = stmt.where(Household.building_id == building_id)
    return stmt
