"""The module's demo data: a few lights in the first grids of the district (deterministic by seed)."""

from __future__ import annotations

import random
from collections.abc import Callable

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel

from .models import StreetLight

LIGHTS_PER_GRID = 3


def generate(session: Session, *, seed: int, step: Callable[[str, float], None] | None = None) -> None:
    """Lights at random points of each of the first grids' boxes; none broken yet."""
    rng = random.Random(seed + 41)  # its own generator: other modules' data do not depend on this one
    if step:
        step("street lights", 0.0)
    for grid in areas.list_areas(session, level=AreaLevel.GRID)[:10]:
        shape = areas.geometry_of(grid)
        if shape is None:
            continue
        for n in range(LIGHTS_PER_GRID):
            point = _inside(shape, rng)
            code = f"LD-{grid.code}-{n + 1}"
            session.add(StreetLight(code=code, area_code=grid.code, lon=point.x, lat=point.y))
    session.flush()


def _inside(shape: BaseGeometry, rng: random.Random) -> Point:
    """A random point of the grid (its representative point when a few draws miss)."""
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    for _ in range(20):
        point = Point(
            min_lon + (max_lon - min_lon) * rng.random(), min_lat + (max_lat - min_lat) * rng.random()
        )
        if shape.contains(point):
            return point
    return shape.representative_point()
