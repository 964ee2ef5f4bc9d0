"""The district's named roads (江南大道, 滨盛路 …): map context for pages that run without tiles.

A road is one row per name with a line or several (WKB, WGS-84). Imports take a GeoJSON FeatureCollection of
LineString/MultiLineString features with a ``name`` (and optionally ``kind``: ``arterial`` or ``main``); a
file with any bad feature is refused whole, each problem naming the feature; a road already known by name is
replaced. Names are labels on maps, never places to route by.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pingan.areas.models import Road
from pingan.core.clock import utcnow
from pingan.core.errors import ValidationFailed

KINDS = ("arterial", "main")
_LINES = ("LineString", "MultiLineString")


def length_m(geom: BaseGeometry) -> float:
    """Length in metres (equirectangular at the line's mean latitude; <0.1 % error for a district)."""
    lat = geom.centroid.y
    sx, sy = 111_320.0 * math.cos(math.radians(lat)), 110_574.0
    scaled = shapely.transform(geom, lambda xy: xy * [sx, sy])
    return float(scaled.length)


def _problem(index: int | None, name: str | None, reason: str) -> dict[str, Any]:
    return {"index": index, "name": name, "reason": reason}


def _refused(problems: list[dict[str, Any]]) -> ValidationFailed:
    shown = "; ".join(
        f"{'feature ' + str(p['index']) if p['index'] is not None else 'file'}"
        f"{' (' + p['name'] + ')' if p['name'] else ''}: {p['reason']}"
        for p in problems[:5]
    )
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return ValidationFailed(
        f"road import refused: {shown}{more}", code="invalid_roads", field="features", details=problems
    )


def _parse(index: int, feature: Any) -> tuple[str, str, BaseGeometry] | dict[str, Any]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return _problem(index, None, "not a GeoJSON Feature")
    props = feature.get("properties") or {}
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        return _problem(index, None, "property 'name' must be a text of 1–100 characters")
    name = name.strip()
    kind = props.get("kind", "main")
    if kind not in KINDS:
        return _problem(index, name, f"property 'kind' must be one of {', '.join(KINDS)}")
    raw = feature.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in _LINES:
        return _problem(index, name, "geometry must be a LineString or MultiLineString")
    try:
        geom = shape(raw)
    except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
        return _problem(index, name, f"unreadable geometry: {exc}")
    if geom.is_empty or geom.length == 0:
        return _problem(index, name, "empty geometry")
    x0, y0, x1, y1 = geom.bounds
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        return _problem(index, name, "coordinates must be WGS-84 longitude/latitude")
    return name, kind, geom


def import_roads(session: Session, data: bytes | str | dict[str, Any], *, source: str = "") -> int:
    """Validate a FeatureCollection of roads and write it (all or nothing); returns the number of roads."""
    try:
        doc = orjson.loads(data) if isinstance(data, bytes | str) else data
    except orjson.JSONDecodeError as exc:
        raise _refused([_problem(None, None, f"not valid JSON: {exc}")]) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise _refused([_problem(None, None, "not a GeoJSON FeatureCollection")])
    parsed: dict[str, tuple[str, BaseGeometry]] = {}
    problems: list[dict[str, Any]] = []
    for index, feature in enumerate(doc["features"]):
        result = _parse(index, feature)
        if isinstance(result, dict):
            problems.append(result)
        elif result[0] in parsed:
            problems.append(_problem(index, result[0], "the name appears twice in the file"))
        else:
            parsed[result[0]] = (result[1], result[2])
    if problems:
        raise _refused(problems)
    session.execute(delete(Road).where(Road.name.in_(list(parsed))))
    now = utcnow()
    for name, (kind, geom) in parsed.items():
        x0, y0, x1, y1 = geom.bounds
        session.add(
            Road(
                name=name,
                kind=kind,
                geometry=shapely.to_wkb(geom),
                min_lon=x0,
                min_lat=y0,
                max_lon=x1,
                max_lat=y1,
                length_m=round(length_m(geom), 1),
                source=source[:100],
                updated_at=now,
            )
        )
    session.flush()
    return len(parsed)


def list_roads(session: Session) -> list[Road]:
    return list(session.scalars(select(Road).order_by(Road.kind, Road.name)))


def road_lines(session: Session) -> list[tuple[str, str, BaseGeometry]]:
    """Each road's name, kind and line (WGS-84), for modules that measure along roads (camera coverage)."""
    return [(road.name, road.kind, shapely.from_wkb(road.geometry)) for road in list_roads(session)]


def feature_collection(session: Session, *, simplify: float = 0.0) -> dict[str, Any]:
    """The roads as GeoJSON, each with its name, kind, length and a label point (the line's midpoint)."""
    features = []
    for road in list_roads(session):
        geom = shapely.from_wkb(road.geometry)
        longest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.length)
        label = longest.interpolate(0.5, normalized=True)
        if simplify:
            geom = shapely.simplify(geom, simplify, preserve_topology=False)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {
                    "name": road.name,
                    "kind": road.kind,
                    "length_m": road.length_m,
                    "label": [round(label.x, 6), round(label.y, 6)],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def export_roads(session: Session, path: Path) -> int:
    collection = feature_collection(session)
    path.write_bytes(orjson.dumps(collection))
    return len(collection["features"])
