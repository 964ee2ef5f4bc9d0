"""The area tree: boundaries in and out (GeoJSON), the tree, and the grid locator."""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson
import shapely
from numpy.typing import NDArray
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from pingan.areas import codes
from pingan.areas.models import LEVEL_ORDER, Area, AreaLevel, AreaRevision
from pingan.core import geo
from pingan.core.clock import utcnow
from pingan.core.config import get_settings
from pingan.core.db import base_engine
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.spatial import PolygonIndex

Progress = Callable[[int, int], None]

# Overlap and containment tolerance: slivers up to this many m² (or this share of the smaller area) are
# accepted as digitising noise.
TOLERANCE_M2 = 1.0
TOLERANCE_SHARE = 1e-4


def approx_area_m2(geom: BaseGeometry) -> float:
    """Area in m² (equirectangular projection at the geometry's mean latitude; <0.1% error for a district)."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return float(geom.area * (111_320.0 * math.cos(math.radians(lat))) * 110_574.0)


def approx_areas_m2(geoms: Sequence[BaseGeometry] | NDArray[np.object_]) -> NDArray[np.float64]:
    """Vectorised :func:`approx_area_m2` for many geometries."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return np.zeros(0)
    lat = shapely.get_y(shapely.centroid(arr))
    areas = shapely.area(arr) * (111_320.0 * np.cos(np.radians(lat))) * 110_574.0
    return np.where(shapely.is_empty(arr), 0.0, areas)


def geometry_of(area: Area) -> BaseGeometry | None:
    return shapely.from_wkb(area.geometry) if area.geometry else None


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


# --- importing boundaries -------------------------------------------------------------------------------


@dataclass
class ImportProblem:
    """One reason an import was refused."""

    index: int | None
    code: str | None
    reason: str
    file: str = ""

    def __str__(self) -> str:
        where = f"feature {self.index}" if self.index is not None else "file"
        code = f" (code {self.code})" if self.code else ""
        return f"{self.file}: {where}{code}: {self.reason}" if self.file else f"{where}{code}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "index": self.index, "code": self.code, "reason": self.reason}


@dataclass
class _Candidate:
    index: int
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    geom: BaseGeometry
    households: int
    population: int
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


_KNOWN_PROPERTIES = {"code", "name", "level", "parent_code", "parent", "households", "population", "area_m2"}


def _prebuilt_geometries(features: list[Any]) -> list[BaseGeometry | None]:
    """Polygon/MultiPolygon geometries read in one vectorised pass (GEOS GeoJSON reader).

    None where that is not possible; :func:`_parse_geometry` then takes the slow path and says why.
    """
    texts: list[bytes] = []
    where: list[int] = []
    for i, feature in enumerate(features):
        raw = feature.get("geometry") if isinstance(feature, dict) else None
        if isinstance(raw, dict) and raw.get("type") in ("Polygon", "MultiPolygon"):
            try:
                texts.append(orjson.dumps(raw))
            except TypeError:
                continue
            where.append(i)
    found: list[BaseGeometry | None] = [None] * len(features)
    if texts:
        geoms = shapely.from_geojson(np.asarray(texts, dtype=object), on_invalid="ignore")
        for i, geom in zip(where, geoms.tolist(), strict=True):
            found[i] = geom
    return found


def _parse_feature(
    index: int, feature: Any, problems: list[ImportProblem], prebuilt: BaseGeometry | None = None
) -> _Candidate | None:
    def fail(reason: str, code: str | None = None) -> None:
        problems.append(ImportProblem(index, code, reason))

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        fail("not a GeoJSON Feature")
        return None
    props = feature.get("properties") or {}
    code = str(props.get("code") or "").strip()
    if not code:
        fail("missing property 'code'")
        return None
    name = str(props.get("name") or "").strip()
    if not name:
        fail("missing property 'name'", code)
        return None
    level: AreaLevel | None
    if props.get("level"):
        try:
            level = AreaLevel(str(props["level"]))
        except ValueError:
            fail(f"unknown level {props['level']!r}", code)
            return None
    else:
        level = codes.infer_level(code)
    if level is None or not codes.code_matches_level(code, level):
        fail(f"code {code!r} is not a valid {level.value if level else 'area'} code", code)
        return None
    parent = props.get("parent_code") or props.get("parent")
    parent_code = str(parent).strip() if parent else codes.implied_parent(code, level)
    try:
        households = int(props.get("households") or 0)
        population = int(props.get("population") or 0)
    except (TypeError, ValueError):
        fail("households and population must be whole numbers", code)
        return None
    if households < 0 or population < 0:
        fail("households and population cannot be negative", code)
        return None
    geom = _parse_geometry(feature.get("geometry"), lambda reason: fail(reason, code), prebuilt)
    if geom is None:
        return None
    extra = {k: v for k, v in props.items() if k not in _KNOWN_PROPERTIES}
    return _Candidate(index, code, name, level, parent_code, geom, households, population, extra)


def _parse_geometry(
    raw: Any, fail: Callable[[str], None], prebuilt: BaseGeometry | None = None
) -> BaseGeometry | None:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        fail("geometry must be a Polygon or MultiPolygon")
        return None
    if prebuilt is not None and prebuilt.geom_type == raw["type"]:
        geom = prebuilt
    else:
        try:
            geom = shape(raw)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            fail(f"unreadable geometry: {exc}")
            return None
    if geom.is_empty:
        fail("geometry is empty")
        return None
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not all(
        map(math.isfinite, geom.bounds)
    ):
        fail("coordinates are not WGS-84 longitude/latitude")
        return None
    if not geom.is_valid:
        fail(f"invalid geometry: {shapely.is_valid_reason(geom)}")
        return None
    return geom


def _tolerance(a: BaseGeometry, b: BaseGeometry | None = None) -> float:
    smaller = approx_area_m2(a) if b is None else min(approx_area_m2(a), approx_area_m2(b))
    return max(TOLERANCE_M2, TOLERANCE_SHARE * smaller)


def import_geojson(
    session: Session,
    data: bytes | str | dict[str, Any],
    *,
    source: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and upsert a FeatureCollection of areas; on any problem nothing is written.

    Raises ValidationFailed whose ``details`` lists every problem (file, feature index, code, reason).
    """
    candidates = _validated_candidates(session, data, source, progress)
    return _write_candidates(session, candidates, progress)


def _load_collection(data: bytes | str | dict[str, Any], source: str) -> list[Any]:
    try:
        doc = orjson.loads(data) if isinstance(data, bytes | str) else data
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _problems([ImportProblem(None, None, f"not valid JSON: {exc}", source)]) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise _problems([ImportProblem(None, None, "not a GeoJSON FeatureCollection", source)])
    return list(doc["features"])


def _problems(problems: list[ImportProblem]) -> ValidationFailed:
    shown = "; ".join(str(p) for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return ValidationFailed(
        f"area import refused: {shown}{more}",
        code="invalid_areas",
        field="features",
        details=[p.to_dict() for p in problems],
    )


def _validated_candidates(
    session: Session, data: bytes | str | dict[str, Any], source: str, progress: Progress | None
) -> list[_Candidate]:
    features = _load_collection(data, source)
    problems: list[ImportProblem] = []
    candidates: dict[str, _Candidate] = {}
    prebuilt = _prebuilt_geometries(features)
    for index, feature in enumerate(features):
        cand = _parse_feature(index, feature, problems, prebuilt[index])
        if cand is None:
            continue
        if cand.code in candidates:
            problems.append(
                ImportProblem(
                    index, cand.code, f"duplicate code (also feature {candidates[cand.code].index})"
                )
            )
            continue
        candidates[cand.code] = cand
        if progress and index % 500 == 0:
            progress(index, len(features) * 2)
    _check_parents(session, candidates, problems)
    _check_siblings(session, candidates, problems)
    if problems:
        for p in problems:
            p.file = source
        raise _problems(problems)
    return sorted(candidates.values(), key=lambda c: (LEVEL_ORDER.index(c.level), c.code))


def _existing_areas(
    session: Session, codes_wanted: Iterable[str]
) -> dict[str, tuple[AreaLevel, BaseGeometry | None]]:
    """Level and geometry of the existing areas among these codes (bulk, chunked)."""
    wanted = sorted(set(codes_wanted))
    found: dict[str, tuple[AreaLevel, BaseGeometry | None]] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for code, level, wkb in session.execute(
            select(Area.code, Area.level, Area.geometry).where(Area.code.in_(chunk))
        ):
            found[code] = (AreaLevel(level), shapely.from_wkb(wkb) if wkb else None)
    return found


def _check_parents(
    session: Session, candidates: dict[str, _Candidate], problems: list[ImportProblem]
) -> None:
    existing = _existing_areas(
        session,
        (c.parent_code for c in candidates.values() if c.parent_code and c.parent_code not in candidates),
    )
    to_test: list[tuple[_Candidate, BaseGeometry]] = []
    for cand in candidates.values():
        if cand.parent_code is None:
            if cand.level not in (AreaLevel.PROVINCE, AreaLevel.CITY, AreaLevel.DISTRICT):
                problems.append(
                    ImportProblem(cand.index, cand.code, "a street, community or grid needs a parent")
                )
            continue
        if not codes.code_fits_parent(cand.code, cand.parent_code):
            problems.append(
                ImportProblem(
                    cand.index,
                    cand.code,
                    f"code does not fit its parent {cand.parent_code} (must start with it)",
                )
            )
            continue
        parent = candidates.get(cand.parent_code)
        if parent is not None:
            parent_level, parent_geom = parent.level, parent.geom
        else:
            if cand.parent_code not in existing:
                if cand.level in (AreaLevel.DISTRICT, AreaLevel.CITY):
                    cand.parent_code = None  # a district may be the root of an installation
                    continue
                problems.append(
                    ImportProblem(cand.index, cand.code, f"parent {cand.parent_code} does not exist")
                )
                continue
            parent_level, parent_geom = existing[cand.parent_code]
        if codes.parent_level(cand.level) is not parent_level:
            problems.append(
                ImportProblem(
                    cand.index, cand.code, f"a {cand.level.value} cannot sit under a {parent_level.value}"
                )
            )
            continue
        if parent_geom is not None:
            to_test.append((cand, parent_geom))
    if not to_test:
        return
    # vectorised: prepared `covers` settles almost every child; only the rest get an exact difference
    children = np.asarray([c.geom for c, _ in to_test], dtype=object)
    parents = np.asarray([g for _, g in to_test], dtype=object)
    shapely.prepare(parents)
    suspect = np.flatnonzero(~shapely.covers(parents, children))
    if suspect.size == 0:
        return
    outside = approx_areas_m2(shapely.difference(children[suspect], parents[suspect]))
    limit = np.maximum(TOLERANCE_M2, TOLERANCE_SHARE * approx_areas_m2(children[suspect]))
    for k in np.flatnonzero(outside > limit).tolist():
        cand = to_test[int(suspect[k])][0]
        problems.append(
            ImportProblem(
                cand.index,
                cand.code,
                f"lies outside its parent {cand.parent_code} by {outside[k]:.0f} m²",
            )
        )


def _existing_children(
    session: Session, parents: Sequence[str], skip: dict[str, _Candidate]
) -> dict[str, list[tuple[str, BaseGeometry]]]:
    """Existing areas (not being imported) under these parents, by parent (bulk, chunked)."""
    found: dict[str, list[tuple[str, BaseGeometry]]] = {}
    for start in range(0, len(parents), 900):
        chunk = list(parents[start : start + 900])
        rows = session.execute(
            select(Area.code, Area.parent_code, Area.geometry)
            .where(Area.parent_code.in_(chunk), Area.geometry.is_not(None))
            .order_by(Area.code)
        )
        for code, parent_code, wkb in rows:
            if code not in skip and parent_code is not None:
                found.setdefault(parent_code, []).append((code, shapely.from_wkb(wkb)))
    return found


def _check_siblings(
    session: Session, candidates: dict[str, _Candidate], problems: list[ImportProblem]
) -> None:
    by_parent: dict[str | None, list[_Candidate]] = {}
    for cand in candidates.values():
        by_parent.setdefault(cand.parent_code, []).append(cand)
    existing = _existing_children(session, sorted(p for p in by_parent if p is not None), candidates)
    for parent_code, group in by_parent.items():
        geoms: list[BaseGeometry] = [c.geom for c in group]
        labels: list[_Candidate | str] = list(group)
        for code, geom in existing.get(parent_code or "", []):
            geoms.append(geom)
            labels.append(code)
        if len(geoms) < 2 or not _may_overlap(geoms):
            continue
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        is_new = np.asarray([isinstance(label, _Candidate) for label in labels], dtype=bool)
        keep = (left < right) & (is_new[left] | is_new[right])
        left, right = left[keep], right[keep]
        arr = np.asarray(geoms, dtype=object)
        overlaps = approx_areas_m2(shapely.intersection(arr[left], arr[right]))
        sizes = approx_areas_m2(arr)
        limit = np.maximum(TOLERANCE_M2, TOLERANCE_SHARE * np.minimum(sizes[left], sizes[right]))
        for k in np.flatnonzero(overlaps > limit).tolist():
            i, j, overlap = int(left[k]), int(right[k]), float(overlaps[k])
            a, b = labels[i], labels[j]
            blame: _Candidate | str
            other: _Candidate | str
            if isinstance(a, _Candidate) and isinstance(b, _Candidate):
                blame, other = (a, b) if a.index > b.index else (b, a)  # the later feature is reported
            else:
                blame, other = (a, b) if isinstance(a, _Candidate) else (b, a)
            assert isinstance(blame, _Candidate)
            other_code = other.code if isinstance(other, _Candidate) else other
            problems.append(
                ImportProblem(blame.index, blame.code, f"overlaps sibling {other_code} by {overlap:.0f} m²")
            )


def _may_overlap(geoms: Sequence[BaseGeometry]) -> bool:
    """Cheap filter: siblings whose areas add up to their union's area (within 1 m²) cannot overlap.

    The sum of the areas minus the area of the union is at least the largest pairwise overlap, and the
    smallest tolerance is 1 m², so a group passing this test has no reportable overlap. Planar areas at the
    group's latitude keep the comparison free of per-polygon projection differences.
    """
    arr = np.asarray(geoms, dtype=object)
    union = shapely.union_all(arr)
    lat = union.centroid.y if not union.is_empty else 0.0
    scale = (111_320.0 * math.cos(math.radians(lat))) * 110_574.0
    excess = (float(shapely.area(arr).sum()) - union.area) * scale
    return excess > TOLERANCE_M2 * 0.5


def _write_candidates(
    session: Session, candidates: Sequence[_Candidate], progress: Progress | None
) -> ImportReport:
    total = len(candidates)
    existing = set(_existing_areas(session, (c.code for c in candidates)))
    new = [c for c in candidates if c.code not in existing]
    old = [c for c in candidates if c.code in existing]
    done = 0
    for start in range(0, len(new), _BULK_CHUNK):
        chunk = new[start : start + _BULK_CHUNK]
        session.execute(insert(Area), _area_rows([_record(c) for c in chunk]))
        done += len(chunk)
        if progress:
            progress(total + done, total * 2)
    for start in range(0, len(old), _BULK_CHUNK):
        chunk = old[start : start + _BULK_CHUNK]
        rows = _area_rows([_record(c) for c in chunk])
        session.execute(update(Area), rows)
        done += len(chunk)
        if progress:
            progress(total + done, total * 2)
    if old:
        # bulk UPDATE by primary key leaves loaded objects stale: expire them
        changed = {c.code for c in old}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Area) and obj.code in changed:
                session.expire(obj)
    session.flush()
    bump_revision(session)
    return ImportReport(created=len(new), updated=len(old))


@dataclass
class _Record:
    code: str
    name: str
    level: str
    parent_code: str | None
    geom: BaseGeometry
    households: int
    population: int
    properties: dict[str, Any]


def _record(cand: _Candidate) -> _Record:
    return _Record(
        cand.code,
        cand.name,
        cand.level.value,
        cand.parent_code,
        cand.geom,
        cand.households,
        cand.population,
        cand.properties,
    )


class AreaLike(Protocol):
    """What :func:`insert_areas` needs of one area (e.g. a generated demo area)."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geom: BaseGeometry
    households: int
    population: int
    properties: dict[str, Any]


_BULK_CHUNK = 2000


def _area_rows(items: Sequence[AreaLike]) -> list[dict[str, Any]]:
    geoms = np.asarray([a.geom for a in items], dtype=object)
    wkb = shapely.to_wkb(geoms)
    bounds = shapely.bounds(geoms)
    sizes = approx_areas_m2(geoms)
    now = utcnow()
    return [
        {
            "code": a.code,
            "level": str(a.level),
            "name": a.name,
            "parent_code": a.parent_code,
            "geometry": bytes(wkb[i]),
            "min_lon": float(bounds[i, 0]),
            "min_lat": float(bounds[i, 1]),
            "max_lon": float(bounds[i, 2]),
            "max_lat": float(bounds[i, 3]),
            "area_m2": float(sizes[i]),
            "households": int(a.households),
            "population": int(a.population),
            "properties": dict(a.properties or {}),
            "updated_at": now,
        }
        for i, a in enumerate(items)
    ]


def insert_areas(
    session: Session, items: Sequence[AreaLike], *, progress: Progress | None = None, bump: bool = True
) -> int:
    """Bulk-insert new areas (trusted, already validated input: codes must be new, parents first).

    Checks only the code shapes and that every parent exists in the batch or the table; the caller is
    responsible for nesting and overlaps (generated trees are built that way). Returns the number inserted.
    """
    order = sorted(items, key=lambda a: (LEVEL_ORDER.index(AreaLevel(a.level)), a.code))
    known = {a.code for a in order}
    missing = {a.parent_code for a in order if a.parent_code and a.parent_code not in known}
    for parent in sorted(missing):
        if session.get(Area, parent) is None:
            raise ValidationFailed(f"parent {parent} does not exist", field="parent_code")
    for a in order:
        level = AreaLevel(a.level)
        if not codes.code_matches_level(a.code, level):
            raise ValidationFailed(f"code {a.code!r} is not a valid {level.value} code", field="code")
        if a.parent_code and not codes.code_fits_parent(a.code, a.parent_code):
            raise ValidationFailed(f"code {a.code} does not fit its parent {a.parent_code}", field="code")
    total = len(order)
    for start in range(0, total, _BULK_CHUNK):
        chunk = order[start : start + _BULK_CHUNK]
        session.execute(insert(Area), _area_rows(chunk))
        if progress:
            progress(start + len(chunk), total)
    session.flush()
    if bump:
        bump_revision(session)
    return total


def set_boundary(area: Area, geom: BaseGeometry) -> None:
    """Store a boundary with its bounding box and area."""
    area.geometry = shapely.to_wkb(geom)
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = geom.bounds
    area.area_m2 = approx_area_m2(geom)


def bump_revision(session: Session) -> None:
    """Mark boundaries as changed: every locator (in every process) rebuilds on its next check."""
    rev = session.get(AreaRevision, 1)
    token = str(uuid.uuid4())
    if rev is None:
        session.add(AreaRevision(id=1, token=token))
    else:
        rev.token = token
    session.flush()
    _locators.invalidate(session.get_bind())


# --- the grid locator -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Located:
    """Where a point lies: its grid and the chain above it."""

    grid: AreaRef
    community: AreaRef | None
    street: AreaRef | None
    district: AreaRef | None

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v.__dict__ if v else None)
            for k, v in (
                ("grid", self.grid),
                ("community", self.community),
                ("street", self.street),
                ("district", self.district),
            )
        }


class Locator:
    """Point → grid over the grids of one snapshot of the area table."""

    def __init__(
        self,
        token: str,
        grid_codes: list[str],
        geometries: list[BaseGeometry],
        refs: dict[str, tuple[str, str, str | None]],
    ) -> None:
        self.token = token
        self.grid_codes = grid_codes
        self.index = PolygonIndex(geometries)
        self._refs = refs
        self._chains = [self._chain(code) for code in grid_codes]

    def _chain(self, code: str) -> Located:
        found: dict[str, AreaRef] = {}
        current: str | None = code
        while current is not None and current in self._refs:
            name, level, parent = self._refs[current]
            found.setdefault(level, AreaRef(current, name, level))
            current = parent
        return Located(
            found[AreaLevel.GRID],
            found.get(AreaLevel.COMMUNITY),
            found.get(AreaLevel.STREET),
            found.get(AreaLevel.DISTRICT),
        )

    def locate_indices(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        """Grid index per WGS-84 point (-1 outside every grid)."""
        return self.index.locate(lon, lat)

    def locate_many(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[Located | None]:
        idx = self.locate_indices(lon, lat)
        return [self._chains[i] if i >= 0 else None for i in idx.tolist()]

    def locate(self, lon: float, lat: float) -> Located | None:
        i = self.index.locate_one(lon, lat)
        return self._chains[i] if i >= 0 else None


class _LocatorCache:
    """One locator per engine, rebuilt when the revision token changes (checked every few seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[Any, tuple[Locator, float]] = weakref.WeakKeyDictionary()

    def invalidate(self, bind: Any) -> None:
        with self._lock:
            self._entries.pop(_engine_of(bind), None)

    def get(self, session: Session) -> Locator:
        engine = _engine_of(session.get_bind())
        entry = self._entries.get(engine)
        now = time.monotonic()
        if entry is not None and now - entry[1] < get_settings().locator_refresh_seconds:
            return entry[0]
        token = session.scalar(select(AreaRevision.token).where(AreaRevision.id == 1)) or ""
        if entry is not None and entry[0].token == token:
            self._entries[engine] = (entry[0], now)
            return entry[0]
        with self._building:  # one build at a time: concurrent cold requests wait for it, not rebuild it
            entry = self._entries.get(engine)
            if entry is not None and entry[0].token == token:
                return entry[0]
            locator = build_locator(session, token)
            with self._lock:
                self._entries[engine] = (locator, now)
        return locator


def _engine_of(bind: Any) -> Engine:
    return base_engine(bind)


_locators = _LocatorCache()


def build_locator(session: Session, token: str = "") -> Locator:
    """A fresh locator over every grid with a boundary, ordered by grid code."""
    refs = {
        code: (name, level, parent)
        for code, name, level, parent in session.execute(
            select(Area.code, Area.name, Area.level, Area.parent_code)
        )
    }
    rows = session.execute(
        select(Area.code, Area.geometry)
        .where(Area.level == AreaLevel.GRID.value, Area.geometry.is_not(None))
        .order_by(Area.code)
    ).all()
    return Locator(
        token, [r[0] for r in rows], list(shapely.from_wkb([r[1] for r in rows])) if rows else [], refs
    )


def get_locator(session: Session) -> Locator:
    """The current locator for this database (cached, refreshed when boundaries change)."""
    return _locators.get(session)


def locate(session: Session, *, lon: float, lat: float, crs: str | geo.CRS = geo.CRS.WGS84) -> Located | None:
    """The grid (and its community, street, district) of one point; None outside every grid."""
    geo.validate_lonlat(lon, lat)
    crs = geo.parse_crs(crs) if isinstance(crs, str) else crs
    wlon, wlat = geo.to_wgs84(lon, lat, crs)
    return get_locator(session).locate(wlon, wlat)


def locate_many(
    session: Session,
    *,
    lon: Sequence[float] | NDArray[np.float64],
    lat: Sequence[float] | NDArray[np.float64],
    crs: str | geo.CRS = geo.CRS.WGS84,
) -> list[Located | None]:
    """Vectorised :func:`locate` for many points."""
    lons = np.asarray(lon, dtype=np.float64)
    lats = np.asarray(lat, dtype=np.float64)
    if lons.shape != lats.shape:
        raise ValidationFailed("lon and lat must have the same length", field="points")
    if lons.size and not (
        np.isfinite(lons).all()
        and np.isfinite(lats).all()
        and (np.abs(lons) <= 180).all()
        and (np.abs(lats) <= 90).all()
    ):
        raise ValidationFailed(
            "every point needs a finite longitude (±180) and latitude (±90)", field="points"
        )
    crs = geo.parse_crs(crs) if isinstance(crs, str) else crs
    wlon, wlat = geo.to_wgs84(lons, lats, crs)
    return get_locator(session).locate_many(wlon, wlat)
