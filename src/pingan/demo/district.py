"""The synthetic Binjiang district: 3 streets, ~60 communities, 239 unit grids over the real extent.

Grids are Voronoi cells of relaxed random seeds clipped to an outline of the district south of the
Qiantang River; communities are unions of neighbouring grids and streets unions of communities, so the
tree nests exactly and siblings share edges without gaps or overlaps. Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, mapping
from shapely.geometry.base import BaseGeometry

DISTRICT_CODE = "330108"
DISTRICT_NAME = "滨江区"

# A simplified outline of Binjiang (WGS-84): the Qiantang River bank to the north, Xiaoshan to the south.
OUTLINE = Polygon(
    [
        (120.137, 30.200),
        (120.150, 30.207),
        (120.168, 30.214),
        (120.185, 30.219),
        (120.205, 30.224),
        (120.225, 30.228),
        (120.246, 30.230),
        (120.250, 30.215),
        (120.244, 30.196),
        (120.236, 30.178),
        (120.222, 30.168),
        (120.200, 30.160),
        (120.178, 30.152),
        (120.158, 30.150),
        (120.140, 30.158),
        (120.132, 30.172),
        (120.133, 30.188),
    ]
)


@dataclass(frozen=True)
class StreetPlan:
    code: str
    name: str
    anchor: tuple[float, float]
    communities: int
    names: tuple[str, ...]


STREETS = (
    StreetPlan(
        "330108001",
        "西兴街道",
        (120.222, 30.212),
        22,
        (
            "西兴",
            "岩大房",
            "水电",
            "东信",
            "江三",
            "杜湖",
            "缤纷",
            "星耀",
            "联庄",
            "官河",
            "固陵",
            "湘滨",
            "奥体",
            "闻涛",
            "江晖",
            "滨盛",
            "春晓",
            "西陵",
            "星光",
            "网商",
            "江汉",
            "潮音",
        ),
    ),
    StreetPlan(
        "330108002",
        "长河街道",
        (120.197, 30.180),
        20,
        (
            "长河",
            "月明",
            "江一",
            "塘子堰",
            "山一",
            "山二",
            "星民",
            "汤家井",
            "槐树",
            "秋溢",
            "建设",
            "长江",
            "滨文",
            "江南",
            "伟业",
            "聚才",
            "长二",
            "晶都",
            "钱龙",
            "星辰",
        ),
    ),
    StreetPlan(
        "330108003",
        "浦沿街道",
        (120.155, 30.180),
        18,
        (
            "浦沿",
            "冠山",
            "东冠",
            "杨家墩",
            "新生",
            "浦联",
            "湖塘",
            "六和",
            "火炬",
            "浦乐",
            "钱江",
            "解放",
            "冠二",
            "信诚",
            "丹枫",
            "江虹",
            "浦盛",
            "春江",
        ),
    ),
)
GRID_COUNT = 239


@dataclass
class AreaSpec:
    """One generated area, ready to become a GeoJSON feature."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geom: BaseGeometry
    households: int = 0
    population: int = 0
    properties: dict[str, Any] = field(default_factory=dict)

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": mapping(self.geom),
            "properties": {
                "code": self.code,
                "name": self.name,
                "level": self.level,
                "parent_code": self.parent_code,
                "households": self.households,
                "population": self.population,
                **self.properties,
            },
        }


def _sample_inside(rng: np.random.Generator, polygon: BaseGeometry, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        pts = np.column_stack([rng.uniform(minx, maxx, n * 2), rng.uniform(miny, maxy, n * 2)])
        inside = pts[shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])]
        found.append(inside)
        total += len(inside)
    return np.vstack(found)[:n]


def voronoi_cells(seeds: np.ndarray, clip: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cell of each seed (in seed order), clipped to ``clip``."""
    regions = shapely.voronoi_polygons(MultiPoint([tuple(p) for p in seeds]), extend_to=clip)
    cells = list(regions.geoms)
    tree = shapely.STRtree(cells)
    points = shapely.points(seeds)
    seed_idx, cell_idx = tree.query(points, predicate="within")
    order = np.empty(len(seeds), dtype=np.int64)
    order[seed_idx] = cell_idx
    clipped = shapely.intersection(np.asarray(cells, dtype=object)[order], clip)
    return [_polygonal(g) for g in clipped]


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of a clip result (drop stray lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def relaxed_seeds(rng: np.random.Generator, polygon: BaseGeometry, n: int, rounds: int = 3) -> np.ndarray:
    """Random seeds moved towards their cells' centroids (Lloyd relaxation) for even, compact cells."""
    seeds = _sample_inside(rng, polygon, n)
    for _ in range(rounds):
        cells = voronoi_cells(seeds, polygon)
        centroids = shapely.centroid(np.asarray(cells, dtype=object))
        seeds = np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)])
    return seeds


def _kmeans(rng: np.random.Generator, points: np.ndarray, k: int, rounds: int = 25) -> np.ndarray:
    """Labels of a small deterministic k-means (k-means++ start)."""
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(points[rng.choice(len(points), p=d2 / d2.sum())])
    c = np.asarray(centres)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(rounds):
        labels = ((points[:, None, :] - c[None]) ** 2).sum(-1).argmin(axis=1)
        for j in range(k):
            members = points[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
    return labels


def _grid_order(cells: list[BaseGeometry]) -> list[int]:
    """Number grids north → south in rows, west → east within a row (DB11 convention)."""
    cents = [(c.centroid.x, c.centroid.y) for c in cells]
    return sorted(range(len(cells)), key=lambda i: (-round(cents[i][1] / 0.004), cents[i][0]))


def build_district(seed: int = 2016) -> list[AreaSpec]:
    """The whole tree for the demo district, parents before children."""
    rng = np.random.default_rng(seed)
    seeds = relaxed_seeds(rng, OUTLINE, GRID_COUNT)
    cells = voronoi_cells(seeds, OUTLINE)
    centroids = np.array([(c.centroid.x, c.centroid.y) for c in cells])
    anchors = np.array([s.anchor for s in STREETS])
    street_of = ((centroids[:, None, :] - anchors[None]) ** 2).sum(-1).argmin(axis=1)

    specs: list[AreaSpec] = []
    grid_specs: list[AreaSpec] = []
    community_specs: list[AreaSpec] = []
    street_specs: list[AreaSpec] = []
    for s_idx, plan in enumerate(STREETS):
        members = np.flatnonzero(street_of == s_idx)
        k = min(plan.communities, len(members))
        labels = _kmeans(rng, centroids[members] * [1.0, 1.15], k)
        # name communities west → east so names are stable for a seed
        order = sorted(range(k), key=lambda j: centroids[members[labels == j]][:, 0].mean())
        community_geoms = []
        for seq, j in enumerate(order, start=1):
            c_code = f"{plan.code}{seq:03d}"
            c_name = (plan.names[seq - 1] if seq <= len(plan.names) else f"{plan.name[:2]}{seq}") + "社区"
            grid_idx = [int(i) for i in members[labels == j]]
            grid_cells = [cells[i] for i in grid_idx]
            for g_seq, local in enumerate(_grid_order(grid_cells), start=1):
                households = int(rng.integers(260, 560))
                grid_specs.append(
                    AreaSpec(
                        code=f"{c_code}{g_seq:02d}",
                        name=f"{c_name}{g_seq}号网格",
                        level="grid",
                        parent_code=c_code,
                        geom=grid_cells[local],
                        households=households,
                        population=int(households * rng.uniform(2.3, 3.2)),
                    )
                )
            geom = shapely.union_all(grid_cells)
            community_geoms.append(geom)
            community_specs.append(AreaSpec(c_code, c_name, "community", plan.code, geom))
        street_specs.append(
            AreaSpec(plan.code, plan.name, "street", DISTRICT_CODE, shapely.union_all(community_geoms))
        )
    district_geom = shapely.union_all([s.geom for s in street_specs])
    specs.append(
        AreaSpec(
            DISTRICT_CODE,
            DISTRICT_NAME,
            "district",
            None,
            district_geom,
            properties={"city": "杭州市", "province": "浙江省"},
        )
    )
    specs.extend(street_specs)
    specs.extend(community_specs)
    specs.extend(grid_specs)
    _roll_up(specs)
    return specs


def _roll_up(specs: list[AreaSpec]) -> None:
    """Households and population of every parent = sum of its children."""
    by_code = {s.code: s for s in specs}
    for level in ("community", "street", "district"):
        for spec in specs:
            if spec.level == level:
                spec.households = spec.population = 0
    for level in ("grid", "community", "street"):
        for spec in specs:
            if spec.level == level and spec.parent_code:
                parent = by_code[spec.parent_code]
                parent.households += spec.households
                parent.population += spec.population


def feature_collection(specs: list[AreaSpec]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [s.feature() for s in specs]}
