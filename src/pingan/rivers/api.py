"""JSON routes under /api/v1/rivers: the registers (rivers, segments, chiefs, stations), readings in (a
batch, or NGSI-LD WaterQualityObserved entities) and out, refusals, and the GB 3838 classifier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from pingan.core.errors import ValidationFailed
from pingan.core.pagination import Limit, Offset
from pingan.core.security import Role, require_role
from pingan.web.deps import CurrentActor, DbSession

from . import gb3838, ingest, ngsi, registers
from .parameters import PARAMETERS
from .schemas import (
    ChiefRead,
    ChiefSet,
    ClassifyIn,
    ClassifyRead,
    IngestRead,
    ReadingBatch,
    ReadingPage,
    ReadingRead,
    RefusalPage,
    RefusalRead,
    RefusedRead,
    RiverCreate,
    RiverPage,
    RiverRead,
    SegmentCreate,
    SegmentPage,
    SegmentRead,
    StationCreate,
    StationPage,
    StationRead,
    segment_read,
    station_read,
)

router = APIRouter(prefix="/api/v1/rivers", tags=["rivers"])
DbIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
DbIdQuery = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationFailed(f"{name} must carry a time zone (e.g. Z)", field=name)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed(f"{name} is out of range", field=name) from None


def _ingested(report: ingest.IngestReport) -> IngestRead:
    return IngestRead(
        accepted=report.accepted,
        duplicates=report.duplicates,
        refused=[RefusedRead(**vars(r)) for r in report.refused],
        alerts=report.alerts,
    )


@router.get("", response_model=RiverPage, summary="Rivers in your scope")
def list_rivers(session: DbSession, actor: CurrentActor, limit: Limit = 50, offset: Offset = 0) -> RiverPage:
    items, total = registers.page(session, registers.river_rows(actor), limit=limit, offset=offset)
    return RiverPage(
        items=[RiverRead.model_validate(r) for r in items], total=total, limit=limit, offset=offset
    )


@router.post("", response_model=RiverRead, status_code=201, summary="Add a river (or lake)")
def add_river(session: DbSession, actor: CurrentActor, body: RiverCreate) -> RiverRead:
    river = registers.add_river(session, actor, **body.model_dump())
    return RiverRead.model_validate(river)


@router.get("/segments", response_model=SegmentPage, summary="River segments in your scope")
def list_segments(
    session: DbSession, actor: CurrentActor, river_id: DbIdQuery = None, limit: Limit = 50, offset: Offset = 0
) -> SegmentPage:
    stmt = registers.segment_rows(actor, river_id=river_id)
    items, total = registers.page(session, stmt, limit=limit, offset=offset)
    return SegmentPage(items=[segment_read(s) for s in items], total=total, limit=limit, offset=offset)


@router.post("/segments", response_model=SegmentRead, status_code=201, summary="Add a segment to a river")
def add_segment(session: DbSession, actor: CurrentActor, body: SegmentCreate) -> SegmentRead:
    values: dict[str, Any] = body.model_dump()
    values["target_class"] = registers.parse_class(body.target_class)
    return segment_read(registers.add_segment(session, actor, **values))


@router.get(
    "/segments/{segment_id}/chiefs", response_model=list[ChiefRead], summary="A segment's river chiefs"
)
def list_chiefs(session: DbSession, actor: CurrentActor, segment_id: DbIdPath) -> list[ChiefRead]:
    return [ChiefRead.model_validate(c) for c in registers.chiefs_of(session, actor, segment_id)]


@router.put(
    "/segments/{segment_id}/chiefs/{level}",
    response_model=ChiefRead,
    summary="Set a segment's chief at a level",
)
def set_chief(
    session: DbSession,
    actor: CurrentActor,
    segment_id: DbIdPath,
    level: Annotated[str, Path(max_length=12, description="district, street or community")],
    body: ChiefSet,
) -> ChiefRead:
    chief = registers.set_chief(session, actor, segment_id=segment_id, level=level, **body.model_dump())
    return ChiefRead.model_validate(chief)


@router.get("/stations", response_model=StationPage, summary="Water-quality stations in your scope")
def list_stations(
    session: DbSession,
    actor: CurrentActor,
    segment_id: DbIdQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> StationPage:
    stmt = registers.station_rows(actor, segment_id=segment_id)
    items, total = registers.page(session, stmt, limit=limit, offset=offset)
    return StationPage(items=[station_read(s) for s in items], total=total, limit=limit, offset=offset)


@router.post("/stations", response_model=StationRead, status_code=201, summary="Add a station to a segment")
def add_station(session: DbSession, actor: CurrentActor, body: StationCreate) -> StationRead:
    values: dict[str, Any] = body.model_dump()
    if body.target_class is not None:
        values["target_class"] = registers.parse_class(body.target_class)
    return station_read(registers.add_station(session, actor, **values))


@router.get(
    "/stations/{station_id}", response_model=StationRead, summary="One station, with its current class"
)
def get_station(session: DbSession, actor: CurrentActor, station_id: DbIdPath) -> StationRead:
    return station_read(registers.get_station(session, actor, station_id))


@router.get("/stations/{station_id}/readings", response_model=ReadingPage, summary="A station's readings")
def list_readings(
    session: DbSession,
    actor: CurrentActor,
    station_id: DbIdPath,
    parameter: Annotated[str | None, Query(max_length=16)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ReadingPage:
    since, until = _utc(since, "since"), _utc(until, "until")
    stmt = registers.reading_rows(session, actor, station_id, parameter=parameter, since=since, until=until)
    rows, total = registers.page(session, stmt, limit=limit, offset=offset)
    items = [ReadingRead(parameter=p, observed_at=at, value=v, unit=PARAMETERS[p].unit) for p, at, v in rows]
    return ReadingPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/stations/{station_id}/refusals",
    response_model=list[RefusalRead],
    summary="Readings refused for a station, counted by reason",
)
def station_refusals(session: DbSession, actor: CurrentActor, station_id: DbIdPath) -> list[RefusalRead]:
    return [RefusalRead.model_validate(r) for r in registers.station_refusals(session, actor, station_id)]


@router.get("/refusals", response_model=RefusalPage, summary="Every refusal count (unknown stations too)")
def list_refusals(
    session: DbSession, actor: CurrentActor, limit: Limit = 50, offset: Offset = 0
) -> RefusalPage:
    items, total = registers.page(session, registers.refusal_rows(actor), limit=limit, offset=offset)
    return RefusalPage(
        items=[RefusalRead.model_validate(r) for r in items], total=total, limit=limit, offset=offset
    )


@router.post("/readings", response_model=IngestRead, summary="Send a batch of readings (station gateways)")
def send_readings(session: DbSession, actor: CurrentActor, body: ReadingBatch) -> IngestRead:
    measures = [ingest.Measure(r.station, r.parameter, r.value, r.unit, r.observed_at) for r in body.readings]
    return _ingested(ingest.ingest(session, measures, actor=actor))


@router.post(
    "/ngsi-ld/entities",
    response_model=IngestRead,
    summary="Send NGSI-LD WaterQualityObserved entities (one, or a list as for entityOperations/upsert)",
)
def send_ngsi(
    session: DbSession,
    actor: CurrentActor,
    body: Annotated[dict[str, Any] | list[dict[str, Any]], Body(description="WaterQualityObserved entities")],
) -> IngestRead:
    require_role(actor, *ingest.INGEST)
    entities = body if isinstance(body, list) else [body]
    if not 1 <= len(entities) <= 1000:
        raise ValidationFailed("send 1 to 1000 entities", field="body")
    return _ingested(ingest.ingest(session, ngsi.measures(entities), actor=actor))


@router.post("/classify", response_model=ClassifyRead, summary="GB 3838-2002 class of a sample (单因子评价)")
def classify(actor: CurrentActor, body: ClassifyIn) -> ClassifyRead:
    require_role(actor, *registers.READ, Role.DEPARTMENT_HANDLER)
    found = gb3838.classify(body.values, lake=body.is_lake)
    if found is None:
        return ClassifyRead(standard=gb3838.STANDARD, water_class=None, deciding=[], by_parameter={})
    return ClassifyRead(
        standard=found.standard,
        water_class=found.water_class.label,
        deciding=list(found.deciding),
        by_parameter={p: c.label for p, c in found.by_parameter.items()},
    )
