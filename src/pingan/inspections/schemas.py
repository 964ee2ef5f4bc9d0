"""Pydantic shapes of the inspections API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.core.validation import DbId

Severity = Literal["minor", "major", "critical"]
Result = Literal["pass", "fail", "na"]


class ChecklistItem(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    text_zh: str = Field(min_length=1, max_length=200)
    text_en: str = Field(min_length=1, max_length=200)
    severity: Severity
    hazard_type: Literal["fire", "electric", "gas", "construction"]
    basis: str = Field("", max_length=300, description="the legal basis or standard clause, as text")


class ChecklistCreate(BaseModel):
    place_type: str = Field(min_length=1, max_length=32)
    title_zh: str = Field(min_length=1, max_length=120)
    title_en: str = Field(min_length=1, max_length=120)
    items: list[ChecklistItem] = Field(min_length=1, max_length=100)


class ChecklistRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    place_type: str
    version: int
    title_zh: str
    title_en: str
    items: list[ChecklistItem]


class CampaignCreate(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    area_codes: list[str] = Field(min_length=1, max_length=300)
    place_types: list[str] = Field(min_length=1, max_length=30)
    teams: list[str] = Field(default_factory=list, max_length=500)
    starts_at: datetime
    ends_at: datetime
    severity_threshold: Severity = "major"
    repeat_days: int = Field(180, ge=1, le=3650)


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    area_codes: list[str]
    checklist_ids: dict[str, int]
    teams: list[str]
    starts_at: datetime
    ends_at: datetime
    severity_threshold: str
    repeat_days: int


class NewPlace(BaseModel):
    """A place found during the campaign, not yet in the register (added to it once)."""

    place_type: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    address: str = Field("", max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class Answer(BaseModel):
    item: str = Field(min_length=1, max_length=40)
    result: Result
    note: str = Field("", max_length=1000)
    photos: list[str] = Field(
        default_factory=list, max_length=6, description="images as base64 (or data: URLs); a fail needs one"
    )


class VisitCreate(BaseModel):
    visit_uid: str = Field(
        min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="the phone's id for this visit"
    )
    campaign_id: int = Field(ge=1, le=2**31 - 1)
    place_id: int | None = Field(None, ge=1, le=2**31 - 1)
    new_place: NewPlace | None = None
    checklist_id: int = Field(ge=1, le=2**31 - 1)
    checklist_version: int = Field(ge=1, le=10_000)
    answers: list[Answer] = Field(min_length=1, max_length=100)
    signed_by: str = Field(min_length=1, max_length=80)
    visited_at: datetime | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    team: str = Field("", max_length=80)


class ReinspectionCreate(BaseModel):
    visit_uid: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    result: Literal["pass", "fail"]
    note: str = Field("", max_length=1000)
    photos: list[str] = Field(min_length=1, max_length=6)
    signed_by: str = Field(min_length=1, max_length=80)
    visited_at: datetime | None = None


class HazardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    campaign_id: int
    place_id: int
    place_type: str
    area_code: str
    item: str
    hazard_type: str
    severity: str
    description: str
    responsible: str
    found_at: datetime
    due_at: datetime
    case_id: int | None
    status: str
    rectified_at: datetime | None
    is_repeat: bool
    flags: list[str] = Field(default_factory=list)
    place_name: str | None = None


class VisitRead(BaseModel):
    id: int
    visit_uid: str
    kind: str
    campaign_id: int
    place_id: int
    place_added: bool = False
    area_code: str
    checklist_id: int
    visited_at: datetime
    failed: int
    hazards: list[HazardRead]
    replayed: bool = Field(False, description="true when this visit had been received before (a resend)")
    flags: list[str] = Field(
        default_factory=list, description="previously_closed_lpg_site: the place is on the watch list"
    )


class PlaceDue(BaseModel):
    id: int
    name: str
    address: str
    place_type: str
    area_code: str
    lon: float
    lat: float
    distance_m: float | None
    inspected: bool
    checklist_id: int


class Figure(BaseModel):
    key: str
    label: str
    due: int = 0
    inspected: int = 0
    found: int = 0
    rectified: int = 0
    rectified_on_time: int = 0
    overdue: int = 0
    repeat: int = 0


class HazardFigure(Figure):
    campaign_id: int
    hazard_type: str
    street_code: str


class Board(BaseModel):
    campaign: CampaignRead
    totals: Figure
    by_area: list[Figure]
    by_team: list[Figure]
    by_place_type: list[Figure]
    by_hazard_type: list[Figure]
    idle_this_week: list[str]


TargetType = Literal["lpg_filling", "lpg_storage", "lpg_transport", "lpg_sale", "other"]


class OperationCreate(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    departments: list[str] = Field(min_length=1, max_length=20, description="departments taking part")
    area_codes: list[str] = Field(min_length=1, max_length=300)
    starts_at: datetime
    ends_at: datetime


class OperationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    departments: list[str]
    area_codes: list[str]
    starts_at: datetime
    ends_at: datetime
    totals: dict[str, int] = Field(default_factory=dict)


class TargetCreate(BaseModel):
    target_type: TargetType
    place_type: str | None = Field(
        None, max_length=32, description="the register's type for an 'other' target"
    )
    name: str = Field(min_length=1, max_length=120)
    address: str = Field("", max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    findings: str = Field(min_length=1, max_length=2000)
    cylinders_seized: int = Field(0, ge=0, le=100_000)
    is_closed: bool = False
    fine_yuan: int = Field(0, ge=0, le=100_000_000)
    is_referred_to_police: bool = False
    follow_up: str = Field("", max_length=2000)
    acted_at: datetime | None = None


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    operation_id: int
    target_type: str
    place_id: int
    name: str
    address: str
    area_code: str
    lon: float
    lat: float
    findings: str
    cylinders_seized: int
    is_closed: bool
    fine_yuan: int
    is_referred_to_police: bool
    follow_up: str
    acted_at: datetime


class MajorOperationCreate(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    area_codes: list[str] = Field(min_length=1, max_length=300, description="the scope: areas")
    starts_at: datetime
    ends_at: datetime
    target_turnouts: int = Field(0, ge=0, le=100_000_000, description="patrol turn-outs (人次) in the period")
    target_hours: int = Field(0, ge=0, le=1_000_000_000, description="patrol hours in the period")
    target_key_places_per_day: int = Field(0, ge=0, le=1_000_000, description="key places inspected a day")
    campaign_ids: list[DbId] = Field(default_factory=list, max_length=50)
    operation_ids: list[DbId] = Field(default_factory=list, max_length=50)
    case_categories: list[Annotated[str, Field(pattern=r"^[0-9]{4}$")]] = Field(
        default_factory=list, max_length=50
    )


class MajorOperationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    area_codes: list[str]
    starts_at: datetime
    ends_at: datetime
    target_turnouts: int
    target_hours: int
    target_key_places_per_day: int
    campaign_ids: list[int]
    operation_ids: list[int]
    case_categories: list[str]


class TargetProgress(BaseModel):
    key: str = Field(description="the figure's name, e.g. patrols.turnouts")
    title_zh: str = ""
    title_en: str = ""
    unit_zh: str = ""
    unit_en: str = ""
    target: int
    actual: float | None = Field(description="null when the figure is unavailable")
    share: float | None = Field(description="actual / target; null without a target or figure")
    available: bool
    reason: str = ""


class CampaignProgress(BaseModel):
    id: int
    code: str
    name: str
    hazards: int
    open: int
    rectified: int


class OperationProgress(BaseModel):
    id: int
    code: str
    name: str
    totals: dict[str, int]


class CategoryOpen(BaseModel):
    category: str
    open: int


class MajorBoard(BaseModel):
    days: int
    targets: list[TargetProgress]
    campaigns: list[CampaignProgress]
    operations: list[OperationProgress]
    open_cases: list[CategoryOpen]


class MajorOperationBoard(MajorOperationRead):
    board: MajorBoard
