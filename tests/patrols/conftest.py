"""Fixtures of the patrols tests: a volunteer with a device in a grid of 月明社区, positions helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.pii import id_check_char
from pingan.core.security import Actor
from pingan.patrols import shifts, volunteers
from pingan.patrols.models import PatrolTeam, PatrolVolunteer

_counter = iter(range(1, 10**6))


def make_id_number(born: str = "19850612") -> str:
    """A valid 18-character ID number (unique per call)."""
    seq = next(_counter)
    first17 = f"33{seq // 1000 % 10000:04d}{born}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def make_phone() -> str:
    return f"199{next(_counter):08d}"


@dataclass
class Place:
    grid: str  # a grid of 月明社区 (the demo grid worker's grid)
    community: str
    other_grid: str  # another grid of the same street
    far_grid: str  # a grid of 西兴街道
    team_id: int


@pytest.fixture
def place(session: Session) -> Place:
    yueming = areas.find_areas(session, name="月明社区", level=AreaLevel.COMMUNITY)[0]
    grids = areas.list_areas(session, parent_code=yueming.code)
    grids += [
        g for g in areas.list_areas(session, level=AreaLevel.GRID, within=yueming.code[:9]) if g not in grids
    ]
    far = areas.list_areas(session, level=AreaLevel.GRID, within="330108001")[0]
    team_id = session.scalar(select(PatrolTeam.id).where(PatrolTeam.area_code == yueming.code))
    assert team_id is not None
    return Place(grids[0].code, yueming.code, grids[1].code, far.code, team_id)


def register(
    session: Session, team_id: int, *, device_id: str | None = None, account_id: int | None = None
) -> PatrolVolunteer:
    return volunteers.register_volunteer(
        session,
        Actor.system("test"),
        team_id=team_id,
        name="测试队员",
        id_number=make_id_number(),
        phone=make_phone(),
        device_id=device_id,
        account_id=account_id,
    )


@pytest.fixture
def volunteer(session: Session, place: Place) -> PatrolVolunteer:
    return register(session, place.team_id, device_id=f"T{next(_counter):07d}")


def centre_of(session: Session, code: str) -> tuple[float, float]:
    point = areas.geometry_of(areas.get_area(session, code)).representative_point()  # type: ignore[union-attr]
    return float(point.x), float(point.y)


def on_shift(session: Session, grid: str, volunteer_id: int, *, start: datetime | None = None) -> int:
    """Book the volunteer on a shift of the grid running now; returns the booking id."""
    start = start or utcnow() - timedelta(hours=1)
    shift = shifts.create_shift(
        session, Actor.system("test"), grid_code=grid, starts_at=start, ends_at=start + timedelta(hours=4)
    )
    return shifts.book_volunteer(
        session, Actor.system("test"), shift_id=shift.id, volunteer_id=volunteer_id
    ).id
