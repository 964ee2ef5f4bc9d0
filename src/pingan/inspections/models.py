"""The module's tables: versioned checklists, campaigns, visits (with their photos) and hazards. Places are
the grids register's (``place_id``); cases are the spine's (``case_id``): ids only, no foreign keys across
modules."""

from __future__ import annotations

from datetime import datetime
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


class Checklist(Base):
    """One version of the checklist of a place type; a new version is a new row, old visits keep theirs."""

    __tablename__ = "inspection_checklists"
    __table_args__ = (UniqueConstraint("place_type", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_type: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120))
    # [{"code", "text_zh", "text_en", "severity": minor|major|critical, "hazard_type", "basis"}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class Campaign(Base):
    """An inspection campaign (排查行动): scope, place types with their checklists, period, teams."""

    __tablename__ = "inspection_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area_codes: Mapped[list[str]] = mapped_column(JSON)  # the scope: areas (street, community or grid codes)
    checklist_ids: Mapped[dict[str, int]] = mapped_column(JSON)  # place type → checklist id
    teams: Mapped[list[str]] = mapped_column(JSON)  # teams or grids assigned (names or grid codes)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    severity_threshold: Mapped[str] = mapped_column(String(10), default="major")
    repeat_days: Mapped[int] = mapped_column(Integer, default=180)  # a hazard found again within: repeat
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class Visit(Base):
    """One inspection (or re-inspection) of a place: the checklist's answers, signed off. ``visit_uid`` is the
    phone's own id for it: a resend of the same visit finds this row instead of writing a second."""

    __tablename__ = "inspection_visits"
    __table_args__ = (
        Index("ix_inspection_visits_campaign_at", "campaign_id", "visited_at"),
        Index("ix_inspection_visits_inspector_at", "inspector", "visited_at"),
        Index("ix_inspection_visits_place", "place_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_uid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="inspection")  # inspection | reinspection
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaigns.id"))
    hazard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a re-inspection's hazard
    place_id: Mapped[int] = mapped_column(Integer)
    place_type: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("inspection_checklists.id"))
    inspector: Mapped[str] = mapped_column(String(64))  # the account's username
    team: Mapped[str] = mapped_column(String(80), default="")
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    signed_by: Mapped[str] = mapped_column(String(80))
    # [{"item", "result": pass|fail|na, "note", "photo_ids": [...]}]
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class Photo(Base):
    """A photo taken for one checklist item of a visit (the bytes, judged an image by their content)."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Hazard(Base):
    """A failed item at or above the campaign's severity threshold (隐患): a case of its type's category, a
    responsible party and a rectification deadline; rectified when its re-inspection passes."""

    __tablename__ = "inspection_hazards"
    __table_args__ = (
        Index("ix_inspection_hazards_campaign_status", "campaign_id", "status"),
        Index("ix_inspection_hazards_place_item", "place_id", "item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaigns.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"))
    place_id: Mapped[int] = mapped_column(Integer)
    place_type: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    item: Mapped[str] = mapped_column(String(40))
    hazard_type: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(120))  # the place's operator (its name in the register)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | rectified
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), nullable=True)
    reinspection_visit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)


class Operation(Base):
    """A joint enforcement operation (联合执法): departments taking part, the areas, the period."""

    __tablename__ = "inspection_operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    departments: Mapped[list[str]] = mapped_column(JSON)
    area_codes: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class Target(Base):
    """One target of an operation (suspected illegal LPG filling, storage, transport or sale, or another
    kind): the place (in the register), findings, measures and follow-up. A closed site stays on the watch
    list."""

    __tablename__ = "inspection_targets"
    __table_args__ = (Index("ix_inspection_targets_closed_point", "is_closed", "lon", "lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("inspection_operations.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(24))
    place_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(20), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    findings: Mapped[str] = mapped_column(Text)
    cylinders_seized: Mapped[int] = mapped_column(Integer, default=0)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    fine_yuan: Mapped[int] = mapped_column(Integer, default=0)
    is_referred_to_police: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up: Mapped[str] = mapped_column(Text, default="")
    acted_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class MajorOperation(Base):
    """A major-event operation (平安护航, e.g. the G20 summit): a period and a scope tied to its campaigns,
    enforcement operations, patrol targets and the case categories it watches. Its progress is computed from
    the work itself (patrol figures from the patrols module through ``pingan.core.figures``)."""

    __tablename__ = "inspection_major_operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area_codes: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    target_turnouts: Mapped[int] = mapped_column(Integer, default=0)
    target_hours: Mapped[int] = mapped_column(Integer, default=0)
    target_key_places_per_day: Mapped[int] = mapped_column(Integer, default=0)
    campaign_ids: Mapped[list[int]] = mapped_column(JSON)
    operation_ids: Mapped[list[int]] = mapped_column(JSON)
    case_categories: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
