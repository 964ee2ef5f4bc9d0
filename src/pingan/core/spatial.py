"""Point-in-polygon index for the grid locator.

Rule on boundaries: a point that lies on the boundary of several polygons (a shared edge or corner) belongs
to the polygon that comes first in the index's order (the areas module orders grids by code, so the lowest
grid code wins). The answer is the same on every call and every machine. Points covered by no polygon get -1.
Formally: the answer is the lowest index among the polygons whose closure (interior or boundary) contains the
point, or -1.

Two implementations give identical answers:

- :class:`StrTreeIndex`, the reference: a shapely STRtree queried with the ``intersects`` predicate.
- :class:`PolygonIndex`, the fast one used by the locator: a lookup table over a raster of the polygons'
  extent. Each raster cell is classified at build time as *outside* (no polygon touches the cell),
  *pure* (exactly one polygon covers the whole cell and no boundary passes through it: the answer is stored
  directly) or *boundary* (some polygon boundary passes through the cell: the cell keeps the short list of
  polygons that may contain its points). Points in a boundary cell crossed by a single edge between two
  polygons are answered by an exact orientation test against that edge (Shewchuk's filtered predicate: only
  a point whose side cannot be decided in floating point, i.e. one on or within rounding of the edge, goes
  on); the rest get an exact test with shapely's prepared geometries against their cell's candidates.
  Cells are classified with a small safety margin (1e-7 of a cell) so that rounding in the point → cell
  arithmetic can never put a point in a cell whose classification does not hold for it. Cells covered by
  more than one polygon (overlapping input) fall back to the reference for their points.

The raster resolution is chosen from the number of polygons (about 16,000 cells per polygon) within a memory
budget (``max_bytes``, 64 MB by default): 30% of it for the table (2 bytes per cell while there are fewer
than 65,533 polygons, else 4), the rest for the boundary cells' candidate lists. A 60,000-grid province
builds in a few seconds into about 60 MB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

_OUTSIDE = -1
_FALLBACK = -2  # covered by several polygons (overlap): ask the reference
_BOUNDARY = -3  # a boundary passes through: test the cell's candidates
_MARGIN = 1e-7  # in cells


def _unique(values: Ints, *, runs: bool = False, presorted: bool = False) -> Ints:
    """Sorted unique values (sort-based: much faster than numpy's hash path for millions of int64).

    ``runs``: the input is a concatenation of sorted runs (a stable sort merges them in about linear time);
    ``presorted``: the input is sorted already.
    """
    if not presorted:
        values = np.sort(values, kind="stable" if runs else None)
    if values.size == 0:
        return values
    keep = np.ones(values.shape[0], dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _first_per_point(point_idx: Ints, poly_idx: Ints, size: int) -> Ints:
    """For (point, polygon) hits, the lowest polygon index per point (-1 for points without a hit)."""
    result = np.full(size, -1, dtype=np.int64)
    if point_idx.size == 0:
        return result
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.ones(point_idx.shape[0], dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    result[point_idx[first]] = poly_idx[first]
    return result


class StrTreeIndex:
    """Reference implementation: an STRtree queried with ``intersects``, lowest index on ties."""

    def __init__(self, geometries: Sequence[BaseGeometry]) -> None:
        self.geometries = np.asarray(list(geometries), dtype=object)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.geometries)

    def locate(self, lon: Floats, lat: Floats) -> Ints:
        """Index of the polygon covering each point, or -1."""
        lon = np.asarray(lon, dtype=np.float64).ravel()
        lat = np.asarray(lat, dtype=np.float64).ravel()
        if lon.size == 0 or len(self) == 0:
            return np.full(lon.shape[0], -1, dtype=np.int64)
        pairs = self.tree.query(shapely.points(lon, lat), predicate="intersects")
        return _first_per_point(pairs[0].astype(np.int64), pairs[1].astype(np.int64), lon.shape[0])

    def locate_one(self, lon: float, lat: float) -> int:
        """Index of the polygon covering one point, or -1."""
        return int(self.locate(np.array([lon]), np.array([lat]))[0])


_CCW_ERRBOUND = (3.0 + 16.0 * 2.0**-53) * 2.0**-53  # Shewchuk's orient2d error bound A


@dataclass
class _Segments:
    u0: Floats
    v0: Floats
    u1: Floats
    v1: Floats
    owner: Ints


@dataclass
class _Edges:
    """Distinct edges (a segment shared by two rings appears once), oriented lo → hi."""

    u0: Floats
    v0: Floats
    u1: Floats
    v1: Floats
    coords: Floats  # (n, 4): lo x, lo y, hi x, hi y in degrees
    count: Ints  # ring segments on this edge
    start: Ints  # first of them in `segments`
    segments: Ints  # segment numbers grouped by edge
    left: Ints  # a polygon left of lo → hi (-1: none)
    right: Ints
    simple: NDArray[np.bool_]  # exactly one polygon on each side
    open: NDArray[np.bool_]  # no polygon on one side


@dataclass(frozen=True)
class IndexStats:
    """What a built :class:`PolygonIndex` looks like (for benchmarks and logs)."""

    polygons: int
    nx: int
    ny: int
    boundary_cells: int
    candidates: int
    fallback_cells: int
    nbytes: int
    build_seconds: float

    @property
    def cells(self) -> int:
        return self.nx * self.ny


class PolygonIndex:
    """Locate many points in a set of polygons (vectorised raster lookup, exact on boundaries)."""

    def __init__(
        self,
        geometries: Sequence[BaseGeometry],
        *,
        max_bytes: int = 64 << 20,
        cells_per_polygon: int = 16_384,
        min_cells: int = 1 << 20,
    ) -> None:
        import time

        started = time.perf_counter()
        self.geometries = np.asarray(list(geometries), dtype=object)
        for geom in self.geometries:
            if not (geom is None or geom.is_empty or geom.geom_type in ("Polygon", "MultiPolygon")):
                raise ValueError(f"PolygonIndex takes polygons, not {geom.geom_type}")
        shapely.prepare(self.geometries)
        self._reference: StrTreeIndex | None = None
        # the table holds 0 (outside), polygon index + 1, or a marker at the top of the range: 2 bytes while
        # that fits
        self.dtype = np.dtype(np.uint16) if len(self.geometries) + 3 <= 1 << 16 else np.dtype(np.uint32)
        self.top = int(np.iinfo(self.dtype).max)
        # 30% of the memory budget for the table, the rest for the boundary cells' candidates and lines
        self._build(max(64, int(max_bytes * 0.3) // self.dtype.itemsize), cells_per_polygon, min_cells)
        self.build_seconds = time.perf_counter() - started

    def __len__(self) -> int:
        return len(self.geometries)

    @property
    def reference(self) -> StrTreeIndex:
        """The STRtree reference over the same polygons (built on first use)."""
        if self._reference is None:
            self._reference = StrTreeIndex(list(self.geometries))
        return self._reference

    # --- building -------------------------------------------------------------------------------------

    def _build(self, max_cells: int, cells_per_polygon: int, min_cells: int) -> None:
        n = len(self.geometries)
        bounds = shapely.bounds(self.geometries) if n else np.empty((0, 4))
        valid = np.isfinite(bounds).all(axis=1) if n else np.zeros(0, dtype=bool)
        self.nx = self.ny = 0
        self.table = np.zeros((0, 0), dtype=self.dtype)
        self.cell_ids = np.zeros(0, dtype=np.int64)
        self.starts = np.zeros(1, dtype=np.int32)
        self.candidates = np.zeros(0, dtype=np.int32)
        self.implied = np.zeros(0, dtype=np.uint8)
        self.line_edge = np.zeros(0, dtype=np.int32)
        self.line_coords = np.zeros((0, 4))
        self.line_sides = np.zeros((0, 2), dtype=np.int32)
        self.fallback_cells = 0
        if not valid.any():
            self.x0 = self.y0 = self.x1 = self.y1 = 0.0
            self.sx = self.sy = 1.0
            return
        x0, y0 = float(bounds[valid, 0].min()), float(bounds[valid, 1].min())
        x1, y1 = float(bounds[valid, 2].max()), float(bounds[valid, 3].max())
        width = max(x1 - x0, 1e-9)
        height = max(y1 - y0, 1e-9)
        target = int(min(max_cells, max(min(min_cells, max_cells), n * cells_per_polygon)))
        # square cells on the ground: a degree of longitude is cos(lat) of a degree of latitude
        aspect = max(math.cos(math.radians((y0 + y1) / 2)), 0.05)
        ch = math.sqrt(width * height * aspect / target)
        cw = ch / aspect
        # pad the raster by 1.5 cells on every side: its first and last rows and columns are then outside
        # every polygon, so points beyond the raster can simply be clamped onto them
        self.x0, self.x1 = x0 - 1.5 * cw, x1 + 1.5 * cw
        self.y0, self.y1 = y0 - 1.5 * ch, y1 + 1.5 * ch
        self.nx = max(3, int(math.ceil((self.x1 - self.x0) / cw)))
        self.ny = max(3, int(math.ceil((self.y1 - self.y0) / ch)))
        self.sx = self.nx / (self.x1 - self.x0)
        self.sy = self.ny / (self.y1 - self.y0)

        seg, edges = self._segments()
        u0, v0, u1, v1, poly = seg.u0, seg.v0, seg.u1, seg.v1, seg.owner
        n_edges = edges.count.shape[0]
        # every (cell, edge) pair an edge passes through, then the (cell, polygon) pairs of the edges' owners
        edge_keys = self._boundary_pairs(
            edges.u0, edges.v0, edges.u1, edges.v1, np.arange(n_edges, dtype=np.int64), n_edges
        )
        edge_cells, edge_ids = edge_keys // n_edges, edge_keys % n_edges
        per = edges.count[edge_ids]
        rep_cell = np.repeat(edge_cells, per)
        offsets = np.cumsum(per) - per
        j = np.arange(rep_cell.shape[0]) - np.repeat(offsets, per)
        owners = poly[edges.segments[np.repeat(edges.start[edge_ids], per) + j]]
        boundary_keys = _unique(rep_cell * n + owners)
        del per, rep_cell, offsets, j, owners
        count, ident = self._full_cover(u0, v0, u1, v1, poly)
        table = np.where(count == 0, _OUTSIDE, np.where(count == 1, ident, _FALLBACK)).astype(np.int32)
        table = table.ravel()
        del count, ident
        cells = boundary_keys // n
        polys = boundary_keys % n
        # a polygon covering a boundary cell whole (only with overlapping input) is a candidate too
        boundary_cells = _unique(cells, presorted=True)
        cover = table[boundary_cells]
        whole = cover >= 0
        if whole.any():
            keys = np.concatenate([boundary_keys, boundary_cells[whole] * n + cover[whole].astype(np.int64)])
            keys = _unique(keys, runs=True)
            cells, polys = keys // n, keys % n
        fallback = boundary_cells[cover == _FALLBACK]
        # CSR lists of candidates per boundary cell, ascending polygon index
        first = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]]) if cells.size else np.zeros(0, np.int64)
        cell_ids = cells[first]
        n_cand = np.diff(np.append(first, cells.shape[0]))
        self.starts = np.append(first, cells.shape[0]).astype(np.int32)
        self.candidates = polys.astype(np.int32)
        # A boundary cell all of whose edges have a polygon on both sides (no outer edge, hole or gap passes
        # through it) is covered by its candidates: a point in none of the others lies in the last one.
        open_cells = _unique(edge_cells[edges.open[edge_ids]], presorted=True)
        implied = ~np.isin(cell_ids, open_cells, assume_unique=True)
        self.implied = implied.astype(np.uint8)
        # A covered cell crossed by a single edge between exactly two polygons (its only candidates) is split
        # by that edge's line: an exact orientation test answers its points (GEOS only for the undecided).
        e_first = np.flatnonzero(np.r_[True, edge_cells[1:] != edge_cells[:-1]])
        if not edge_cells.size:
            e_first = e_first[:0]
        e_count = np.diff(np.append(e_first, edge_cells.shape[0]))
        single = e_first[e_count == 1]
        slot = np.searchsorted(cell_ids, edge_cells[single])
        edge = edge_ids[single]
        ok = edges.simple[edge] & implied[slot] & (n_cand[slot] == 2)
        used = _unique(edge[ok])
        remap = np.full(n_edges, -1, dtype=np.int32)
        remap[used] = np.arange(used.shape[0], dtype=np.int32)
        self.line_edge = np.full(cell_ids.shape[0], -1, dtype=np.int32)
        self.line_edge[slot[ok]] = remap[edge[ok]]
        self.line_coords = edges.coords[used]
        self.line_sides = np.column_stack([edges.left[used], edges.right[used]]).astype(np.int32)
        self.cell_ids = cell_ids.astype(np.int32 if self.nx * self.ny < 1 << 31 else np.int64)
        table[cell_ids] = _BOUNDARY
        table[fallback] = _FALLBACK
        self.fallback_cells = int((table == _FALLBACK).sum())
        # stored as value + 1 (outside → 0), markers at the top: boundary → top, fallback → top - 1
        encoded = np.where(table >= _OUTSIDE, table + 1, np.where(table == _BOUNDARY, self.top, self.top - 1))
        self.table = encoded.astype(self.dtype).reshape(self.ny, self.nx)
        border = np.concatenate([self.table[0], self.table[-1], self.table[:, 0], self.table[:, -1]])
        if border.any():  # cannot happen with the padding above; never answer wrongly
            raise RuntimeError("grid index border is not empty")

    def _segments(self) -> tuple[_Segments, _Edges]:
        """Every ring segment in cell units with its polygon, and the distinct edges with their sides."""
        parts, part_owner = shapely.get_parts(self.geometries, return_index=True)
        rings: list[NDArray[np.object_]] = []
        owners: list[Ints] = []
        holes: list[NDArray[np.bool_]] = []
        exteriors = shapely.get_exterior_ring(parts)
        ok = ~shapely.is_empty(exteriors)
        rings.append(exteriors[ok])
        owners.append(part_owner[ok])
        holes.append(np.zeros(int(ok.sum()), dtype=bool))
        n_int = shapely.get_num_interior_rings(parts)
        if n_int.sum():
            for k in range(int(n_int.max())):
                has = n_int > k
                rings.append(shapely.get_interior_ring(parts[has], k))
                owners.append(part_owner[has])
                holes.append(np.ones(int(has.sum()), dtype=bool))
        all_rings = np.concatenate(rings)
        ring_owner = np.concatenate(owners).astype(np.int64)
        # the polygon lies left of a ring's direction for a counter-clockwise shell or a clockwise hole
        ring_left = shapely.is_ccw(all_rings) ^ np.concatenate(holes)
        coords, ring_idx = shapely.get_coordinates(all_rings, return_index=True)
        same = ring_idx[1:] == ring_idx[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        seg_ring = ring_idx[:-1][same]
        owner = ring_owner[seg_ring]
        # distinct edges: the same segment in either direction, oriented lo → hi
        swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
        lo = np.where(swap[:, None], b, a)
        hi = np.where(swap[:, None], a, b)
        order = np.lexsort((hi[:, 1], hi[:, 0], lo[:, 1], lo[:, 0]))
        key = np.column_stack([lo, hi])[order]
        new = np.ones(key.shape[0], dtype=bool)
        new[1:] = (key[1:] != key[:-1]).any(axis=1)
        edge_of = np.empty(key.shape[0], dtype=np.int64)
        edge_of[order] = np.cumsum(new) - 1
        n_edges = int(new.sum())
        start = np.flatnonzero(new)
        count = np.diff(np.append(start, key.shape[0]))
        left_side = ring_left[seg_ring] ^ swap  # the polygon lies left of lo → hi
        lefts = np.bincount(edge_of, weights=left_side, minlength=n_edges).astype(np.int64)
        rights = count - lefts
        left = np.full(n_edges, -1, dtype=np.int64)
        right = np.full(n_edges, -1, dtype=np.int64)
        left[edge_of[left_side]] = owner[left_side]
        right[edge_of[~left_side]] = owner[~left_side]
        u = (coords[:, 0] - self.x0) * self.sx
        v = (coords[:, 1] - self.y0) * self.sy
        su0, sv0, su1, sv1 = u[:-1][same], v[:-1][same], u[1:][same], v[1:][same]
        rep = order[start]
        edges = _Edges(
            u0=su0[rep],
            v0=sv0[rep],
            u1=su1[rep],
            v1=sv1[rep],
            coords=key[start],
            count=count,
            start=start,
            segments=order,
            left=left,
            right=right,
            simple=(count == 2) & (lefts == 1) & (rights == 1) & (left != right),
            open=(lefts == 0) | (rights == 0),
        )
        return _Segments(su0, sv0, su1, sv1, owner), edges

    def _boundary_pairs(
        self, u0: Floats, v0: Floats, u1: Floats, v1: Floats, ids: Ints, modulus: int
    ) -> Ints:
        """Sorted unique keys cell * modulus + id for every cell a segment passes through (conservative)."""
        n = modulus
        pieces = np.maximum(1, np.ceil(np.maximum(np.abs(u1 - u0), np.abs(v1 - v0)))).astype(np.int64)
        keys: list[Ints] = []
        chunk = 1 << 20
        seg_start = 0
        total = u0.shape[0]
        while seg_start < total:
            # take whole segments until about `chunk` pieces
            cum = np.cumsum(pieces[seg_start:])
            seg_end = seg_start + max(1, int(np.searchsorted(cum, chunk)))
            seg_end = min(seg_end, total)
            keys.append(self._chunk_pairs(u0, v0, u1, v1, ids, pieces, seg_start, seg_end, n))
            seg_start = seg_end
        if not keys:
            return np.zeros(0, dtype=np.int64)
        return _unique(np.concatenate(keys), runs=True)

    def _chunk_pairs(
        self,
        u0: Floats,
        v0: Floats,
        u1: Floats,
        v1: Floats,
        poly: Ints,
        pieces: Ints,
        start: int,
        end: int,
        n: int,
    ) -> Ints:
        p = pieces[start:end]
        seg = np.repeat(np.arange(start, end), p)
        offsets = np.cumsum(p) - p
        j = np.arange(seg.shape[0]) - np.repeat(offsets, p)
        pp = p[seg - start].astype(np.float64)
        t0, t1 = j / pp, (j + 1) / pp
        du, dv = u1[seg] - u0[seg], v1[seg] - v0[seg]
        a_u, b_u = u0[seg] + t0 * du, u0[seg] + t1 * du
        a_v, b_v = v0[seg] + t0 * dv, v0[seg] + t1 * dv
        m = 2 * _MARGIN
        lo_c = np.floor(np.minimum(a_u, b_u) - m).astype(np.int64)
        hi_c = np.floor(np.maximum(a_u, b_u) + m).astype(np.int64)
        lo_r = np.floor(np.minimum(a_v, b_v) - m).astype(np.int64)
        hi_r = np.floor(np.maximum(a_v, b_v) + m).astype(np.int64)
        owner = poly[seg]
        out: list[Ints] = []
        for dr in range(3):
            r = lo_r + dr
            for dc in range(3):
                c = lo_c + dc
                ok = (r <= hi_r) & (c <= hi_c) & (r >= 0) & (r < self.ny) & (c >= 0) & (c < self.nx)
                out.append((r[ok] * self.nx + c[ok]) * n + owner[ok])
        return _unique(np.concatenate(out))

    def _full_cover(
        self, u0: Floats, v0: Floats, u1: Floats, v1: Floats, poly: Ints
    ) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """Per cell: how many polygons cover the cell's centre line whole, and the sum of their indices."""
        lo_v, hi_v = np.minimum(v0, v1), np.maximum(v0, v1)
        # rows whose centre line r + 0.5 lies in [lo_v, hi_v) (half-open: each vertex counted once)
        r_first = np.ceil(lo_v - 0.5).astype(np.int64)
        r_last = np.ceil(hi_v - 0.5).astype(np.int64) - 1
        r_first = np.maximum(r_first, 0)
        r_last = np.minimum(r_last, self.ny - 1)
        k = np.maximum(r_last - r_first + 1, 0)
        seg = np.repeat(np.arange(u0.shape[0]), k)
        offsets = np.cumsum(k) - k
        rows = r_first[seg] + (np.arange(seg.shape[0]) - np.repeat(offsets, k))
        yc = rows + 0.5
        x = u0[seg] + (yc - v0[seg]) * (u1[seg] - u0[seg]) / (v1[seg] - v0[seg])
        owner = poly[seg]
        order = np.lexsort((x, owner * self.ny + rows))
        x, rows, owner = x[order], rows[order], owner[order]
        # consecutive crossings of one polygon on one row pair up into inside spans (even-odd)
        xa, xb, rr, oo = x[0::2], x[1::2], rows[0::2], owner[0::2]
        h = _MARGIN / 2
        c_lo = np.maximum(np.ceil(xa + h).astype(np.int64), 0)
        c_hi = np.minimum(np.floor(xb - 1 - h).astype(np.int64), self.nx - 1)
        ok = c_lo <= c_hi
        c_lo, c_hi, rr, oo = c_lo[ok], c_hi[ok], rr[ok], oo[ok]
        width = self.nx + 1
        size = self.ny * width
        start_idx = rr * width + c_lo
        end_idx = rr * width + c_hi + 1
        # difference arrays along each row, summed up (int32 arithmetic wraps harmlessly: a sum of indices
        # is only used where exactly one polygon covers the cell, and that index fits)
        count = np.zeros(size, dtype=np.int32)
        ident = np.zeros(size, dtype=np.int32)
        np.add.at(count, start_idx, 1)
        np.add.at(count, end_idx, -1)
        oo32 = oo.astype(np.int32)
        np.add.at(ident, start_idx, oo32)
        np.add.at(ident, end_idx, -oo32)
        count_sum = np.cumsum(count.reshape(self.ny, width), axis=1, dtype=np.int32)[:, : self.nx]
        ident_sum = np.cumsum(ident.reshape(self.ny, width), axis=1, dtype=np.int32)[:, : self.nx]
        return count_sum, ident_sum

    # --- querying -------------------------------------------------------------------------------------

    @property
    def stats(self) -> IndexStats:
        return IndexStats(
            polygons=len(self),
            nx=self.nx,
            ny=self.ny,
            boundary_cells=int(self.starts.shape[0] - 1),
            candidates=int(self.candidates.shape[0]),
            fallback_cells=self.fallback_cells,
            nbytes=int(
                self.table.nbytes
                + self.cell_ids.nbytes
                + self.starts.nbytes
                + self.candidates.nbytes
                + self.implied.nbytes
                + self.line_edge.nbytes
                + self.line_coords.nbytes
                + self.line_sides.nbytes
            ),
            build_seconds=self.build_seconds,
        )

    def locate(self, lon: Floats, lat: Floats) -> Ints:
        """Index of the polygon covering each point, or -1."""
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        if x.shape[0] == 0 or self.nx == 0:
            return np.full(x.shape[0], -1, dtype=np.int64)
        flat = self._flat(x, y)
        value = np.take(self.table.reshape(-1), flat)
        result = value.astype(np.int64)
        result -= 1
        special = np.flatnonzero(value >= self.top - 1)
        if special.size:
            boundary = value[special] == self.top
            fb = special[~boundary]
            if fb.size:
                result[fb] = self.reference.locate(x[fb], y[fb])
            bd = special[boundary]
            slots = np.searchsorted(self.cell_ids, flat[bd].astype(self.cell_ids.dtype))
            result[bd] = self._exact(x[bd], y[bd], slots)
        return result

    def _flat(self, x: Floats, y: Floats) -> NDArray[np.intp]:
        """The flat cell index of each point (points beyond the raster, NaN too, land on its empty border)."""
        with np.errstate(invalid="ignore"):
            u = x - self.x0
            u *= self.sx
            col = u.astype(np.intp)
            del u
            np.clip(col, 0, self.nx - 1, out=col)
            v = y - self.y0
            v *= self.sy
            row = v.astype(np.intp)
            del v
            np.clip(row, 0, self.ny - 1, out=row)
        row *= self.nx
        row += col
        return row

    def _exact(self, x: Floats, y: Floats, slots: Ints) -> Ints:
        """Exact answer for points in boundary cells: lowest index among the candidates containing them."""
        result = np.full(x.shape[0], -1, dtype=np.int64)
        todo = np.arange(x.shape[0])
        line = self.line_edge[slots]
        on_line = np.flatnonzero(line >= 0)
        if on_line.size:
            # Shewchuk's filtered orientation test: the sign of det is certain when |det| exceeds the bound
            e = line[on_line]
            ax, ay, bx, by = (self.line_coords[e, k] for k in range(4))
            px, py = x[on_line], y[on_line]
            det_left = (ax - px) * (by - py)
            det_right = (ay - py) * (bx - px)
            det = det_left - det_right
            bound = _CCW_ERRBOUND * (np.abs(det_left) + np.abs(det_right))
            left, right = det > bound, -det > bound
            result[on_line[left]] = self.line_sides[e[left], 0]
            result[on_line[right]] = self.line_sides[e[right], 1]
            decided = np.zeros(x.shape[0], dtype=bool)
            decided[on_line[left | right]] = True
            todo = np.flatnonzero(~decided)
        if todo.size:
            result[todo] = self._candidates_test(x[todo], y[todo], slots[todo])
        return result

    def _candidates_test(self, x: Floats, y: Floats, slots: Ints) -> Ints:
        """Test each point against its cell's candidates with prepared geometries; lowest index wins."""
        begin = self.starts[slots].astype(np.int64)
        end = self.starts[slots + 1].astype(np.int64)
        implied = self.implied[slots].astype(np.int64)
        # in a covered cell the last candidate needs no test: it is the answer when no other one hits
        result = np.where(implied == 1, self.candidates[end - 1], -1).astype(np.int64)
        k = end - begin - implied
        point = np.repeat(np.arange(x.shape[0]), k)
        offsets = np.cumsum(k) - k
        pos = np.repeat(begin, k) + (np.arange(point.shape[0]) - np.repeat(offsets, k))
        cand = self.candidates[pos].astype(np.int64)
        hit = shapely.intersects_xy(self.geometries[cand], x[point], y[point])
        # candidates are ascending per cell, so the first hit of each point is the lowest index
        hp, hc = point[hit], cand[hit]
        if hp.size:
            first = np.ones(hp.shape[0], dtype=bool)
            first[1:] = hp[1:] != hp[:-1]
            result[hp[first]] = hc[first]
        return result

    def locate_one(self, lon: float, lat: float) -> int:
        """Index of the polygon covering one point, or -1."""
        if self.nx == 0 or not (math.isfinite(lon) and math.isfinite(lat)):
            return -1
        c = min(max(int((lon - self.x0) * self.sx), 0), self.nx - 1)
        r = min(max(int((lat - self.y0) * self.sy), 0), self.ny - 1)
        value = int(self.table[r, c])
        if value < self.top - 1:
            return value - 1
        if value == self.top - 1:
            return self.reference.locate_one(lon, lat)
        slot = int(np.searchsorted(self.cell_ids, r * self.nx + c))
        found = self.candidates[self.starts[slot] : self.starts[slot + 1]].tolist()
        last = int(found.pop()) if self.implied[slot] else -1
        for i in found:
            if shapely.intersects_xy(self.geometries[i], lon, lat):
                return int(i)
        return last
