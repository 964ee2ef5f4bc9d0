"""Point-in-polygon index for the grid locator.

Rule on boundaries: a point that lies on the boundary of several polygons (a shared edge or corner) belongs
to the polygon that comes first in the index's order (the areas module orders grids by code, so the lowest
grid code wins). The answer is the same on every call and every machine. Points covered by no polygon get -1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

Ints = NDArray[np.int64]


class PolygonIndex:
    """Locate many points in a set of non-overlapping polygons (vectorised)."""

    def __init__(self, geometries: Sequence[BaseGeometry]) -> None:
        self.geometries = np.asarray(list(geometries), dtype=object)
        for geom in self.geometries:
            shapely.prepare(geom)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.geometries)

    def locate(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Ints:
        """Index of the polygon covering each point, or -1."""
        lon = np.asarray(lon, dtype=np.float64).ravel()
        lat = np.asarray(lat, dtype=np.float64).ravel()
        result = np.full(lon.shape[0], -1, dtype=np.int64)
        if lon.size == 0 or len(self) == 0:
            return result
        points = shapely.points(lon, lat)
        pairs = self.tree.query(points, predicate="intersects")
        if pairs.shape[1] == 0:
            return result
        point_idx, poly_idx = pairs[0], pairs[1]
        # several hits for one point only happen on shared boundaries: keep the lowest polygon index
        order = np.lexsort((poly_idx, point_idx))
        point_idx, poly_idx = point_idx[order], poly_idx[order]
        first = np.ones(point_idx.shape[0], dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        result[point_idx[first]] = poly_idx[first]
        return result

    def locate_one(self, lon: float, lat: float) -> int:
        """Index of the polygon covering one point, or -1."""
        return int(self.locate(np.array([lon]), np.array([lat]))[0])
