"""Pydantic shapes of the grids API (personal data always masked in reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pingan.audit.schemas import RevealRequest as RevealRequest  # one shape for every reveal
from pingan.core.pagination import Page as Page  # one envelope for every list
from pingan.core.pagination import PageQuery
from pingan.grids.models import Household, Opinion, Place, RecordChange, Resident, Visit


class BuildingCreate(BaseModel):
    address: str = Field(max_length=200)
    lon: float
    lat: float
    crs: str = "wgs84"
    area_code: str | None = Field(None, description="the grid; the point must lie inside it")
    kind: str = "residential"
    floors: int | None = None


class BuildingUpdate(BaseModel):
    address: str | None = None
    kind: str | None = None
    floors: int | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    is_active: bool | None = None


class BuildingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    area_code: str
    address: str
    kind: str
    floors: int | None
    lon: float
    lat: float
    is_active: bool
    updated_at: datetime


class HouseholdCreate(BaseModel):
    building_id: int
    room: str = Field(max_length=40)
    kind: str = "registered"
    notes: str = ""


class HouseholdUpdate(BaseModel):
    room: str | None = None
    kind: str | None = None
    notes: str | None = None
    is_active: bool | None = None


class HouseholdRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    area_code: str
    building_id: int
    room: str
    kind: str
    notes: str
    is_active: bool
    updated_at: datetime

    @classmethod
    def of(cls, h: Household) -> HouseholdRead:
        return cls.model_validate(h)


class ResidentCreate(BaseModel):
    name: str
    id_number: str
    household_id: int | None = None
    area_code: str | None = None
    phone: str | None = None
    category: str = "registered"
    care_tags: list[str] = []
    relation: str = ""


class ResidentUpdate(BaseModel):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    category: str | None = None
    care_tags: list[str] | None = None
    relation: str | None = None
    household_id: int | None = None


class ResidentSearch(PageQuery):
    """The filters of ``GET /api/v1/grids/residents`` in a POST body: ID numbers and phones never travel in a
    URL (so never land in an access log)."""

    area_code: str | None = None
    household_id: int | None = None
    category: str | None = None
    care_tag: str | None = None
    id_number: str | None = Field(None, description="exact match through the blind index")
    phone: str | None = Field(None, description="exact match through the blind index")
    active: bool | None = True


class ResidentRead(BaseModel):
    id: int
    area_code: str
    household_id: int | None
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    sex: str
    birth_year: int
    category: str
    care_tags: list[str]
    relation: str
    is_active: bool
    updated_at: datetime

    @classmethod
    def of(cls, r: Resident) -> ResidentRead:
        return cls(
            id=r.id,
            area_code=r.area_code,
            household_id=r.household_id,
            name=r.name_masked,
            id_number=r.id_number_masked,
            phone=r.phone_masked,
            sex=r.sex,
            birth_year=r.birth_year,
            category=r.category,
            care_tags=list(r.care_tags or []),
            relation=r.relation,
            is_active=r.is_active,
            updated_at=r.updated_at,
        )


class PlaceCreate(BaseModel):
    place_type: str
    name: str
    lon: float
    lat: float
    crs: str = "wgs84"
    area_code: str | None = None
    address: str = ""
    responsible_name: str | None = None
    responsible_phone: str | None = None
    status: str = "active"
    attributes: dict[str, Any] = {}


class PlaceUpdate(BaseModel):
    place_type: str | None = None
    name: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    responsible_name: str | None = None
    responsible_phone: str | None = None
    status: str | None = None
    attributes: dict[str, Any] | None = None


class PlaceRead(BaseModel):
    id: int
    area_code: str
    place_type: str
    name: str
    address: str
    lon: float
    lat: float
    responsible_name: str = Field(description="masked")
    responsible_phone: str = Field(description="masked")
    status: str
    attributes: dict[str, Any]
    updated_at: datetime

    @classmethod
    def of(cls, p: Place) -> PlaceRead:
        return cls(
            id=p.id,
            area_code=p.area_code,
            place_type=p.place_type,
            name=p.name,
            address=p.address,
            lon=p.lon,
            lat=p.lat,
            responsible_name=p.responsible_name_masked,
            responsible_phone=p.responsible_phone_masked,
            status=p.status,
            attributes=dict(p.attributes or {}),
            updated_at=p.updated_at,
        )


class PlaceTypeRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    module: str = Field(description="the module that declares it")


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    record_type: str
    record_id: int
    action: str
    changes: dict[str, Any]
    username: str
    source: str
    changed_at: datetime
    revealable: list[str] = []  # personal fields whose full old/new values POST …/reveal shows (audited)

    @classmethod
    def of(cls, c: RecordChange) -> ChangeRead:
        return cls.model_validate(c).model_copy(update={"revealable": sorted(c.sealed or {})})


class StaffCreate(BaseModel):
    name: str
    home_area_code: str
    organisation: str = ""
    phone: str | None = None
    account_id: int | None = None


class GridCoverageRead(BaseModel):
    """One grid's visit coverage since the quarter's start."""

    area_code: str
    name: str
    households: int
    visited: int
    share: float
    never_visited: int


class CadreCoverageRead(BaseModel):
    """One liaison cadre's visit coverage over their grids."""

    staff_id: int
    name: str
    organisation: str
    grids: list[str]
    households: int
    visited: int
    visits: int
    share: float


class StaffCreated(BaseModel):
    id: int
    name: str
    organisation: str


class StaffLinked(BaseModel):
    link_id: int
    staff_id: int
    area_code: str
    role: str


class StaffLinkCreate(BaseModel):
    area_code: str
    role: str


class StaffLinkRead(BaseModel):
    link_id: int
    staff_id: int
    name: str
    organisation: str
    phone: str = Field(description="masked")
    area_code: str
    role: str


class CoverageGapRead(BaseModel):
    area_code: str
    name: str
    missing: list[str]


class IssueIn(BaseModel):
    description: str
    category_code: str | None = None
    raise_case: bool = False


class OpinionIn(BaseModel):
    content: str
    tags: list[str] = []


class VisitCreate(BaseModel):
    household_id: int
    visited_at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    notes: str = ""
    issues: list[IssueIn] = []
    resident_changes: list[dict[str, Any]] = Field(
        [], description="register corrections made during the visit: {resident_id, field: value, …}"
    )
    opinions: list[OpinionIn] = []


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    area_code: str
    household_id: int
    staff_id: int | None
    username: str
    visited_at: datetime
    lon: float | None
    lat: float | None
    notes: str
    issues: list[dict[str, Any]]

    @classmethod
    def of(cls, v: Visit) -> VisitRead:
        return cls.model_validate(v)


class OpinionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    area_code: str
    household_id: int | None
    visit_id: int | None
    channel: str
    content: str
    tags: list[str]
    lon: float | None
    lat: float | None
    username: str
    submitted_at: datetime
    state: str
    answer: str | None
    answered_at: datetime | None
    case_id: int | None
    case_number: str | None
    # where the resident follows the case made from their opinion (signed in, no tracking code needed)
    tracking_url: str | None = None

    @classmethod
    def of(cls, o: Opinion) -> OpinionRead:
        read = cls.model_validate(o)
        if o.case_number:
            read.tracking_url = f"/track?number={o.case_number}"
        return read


class VisitResultRead(BaseModel):
    visit: VisitRead
    cases: list[dict[str, Any]]
    opinions: list[OpinionRead]
    changed_residents: list[int]


class OpinionCreate(BaseModel):
    content: str
    tags: list[str] = []
    household_id: int | None = None
    area_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"


class OpinionTags(BaseModel):
    tags: list[str]


class OpinionAnswer(BaseModel):
    answer: str


class OpinionCase(BaseModel):
    category_code: str = "1601"
    title: str | None = None


class TaskCreate(BaseModel):
    kind: str = "task"
    title: str
    body: str = ""
    area_codes: list[str] = Field(description="grids, or areas whose grids all receive the task")
    due_at: datetime | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    title: str
    body: str
    area_code: str
    due_at: datetime | None
    created_by: str
    created_at: datetime
    is_closed: bool


class TaskComplete(BaseModel):
    note: str = ""


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    task_id: int
    area_code: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    completed_at: datetime | None
    completed_by: str | None
    note: str


class CheckItemRead(BaseModel):
    id: int
    area_code: str
    outcome: str
    note: str
    checked_at: datetime | None
    resident: ResidentRead


class TaskGridProgress(BaseModel):
    """One grid's part of a task; ``items`` and ``discrepancies`` only for a population check."""

    area_code: str
    name: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    completed_at: datetime | None
    completed_by: str | None
    note: str
    is_overdue: bool
    items: dict[str, int] | None = Field(None, description="residents per check outcome (population checks)")
    discrepancies: int | None = Field(None, description="residents corrected or moved out (population check)")


class TaskSummary(BaseModel):
    """The task's grids counted; ``items`` and ``discrepancies`` only for a population check."""

    grids: int
    acknowledged: int
    completed: int
    overdue: int
    items: dict[str, int] | None = Field(None, description="residents per check outcome (population checks)")
    discrepancies: int | None = Field(None, description="residents corrected or moved out (population check)")


class TaskProgressRead(BaseModel):
    """A task and its progress board (targets in the caller's scope)."""

    task: TaskRead
    summary: TaskSummary
    grids: list[TaskGridProgress]


class CheckIn(BaseModel):
    outcome: str
    corrections: dict[str, Any] | None = None
    note: str = ""


class CheckResultRead(BaseModel):
    """One resident verified."""

    id: int
    outcome: str
    checked_at: datetime | None
    checked_by: str | None


class ImportRowError(BaseModel):
    row: int
    field: str
    message: str


class ImportReportRead(BaseModel):
    kind: str
    total: int
    imported: int
    rejected: int
    errors: list[ImportRowError]
    error_file_base64: str | None = Field(None, description="xlsx of the rejected rows with an error column")
