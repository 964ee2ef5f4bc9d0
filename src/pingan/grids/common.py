"""Shared rules of the grids module: who may read/write, where a point lies, which grids exist."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core import geo
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Actor, Role, ensure_in_scope, in_scope, require_role

READ_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)
WRITE_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)
PLACE_READ_ROLES = (*READ_ROLES, Role.DEPARTMENT_HANDLER, Role.SECTOR_CLERK)
MANAGER_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
VISIT_ROLES = (*READ_ROLES,)


def check_read(actor: Actor, area_code: str, *, what: str, roles: tuple[Role, ...] = READ_ROLES) -> None:
    """403 without a reading role; 404 when the object lies outside the actor's scope."""
    require_role(actor, *roles)
    ensure_in_scope(actor, area_code, what=what, roles=roles)


def check_write(actor: Actor, area_code: str, *, what: str, roles: tuple[Role, ...] = WRITE_ROLES) -> None:
    """404 when the object is not visible to the actor at all; 403 when visible but read-only."""
    ensure_in_scope(actor, area_code, what=what, roles=(*READ_ROLES, *roles))
    require_role(actor, *roles)
    ensure_in_scope(actor, area_code, what=what, roles=roles)


def get_grid_code(session: Session, actor: Actor, code: str, *, roles: tuple[Role, ...] = READ_ROLES) -> str:
    """A grid code inside the actor's scope (404 for unknown, out-of-scope or non-grid areas)."""
    ensure_in_scope(actor, code, what="grid", roles=roles)
    try:
        area = areas.get_area(session, code)
    except NotFound:
        raise NotFound(f"no grid with code {code}", field="area_code") from None
    if area.level != AreaLevel.GRID.value:
        raise ValidationFailed(f"{code} is a {area.level}, not a grid", field="area_code")
    return area.code


def grid_of_point(
    session: Session, *, lon: float, lat: float, crs: str = "wgs84", expected: str | None = None
) -> tuple[str, float, float]:
    """The grid of a point (WGS-84 returned); an address outside ``expected`` is an error."""
    parsed = geo.parse_crs(crs)
    geo.validate_lonlat(lon, lat)
    wlon, wlat = geo.to_wgs84(lon, lat, parsed)
    located = areas.locate(session, lon=wlon, lat=wlat)
    if located is None:
        raise ValidationFailed("the point lies outside every grid of the district", field="lon")
    if expected is not None and located.grid.code != expected:
        raise ValidationFailed(
            f"the point lies in grid {located.grid.code} ({located.grid.name}), not in grid {expected}",
            field="lon",
        )
    return located.grid.code, float(wlon), float(wlat)


def grids_under(session: Session, code: str) -> list[str]:
    """Every grid code at or below an area code."""
    return [a.code for a in areas.list_areas(session, level=AreaLevel.GRID, within=code)]


def grid_names(session: Session, codes: list[str]) -> dict[str, str]:
    """Names of the given areas (one query for all of them; an unknown code names itself)."""
    wanted = set(codes)
    if not wanted:
        return {}
    prefix = os.path.commonprefix(sorted(wanted))
    found = {a.code: a.name for a in areas.list_areas(session, within=prefix or None) if a.code in wanted}
    return {code: found.get(code, code) for code in wanted}


def clean_text(value: Any, *, field: str, max_len: int, required: bool = True) -> str:
    """A stripped string of bounded length."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationFailed(f"{field} is required", field=field)
    if len(text) > max_len:
        raise ValidationFailed(f"{field} is longer than {max_len} characters", field=field)
    return text


def visible_grids(
    session: Session, actor: Actor, *, area_code: str | None = None, roles: tuple[Role, ...] = READ_ROLES
) -> list[str]:
    """Grid codes inside the actor's scope, optionally below one area (itself in scope, else 404)."""
    if area_code is not None:
        if not actor.is_system and not any(
            actor.can_see_area(area_code, roles) or g.startswith(area_code)
            for g in actor.area_prefixes(roles)
        ):
            raise NotFound(f"no area with code {area_code}", field="area_code")
        codes = grids_under(session, area_code)
    else:
        codes = [a.code for a in areas.list_areas(session, level=AreaLevel.GRID)]
    return [c for c in codes if actor.can_see_area(c, roles)]


def scoped(stmt: Any, column: Any, actor: Actor, *, roles: tuple[Role, ...] = READ_ROLES) -> Any:
    """core.security.in_scope for multi-column selects (typed loosely)."""
    return in_scope(stmt, column, actor, roles=roles)
