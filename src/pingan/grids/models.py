"""Grid registers (buildings, households, residents, key places), staff, visits, tasks, opinions, history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.clock import utcnow
from pingan.core.db import Base, UTCDateTime
from pingan.grids.placetypes import PlaceTypeCode


class ResidentCategory(StrEnum):
    REGISTERED = "registered"  # 户籍人口
    FLOATING = "floating"  # 流动人口
    RENTAL = "rental"  # 出租房租客


class CareTag(StrEnum):
    ELDERLY_ALONE = "elderly_alone"  # 独居老人
    ELDERLY = "elderly"  # 高龄老人
    DISABLED = "disabled"  # 残疾人
    LEFT_BEHIND_CHILD = "left_behind_child"  # 留守儿童
    LOW_INCOME = "low_income"  # 低保户
    VETERAN = "veteran"  # 退役军人


# The built-in place types (their names: grids/placetypes.py; modules add theirs through their declaration).
PlaceType = PlaceTypeCode


class StaffRole(StrEnum):
    GRID_LEADER = "grid_leader"  # 网格长
    FULL_TIME = "full_time"  # 专职网格员
    PART_TIME = "part_time"  # 兼职网格员
    LIAISON_CADRE = "liaison_cadre"  # 联系干部


class TaskKind(StrEnum):
    TASK = "task"  # 任务
    NOTICE = "notice"  # 通知
    POPULATION_CHECK = "population_check"  # 人口信息核对


class CheckOutcome(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    MOVED_OUT = "moved_out"


class OpinionState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CASE = "case"


class Building(Base):
    """A building or address point inside one grid (楼栋/门牌)."""

    __tablename__ = "grid_buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24), default="residential")
    floors: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Household(Base):
    """A household (户) at one address of a building."""

    __tablename__ = "grid_households"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("grid_buildings.id"), index=True)
    room: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24), default="registered")  # registered / rental
    notes: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("building_id", "room"),)


class Resident(Base):
    """A person in the register; name, ID number and phone are encrypted, masked and blind-indexed."""

    __tablename__ = "grid_residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("grid_households.id"), index=True)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_masked: Mapped[str] = mapped_column(String(40))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(20))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    sex: Mapped[str] = mapped_column(String(8))
    birth_year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16), default=ResidentCategory.REGISTERED.value)
    care_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    relation: Mapped[str] = mapped_column(String(16), default="")  # 户主/配偶/子女/租客 …
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once moved out
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Place(Base):
    """A key place (重点场所) of one type with its responsible person and a point."""

    __tablename__ = "grid_places"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    place_type: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    responsible_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    responsible_name_masked: Mapped[str] = mapped_column(String(40), default="")
    responsible_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    responsible_phone_masked: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / closed
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RecordChange(Base):
    """One change of one register record: who changed which fields (old → new, personal data masked)."""

    __tablename__ = "grid_record_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(24))
    record_id: Mapped[int] = mapped_column(Integer)
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    action: Mapped[str] = mapped_column(String(16))  # create / update / deactivate
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # ciphertexts of the old/new values of changed personal fields, {field: [old, new]}; read only by a reveal
    sealed: Mapped[dict[str, list[str | None]] | None] = mapped_column(JSON)
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(24), default="manual")  # manual / import / visit / check
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (Index("ix_grid_record_changes_record", "record_type", "record_id"),)


class StaffMember(Base):
    """A grid leader, grid worker or liaison cadre (public officials: name shown, phone masked)."""

    __tablename__ = "grid_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str] = mapped_column(String(100), default="")
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    home_area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffLink(Base):
    """A staff member's role on one grid (a cadre may hold links to several grids)."""

    __tablename__ = "grid_staff_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("grid_staff.id"), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    since_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("staff_id", "area_code", "role"),)


class Visit(Base):
    """A household visit (走访) by a cadre or grid worker."""

    __tablename__ = "grid_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("grid_households.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("grid_staff.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    """A task or notice pushed down from a district or street to a set of grids."""

    __tablename__ = "grid_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)  # issuer's area
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)


class TaskTarget(Base):
    """One grid's share of a task: acknowledgement and completion."""

    __tablename__ = "grid_task_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("grid_tasks.id"), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("task_id", "area_code"),)


class CheckItem(Base):
    """One resident to verify in a population-verification task (人口信息核对)."""

    __tablename__ = "grid_check_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("grid_task_targets.id"), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("grid_residents.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16), default=CheckOutcome.PENDING.value)
    note: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by: Mapped[str | None] = mapped_column(String(64))


class Opinion(Base):
    """A resident's opinion or suggestion (民意), collected or submitted, tagged, answered or made a case."""

    __tablename__ = "grid_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("grid_households.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("grid_visits.id"))
    channel: Mapped[str] = mapped_column(String(16))  # cadre / grid_worker / resident
    content: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(16), default=OpinionState.OPEN.value)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    case_number: Mapped[str | None] = mapped_column(String(32))


class PartyBranchRole(StrEnum):
    SECRETARY = "secretary"  # 书记
    DEPUTY = "deputy"  # 副书记
    COMMITTEE = "committee"  # 委员
    MEMBER = "member"  # 党员


class PartyBranch(Base):
    """A party branch (党支部) of a community (网格+党建): it covers the whole community, or only the grids
    listed in ``grid_party_branch_grids``."""

    __tablename__ = "grid_party_branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)  # the community
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartyBranchGrid(Base):
    """One grid a branch covers (none listed: the branch covers every grid of its community)."""

    __tablename__ = "grid_party_branch_grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("grid_party_branches.id"), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)

    __table_args__ = (UniqueConstraint("branch_id", "area_code"),)


class PartyMember(Base):
    """A party member of a branch: an existing person record — a grid staff member (grid worker, leader,
    liaison cadre) or an account (e.g. a patrol volunteer) — never a copy of their personal data."""

    __tablename__ = "grid_party_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("grid_party_branches.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("grid_staff.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=PartyBranchRole.MEMBER.value)
    since_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("staff_id", "branch_id"),
        UniqueConstraint("account_id", "branch_id"),
    )
