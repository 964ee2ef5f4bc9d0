"""Devices in two grids of different streets (the demo grid worker's and one of 西兴街道)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.modules import DeviceKind
from pingan.devices import interface as devices
from tests.factories import actor
from tests.patrols import conftest as patrols_fixtures

KIND = "patrol_phone"  # declared by the patrols module
# the same kind as a camera-like one that opens outage cases (category 1402 路灯故障 exists in the demo)
OUTAGE = DeviceKind(
    "patrol_phone", "巡防手机", "Patrol phone", 600, outage_category="1402", outage_after_seconds=1800
)


# the patrols tests' volunteer with a device (tests of the patrol phones)
place = patrols_fixtures.place
volunteer = patrols_fixtures.volunteer


@pytest.fixture
def grids(session: Session) -> tuple[str, str]:
    """(the demo grid worker's grid, a grid of 西兴街道)."""
    own = actor(session, "gridworker").grants[0].area_code
    other = areas.list_areas(session, level=AreaLevel.GRID, within="330108001")[0].code
    return own, other


Register = Callable[..., None]


@pytest.fixture
def register(session: Session, grids: tuple[str, str]) -> Register:
    """``register("T1", "T2", grid=0)``: test devices of KIND in one of the two grids."""

    def make(*ids: str, grid: int = 0, lon: float | None = None, lat: float | None = None) -> None:
        rows = [
            {"external_id": i, "name": f"测试 {i}", "area_code": grids[grid], "lon": lon, "lat": lat}
            for i in ids
        ]
        devices.register_devices(session, KIND, rows)

    return make


@pytest.fixture
def t0() -> datetime:
    return utcnow() - timedelta(hours=3)
