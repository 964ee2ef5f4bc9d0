"""Request and response shapes of the cases API.

The answers are built as dicts by the service (``cases.shapes`` and friends: the pages, Open311 and the live
feed share them); the ``…Read`` models below are declared on the routes so the OpenAPI document describes
them and nothing outside a model leaves (FastAPI validates each answer against its model and drops unknown
keys). Times are ISO 8601 text in UTC as the service writes them (:data:`Timestamp`), not re-serialised.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints, WithJsonSchema

from pingan.audit.schemas import RevealRequest as RevealRequest  # one shape for every reveal
from pingan.core.pagination import Page, PageQuery
from pingan.core.validation import DbId

# A category code as typed or pasted: surrounding whitespace of any kind (NBSP, U+3000 …) is not part of it.
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=4)]


class CaseSearch(PageQuery):
    """The filters of ``GET /api/v1/cases`` in a POST body, for searches by personal data (a reporter's phone
    never travels in a URL, so never lands in an access log)."""

    state: list[str] | None = None
    category: str | None = None
    area_code: str | None = None
    owner_unit_id: DbId | None = None
    source: str | None = None
    sla_color: str | None = None
    is_open: bool | None = None
    q: str | None = None
    reporter_phone: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    escalation_level: str | None = None
    is_supervised: bool | None = None


class CaseCreate(BaseModel):
    """A report from a person: resident web form, hotline operator, grid-worker or phone app."""

    category_code: CategoryCode
    description: str = Field(max_length=4000)
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    title: str | None = Field(None, max_length=200)
    address: str = Field("", max_length=200)
    source: Literal["resident_web", "hotline", "app", "grid_worker"] = "resident_web"
    reporter_name: str | None = Field(None, max_length=40)
    reporter_phone: str | None = Field(None, max_length=20)
    is_anonymous_public: bool = False
    attributes: dict[str, Any] = Field(default_factory=dict)


class CaseAction(BaseModel):
    note: str = Field("", max_length=2000)
    unit_id: int | None = None
    into_case_id: int | None = None


class CaseSplit(BaseModel):
    description: str | None = Field(None, max_length=4000)
    category_code: str | None = None
    title: str | None = Field(None, max_length=200)


class RatingCreate(BaseModel):
    tracking_code: str | None = Field(
        None, max_length=64, description="the code given when the case was filed"
    )
    token: str | None = Field(None, max_length=64, description="former name of tracking_code (deprecated)")
    is_fixed: bool
    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"] | None = None
    comment: str = Field("", max_length=1000)


class RuleCreate(BaseModel):
    category_prefix: str = Field("", max_length=4)
    area_prefix: str = Field("", max_length=20)
    unit_id: int | None = None
    target: str = "unit"
    priority: int = 0
    note: str = Field("", max_length=200)
    is_active: bool = True


class CategoryUpdate(BaseModel):
    name_zh: str = Field(max_length=100)
    name_en: str = Field("", max_length=100)
    default_priority: str = "normal"
    sla_minutes: dict[str, dict[str, int]] = Field(default_factory=dict)
    clock: str = Field("working", description="working (limits in working time) or natural (24/7)")
    dedupe_radius_m: float = 50.0
    dedupe_window_minutes: int = Field(1440, ge=0, le=60 * 24 * 30)
    is_public: bool = True
    description: str = ""
    keywords: str = ""


class SnoozeCreate(BaseModel):
    dedupe_key: str = Field(max_length=120)
    minutes: int
    reason: str = Field("", max_length=200)


class CalendarDayUpdate(BaseModel):
    """An admin's day of the work calendar."""

    is_workday: StrictBool
    note: str = Field("", max_length=200)


# --- answers ---------------------------------------------------------------------------------------------

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""A time as the service writes it: ISO 8601 with its UTC offset (``2026-03-01T08:30:00+00:00``)."""
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
"""A local date, ``YYYY-MM-DD``."""


class SlaRead(BaseModel):
    """The time-limit status at the moment of the answer (``cases.sla.status_of``)."""

    color: Literal["green", "yellow", "red", "grey"]
    is_paused: bool
    is_overdue: bool
    stage: str | None
    stage_due_at: Timestamp | None
    close_due_at: Timestamp | None
    due_at: Timestamp | None
    due_kind: str | None = Field(description="the deadline spoken of: stage or close")
    seconds_left: int | None = Field(description="negative: overdue by that much; null when paused or final")


class CaseRead(BaseModel):
    """The staff view of a case: the reporter's name and phone only masked."""

    id: int
    number: str
    category_code: str
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    source_crs: str
    area_code: str
    community_code: str | None
    street_code: str | None
    source: str
    source_ref: str | None
    dedupe_key: str | None
    signal_count: int
    priority: str
    state: str
    owner_unit_id: int | None
    routed_unit_id: int | None
    escalation_level: str
    is_supervised: bool
    duplicate_of_id: int | None
    stage: str | None
    stage_due_at: Timestamp | None
    close_due_at: Timestamp | None
    sla_color: str
    sla: SlaRead
    is_paused: bool
    paused_seconds: int
    reported_at: Timestamp | None
    registered_at: Timestamp | None
    dispatched_at: Timestamp | None
    handled_at: Timestamp | None
    verified_at: Timestamp | None
    closed_at: Timestamp | None
    updated_at: Timestamp | None
    is_closed_on_time: bool | None
    return_count: int
    rework_count: int
    reopen_count: int
    is_anonymous_public: bool
    attributes: dict[str, Any]
    media_url: str | None
    reporter_name_masked: str
    reporter_phone_masked: str


class CaseCreated(CaseRead):
    """The answer to a report: the case and, once, the code the reporter follows it with."""

    tracking_code: str
    tracking_token: str = Field(description="former name of tracking_code (deprecated)")
    tracking_url: str


class CasePage(Page[CaseRead]):
    """One page of cases (the one list envelope)."""


class EventRead(BaseModel):
    """A step of the timeline, as staff see it."""

    id: int
    at: Timestamp | None
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    unit_id: int | None
    actor: str
    account_id: int | None
    details: dict[str, Any] | None


class AttachmentRead(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    event_id: int | None
    url: str


class LinkRead(BaseModel):
    case_id: int
    other_case_id: int
    kind: str
    distance_m: float | None


class RatingRead(BaseModel):
    id: int
    is_fixed: bool
    satisfaction: str | None
    comment: str
    created_at: Timestamp | None


class CaseDetail(CaseRead):
    """A case with its timeline, attachments, links, ratings and what the caller may do now."""

    timeline: list[EventRead]
    attachments: list[AttachmentRead]
    links: list[LinkRead]
    ratings: list[RatingRead]
    allowed_actions: list[str]


class NearbyCase(BaseModel):
    """An open or recently closed case near a point (no personal data)."""

    number: str
    title: str
    state: str
    is_open: bool
    distance_m: float
    reported_at: Timestamp
    signal_count: int


class RevealedReporter(BaseModel):
    """Only the fields asked for, in clear (the answer carries no other key)."""

    name: str | None = None
    phone: str | None = None


class CalendarDayRead(BaseModel):
    date: Day
    is_workday: bool
    note: str
    source: Literal["official", "admin"]
    updated_by: str | None = None
    updated_at: Timestamp | None = None


class CalendarRead(BaseModel):
    year: int
    periods: list[str] = Field(description="working periods, HH:MM-HH:MM, Asia/Shanghai")
    workday_minutes: int
    official_years: list[int]
    has_official_arrangements: bool
    days: list[CalendarDayRead]


class CategoryRead(BaseModel):
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    default_priority: str
    sla_minutes: dict[str, dict[str, int]] = Field(description="per priority: minutes per stage")
    clock: str
    dedupe_radius_m: float
    dedupe_window_minutes: int
    is_public: bool


class CategoryMajor(CategoryRead):
    """A major class with its minor classes."""

    children: list[CategoryRead]


class RuleRead(BaseModel):
    id: int
    category_prefix: str
    area_prefix: str
    unit_id: int | None
    target: str
    priority: int
    note: str
    is_active: bool


class UnitBrief(BaseModel):
    id: int
    code: str
    name: str
    kind: str


class DispatchUnit(UnitBrief):
    area_code: str | None


class RoutePreview(BaseModel):
    category_code: str
    area_code: str
    unit: UnitBrief | None
    rule: RuleRead | None
    reason: str


class SnoozeRead(BaseModel):
    dedupe_key: str
    until: Timestamp
    reason: str


class ReminderRead(BaseModel):
    id: int
    case_id: int
    number: str
    title: str
    kind: str
    stage: str | None
    unit_id: int | None
    account_id: int | None
    due_at: Timestamp | None
    created_at: Timestamp
    acknowledged_at: Timestamp | None
    is_mine: bool


class ReminderAck(BaseModel):
    id: int
    acknowledged_at: Timestamp


class DigestRow(BaseModel):
    """One owning unit's day."""

    unit_id: int | None
    open: int
    red: int
    yellow: int
    received: int
    closed: int
    day: Day
    unit_code: str
    unit_name: str


class SlaTickReport(BaseModel):
    ran: bool
    holder: str
    checked: int
    changed: int
    warnings: int
    overdue: int
    escalated: int
    colors: dict[str, int]


class KpiSatisfaction(BaseModel):
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    rated: int
    satisfied_rate: float | None


class KpiGroup(BaseModel):
    """One group's figures (``key``: the street, unit, category, month … or ``total``)."""

    key: str
    received: int
    registered: int
    rejected: int
    dispatched: int
    closed: int
    closed_on_time: int
    should_close: int
    on_time_closure_rate: float | None
    open: int
    overdue: int
    overdue_open: int
    avg_minutes: dict[str, float | None] = Field(description="per stage")
    return_rate: float | None
    rework_rate: float | None
    satisfaction: KpiSatisfaction
    received_mom: int | None = None
    received_yoy: int | None = None
    mom_change: float | None = None
    yoy_change: float | None = None
    name_zh: str | None = Field(None, description="group_by=major or category")
    name_en: str | None = Field(None, description="group_by=major or category")


class KpiReport(BaseModel):
    model_config = {"populate_by_name": True}

    group_by: str
    date_from: Day = Field(alias="from")
    date_to: Day = Field(alias="to")
    groups: list[KpiGroup]


class PublicEvent(BaseModel):
    """A public step: its public text only, no actor."""

    id: int
    at: Timestamp | None
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    unit_id: int | None


class PublicRating(BaseModel):
    is_fixed: bool
    satisfaction: str | None
    at: Timestamp


class PublicCase(BaseModel):
    """What the holder of the tracking code sees: no personal data."""

    number: str
    category_code: str
    title: str
    state: str
    state_label: str
    is_open: bool
    reported_at: Timestamp
    closed_at: Timestamp | None
    expected_at: Timestamp | None
    lon: float | None
    lat: float | None
    updates: list[PublicEvent]
    attachments: list[AttachmentRead]
    ratings: list[PublicRating]
    can_rate: bool
