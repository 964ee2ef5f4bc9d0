"""Areas API: the tree, one area, GeoJSON of a level, and the grid locator (single and batch).

Names, boundaries and the locator are public (maps and resident reports need them); households and
population are shown only to callers whose area scope covers the area.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from shapely.geometry import mapping

from pingan.areas import roads, service
from pingan.areas.models import AreaLevel
from pingan.areas.schemas import (
    AreaCollection,
    AreaNode,
    AreaRead,
    AreaRefRead,
    LocateBatch,
    LocateBatchRead,
    LocateRead,
    RoadCollection,
)
from pingan.core.security import Actor
from pingan.web.deps import DbSession, OptionalActor

router = APIRouter(prefix="/api/v1", tags=["areas"])
_COUNTS = ("households", "population")


def _covers(actor: Actor | None, code: str) -> bool:
    return actor is not None and actor.can_see_area(code)


def _redact_tree(nodes: list[dict[str, Any]], actor: Actor | None) -> list[dict[str, Any]]:
    for node in nodes:
        if not _covers(actor, node["code"]):
            node.update(dict.fromkeys(_COUNTS))
        _redact_tree(node.get("children", []), actor)
    return nodes


@router.get(
    "/areas", response_model=list[AreaNode], summary="The area tree (district → street → community → grid)"
)
def read_tree(
    session: DbSession,
    actor: OptionalActor,
    root: str | None = None,
    max_level: Annotated[AreaLevel | None, Query()] = None,
) -> list[dict[str, Any]]:
    return _redact_tree(service.area_tree(session, root=root, max_level=max_level), actor)


@router.get(
    "/areas/geojson",
    response_model=AreaCollection,
    response_model_exclude_unset=True,  # `label` only with labels=true
    summary="Boundaries of one level as a GeoJSON FeatureCollection",
)
def read_level_geojson(
    session: DbSession,
    actor: OptionalActor,
    level: AreaLevel = AreaLevel.GRID,
    within: str | None = None,
    simplify: Annotated[float, Query(ge=0, le=0.01)] = 0.0,
    labels: Annotated[bool, Query(description="add each area's label point as the property `label`")] = False,
) -> dict[str, Any]:
    collection = service.feature_collection(
        service.list_areas(session, level=level, within=within), simplify=simplify, labels=labels
    )
    for feature in collection["features"]:
        if not _covers(actor, feature["properties"]["code"]):
            feature["properties"].update(dict.fromkeys(_COUNTS))
    return collection


@router.get(
    "/areas/roads",
    response_model=RoadCollection,
    summary="The district's named roads as GeoJSON (map context; label points)",
)
def read_roads(session: DbSession, simplify: Annotated[float, Query(ge=0, le=0.01)] = 0.0) -> dict[str, Any]:
    return roads.feature_collection(session, simplify=simplify)


@router.get("/areas/{code}", response_model=AreaRead, summary="One area with its parents and children")
def read_area(session: DbSession, actor: OptionalActor, code: str, geometry: bool = False) -> AreaRead:
    area = service.get_area(session, code)
    chain = service.ancestors(session, code)[1:]
    children = service.list_areas(session, parent_code=code)
    geom = service.geometry_of(area) if geometry else None
    return AreaRead(
        code=area.code,
        name=area.name,
        level=area.level,
        parent_code=area.parent_code,
        households=area.households if _covers(actor, code) else None,
        population=area.population if _covers(actor, code) else None,
        area_m2=area.area_m2,
        bbox=[area.min_lon, area.min_lat, area.max_lon, area.max_lat] if area.min_lon is not None else None,
        ancestors=[AreaRefRead(code=a.code, name=a.name, level=a.level) for a in chain],
        children=[AreaRefRead(code=c.code, name=c.name, level=c.level) for c in children],
        properties=area.properties or {},
        geometry=mapping(geom) if geom is not None else None,
    )


@router.get("/locate", response_model=LocateRead, summary="Which grid a point lies in")
def locate_point(session: DbSession, lon: float, lat: float, crs: str = "wgs84") -> LocateRead:
    found = service.locate(session, lon=lon, lat=lat, crs=crs)
    levels = found.to_dict() if found else {"grid": None, "community": None, "street": None, "district": None}
    return LocateRead(lon=lon, lat=lat, crs=crs, **levels)


@router.post("/locate", response_model=LocateBatchRead, summary="Which grid each of many points lies in")
def locate_points(session: DbSession, body: LocateBatch) -> LocateBatchRead:
    lons = [p[0] for p in body.points]
    lats = [p[1] for p in body.points]
    found = service.locate_many(session, lon=lons, lat=lats, crs=body.crs)
    return LocateBatchRead(crs=body.crs, results=[f.to_dict() if f else None for f in found])
