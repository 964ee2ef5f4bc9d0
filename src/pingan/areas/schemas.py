"""Request and response shapes of the areas API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AreaRefRead(BaseModel):
    code: str
    name: str
    level: str


class LocateRead(BaseModel):
    """Where a point lies: None for every level outside the district."""

    lon: float
    lat: float
    crs: str
    grid: AreaRefRead | None
    community: AreaRefRead | None
    street: AreaRefRead | None
    district: AreaRefRead | None


class LocateBatch(BaseModel):
    """Many points at once: ``[[lon, lat], …]`` in one coordinate system."""

    crs: str = "wgs84"
    points: list[tuple[float, float]] = Field(..., max_length=100_000)


class LocateBatchRead(BaseModel):
    crs: str
    results: list[dict[str, AreaRefRead | None] | None]


class AreaRead(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    households: int | None = Field(description="only for callers whose area scope covers this area")
    population: int | None = Field(description="only for callers whose area scope covers this area")
    area_m2: float | None
    bbox: list[float] | None
    ancestors: list[AreaRefRead]
    children: list[AreaRefRead]
    properties: dict[str, Any]
    geometry: dict[str, Any] | None = None
