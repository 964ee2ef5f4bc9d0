"""Importing boundaries: GeoJSON in, validated (codes, nesting, overlaps), written in bulk."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import orjson
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pingan.areas import codes
from pingan.areas.geometry import approx_area_m2, approx_areas_m2
from pingan.areas.locator import bump_revision
from pingan.areas.models import LEVEL_ORDER, Area, AreaLevel
from pingan.core.clock import utcnow
from pingan.core.errors import ValidationFailed

Progress = Callable[[int, int], None]

# Overlap and containment tolerance: slivers up to this many m² (or this share of the smaller area) are
# accepted as digitising noise.
TOLERANCE_M2 = 1.0
TOLERANCE_SHARE = 1e-4


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
