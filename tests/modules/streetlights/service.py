"""The module's rules: list the lights in scope, report one broken (which raises a case), note the cabinet
feeding one (a place of the register of places), count them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core.errors import NotFound
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role
from pingan.grids import interface as places

from .models import StreetLight
from .module import CABINET_PLACE, CATEGORY

STAFF = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)


def list_lights(session: Session, actor: Actor, *, broken: bool | None = None) -> list[StreetLight]:
    """The lights inside the actor's scope, by code."""
    require_role(actor, *STAFF)
    stmt = in_scope(select(StreetLight), StreetLight.area_code, actor, roles=STAFF).order_by(StreetLight.code)
    if broken is not None:
        stmt = stmt.where(StreetLight.is_broken.is_(broken))
    return list(session.scalars(stmt))


def report_broken(session: Session, actor: Actor, *, light_id: int, note: str = "") -> StreetLight:
    """Mark a light broken and raise a case for it through the cases spine (one open case per light)."""
    require_role(actor, *STAFF)
    light = session.get(StreetLight, light_id)
    if light is None:
        raise NotFound(f"street light {light_id} not found", field="light_id")
    ensure_in_scope(actor, light.area_code, what="street light", roles=STAFF)
    case = cases.raise_case(
        session,
        actor,
        category_code=CATEGORY,
        description=f"路灯 {light.code} 不亮。{note}".strip(),
        source="inspection",
        lon=light.lon,
        lat=light.lat,
        title=f"路灯 {light.code} 损坏",
        dedupe_key=f"streetlights:{light.code}",
    )
    light.is_broken, light.case_id = True, case.id
    session.flush()
    return light


def attach_cabinet(
    session: Session, actor: Actor, *, light_id: int, name: str, address: str, lon: float, lat: float
) -> places.PlaceRef:
    """The cabinet feeding a light: found in (or added once to) the register of places; the light keeps its
    id."""
    require_role(actor, *STAFF)
    light = session.get(StreetLight, light_id)
    if light is None:
        raise NotFound(f"street light {light_id} not found", field="light_id")
    ensure_in_scope(actor, light.area_code, what="street light", roles=STAFF)
    found = places.find_or_add_place(
        session,
        actor,
        place_type=CABINET_PLACE,
        name=name,
        address=address,
        lon=lon,
        lat=lat,
        source="streetlights",
    )
    light.cabinet_place_id = found.place.id
    session.flush()
    return found.place


def wall_tile(session: Session, actor: Actor, scope: str, translate: Callable[..., str]) -> dict[str, Any]:
    """The wall's tile: broken lights of the scope, out of how many."""
    stmt = select(func.count(), func.count().filter(StreetLight.is_broken.is_(True)))
    if scope:
        stmt = stmt.where(StreetLight.area_code.startswith(scope))
    total, broken = session.execute(stmt).one()
    return {"value": str(broken), "sub": f"{total} lights"}
