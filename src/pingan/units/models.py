"""Units: the organisations that own work (departments, street centres, community committees, teams)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base


class UnitKind(StrEnum):
    DISTRICT_CENTRE = "district_centre"  # 区综合指挥中心
    STREET_CENTRE = "street_centre"  # 街道综合信息指挥室
    COMMUNITY = "community"  # 社区居委会
    GRID = "grid"  # 网格 (the grid team itself handles 小事不出网格)
    DEPARTMENT = "department"  # 职能部门: 公安, 城管, 应急, 市场监管, 生态环境 …
    TEAM = "team"  # patrol team, volunteer team


class Unit(Base):
    """An organisation that owns work, located in an area (its jurisdiction)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
