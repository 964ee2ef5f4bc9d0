"""Request and response shapes of the areas API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pingan.core.geojson import Feature, FeatureCollection


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


class AreaNode(BaseModel):
    """One area of the tree with the areas under it."""

    code: str
    name: str
    level: str
    parent_code: str | None
    households: int | None = Field(description="only for callers whose area scope covers this area")
    population: int | None = Field(description="only for callers whose area scope covers this area")
    children: list[AreaNode]


class AreaProperties(BaseModel):
    """An area feature's properties: its own, then the area's further properties (imported with it)."""

    model_config = ConfigDict(extra="allow")
    code: str
    name: str
    level: str
    parent_code: str | None
    households: int | None = Field(description="only for callers whose area scope covers this area")
    population: int | None = Field(description="only for callers whose area scope covers this area")
    area_m2: float
    label: list[float] | None = Field(None, description="a point inside the area, [lon, lat] (labels=true)")


class AreaFeature(Feature[AreaProperties]):
    id: str = Field(description="the area code")


class AreaCollection(FeatureCollection[AreaFeature]):
    """Boundaries of one level."""


class RoadProperties(BaseModel):
    name: str
    kind: str
    length_m: float
    label: list[float] = Field(description="the midpoint of the road's longest line, [lon, lat]")


class RoadFeature(Feature[RoadProperties]):
    pass


class RoadCollection(FeatureCollection[RoadFeature]):
    """The district's named roads."""
