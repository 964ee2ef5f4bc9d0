"""Volunteer patrol tables: teams, volunteers (protected personal data), training, handbook, shifts,
the position stream, device states, events, activities and dispatches.

The position stream (``patrol_positions``) is append-only, written with SQLAlchemy Core in batches and read
by aggregation; its times are integer epoch milliseconds (UTC) so that millions of rows load straight into
numpy without parsing date strings.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.clock import utcnow
from pingan.core.db import Base, UTCDateTime


class VolunteerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class PositionFlag:
    """Bits of ``PatrolPosition.flags``."""

    MOCK = 1
    POOR_ACCURACY = 2
    JUMP = 4
    OUT_OF_ORDER = 8
    SOS = 16
    INVALID = 32

    # fixes with any of these do not count toward coverage, hours or distance
    NOT_COUNTED = MOCK | POOR_ACCURACY | JUMP | INVALID

    @staticmethod
    def names(flags: int) -> list[str]:
        table = {1: "mock", 2: "poor_accuracy", 4: "jump", 8: "out_of_order", 16: "sos", 32: "invalid"}
        return [name for bit, name in table.items() if flags & bit]


class PatrolTeam(Base):
    """A patrol team (巡防队), one or more per community."""

    __tablename__ = "patrol_teams"
    __table_args__ = (UniqueConstraint("area_code", "name", name="uq_patrol_teams_area_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    leader_volunteer_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PatrolVolunteer(Base):
    """A patrol member or volunteer; name, ID number and phone stored encrypted with blind indexes."""

    __tablename__ = "patrol_volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("patrol_teams.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)  # the team's community (scoping)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_masked: Mapped[str] = mapped_column(String(40))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(20))
    phone_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    sex: Mapped[str] = mapped_column(String(8), default="")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=VolunteerStatus.ACTIVE.value, index=True)
    device_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The device's key (the app sends it as ``key=`` in its server URL): encrypted (shown once, read back only
    # by the demo's simulator) and a blind index that the receiver compares; wrong or missing keys counted.
    device_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    device_key_index: Mapped[str | None] = mapped_column(String(64))
    key_rejects: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    key_rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def has_device_key(self) -> bool:
        """Whether the device has a key (fixes without it are refused)."""
        return self.device_key_index is not None


class TrainingCourse(Base):
    __tablename__ = "patrol_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    validity_months: Mapped[int] = mapped_column(Integer, default=24)


class TrainingSession(Base):
    __tablename__ = "patrol_training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("patrol_courses.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    trainer: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(200), default="")


class Certificate(Base):
    __tablename__ = "patrol_certificates"
    __table_args__ = (UniqueConstraint("volunteer_id", "session_id", name="uq_patrol_certificates_vs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("patrol_courses.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("patrol_training_sessions.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class HandbookVersion(Base):
    """One published version of the patrol work handbook (巡防工作手册)."""

    __tablename__ = "patrol_handbook_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HandbookAck(Base):
    __tablename__ = "patrol_handbook_acks"
    __table_args__ = (UniqueConstraint("volunteer_id", "version_id", name="uq_patrol_handbook_acks_vv"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("patrol_handbook_versions.id"), index=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Activity(Base):
    """One turn-out (人次) with its hours, for recognition: a patrol shift, a training, an event."""

    __tablename__ = "patrol_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # patrol, training, event, other
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    hours: Mapped[float] = mapped_column(Float)
    shift_id: Mapped[int | None] = mapped_column(Integer, index=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class Shift(Base):
    """A planned patrol: one grid, one time slot, a required headcount."""

    __tablename__ = "patrol_shifts"
    __table_args__ = (Index("ix_patrol_shifts_grid_start", "grid_code", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShiftAssignment(Base):
    """A volunteer on a shift (signed up or assigned), with check-in and check-out."""

    __tablename__ = "patrol_shift_assignments"
    __table_args__ = (UniqueConstraint("shift_id", "volunteer_id", name="uq_patrol_shift_assignments_sv"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("patrol_shifts.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # copied from the shift: overlap checks
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    how: Mapped[str] = mapped_column(String(10), default="assigned")  # signup, assigned
    status: Mapped[str] = mapped_column(String(12), default="planned")  # planned, on_duty, done, cancelled
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PatrolPosition(Base):
    """One GPS fix (append-only stream), keyed by device and fix time: a re-sent fix is the same row.

    Only the primary key is indexed, so that appends stay cheap: on SQLite the table is WITHOUT ROWID (the key
    *is* the table, clustered by device then time); on PostgreSQL the migration adds a BRIN index on
    ``fixed_ms`` for period scans.
    """

    __tablename__ = "patrol_positions"
    __table_args__ = {"sqlite_with_rowid": False}

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fixed_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # fix time, epoch ms UTC
    volunteer_id: Mapped[int] = mapped_column(Integer)
    received_ms: Mapped[int] = mapped_column(BigInteger)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    bearing: Mapped[float | None] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    battery: Mapped[float | None] = mapped_column(Float)  # 0..1
    is_moving: Mapped[bool | None] = mapped_column(Boolean)
    flags: Mapped[int] = mapped_column(SmallInteger, default=0)
    grid_code: Mapped[str | None] = mapped_column(String(20))


class DeviceState(Base):
    """The latest in-order fix per volunteer: liveness, last position, current grid."""

    __tablename__ = "patrol_device_states"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    fixed_ms: Mapped[int] = mapped_column(BigInteger)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(20))
    is_moving: Mapped[bool | None] = mapped_column(Boolean)
    event: Mapped[str | None] = mapped_column(String(20))
    battery: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    sos_ms: Mapped[int | None] = mapped_column(BigInteger)
    max_fixed_ms: Mapped[int | None] = mapped_column(BigInteger)  # newest stored fix (any flags)
    received_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class PatrolEvent(Base):
    """Something that happened to a volunteer: check-in/out, grid enter/leave, SOS, dispatch steps."""

    __tablename__ = "patrol_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    grid_code: Mapped[str | None] = mapped_column(String(20))
    shift_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Dispatch(Base):
    """A volunteer sent to a case (指挥调度): assigned → accepted → arrived → done / declined."""

    __tablename__ = "patrol_dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    case_number: Mapped[str] = mapped_column(String(32), default="")
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("patrol_volunteers.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="assigned")
    distance_m: Mapped[float | None] = mapped_column(Float)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instruction: Mapped[str] = mapped_column(
        Text, default="", server_default=""
    )  # the operator's, to the volunteer
    outcome: Mapped[str] = mapped_column(Text, default="")  # the volunteer's report
