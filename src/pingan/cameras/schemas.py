"""Pydantic shapes of the cameras API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

GbIdText = Field(min_length=1, max_length=40, description="a 20-digit GB/T 28181 device ID")


class GbIdRead(BaseModel):
    gb_id: str
    centre_code: str
    province: str
    city: str
    district: str
    grassroots: str
    area_code: str
    area_name_zh: str
    area_name_en: str
    industry: str
    industry_zh: str
    industry_en: str
    type_code: str
    type_zh: str
    type_en: str
    role: str
    network: str
    network_zh: str
    network_en: str
    serial: str


class CameraFields(BaseModel):
    name: str | None = Field(None, max_length=200)
    parent_gb_id: str | None = Field(None, max_length=40)
    platform: str | None = Field(None, max_length=32, description="the code of its video platform")
    lon: float | None = None
    lat: float | None = None
    crs: str | None = Field(None, max_length=16, description="wgs84 (default, also cgcs2000), gcj02 or bd09")
    area_code: str | None = Field(None, max_length=20, description="its grid, when it has no position")
    direction_deg: float | None = Field(None, description="mounting direction, degrees clockwise from north")
    fov_deg: float | None = Field(None, description="horizontal field of view in degrees (360: a dome)")
    range_m: float | None = Field(None, description="useful viewing range in metres")
    owner_unit: str | None = Field(None, max_length=100)
    road: str | None = Field(None, max_length=100)
    place_name: str | None = Field(None, max_length=200)
    install_date: date | None = None
    contract_no: str | None = Field(None, max_length=64)
    contract_expires_on: date | None = None
    manufacturer: str | None = Field(None, max_length=100)
    model: str | None = Field(None, max_length=100)
    sip_password: str | None = Field(None, max_length=64, description="its SIP password (stored encrypted)")


class CameraCreate(CameraFields):
    gb_id: str = GbIdText
    name: str = Field(max_length=200)


class CameraUpdate(CameraFields):
    pass


class CameraRead(BaseModel):
    id: int
    gb_id: str
    name: str
    type_code: str
    type_name: str
    role: str
    parent_gb_id: str | None
    platform: str | None
    area_code: str
    lon: float | None
    lat: float | None
    direction_deg: float | None
    fov_deg: float | None
    range_m: float | None
    owner_unit: str
    road: str
    place_name: str
    install_date: date | None
    contract_no: str
    contract_expires_on: date | None
    manufacturer: str
    model: str
    has_sip_password: bool
    status: str
    status_since: datetime | None
    last_seen_at: datetime | None
    outage_case_id: int | None
    video_url: str | None


class SeenCamera(BaseModel):
    camera: CameraRead
    distance_m: float


class PlatformCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    gb_id: str | None = Field(None, max_length=40)
    link_template: str = Field("", max_length=500)


class PlatformRead(BaseModel):
    id: int
    code: str
    name: str
    gb_id: str | None
    link_template: str
    cameras: int


class PlatformToken(BaseModel):
    platform: PlatformRead
    token: str = Field(description="the push token, shown once: send it as `Authorization: Bearer …`")


class StatusItem(BaseModel):
    gb_id: str = Field(min_length=1, max_length=40)
    status: Literal["ON", "OFF"]
    at: datetime | None = Field(None, description="when (default: the batch's `at`, else now)")


class StatusPush(BaseModel):
    at: datetime | None = None
    items: list[StatusItem] = Field(min_length=1, max_length=5000)


class StatusResult(BaseModel):
    received: int
    online: int
    offline: int
    unknown: list[str]
    unknown_count: int


class RateGroup(BaseModel):
    key: str
    label: str
    cameras: int
    rates: list[float | None]
    rate: float | None


class OnlineRates(BaseModel):
    by: str
    days: list[str]
    groups: list[RateGroup]
    overall: list[float | None]
    cameras: int


class CoverageRow(BaseModel):
    area_code: str
    name: str
    road_m: int
    covered_m: int
    share: float | None


class UncoveredRoad(BaseModel):
    name: str
    kind: str
    length_m: int
    unseen_m: int
    gaps: list[list[list[float]]]


class UnseenPlace(BaseModel):
    place_id: int
    name: str
    place_type: str
    area_code: str
    lon: float
    lat: float


class RowErrorRead(BaseModel):
    row: int
    field: str
    message: str


class ImportReportRead(BaseModel):
    total: int
    imported: int
    rejected: int
    errors: list[RowErrorRead]
