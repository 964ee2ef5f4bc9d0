"""Request shapes of the cases API (responses are plain dicts built by the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from pingan.audit.schemas import RevealRequest as RevealRequest  # one shape for every reveal
from pingan.core.validation import DbId, PageNumber

# A category code as typed or pasted: surrounding whitespace of any kind (NBSP, U+3000 …) is not part of it.
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=4)]


class CaseSearch(BaseModel):
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
    page: PageNumber = 1
    page_size: int = Field(50, ge=1, le=500)


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
