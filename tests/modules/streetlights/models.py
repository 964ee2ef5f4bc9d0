"""The module's table: one row per street light, with the case its fault raised and the cabinet (a place of
the register of places) that feeds it."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base


class StreetLight(Base):
    __tablename__ = "streetlights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    area_code: Mapped[str] = mapped_column(String(32), index=True)  # the grid it stands in
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    is_broken: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the case its last fault raised
    # its facts about a place of the register (grids.interface), by the place id: the cabinet feeding it
    cabinet_place_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
