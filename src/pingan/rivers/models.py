"""The rivers module's tables: rivers, their segments (lines) and chiefs (河长), stations and their readings,
and the count of refused readings per station and reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.clock import utcnow
from pingan.core.db import Base, UTCDateTime


class River(Base):
    __tablename__ = "rivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(String(20), index=True)  # the district or street it is managed by
    is_lake: Mapped[bool] = mapped_column(Boolean, default=False)  # lake/reservoir total-phosphorus limits
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class RiverSegment(Base):
    """A stretch of a river (河段), a line, with the class it must reach (水质目标)."""

    __tablename__ = "river_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    river_id: Mapped[int] = mapped_column(ForeignKey("rivers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    line: Mapped[list[Any]] = mapped_column(JSON)  # [[lon, lat], …] (WGS84)
    target_class: Mapped[int] = mapped_column(Integer)  # gb3838.WaterClass


class RiverChief(Base):
    """A river chief (河长) of a segment at one level; a name and title (no phone: personal data)."""

    __tablename__ = "river_chiefs"
    __table_args__ = (UniqueConstraint("segment_id", "level", name="uq_river_chiefs_segment_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("river_segments.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(12))  # district / street / community
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100), default="")
    account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Station(Base):
    """A water-quality station (automatic, or a manual sampling point) on a segment; also a device of the
    kind ``water_station`` in the devices register (by ``code``)."""

    __tablename__ = "river_stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    segment_id: Mapped[int] = mapped_column(ForeignKey("river_segments.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # automatic / manual
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    parameters: Mapped[list[str]] = mapped_column(JSON)  # the parameter codes it measures
    target_class: Mapped[int] = mapped_column(Integer)
    # the latest sample's class (of the parameters it measures), its deciding parameters, and when
    current_class: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deciding: Mapped[str] = mapped_column(String(100), default="")
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), nullable=True)
    worse_streak: Mapped[int] = mapped_column(Integer, default=0)  # consecutive samples worse than target
    streak_base: Mapped[int] = mapped_column(Integer, default=0)  # the streak before the latest sample


class Reading(Base):
    """One value of one parameter at one time, in the parameter's canonical unit; (station, parameter, time)
    is unique and a repeat is ignored."""

    __tablename__ = "river_readings"
    __table_args__ = (
        UniqueConstraint("station_id", "parameter", "observed_at", name="uq_river_readings_station_param_at"),
        Index("ix_river_readings_station_at", "station_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    station_id: Mapped[int] = mapped_column(BigInteger)
    parameter: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)


class ReadingRefusal(Base):
    """How many readings were refused for a station code (known or not) and reason, with the last detail."""

    __tablename__ = "river_reading_refusals"

    station_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_detail: Mapped[str] = mapped_column(String(300), default="")
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
