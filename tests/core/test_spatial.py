"""The raster grid index must give exactly the reference (STRtree) answers, boundaries included."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from pingan.core.spatial import PolygonIndex, StrTreeIndex
from pingan.demo.district import build_district, voronoi_cells


def district_grids() -> list[BaseGeometry]:
    grids = sorted((s for s in build_district(2016) if s.level == "grid"), key=lambda s: s.code)
    return [s.geom for s in grids]


GRIDS = district_grids()
DISTRICT_INDEX = PolygonIndex(GRIDS)
DISTRICT_REFERENCE = StrTreeIndex(GRIDS)


def assert_same(index: PolygonIndex, reference: StrTreeIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    got = index.locate(x, y)
    want = reference.locate(x, y)
    np.testing.assert_array_equal(got, want)
    for i in range(min(len(x), 200)):
        assert index.locate_one(float(x[i]), float(y[i])) == want[i]
    return want


def box_tiling(xs: list[float], ys: list[float]) -> list[BaseGeometry]:
    """Rectangles between consecutive x and y breaks: every edge is shared exactly."""
    x_pairs = list(zip(xs[:-1], xs[1:], strict=True))
    y_pairs = list(zip(ys[:-1], ys[1:], strict=True))
    return [box(x0, y0, x1, y1) for x0, x1 in x_pairs for y0, y1 in y_pairs]


breaks = st.lists(
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=3, max_size=7, unique=True
).map(sorted)


class TestLocate:
    def test_random_points_over_the_demo_district(self) -> None:
        rng = np.random.default_rng(11)
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(GRIDS))
        x = rng.uniform(x0 - 0.01, x1 + 0.01, 200_000)
        y = rng.uniform(y0 - 0.01, y1 + 0.01, 200_000)
        found = assert_same(DISTRICT_INDEX, DISTRICT_REFERENCE, x, y)
        assert (found >= 0).mean() > 0.4 and (found == -1).any()

    def test_every_vertex_of_the_demo_district(self) -> None:
        coords = shapely.get_coordinates(np.asarray(GRIDS))
        found = assert_same(DISTRICT_INDEX, DISTRICT_REFERENCE, coords[:, 0], coords[:, 1])
        assert (found >= 0).all()

    def test_points_on_and_next_to_edges_of_the_demo_district(self) -> None:
        coords = shapely.get_coordinates(np.asarray(GRIDS))
        a, b = coords[:-1], coords[1:]
        t = np.random.default_rng(5).uniform(0, 1, (len(a), 1))
        on = a + t * (b - a)
        for eps in (0.0, 1e-12, -1e-12, 1e-9):
            assert_same(DISTRICT_INDEX, DISTRICT_REFERENCE, on[:, 0] + eps, on[:, 1] - eps)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(xs=breaks, ys=breaks, data=st.data())
    def test_points_exactly_on_shared_edges_and_corners(
        self, xs: list[float], ys: list[float], data: st.DataObject
    ) -> None:
        polygons = box_tiling(xs, ys)
        order = data.draw(st.permutations(range(len(polygons))))
        polygons = [polygons[i] for i in order]
        index = PolygonIndex(polygons, min_cells=data.draw(st.sampled_from([64, 4096, 1 << 16])))
        reference = StrTreeIndex(polygons)
        corners = np.array([(x, y) for x in xs for y in ys])
        along_x = np.array([(x, data.draw(st.floats(ys[0], ys[-1]))) for x in xs])
        along_y = np.array([(data.draw(st.floats(xs[0], xs[-1])), y) for y in ys])
        points = np.vstack([corners, along_x, along_y])
        found = assert_same(index, reference, points[:, 0], points[:, 1])
        assert (found >= 0).all()

    @settings(max_examples=25, deadline=None)
    @given(seed=st.integers(0, 10_000), n=st.integers(2, 60), cells=st.sampled_from([256, 4096, 1 << 18]))
    def test_random_voronoi_tilings(self, seed: int, n: int, cells: int) -> None:
        rng = np.random.default_rng(seed)
        outline = Polygon([(0, 0), (1, 0.2), (1.2, 1), (0.5, 1.3), (-0.1, 0.8)])
        seeds = np.column_stack([rng.uniform(0, 1, n * 3), rng.uniform(0, 1.2, n * 3)])
        seeds = seeds[shapely.contains_xy(outline, seeds[:, 0], seeds[:, 1])][:n]
        if len(seeds) < 2:
            return
        polygons = voronoi_cells(seeds, outline)
        index = PolygonIndex(polygons, min_cells=cells, cells_per_polygon=16)
        reference = StrTreeIndex(polygons)
        coords = shapely.get_coordinates(np.asarray(polygons))
        t = rng.uniform(0, 1, (len(coords) - 1, 1))
        along = coords[:-1] + t * (coords[1:] - coords[:-1])  # on (or within rounding of) the edges
        nudge = rng.choice([0.0, 1e-15, -1e-15, 1e-13], size=along.shape)
        x = np.concatenate([rng.uniform(-0.2, 1.3, 3000), coords[:, 0], along[:, 0] + nudge[:, 0]])
        y = np.concatenate([rng.uniform(-0.1, 1.4, 3000), coords[:, 1], along[:, 1] + nudge[:, 1]])
        assert_same(index, reference, x, y)

    def test_lowest_index_wins_on_a_shared_edge(self) -> None:
        left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
        assert PolygonIndex([left, right]).locate_one(1.0, 0.5) == 0
        assert PolygonIndex([right, left]).locate_one(1.0, 0.5) == 0
        assert PolygonIndex([right, left]).locate_one(0.5, 0.5) == 1

    def test_holes_multipolygons_and_outside(self) -> None:
        ring = box(0, 0, 3, 3).difference(box(1, 1, 2, 2))
        islands = MultiPolygon([box(1.2, 1.2, 1.4, 1.4), box(1.6, 1.6, 1.8, 1.8)])
        polygons = [ring, islands]
        index, reference = PolygonIndex(polygons, min_cells=400), StrTreeIndex(polygons)
        rng = np.random.default_rng(2)
        x, y = rng.uniform(-1, 4, 20_000), rng.uniform(-1, 4, 20_000)
        found = assert_same(index, reference, x, y)
        assert {-1, 0, 1} <= set(found.tolist())
        assert index.locate_one(1.5, 1.5) == -1  # in the hole, between the islands
        assert index.locate_one(1.3, 1.3) == 1
        assert index.locate_one(1.0, 1.5) == 0  # on the hole's edge: the ring's closure

    def test_overlapping_polygons_fall_back_to_the_lowest_index(self) -> None:
        polygons = [box(0, 0, 2, 2), box(1, 1, 3, 3), box(0.5, 0.5, 0.6, 0.6)]
        index, reference = PolygonIndex(polygons, min_cells=1024), StrTreeIndex(polygons)
        rng = np.random.default_rng(3)
        x, y = rng.uniform(-0.5, 3.5, 20_000), rng.uniform(-0.5, 3.5, 20_000)
        assert_same(index, reference, x, y)
        assert index.stats.fallback_cells > 0
        assert index.locate_one(1.5, 1.5) == 0
        assert index.locate_one(0.55, 0.55) == 0

    def test_empty_inputs_and_bad_points(self) -> None:
        assert PolygonIndex([]).locate(np.array([1.0]), np.array([2.0])).tolist() == [-1]
        assert PolygonIndex([]).locate_one(1.0, 2.0) == -1
        assert DISTRICT_INDEX.locate(np.array([]), np.array([])).shape == (0,)
        nan = DISTRICT_INDEX.locate(np.array([np.nan, 120.2]), np.array([30.2, np.nan]))
        assert nan.tolist() == [-1, -1]

    def test_rejects_non_polygons(self) -> None:
        with pytest.raises(ValueError, match="polygons"):
            PolygonIndex([shapely.Point(0, 0)])


class TestStats:
    def test_memory_is_bounded(self) -> None:
        stats = PolygonIndex(GRIDS, max_bytes=200_000).stats  # 100 kB for the table: 50,000 cells
        assert stats.cells <= 60_000  # the cap plus a padding of 1.5 cells on each side
        assert stats.polygons == len(GRIDS)
        assert stats.nbytes < 2_000_000
