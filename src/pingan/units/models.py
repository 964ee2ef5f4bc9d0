"""Units: the organisations that own work (departments, street centres, community committees, teams)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base
from pingan.units.types import UnitKind as UnitKind  # its home is units.types; re-exported


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
