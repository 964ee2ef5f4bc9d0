"""A synthetic Zhejiang-sized province (~60,000 grids) for performance work: ``demo-data --scale province``.

The tree is province 330000 → the 11 cities of Zhejiang (real codes and seats) → districts → streets →
communities → grids. Grids are Voronoi cells of a jittered lattice of seeds inside a simplified outline of
Zhejiang (about 107,000 km², so a grid is about 1.8 km²); every higher level is the union of a cluster of
its children's cells, so the tree nests and siblings do not overlap by construction. The demo district
(滨江区 330108, 239 grids, the same geometry and names as ``--scale district``) is cut into Hangzhou at its
real place, so the demo accounts and the real Binjiang coordinates work at both scales.
Deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.demo.district import DISTRICT_CODE, OUTLINE, AreaSpec, build_district
from pingan.demo.generate import DemoLogin, Step, _create_accounts, _create_units

PROVINCE_CODE = "330000"
PROVINCE_NAME = "浙江省"
PROVINCE_GRIDS = 60_000

# A simplified outline of Zhejiang (WGS-84), Hangzhou Bay filled in; about 107,700 km².
PROVINCE_OUTLINE = Polygon(
    [
        (119.25, 31.18),
        (119.65, 31.10),
        (120.35, 30.95),
        (120.90, 31.00),
        (121.25, 30.80),
        (121.55, 30.45),
        (121.90, 30.10),
        (122.20, 29.90),
        (121.95, 29.50),
        (121.95, 29.10),
        (121.60, 28.70),
        (121.55, 28.30),
        (121.15, 28.00),
        (120.90, 27.55),
        (120.55, 27.15),
        (120.25, 27.30),
        (119.80, 27.55),
        (119.30, 27.60),
        (118.90, 27.90),
        (118.75, 28.30),
        (118.40, 28.35),
        (118.10, 28.85),
        (118.30, 29.30),
        (118.60, 29.60),
        (118.90, 29.95),
        (119.30, 30.30),
        (119.35, 30.70),
    ]
)


@dataclass(frozen=True)
class CityPlan:
    code: str
    name: str
    seat: tuple[float, float]
    districts: int  # county-level divisions (GB/T 2260)


CITIES = (
    CityPlan("330100", "杭州市", (119.85, 29.95), 13),
    CityPlan("330200", "宁波市", (121.45, 29.75), 10),
    CityPlan("330300", "温州市", (120.55, 27.85), 12),
    CityPlan("330400", "嘉兴市", (120.80, 30.70), 7),
    CityPlan("330500", "湖州市", (119.85, 30.80), 5),
    CityPlan("330600", "绍兴市", (120.60, 29.85), 6),
    CityPlan("330700", "金华市", (119.90, 29.15), 9),
    CityPlan("330800", "衢州市", (118.75, 28.90), 6),
    CityPlan("330900", "舟山市", (122.00, 30.00), 4),
    CityPlan("331000", "台州市", (121.25, 28.75), 9),
    CityPlan("331100", "丽水市", (119.65, 28.20), 9),
)

# average sizes of the levels below a district (Zhejiang: ~1,360 streets/towns, ~20,000 communities/villages)
GRIDS_PER_COMMUNITY = 4.5
COMMUNITIES_PER_STREET = 10
STREETS_PER_DISTRICT = 15

_SYLLABLES = (
    "安宁和平兴华新东西南北江河湖山林桥港湾塘溪石岭云龙凤阳明光春秋金玉城园桂兰松竹梅泉清丰乐永福康泰"
    "嘉善仁义信德文武长青白红黄绿天星月海潮沙田庄坞埠浦堰渡口洲岙头尾上下中前后里外大小高望"
)


def _name(rng: np.random.Generator, suffix: str) -> str:
    a, b = rng.integers(0, len(_SYLLABLES), 2)
    return f"{_SYLLABLES[a]}{_SYLLABLES[b]}{suffix}"


def _lattice_seeds(rng: np.random.Generator, region: BaseGeometry, n: int) -> NDArray[np.float64]:
    """About n seeds on a jittered lattice inside ``region`` (square spacing on the ground)."""
    minx, miny, maxx, maxy = region.bounds
    aspect = math.cos(math.radians((miny + maxy) / 2))
    spacing = math.sqrt(region.area * aspect / n)  # in degrees of latitude
    xs = np.arange(minx, maxx, spacing / aspect)
    ys = np.arange(miny, maxy, spacing)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts += rng.uniform(-0.4, 0.4, pts.shape) * np.array([spacing / aspect, spacing])
    shapely.prepare(region)
    return pts[shapely.contains_xy(region, pts[:, 0], pts[:, 1])]


def _cells(seeds: NDArray[np.float64], region: BaseGeometry) -> NDArray[np.object_]:
    """Voronoi cells of the seeds (in seed order) clipped to the region."""
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True)
    )
    inside = shapely.contains_properly(region, cells)
    clipped = cells.copy()
    clipped[~inside] = shapely.intersection(cells[~inside], region)
    for i in np.flatnonzero(~inside):
        geom = clipped[i]
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
            clipped[i] = shapely.union_all(parts)
    return clipped


def _cluster(
    rng: np.random.Generator, pts: NDArray[np.float64], k: int, rounds: int = 8
) -> NDArray[np.int64]:
    """Labels of a small k-means (random distinct starts, a few Lloyd rounds); clusters may not be empty."""
    if k <= 1 or len(pts) <= k:
        return np.arange(len(pts)) if len(pts) <= k else np.zeros(len(pts), dtype=np.int64)
    centres = pts[rng.choice(len(pts), k, replace=False)]
    labels = np.zeros(len(pts), dtype=np.int64)
    for _ in range(rounds):
        labels = ((pts[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
        sizes = np.bincount(labels, minlength=k)
        for dim in range(2):
            sums = np.bincount(labels, weights=pts[:, dim], minlength=k)
            centres[:, dim] = np.where(sizes > 0, sums / np.maximum(sizes, 1), centres[:, dim])
    # relabel densely (an empty cluster simply disappears)
    _, dense = np.unique(labels, return_inverse=True)
    return dense.astype(np.int64)


def _reading_order(pts: NDArray[np.float64], labels: NDArray[np.int64]) -> list[int]:
    """Cluster labels numbered north → south, then west → east (like the unit-grid convention)."""
    k = int(labels.max()) + 1
    sizes = np.maximum(np.bincount(labels, minlength=k), 1)
    cx = np.bincount(labels, weights=pts[:, 0], minlength=k) / sizes
    cy = np.bincount(labels, weights=pts[:, 1], minlength=k) / sizes
    band = max(float(np.ptp(pts[:, 1])) / max(math.sqrt(k), 1.0), 1e-9)
    return sorted(range(k), key=lambda j: (-math.floor(cy[j] / band), cx[j]))


def build_province(seed: int = 2016, *, grids: int = PROVINCE_GRIDS) -> list[AreaSpec]:
    """Every area of the synthetic province, parents before children (about ``grids`` + 239 grids)."""
    rng = np.random.default_rng(seed)
    district = build_district(seed)
    hole = OUTLINE
    region = PROVINCE_OUTLINE.difference(hole)
    seeds = _lattice_seeds(rng, region, grids)
    cells = _cells(seeds, region)
    aspect = math.cos(math.radians(29.2))
    scaled = seeds * np.array([aspect, 1.0])

    seats = np.array([c.seat for c in CITIES]) * np.array([aspect, 1.0])
    city_of = ((scaled[:, None, :] - seats[None]) ** 2).sum(-1).argmin(axis=1)

    province_children: list[BaseGeometry] = []
    cities: list[AreaSpec] = []
    districts: list[AreaSpec] = []
    streets: list[AreaSpec] = []
    communities: list[AreaSpec] = []
    grid_specs: list[AreaSpec] = []
    district_size = GRIDS_PER_COMMUNITY * COMMUNITIES_PER_STREET * STREETS_PER_DISTRICT
    for c_idx, plan in enumerate(CITIES):
        members = np.flatnonzero(city_of == c_idx)
        with_binjiang = plan.code == "330100"
        wanted = plan.districts - (1 if with_binjiang else 0)
        k = max(1, min(wanted, round(len(members) / district_size)))
        labels = _cluster(rng, scaled[members], k)
        district_geoms: list[BaseGeometry] = []
        codes_free = [
            n for n in range(2, 100) if not (with_binjiang and f"{plan.code[:4]}{n:02d}" == DISTRICT_CODE)
        ]
        for seq, j in enumerate(_reading_order(seeds[members], labels)):
            d_members = members[labels == j]
            d_code = f"{plan.code[:4]}{codes_free[seq]:02d}"
            suffix = "区" if seq < max(1, k // 2) else ("市" if seq % 3 == 0 else "县")
            d_name = _name(rng, suffix)
            d_geom = _build_district(
                rng, d_code, seeds, scaled, cells, d_members, streets, communities, grid_specs
            )
            districts.append(AreaSpec(d_code, d_name, "district", plan.code, d_geom))
            district_geoms.append(d_geom)
        if with_binjiang:
            for spec in district:
                if spec.level == "district":
                    spec.parent_code = plan.code
                    districts.append(spec)
                    district_geoms.append(spec.geom)
                elif spec.level == "street":
                    streets.append(spec)
                elif spec.level == "community":
                    communities.append(spec)
                else:
                    grid_specs.append(spec)
        city_geom = shapely.union_all(district_geoms)
        cities.append(AreaSpec(plan.code, plan.name, "city", PROVINCE_CODE, city_geom))
        province_children.append(city_geom)
    province = AreaSpec(PROVINCE_CODE, PROVINCE_NAME, "province", None, shapely.union_all(province_children))
    specs = [province, *cities, *districts, *streets, *communities, *grid_specs]
    _roll_up(specs)
    return specs


def _build_district(
    rng: np.random.Generator,
    code: str,
    seeds: NDArray[np.float64],
    scaled: NDArray[np.float64],
    cells: NDArray[np.object_],
    members: NDArray[np.int64],
    streets: list[AreaSpec],
    communities: list[AreaSpec],
    grid_specs: list[AreaSpec],
) -> BaseGeometry:
    """Streets, communities and grids of one district (appended to the lists); returns its geometry."""
    street_size = GRIDS_PER_COMMUNITY * COMMUNITIES_PER_STREET
    k = max(1, min(STREETS_PER_DISTRICT * 2, round(len(members) / street_size)))
    labels = _cluster(rng, scaled[members], k)
    street_geoms: list[BaseGeometry] = []
    for s_seq, j in enumerate(_reading_order(seeds[members], labels), start=1):
        s_members = members[labels == j]
        s_code = f"{code}{s_seq:03d}"
        s_name = _name(rng, "街道" if rng.random() < 0.6 else "镇")
        village = s_name.endswith("镇")
        ck = max(1, round(len(s_members) / GRIDS_PER_COMMUNITY))
        c_labels = _cluster(rng, scaled[s_members], ck)
        community_geoms: list[BaseGeometry] = []
        for c_seq, cj in enumerate(_reading_order(seeds[s_members], c_labels), start=1):
            g_members = s_members[c_labels == cj]
            c_code = f"{s_code}{c_seq:03d}"
            c_name = _name(rng, "村" if village and rng.random() < 0.7 else "社区")
            order = _reading_order(seeds[g_members], np.arange(len(g_members)))
            households = rng.integers(260, 560, len(g_members))
            people = households * rng.uniform(2.3, 3.2, len(g_members))
            for g_seq, local in enumerate(order, start=1):
                grid_specs.append(
                    AreaSpec(
                        code=f"{c_code}{g_seq:02d}",
                        name=f"{c_name}{g_seq}号网格",
                        level="grid",
                        parent_code=c_code,
                        geom=cells[g_members[local]],
                        households=int(households[local]),
                        population=int(people[local]),
                    )
                )
            c_geom = shapely.union_all(cells[g_members])
            communities.append(AreaSpec(c_code, c_name, "community", s_code, c_geom))
            community_geoms.append(c_geom)
        s_geom = shapely.union_all(community_geoms)
        streets.append(AreaSpec(s_code, s_name, "street", code, s_geom))
        street_geoms.append(s_geom)
    return shapely.union_all(street_geoms)


def _roll_up(specs: list[AreaSpec]) -> None:
    """Households and population of every parent = sum of its children."""
    by_code = {s.code: s for s in specs}
    for spec in specs:
        if spec.level != "grid":
            spec.households = spec.population = 0
    for level in ("grid", "community", "street", "district", "city"):
        for spec in specs:
            if spec.level == level and spec.parent_code:
                parent = by_code[spec.parent_code]
                parent.households += spec.households
                parent.population += spec.population


def generate_province(
    session: Session, *, seed: int = 2016, step: Step | None = None, grids: int = PROVINCE_GRIDS
) -> list[DemoLogin]:
    """Create the synthetic province (bulk insert) with the demo units and accounts; returns the logins."""
    report = step or (lambda _label, _share: None)
    report("province geometry", 0.0)
    specs = build_province(seed, grids=grids)
    report("areas", 0.5)
    areas.insert_areas(
        session, specs, progress=lambda done, total: report("areas", 0.5 + 0.4 * done / max(total, 1))
    )
    report("units", 0.9)
    _create_units(session)
    report("accounts", 0.95)
    logins = _create_accounts(session, DISTRICT_CODE)
    report("done", 1.0)
    return logins
