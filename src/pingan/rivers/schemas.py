"""Pydantic shapes of the rivers API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pingan.core.pagination import Page

from .gb3838 import LABELS, WaterClass

Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
StationCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
AreaCode = Annotated[str, Field(min_length=6, max_length=20, pattern=r"^[0-9]+$")]
ClassText = Annotated[str, Field(description="a GB 3838 class: I, II, III, IV, V or 劣V", max_length=12)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


def class_label(value: int | None) -> str | None:
    return LABELS[WaterClass(value)] if value is not None else None


class RiverCreate(BaseModel):
    code: Code
    name: Name
    area_code: AreaCode
    is_lake: bool = False


class RiverRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    area_code: str
    is_lake: bool


class SegmentCreate(BaseModel):
    river_id: int = Field(ge=1, le=2**63 - 1)
    code: Code
    name: Name
    area_code: AreaCode
    line: list[tuple[Lon, Lat]] = Field(min_length=2, max_length=2000, description="[[lon, lat], …] WGS-84")
    target_class: ClassText


class SegmentRead(BaseModel):
    id: int
    river_id: int
    code: str
    name: str
    area_code: str
    line: list[list[float]]
    target_class: str


class ChiefSet(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=50)]
    title: Annotated[str, Field(max_length=100)] = ""


class ChiefRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    segment_id: int
    level: str
    name: str
    title: str


class StationCreate(BaseModel):
    segment_id: int = Field(ge=1, le=2**63 - 1)
    code: StationCode
    name: Name
    kind: Annotated[str, Field(description="automatic or manual", max_length=10)] = "automatic"
    lon: Lon
    lat: Lat
    parameters: list[Annotated[str, Field(max_length=16)]] = Field(min_length=1, max_length=30)
    target_class: ClassText | None = Field(None, description="defaults to the segment's")


class StationRead(BaseModel):
    id: int
    code: str
    name: str
    segment_id: int
    area_code: str
    kind: str
    lon: float
    lat: float
    parameters: list[str]
    target_class: str
    current_class: str | None = Field(description="the latest sample's class over the parameters it measures")
    deciding: list[str] = Field(description="the parameters at that class (定类项目)")
    classified_at: datetime | None
    worse_streak: int


class ReadingIn(BaseModel):
    station: StationCode
    parameter: Annotated[str, Field(min_length=1, max_length=32)]
    value: Annotated[float, Field(allow_inf_nan=False)]
    unit: Annotated[str | None, Field(max_length=16, description="default: the parameter's unit")] = None
    observed_at: AwareDatetime


class ReadingBatch(BaseModel):
    readings: list[ReadingIn] = Field(min_length=1, max_length=5000)


class RefusedRead(BaseModel):
    index: int = Field(description="the reading's position in the batch (NGSI: in the flattened measures)")
    station: str
    parameter: str
    reason: str
    detail: str


class IngestRead(BaseModel):
    accepted: int
    duplicates: int = Field(description="already stored (station, parameter, time): ignored")
    refused: list[RefusedRead]
    alerts: list[str] = Field(description="dedupe keys of the cases raised or signalled")


class ReadingRead(BaseModel):
    parameter: str
    observed_at: datetime
    value: float
    unit: str


class RefusalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    station_code: str
    reason: str
    count: int
    last_detail: str
    last_at: datetime


class ClassifyIn(BaseModel):
    values: dict[Annotated[str, Field(max_length=16)], Annotated[float, Field(allow_inf_nan=False)]] = Field(
        min_length=1, max_length=30
    )
    is_lake: bool = False


class ClassifyRead(BaseModel):
    standard: str
    water_class: str | None
    deciding: list[str]
    by_parameter: dict[str, str]


RiverPage = Page[RiverRead]
SegmentPage = Page[SegmentRead]
StationPage = Page[StationRead]
ReadingPage = Page[ReadingRead]
RefusalPage = Page[RefusalRead]


def segment_read(segment: Any) -> SegmentRead:
    return SegmentRead(
        id=segment.id,
        river_id=segment.river_id,
        code=segment.code,
        name=segment.name,
        area_code=segment.area_code,
        line=segment.line,
        target_class=LABELS[WaterClass(segment.target_class)],
    )


def station_read(station: Any) -> StationRead:
    return StationRead(
        id=station.id,
        code=station.code,
        name=station.name,
        segment_id=station.segment_id,
        area_code=station.area_code,
        kind=station.kind,
        lon=station.lon,
        lat=station.lat,
        parameters=station.parameters,
        target_class=LABELS[WaterClass(station.target_class)],
        current_class=class_label(station.current_class),
        deciding=[p for p in station.deciding.split(",") if p],
        classified_at=station.classified_at,
        worse_streak=station.worse_streak,
    )
