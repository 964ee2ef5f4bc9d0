"""Area geometry: sizes in m², a stored boundary read back and written."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from pingan.areas.models import Area


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


def set_boundary(area: Area, geom: BaseGeometry) -> None:
    """Store a boundary with its bounding box and area."""
    area.geometry = shapely.to_wkb(geom)
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = geom.bounds
    area.area_m2 = approx_area_m2(geom)
