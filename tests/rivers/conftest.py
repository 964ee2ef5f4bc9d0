"""A river with one segment (target III) and one automatic station in the demo grid worker's grid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core.clock import utcnow
from pingan.core.security import Actor
from pingan.rivers import registers
from pingan.rivers.gb3838 import WaterClass
from pingan.rivers.ingest import Measure
from pingan.rivers.models import Station
from tests.factories import actor

SYSTEM = Actor.system("test")
_serial = iter(range(1, 10**6))


@dataclass
class Made:
    station: Station
    grid: str


@pytest.fixture
def grid(session: Session) -> str:
    return actor(session, "gridworker").grants[0].area_code


@pytest.fixture
def made(session: Session, grid: str) -> Made:
    return make_station(session, grid)


def make_station(session: Session, grid: str, *, lake: bool = False) -> Made:
    n = next(_serial)
    point = areas.geometry_of(areas.get_area(session, grid)).representative_point()  # type: ignore[union-attr]
    river = registers.add_river(
        session, SYSTEM, code=f"T-R{n}", name=f"测试河{n}", area_code=grid, is_lake=lake
    )
    segment = registers.add_segment(
        session,
        SYSTEM,
        river_id=river.id,
        code=f"T-R{n}-1",
        name="测试段",
        area_code=grid,
        line=[[point.x - 0.001, point.y], [point.x + 0.001, point.y]],
        target_class=WaterClass.III,
    )
    station = registers.add_station(
        session,
        SYSTEM,
        segment_id=segment.id,
        code=f"T-S{n}",
        name=f"测试站{n}",
        kind="automatic",
        lon=point.x,
        lat=point.y,
        parameters=["pH", "DO", "CODMn", "NH3N", "TP", "conductivity"],
    )
    return Made(station, grid)


@pytest.fixture
def t0() -> datetime:
    return (utcnow() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


Sample = Callable[..., list[Measure]]


def sample(code: str, at: datetime, **values: float) -> list[Measure]:
    """Measures of one station at one time in canonical units: ``sample("S1", t, DO=5.0, NH3N=0.4)``."""
    return [Measure(code, p, v, None, at) for p, v in values.items()]
