"""Shared helpers of the cases tests."""

from __future__ import annotations

import shapely
from sqlalchemy.orm import Session

from pingan.areas import service as areas

GRID = "33010800200201"  # the demo grid worker's grid (月明社区, 长河街道 330108002)


def point_in(session: Session, code: str = GRID) -> tuple[float, float]:
    """A WGS-84 point inside an area."""
    geom = shapely.from_wkb(areas.get_area(session, code).geometry)
    p = geom.representative_point()
    return float(p.x), float(p.y)
