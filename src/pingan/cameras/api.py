"""JSON routes under /api/v1/cameras: the register (with import/export and GB/T 28181 ID explanation),
video platforms and their status push, online rate, coverage and the cameras that see a point or case."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from pingan.cases import interface as cases
from pingan.core import pagination as paging
from pingan.core.clock import as_utc, utcnow
from pingan.core.errors import Unauthorized, ValidationFailed
from pingan.core.pagination import Limit, Offset, Page
from pingan.core.validation import DbId
from pingan.web.deps import CurrentActor, DbSession
from pingan.web.files import FILE_BODY, XLSX, file_download, read_upload
from pingan.web.pages.common import lang_of
from pingan.web.routing import file_responses

from . import coverage, gbid, io, liveness, service
from .schemas import (
    CameraCreate,
    CameraRead,
    CameraUpdate,
    CoverageRow,
    GbIdRead,
    ImportReportRead,
    OnlineRates,
    PlatformCreate,
    PlatformRead,
    PlatformToken,
    SeenCamera,
    StatusPush,
    StatusResult,
    UncoveredRoad,
    UnseenPlace,
)

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
MAX_FUTURE = timedelta(minutes=5)
_platform_bearer = HTTPBearer(auto_error=False, description="a video platform's push token")

Area = Annotated[str | None, Query(max_length=20, description="an area code: cameras inside it")]


def _reads(session: Any, cameras: list[Any]) -> list[CameraRead]:
    return [CameraRead(**d) for d in service.camera_dicts(session, cameras)]


@router.get(
    "/gbid/{gb_id}", response_model=GbIdRead, summary="Explain a GB/T 28181 device ID (or 422 why not)"
)
def explain_id(actor: CurrentActor, gb_id: str) -> GbIdRead:
    return GbIdRead(**gbid.explain(gb_id[:40]).to_dict())


@router.get("", response_model=Page[CameraRead], summary="Cameras and their NVRs/platforms in your scope")
def list_cameras(
    session: DbSession,
    actor: CurrentActor,
    area: Area = None,
    role: Annotated[str | None, Query(max_length=10, description="camera, parent, platform")] = None,
    type_code: Annotated[
        str | None, Query(alias="type", max_length=3, description="type code, e.g. 132")
    ] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=100, description="name, road or ID prefix")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CameraRead]:
    stmt = service.list_cameras(session, actor, area=area, role=role, type_code=type_code, owner=owner, q=q)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    return Page[CameraRead](items=_reads(session, items), total=total, limit=limit, offset=offset)


@router.post("", response_model=CameraRead, status_code=201, summary="Register a camera, NVR/DVR or platform")
def create_camera(session: DbSession, actor: CurrentActor, body: CameraCreate) -> CameraRead:
    camera = service.save_camera(session, actor, body.model_dump(exclude_unset=True), create=True)
    return _reads(session, [camera])[0]


@router.get(
    "/export",
    summary="The register as xlsx or csv",
    response_class=Response,
    responses=file_responses(XLSX, "text/csv"),
)
def export_cameras(
    session: DbSession,
    actor: CurrentActor,
    area: Area = None,
    file_format: Annotated[str, Query(alias="format", max_length=4)] = "xlsx",
) -> Response:
    return file_download(
        io.export_cameras(session, actor, fmt=file_format, area=area), "cameras", file_format
    )


@router.get(
    "/template",
    summary="An empty register file to fill in",
    response_class=Response,
    responses=file_responses(XLSX, "text/csv"),
)
def download_template(
    actor: CurrentActor, file_format: Annotated[str, Query(alias="format", max_length=4)] = "xlsx"
) -> Response:
    fmt = "csv" if file_format == "csv" else "xlsx"
    return file_download(io.template(fmt), "cameras-template", fmt)


@router.post(
    "/import",
    response_model=ImportReportRead,
    summary="Import a register file (xlsx or csv); all-or-nothing unless valid_rows_only",
    description="The file as multipart form field `file`, or the raw body. Every row is checked; a file with "
    "errors imports nothing (422 naming each row and field) unless valid_rows_only=true.",
    openapi_extra=FILE_BODY,
)
async def import_file(
    request: Request, session: DbSession, actor: CurrentActor, valid_rows_only: bool = False
) -> ImportReportRead:
    service.check_can_write(actor)  # before the body is read
    upload = await read_upload(request)
    report = await run_in_threadpool(
        io.import_cameras,
        session,
        actor,
        data=upload.data,
        filename=upload.filename,
        valid_rows_only=valid_rows_only,
    )
    return ImportReportRead(**report.to_dict())


@router.get(
    "/online-rate",
    response_model=OnlineRates,
    summary="Online rate (在线率) per day by street, grid, owner or type",
)
def online_rate(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    by: Annotated[str, Query(max_length=8, description="street, grid, owner or type")] = "street",
    days: Annotated[int, Query(ge=1, le=31)] = 7,
    area: Area = None,
) -> OnlineRates:
    lang = lang_of(request)
    return OnlineRates(**liveness.online_rates(session, actor, by=by, days=days, area=area, lang=lang))


@router.get(
    "/coverage", response_model=list[CoverageRow], summary="Share of roads in camera view per street or grid"
)
def road_coverage(
    session: DbSession,
    actor: CurrentActor,
    level: Annotated[str, Query(max_length=6, description="street or grid")] = "street",
) -> list[CoverageRow]:
    return [CoverageRow(**r) for r in coverage.road_coverage(session, actor, level=level)]


@router.get(
    "/coverage/roads", response_model=list[UncoveredRoad], summary="Roads with stretches no camera sees"
)
def uncovered_roads(
    session: DbSession,
    actor: CurrentActor,
    min_gap_m: Annotated[float, Query(ge=10, le=5000)] = 200.0,
) -> list[UncoveredRoad]:
    return [UncoveredRoad(**r) for r in coverage.uncovered_roads(session, actor, min_gap_m=min_gap_m)]


@router.get("/coverage/places", response_model=list[UnseenPlace], summary="Key places no camera sees")
def unseen_places(session: DbSession, actor: CurrentActor) -> list[UnseenPlace]:
    return [UnseenPlace(**r) for r in coverage.unseen_places(session, actor)]


@router.get(
    "/seeing", response_model=list[SeenCamera], summary="Cameras whose view covers a point, nearest first"
)
def cameras_seeing(
    session: DbSession,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[SeenCamera]:
    return _seen(session, coverage.covering(session, actor, lon=lon, lat=lat, limit=limit))


@router.get(
    "/for-case/{case_id}",
    response_model=list[SeenCamera],
    summary="Cameras that see a case's point, nearest first",
)
def cameras_for_case(session: DbSession, actor: CurrentActor, case_id: DbId) -> list[SeenCamera]:
    case = cases.get_case(session, actor, case_id=case_id)
    if case.lon is None or case.lat is None:
        return []
    return _seen(session, coverage.covering(session, actor, lon=case.lon, lat=case.lat))


def _seen(session: Any, seen: list[coverage.Seen]) -> list[SeenCamera]:
    reads = _reads(session, [s.camera for s in seen])
    return [SeenCamera(camera=r, distance_m=round(s.distance_m, 1)) for r, s in zip(reads, seen, strict=True)]


# --- video platforms --------------------------------------------------------------------------------------


def _platform_read(session: Any, platform: Any) -> PlatformRead:
    return PlatformRead(
        id=platform.id,
        code=platform.code,
        name=platform.name,
        gb_id=platform.gb_id,
        link_template=platform.link_template,
        cameras=service.platform_camera_count(session, platform),
    )


@router.get("/platforms", response_model=list[PlatformRead], summary="Video platforms")
def list_platforms(session: DbSession, actor: CurrentActor) -> list[PlatformRead]:
    return [_platform_read(session, p) for p in service.list_platforms(session, actor)]


@router.post(
    "/platforms",
    response_model=PlatformToken,
    status_code=201,
    summary="Register a video platform (its push token is shown once)",
)
def create_platform(session: DbSession, actor: CurrentActor, body: PlatformCreate) -> PlatformToken:
    platform, token = service.create_platform(
        session, actor, code=body.code, name=body.name, gb_id=body.gb_id, link_template=body.link_template
    )
    return PlatformToken(platform=_platform_read(session, platform), token=token)


@router.post(
    "/platforms/{code}/token", response_model=PlatformToken, summary="A new push token for a platform"
)
def rotate_token(session: DbSession, actor: CurrentActor, code: str) -> PlatformToken:
    platform, token = service.rotate_platform_token(session, actor, code=code)
    return PlatformToken(platform=_platform_read(session, platform), token=token)


@router.post(
    "/status",
    response_model=StatusResult,
    summary="A video platform pushes its cameras' status (ON/OFF) in a batch",
    description="Authenticated with the platform's push token (`Authorization: Bearer …`, from "
    "POST /api/v1/cameras/platforms), not an account. ON records a hearing, OFF a reported outage; IDs not "
    "registered under the platform are answered back in `unknown`.",
)
def push_status(
    session: DbSession,
    body: StatusPush,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_platform_bearer)],
) -> StatusResult:
    platform = service.platform_by_token(session, credentials.credentials if credentials else "")
    if platform is None:
        raise Unauthorized("a video platform's push token is required (Authorization: Bearer …)")
    now = utcnow()
    batch_at = as_utc(body.at) if body.at else now
    items = []
    for index, item in enumerate(body.items):
        at = as_utc(item.at) if item.at else batch_at
        if at > now + MAX_FUTURE:
            raise ValidationFailed("a status time lies in the future", field=f"items[{index}].at")
        items.append((item.gb_id, item.status, at))
    return StatusResult(**service.push_status(session, platform, items))


# --- one register row (after the fixed paths) -------------------------------------------------------------


@router.get("/{gb_id}", response_model=CameraRead, summary="One camera, NVR/DVR or platform")
def read_camera(session: DbSession, actor: CurrentActor, gb_id: str) -> CameraRead:
    return _reads(session, [service.get_camera(session, actor, gb_id=gb_id[:40])])[0]


@router.patch("/{gb_id}", response_model=CameraRead, summary="Change a register row (the given fields)")
def update_camera(session: DbSession, actor: CurrentActor, gb_id: str, body: CameraUpdate) -> CameraRead:
    camera = service.save_camera(
        session, actor, body.model_dump(exclude_unset=True), create=False, gb_id=gb_id[:40]
    )
    return _reads(session, [camera])[0]
