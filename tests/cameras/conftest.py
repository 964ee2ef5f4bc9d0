"""Cameras of the tests: IDs under a test centre code (no demo camera uses serials ≥ 900000), made through the
service as the system actor in the demo grid worker's grid (长河街道) or a grid of 西兴街道."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.cameras import gbid, service
from pingan.cameras.models import Camera
from pingan.core.security import Actor
from tests.factories import actor
from tests.grids.conftest import point_in

SYSTEM = Actor.system("tests")
_serials = itertools.count(900001)


def new_id(type_code: str = "132", centre: str = "33010802") -> str:
    return gbid.make(centre, "00", type_code, "0", next(_serials))


@pytest.fixture
def grids(session: Session) -> tuple[str, str]:
    """(the demo grid worker's grid, a grid of 西兴街道)."""
    own = actor(session, "gridworker").grants[0].area_code
    other = areas.list_areas(session, level=AreaLevel.GRID, within="330108001")[0].code
    return own, other


MakeCamera = Callable[..., Camera]


@pytest.fixture
def make_camera(session: Session, grids: tuple[str, str]) -> MakeCamera:
    """``make_camera(type_code="132", grid=0, **fields)``: a register row at a point inside the grid."""

    def make(type_code: str = "132", grid: int = 0, **fields: Any) -> Camera:
        lon, lat = point_in(session, grids[grid])
        values = {"gb_id": new_id(type_code), "name": f"测试 {type_code}", "lon": lon, "lat": lat, **fields}
        return service.save_camera(session, SYSTEM, values)

    return make
