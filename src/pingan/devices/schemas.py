"""Pydantic shapes of the devices API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class DeviceRead(BaseModel):
    id: int
    kind: str
    external_id: str
    name: str
    area_code: str
    place_id: int | None
    lon: float | None
    lat: float | None
    status: str
    status_since: str | None
    last_seen_at: str | None
    outage_case_id: int | None
    attributes: dict[str, Any]
    parent_id: int | None = None  # the device it reports through (a camera's NVR)


class DevicePage(BaseModel):
    items: list[DeviceRead]
    total: int
    offset: int
    limit: int


class StatusCounts(BaseModel):
    total: int
    online: int
    offline: int
    unknown: int


class DeviceSummary(StatusCounts):
    by_kind: dict[str, StatusCounts]
