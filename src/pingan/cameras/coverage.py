"""What the cameras see: each camera's view sector (from its position, mounting direction, field of view and
range), the cameras whose view covers a point (a case's), nearest first, and the share of roads each street
or grid has in view, with the roads and key places no camera sees. Geometry with shapely, in WGS-84 degrees
built from a local metric approximation around each camera (ranges are tens to hundreds of metres)."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.geo import haversine_m, validate_lonlat
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.grids import interface as places

from .models import Camera
from .service import READ_ROLES

DEFAULT_FOV = 90.0  # a camera registered without its view: a common bullet camera's
DEFAULT_RANGE_M = 60.0
METRES_PER_DEGREE = 111_320.0
ARC_STEP_DEG = 10.0
# the kinds of place that should be in view (雪亮工程: key public areas); those the register declares
KEY_PLACE_TYPES = (
    "school",
    "lpg_outlet",
    "parcel_outlet",
    "pharmacy",
    "residential_estate",
    "construction_site",
    "small_venue",
)


def sector(
    lon: float, lat: float, direction: float | None, fov: float | None, range_m: float | None
) -> Polygon:
    """The view of one camera as a polygon: a circle sector (a full disc for a 360° dome or without a
    direction)."""
    radius = range_m or DEFAULT_RANGE_M
    width = fov or DEFAULT_FOV
    per_lon = METRES_PER_DEGREE * math.cos(math.radians(lat))

    def at(bearing: float) -> tuple[float, float]:
        b = math.radians(bearing)
        return lon + radius * math.sin(b) / per_lon, lat + radius * math.cos(b) / METRES_PER_DEGREE

    if direction is None or width >= 360:
        steps = int(360 / ARC_STEP_DEG)
        return Polygon([at(i * ARC_STEP_DEG) for i in range(steps)])
    steps = max(2, math.ceil(width / ARC_STEP_DEG))
    start = direction - width / 2
    arc = [at(start + width * i / steps) for i in range(steps + 1)]
    return Polygon([(lon, lat), *arc])


@dataclass(frozen=True)
class Seen:
    camera: Camera
    distance_m: float


def _in_scope_cameras(actor: Actor) -> Any:
    require_role(actor, *READ_ROLES)
    return in_scope(
        select(Camera).where(Camera.role == "camera", Camera.lon.is_not(None)),
        Camera.area_code,
        actor,
        roles=READ_ROLES,
    )


def covering(session: Session, actor: Actor, *, lon: float, lat: float, limit: int = 20) -> list[Seen]:
    """The cameras in the actor's scope whose view covers the point (WGS-84), nearest first."""
    validate_lonlat(lon, lat)
    if not 1 <= limit <= 200:
        raise ValidationFailed("limit must lie in 1–200", field="limit")
    longest = session.scalar(select(func.max(Camera.range_m))) or DEFAULT_RANGE_M
    reach = max(longest, DEFAULT_RANGE_M) * 1.05
    dlat = reach / METRES_PER_DEGREE
    dlon = reach / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    stmt = _in_scope_cameras(actor).where(
        Camera.lon.between(lon - dlon, lon + dlon), Camera.lat.between(lat - dlat, lat + dlat)
    )
    point = Point(lon, lat)
    found: list[Seen] = []
    for camera in session.scalars(stmt):
        assert camera.lon is not None and camera.lat is not None
        distance = haversine_m(camera.lon, camera.lat, lon, lat)
        if distance > (camera.range_m or DEFAULT_RANGE_M) * 1.01:
            continue
        view = sector(camera.lon, camera.lat, camera.direction_deg, camera.fov_deg, camera.range_m)
        if distance < 1.0 or view.covers(point):
            found.append(Seen(camera, distance))
    found.sort(key=lambda s: (s.distance_m, s.camera.gb_id))
    return found[:limit]


_UNIONS: OrderedDict[tuple[Any, ...], BaseGeometry] = OrderedDict()
_UNION_CACHE = 8


def view_union(session: Session, actor: Actor, area: str | None = None) -> BaseGeometry:
    """The union of the views of the cameras in scope (and inside ``area``); kept while the register's
    cameras (count, newest change) stay the same."""
    stmt = _in_scope_cameras(actor)
    if area:
        stmt = stmt.where(Camera.area_code.startswith(area, autoescape=True))  # lint-scope: ok (filter)
    inner = stmt.subquery()
    count, changed, top = session.execute(
        select(func.count(), func.max(inner.c.updated_at), func.max(inner.c.id))
    ).one()
    scope = "*" if actor.is_system else ",".join(actor.area_prefixes(READ_ROLES))
    key = (str(session.get_bind().engine.url), scope, area, count, str(changed), top)
    if key in _UNIONS:
        _UNIONS.move_to_end(key)
        return _UNIONS[key]
    rows = session.execute(
        select(inner.c.lon, inner.c.lat, inner.c.direction_deg, inner.c.fov_deg, inner.c.range_m)
    )
    polygons = [sector(*row) for row in rows if row[0] is not None and row[1] is not None]
    union = shapely.union_all(polygons) if polygons else Polygon()
    shapely.prepare(union)
    _UNIONS[key] = union
    while len(_UNIONS) > _UNION_CACHE:
        _UNIONS.popitem(last=False)
    return union


def _metres(geom: BaseGeometry, lat: float) -> float:
    """Approximate length in metres of a line geometry near latitude ``lat`` (degrees → metres)."""
    if geom.is_empty:
        return 0.0
    scaled = shapely.affinity.scale(geom, xfact=math.cos(math.radians(lat)), yfact=1.0, origin=(0, 0))
    return float(scaled.length) * METRES_PER_DEGREE


def road_coverage(session: Session, actor: Actor, *, level: str = "street") -> list[dict[str, Any]]:
    """Per street or grid inside the actor's scope: road length, road length in some camera's view, the
    share."""
    require_role(actor, *READ_ROLES)
    if level not in ("street", "grid"):
        raise ValidationFailed("level must be street or grid", field="level")
    union = view_union(session, actor)
    roads = shapely.union_all([line for _, _, line in areas.road_lines(session)])
    rows = []
    wanted = AreaLevel.STREET if level == "street" else AreaLevel.GRID
    for area in areas.list_areas(session, level=wanted):
        if not actor.is_system and not _covers_area(actor, area.code):
            continue
        shape = areas.geometry_of(area)
        if shape is None:
            continue
        lat = shape.centroid.y
        inside = roads.intersection(shape)
        length = _metres(inside, lat)
        seen = _metres(inside.intersection(union), lat) if length else 0.0
        rows.append(
            {
                "area_code": area.code,
                "name": area.name,
                "road_m": round(length),
                "covered_m": round(seen),
                "share": round(seen / length, 4) if length else None,
            }
        )
    return rows


def _covers_area(actor: Actor, code: str) -> bool:
    """Whether the area lies inside the actor's scope (the spine's rule)."""
    try:
        ensure_in_scope(actor, code, what="area", roles=READ_ROLES)
    except NotFound:
        return False
    return True


def uncovered_roads(session: Session, actor: Actor, *, min_gap_m: float = 200.0) -> list[dict[str, Any]]:
    """Roads with stretches no camera of the scope sees: each road's length, unseen length and the unseen
    stretches longer than ``min_gap_m`` (as [lon, lat] lines)."""
    require_role(actor, *READ_ROLES)
    union = view_union(session, actor)
    out: list[dict[str, Any]] = []
    for name, kind, line in areas.road_lines(session):
        lat = line.centroid.y
        gaps = line.difference(union)
        parts = [g for g in getattr(gaps, "geoms", [gaps]) if not g.is_empty and _metres(g, lat) >= min_gap_m]
        if not parts:
            continue
        out.append(
            {
                "name": name,
                "kind": kind,
                "length_m": round(_metres(line, lat)),
                "unseen_m": round(_metres(gaps, lat)),
                "gaps": [[[round(x, 6), round(y, 6)] for x, y in p.coords] for p in parts[:20]],
            }
        )
    out.sort(key=lambda r: -r["unseen_m"])
    return out


def unseen_places(session: Session, actor: Actor, *, limit: int = 500) -> list[dict[str, Any]]:
    """Key places of the register (schools, LPG outlets, markets …) in scope that no camera sees."""
    require_role(actor, *READ_ROLES)
    known = {t.code for t in places.place_types()}
    types = [t for t in KEY_PLACE_TYPES if t in known]
    if not types:
        return []
    found, _ = places.list_places(session, actor=actor, types=types, limit=min(limit, 500))
    union = view_union(session, actor)
    out = []
    for place in found:
        if place.lon is None or place.lat is None:
            continue
        if not union.covers(Point(place.lon, place.lat)):
            out.append(
                {
                    "place_id": place.id,
                    "name": place.name,
                    "place_type": place.place_type,
                    "area_code": place.area_code,
                    "lon": place.lon,
                    "lat": place.lat,
                }
            )
    return out
