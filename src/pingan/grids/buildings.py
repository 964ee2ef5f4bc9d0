"""The register of buildings and address points (楼栋/门牌), each inside one grid."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Actor, in_scope, require_role
from pingan.grids.common import (
    READ_ROLES,
    WRITE_ROLES,
    check_read,
    check_write,
    clean_text,
    get_grid_code,
    grid_of_point,
)
from pingan.grids.models import Building
from pingan.grids.records import choice, create_with_history, given, update_with_history, within

BUILDING_KINDS = ("residential", "rental", "commercial", "mixed", "public")


def _floors(value: Any) -> int | None:
    if value is not None and not 0 < int(value) < 200:
        raise ValidationFailed("floors must be between 1 and 199", field="floors")
    return None if value is None else int(value)


def create_building(
    session: Session,
    actor: Actor,
    *,
    address: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    area_code: str | None = None,
    kind: str = "residential",
    floors: int | None = None,
    source: str = "manual",
) -> Building:
    """Register a building/address; its point must lie in its grid (found by the locator)."""
    require_role(actor, *WRITE_ROLES)
    address = clean_text(address, field="address", max_len=200)
    choice(kind, BUILDING_KINDS, field="kind")
    _floors(floors)
    if area_code is not None:
        get_grid_code(session, actor, area_code, roles=WRITE_ROLES)
    grid, wlon, wlat = grid_of_point(session, lon=lon, lat=lat, crs=crs, expected=area_code)
    check_write(actor, grid, what="grid")
    building = Building(area_code=grid, address=address, kind=kind, floors=floors, lon=wlon, lat=wlat)
    changes: dict[str, list[Any]] = {
        "address": [None, address],
        "kind": [None, kind],
        "point": [None, [wlon, wlat]],
    }
    return create_with_history(
        session, actor, building, record_type="building", changes=changes, source=source
    )


def get_building(session: Session, actor: Actor, building_id: int) -> Building:
    """One building inside the actor's scope."""
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound("building not found", field="building_id")
    check_read(actor, building.area_code, what="building")
    return building


def _view(b: Building) -> dict[str, Any]:
    return {
        "address": b.address,
        "kind": b.kind,
        "floors": b.floors,
        "lon": b.lon,
        "lat": b.lat,
        "is_active": b.is_active,
    }


def update_building(session: Session, actor: Actor, *, building_id: int, changes: dict[str, Any]) -> Building:
    """Change a building's address, kind, floors or point (the point must stay in its grid)."""
    require_role(actor, *WRITE_ROLES)
    building = get_building(session, actor, building_id)
    check_write(actor, building.area_code, what="building")
    before = _view(building)
    if "address" in changes:
        building.address = clean_text(changes["address"], field="address", max_len=200)
    if "kind" in changes:
        building.kind = choice(changes["kind"], BUILDING_KINDS, field="kind")
    if "floors" in changes:
        building.floors = _floors(changes["floors"])
    if "is_active" in changes:
        building.is_active = bool(changes["is_active"])
    if "lon" in changes or "lat" in changes:
        _, building.lon, building.lat = grid_of_point(
            session,
            lon=given(changes, "lon", building.lon),
            lat=given(changes, "lat", building.lat),
            crs=changes.get("crs", "wgs84"),
            expected=building.area_code,
        )
    update_with_history(
        session, actor, building, record_type="building", before=before, after=_view(building)
    )
    return building


def list_buildings(
    session: Session, actor: Actor, *, area_code: str | None = None, q: str | None = None
) -> Select[Building]:
    """The buildings visible to the actor (a statement: the caller pages it)."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(Building), Building.area_code, actor, roles=READ_ROLES).order_by(Building.id)
    stmt = within(session, stmt, Building.area_code, area_code)
    if q:
        stmt = stmt.where(Building.address.contains(q, autoescape=True))
    return stmt
