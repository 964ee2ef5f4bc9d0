"""Fixtures of the grids tests: the demo grid worker's grid, another grid, points inside grids."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.security import Actor
from tests.factories import actor as actor_of


def point_in(session: Session, code: str) -> tuple[float, float]:
    """A point well inside an area."""
    geom = areas.geometry_of(areas.get_area(session, code))
    assert geom is not None
    p = geom.representative_point()
    return float(p.x), float(p.y)


@pytest.fixture
def gridworker(session: Session) -> Actor:
    return actor_of(session, "gridworker")


@pytest.fixture
def admin(session: Session) -> Actor:
    return actor_of(session, "admin")


@pytest.fixture
def cadre(session: Session) -> Actor:
    return actor_of(session, "cadre")


@pytest.fixture
def grid_a(gridworker: Actor) -> str:
    return gridworker.grants[0].area_code


@pytest.fixture
def grid_b(session: Session, grid_a: str) -> str:
    grids = areas.list_areas(session, level=AreaLevel.GRID)
    return next(g.code for g in grids if g.code[:12] != grid_a[:12])


VALID_ID = "11010519491231002X"


def id_number(n: int, year: int = 1985) -> str:
    """A synthetic valid ID number (unique per n)."""
    from pingan.core.pii import id_check_char

    first17 = f"330108{year}0101{n % 1000:03d}"
    first17 = f"{first17[:6]}{year}{(n // 1000) % 12 + 1:02d}{(n // 12000) % 28 + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)
