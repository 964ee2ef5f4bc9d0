"""Reading the area tree, and writing it out as GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import codes
from pingan.areas.geometry import geometry_of
from pingan.areas.models import LEVEL_ORDER, Area, AreaLevel
from pingan.core.errors import NotFound

# --- reading the tree -----------------------------------------------------------------------------------


def get_area(session: Session, code: str) -> Area:
    """One area by code, or NotFound."""
    area = session.get(Area, code)
    if area is None:
        raise NotFound(f"no area with code {code}", field="code")
    return area


def list_areas(
    session: Session,
    *,
    level: AreaLevel | None = None,
    parent_code: str | None = None,
    within: str | None = None,
) -> list[Area]:
    """Areas ordered by code, optionally of one level, one parent or under one code prefix."""
    stmt = select(Area).order_by(Area.code)
    if level is not None:
        stmt = stmt.where(Area.level == level.value)
    if parent_code is not None:
        stmt = stmt.where(Area.parent_code == parent_code)
    if within is not None:
        stmt = stmt.where(Area.code.startswith(codes.significant(within), autoescape=True))
    return list(session.scalars(stmt))


def find_areas(session: Session, *, name: str, level: AreaLevel | None = None) -> list[Area]:
    """Areas with exactly this name (optionally of one level)."""
    stmt = select(Area).where(Area.name == name).order_by(Area.code)
    if level is not None:
        stmt = stmt.where(Area.level == level.value)
    return list(session.scalars(stmt))


def area_names(session: Session, *, levels: Iterable[AreaLevel]) -> list[str]:
    """The names of all areas of these levels (e.g. to strip known place names off an address)."""
    return list(session.scalars(select(Area.name).where(Area.level.in_([lv.value for lv in levels]))))


def ancestors(session: Session, code: str) -> list[Area]:
    """The chain from the area itself up to the root."""
    chain: list[Area] = []
    current: str | None = code
    while current is not None:
        area = session.get(Area, current)
        if area is None:
            break
        chain.append(area)
        current = area.parent_code
    return chain


def area_tree(
    session: Session, *, root: str | None = None, max_level: AreaLevel | None = None
) -> list[dict[str, Any]]:
    """The tree as nested dicts (code, name, level, households, population, children)."""
    rows = session.execute(
        select(Area.code, Area.name, Area.level, Area.parent_code, Area.households, Area.population).order_by(
            Area.code
        )
    ).all()
    depth = LEVEL_ORDER.index(max_level) if max_level else len(LEVEL_ORDER)
    nodes: dict[str, dict[str, Any]] = {}
    for code, name, level, parent_code, households, population in rows:
        if LEVEL_ORDER.index(AreaLevel(level)) > depth:
            continue
        nodes[code] = {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent_code,
            "households": households,
            "population": population,
            "children": [],
        }
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent_node = nodes.get(node["parent_code"] or "")
        (parent_node["children"] if parent_node else roots).append(node)
    if root is not None:
        if root not in nodes:
            raise NotFound(f"no area with code {root}", field="root")
        return [nodes[root]]
    return roots


def level_counts(session: Session) -> dict[str, int]:
    """How many areas exist at each level."""
    return {level: n for level, n in session.execute(select(Area.level, func.count()).group_by(Area.level))}


def feature_of(area: Area, *, with_geometry: bool = True) -> dict[str, Any]:
    """One area as a GeoJSON feature."""
    geom = geometry_of(area) if with_geometry else None
    return {
        "type": "Feature",
        "id": area.code,
        "properties": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent_code": area.parent_code,
            "households": area.households,
            "population": area.population,
            "area_m2": round(area.area_m2 or 0.0, 1),
            **(area.properties or {}),
        },
        "geometry": mapping(geom) if geom is not None else None,
    }


def feature_collection(
    areas: Iterable[Area], *, simplify: float = 0.0, labels: bool = False
) -> dict[str, Any]:
    """Areas as a GeoJSON FeatureCollection; ``simplify`` (degrees) thins boundaries for maps; ``labels``
    adds each area's label point (a point inside it, ``[lon, lat]``) as the property ``label``."""
    features = []
    for area in areas:
        feature = feature_of(area)
        if labels and area.geometry:
            point = shapely.point_on_surface(shapely.from_wkb(area.geometry))
            feature["properties"]["label"] = [round(point.x, 6), round(point.y, 6)]
        if simplify and feature["geometry"] is not None:
            feature["geometry"] = mapping(shapely.simplify(shape(feature["geometry"]), simplify, True))
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def export_geojson(session: Session, path: Path, *, level: AreaLevel | None = None) -> int:
    """Write the areas (all levels, or one) to a GeoJSON file; returns the number of features."""
    collection = feature_collection(list_areas(session, level=level))
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return len(collection["features"])
