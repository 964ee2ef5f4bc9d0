"""The one register of devices that report liveness (``devices``), whatever module owns their kind."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.clock import utcnow
from pingan.core.db import Base, UTCDateTime


class DeviceStatus(StrEnum):
    ONLINE = "online"  # heard within its kind's offline_after_seconds
    OFFLINE = "offline"  # not heard for longer (marked by the sweep)
    UNKNOWN = "unknown"  # registered, never heard


class Device(Base):
    """One device of a declared kind (``core.modules.DeviceKind``), known by its own id (``external_id``)."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("kind", "external_id", name="uq_devices_kind_external_id"),
        Index("ix_devices_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # a DeviceKind code
    external_id: Mapped[str] = mapped_column(String(64))  # the device's own id (GB/T 28181: 20 digits)
    name: Mapped[str] = mapped_column(String(200), default="")
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    place_id: Mapped[int | None] = mapped_column(
        BigInteger
    )  # a place of the grids register (no key: a module)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=DeviceStatus.UNKNOWN.value)
    status_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the open case of its current (or last) outage; cleared once its "back online" step is written
    outage_case_id: Mapped[int | None] = mapped_column(BigInteger)
    # when the current outage was signalled to the cases spine (a case raised, or suppressed by a snooze)
    outage_signalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the device it reports through (a camera's NVR, a station's gateway): while the parent is out, the
    # child's outage folds into the parent's case instead of opening its own (``sweep``)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceOutage(Base):
    """One outage of a device: from when it was last heard (or reported down) to when it was heard again
    (``ended_at`` empty while it lasts). The history behind availability figures such as an online rate."""

    __tablename__ = "device_outages"
    __table_args__ = (Index("ix_device_outages_device_started", "device_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # the sweep finds open ones
