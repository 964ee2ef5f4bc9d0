"""The cameras module's tables: the register of cameras and the devices they hang under (NVR/DVR, lower
platforms: one table, told apart by the type code of their GB/T 28181 ID) and the video platforms that push
status and open video. Liveness (online/offline, outages) lives in the devices spine, by GB/T 28181 ID."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.clock import utcnow
from pingan.core.db import Base, UTCDateTime


class VideoPlatform(Base):
    """A video platform (视频平台) that relays cameras: it pushes their status with its token and opens
    their video at ``link_template`` (``{gb_id}`` and ``{parent_gb_id}`` filled in)."""

    __tablename__ = "camera_platforms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    gb_id: Mapped[str | None] = mapped_column(String(20))
    link_template: Mapped[str] = mapped_column(String(500), default="")
    # the platform's push token: encrypted (core.pii) and a blind index the status route compares
    token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Camera(Base):
    """A camera or a device cameras hang under (``role``: camera, parent, platform), by its 20-digit ID."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gb_id: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    type_code: Mapped[str] = mapped_column(String(3), index=True)
    role: Mapped[str] = mapped_column(String(10), index=True)  # camera | parent | platform | other
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id"), index=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("camera_platforms.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)  # the grid it stands in
    lon: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lat: Mapped[float | None] = mapped_column(Float)
    crs: Mapped[str] = mapped_column(String(8), default="wgs84")  # the system the position was entered in
    direction_deg: Mapped[float | None] = mapped_column(Float)  # mounting direction, clockwise from north
    fov_deg: Mapped[float | None] = mapped_column(Float)  # horizontal field of view (360: a dome)
    range_m: Mapped[float | None] = mapped_column(Float)  # how far it sees usefully
    owner_unit: Mapped[str] = mapped_column(String(100), default="", index=True)
    road: Mapped[str] = mapped_column(String(100), default="")
    place_name: Mapped[str] = mapped_column(String(200), default="")
    place_id: Mapped[int | None] = mapped_column(Integer)  # a place of the grids register
    install_date: Mapped[date | None] = mapped_column(Date)
    contract_no: Mapped[str] = mapped_column(String(64), default="")
    contract_expires_on: Mapped[date | None] = mapped_column(Date)
    manufacturer: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    # its SIP password (GB/T 28181 registration), encrypted with core.pii; never shown
    sip_password_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
