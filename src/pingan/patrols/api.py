"""Patrols API under /api/v1/patrols: teams, volunteers, roster, training, handbook, shifts, positions,
coverage, statistics, the wall's live view and dispatch."""

from __future__ import annotations

import csv
import gc
import io
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError

from pingan.accounts import service as accounts
from pingan.core.clock import utcnow
from pingan.core.db import transaction
from pingan.core.errors import Forbidden, TooLarge, Unauthorized, ValidationFailed
from pingan.core.pagination import Limit, Offset
from pingan.core.security import Actor, require_role
from pingan.core.validation import DbId, export_rows
from pingan.patrols import coverage, dispatch, phones, positions, roster, shifts, training, volunteers
from pingan.patrols.common import MANAGE_ROLES, READ_ROLES
from pingan.patrols.duty_schemas import (
    CoveragePlanRead,
    CoverageRead,
    DispatchRead,
    GroupPatrolTotal,
    LiveRead,
    NearestRead,
    NotAVolunteerRead,
    PatrolEventRead,
    PatrolMeRead,
    VolunteerPatrolTotal,
)
from pingan.patrols.osmand import writer_of
from pingan.patrols.positions import DUPLICATE, OK, UNKNOWN_DEVICE, Fix, parse_batch
from pingan.patrols.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityTotal,
    BatchResult,
    BookingCreate,
    BookingRead,
    CertificateIssued,
    CertificatesCreate,
    CourseCreate,
    CourseRead,
    DeviceKeyRead,
    DispatchCreate,
    DispatchReport,
    HandbookAckCreate,
    HandbookAckRead,
    HandbookCreate,
    HandbookStatusRead,
    HandbookVersionRead,
    RevealRequest,
    RosterImportRead,
    ShiftCreate,
    ShiftRead,
    TeamCreate,
    TeamListed,
    TeamRead,
    TrackRead,
    TrainingSessionCreate,
    TrainingSessionRead,
    VolunteerCertificateRead,
    VolunteerCreate,
    VolunteerPage,
    VolunteerRead,
    VolunteerSearch,
    VolunteerUpdate,
)
from pingan.web.deps import CurrentActor, DbSession
from pingan.web.files import read_upload
from pingan.web.inputs import json_body
from pingan.web.routing import file_responses

DEPRECATED_PII = "deprecated (lands in access logs): use POST /api/v1/patrols/volunteers/search"
router = APIRouter(prefix="/api/v1/patrols", tags=["patrols"])
MAX_BATCH = 50_000
MAX_BATCH_BYTES = 16 * 1024 * 1024


# --- teams and volunteers -----------------------------------------------------------------------------


@router.get(
    "/teams", response_model=list[TeamListed], summary="Patrol teams in scope with active member counts"
)
def list_teams(session: DbSession, actor: CurrentActor, within: str | None = None) -> list[dict[str, Any]]:
    return volunteers.list_teams(session, actor, within=within)


@router.post("/teams", status_code=201, response_model=TeamRead, summary="Create a team for a community")
def create_team(session: DbSession, actor: CurrentActor, body: TeamCreate) -> dict[str, Any]:
    team = volunteers.create_team(session, actor, area_code=body.area_code, name=body.name)
    return {"id": team.id, "name": team.name, "area_code": team.area_code}


@router.get("/volunteers", response_model=VolunteerPage, summary="Volunteers in scope (personal data masked)")
def list_volunteers(
    session: DbSession,
    actor: CurrentActor,
    team_id: DbId | None = None,
    status: str | None = None,
    phone: Annotated[str | None, Query(deprecated=True, description=DEPRECATED_PII)] = None,
    id_number: Annotated[str | None, Query(deprecated=True, description=DEPRECATED_PII)] = None,
    within: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> VolunteerPage:
    search = VolunteerSearch(
        team_id=team_id,
        status=status,
        phone=phone,
        id_number=id_number,
        within=within,
        offset=offset,
        limit=limit,
    )
    return _volunteer_page(session, actor, search)


@router.post(
    "/volunteers/search", response_model=VolunteerPage, summary="Volunteers in scope, by phone or ID number"
)
def search_volunteers(session: DbSession, actor: CurrentActor, body: VolunteerSearch) -> VolunteerPage:
    """Like ``GET /volunteers``; searches by phone or ID number belong here (never in a URL or a log)."""
    return _volunteer_page(session, actor, body)


def _volunteer_page(session: DbSession, actor: Actor, f: VolunteerSearch) -> VolunteerPage:
    items, total = volunteers.list_volunteers(session, actor, **f.model_dump())
    return VolunteerPage(
        items=[VolunteerRead.model_validate(v) for v in items], total=total, offset=f.offset, limit=f.limit
    )


@router.post("/volunteers", status_code=201, response_model=VolunteerRead, summary="Register a volunteer")
def register_volunteer(session: DbSession, actor: CurrentActor, body: VolunteerCreate) -> VolunteerRead:
    v = volunteers.register_volunteer(session, actor, **body.model_dump())
    phones.register_phones(session, [v.id])
    return VolunteerRead.model_validate(v)


@router.get(
    "/volunteers/export",
    summary="Roster as CSV (masked; full with a reason) — audited",
    response_class=Response,
    responses=file_responses("text/csv"),
)
def export_volunteers(
    session: DbSession, actor: CurrentActor, within: str | None = None, full: bool = False, reason: str = ""
) -> Response:
    rows = volunteers.export_roster(session, actor, within=within, full=full, reason=reason)
    columns = ["id", "name", "id_number", "phone", "community", "team", "skills", "status", "device_id"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(export_rows([[row[c] for c in columns] for row in rows]))
    return Response(
        ("\ufeff" + buf.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="patrol-roster.csv"'},
    )


@router.get("/volunteers/{volunteer_id}", response_model=VolunteerRead, summary="One volunteer (masked)")
def read_volunteer(session: DbSession, actor: CurrentActor, volunteer_id: DbId) -> VolunteerRead:
    return VolunteerRead.model_validate(volunteers.get_volunteer(session, actor, volunteer_id))


@router.patch(
    "/volunteers/{volunteer_id}", response_model=VolunteerRead, summary="Change status, skills, device"
)
def update_volunteer(
    session: DbSession, actor: CurrentActor, volunteer_id: DbId, body: VolunteerUpdate
) -> VolunteerRead:
    v = volunteers.update_volunteer(session, actor, volunteer_id=volunteer_id, **body.model_dump())
    phones.register_phones(session, [v.id])  # a new device id joins the register
    return VolunteerRead.model_validate(v)


@router.post(
    "/volunteers/{volunteer_id}/device-key",
    response_model=DeviceKeyRead,
    summary="A new key for the volunteer's device (the old one stops working): shown once, with a QR code",
)
def rotate_device_key(
    request: Request, session: DbSession, actor: CurrentActor, volunteer_id: DbId
) -> DeviceKeyRead:
    v, key = volunteers.rotate_device_key(session, actor, volunteer_id=volunteer_id)
    url = volunteers.setup_url(str(request.base_url), key)
    return DeviceKeyRead(
        volunteer_id=v.id,
        device_id=v.device_id or "",
        device_key=key,
        server_url=url,
        qr_svg=volunteers.setup_qr_svg(url),
    )


@router.post("/volunteers/{volunteer_id}/reveal", summary="Full name, ID number and phone (reason; audited)")
def reveal_volunteer(
    session: DbSession, actor: CurrentActor, volunteer_id: DbId, body: RevealRequest
) -> dict[str, str | None]:
    return volunteers.reveal_volunteer(
        session,
        actor,
        volunteer_id=volunteer_id,
        fields=body.fields,
        purpose=body.purpose,
        reason=body.reason,
    )


@router.get(
    "/volunteers/{volunteer_id}/certificates",
    response_model=list[VolunteerCertificateRead],
    summary="A volunteer's certificates and their expiry",
)
def volunteer_certificates(
    session: DbSession, actor: CurrentActor, volunteer_id: DbId
) -> list[dict[str, Any]]:
    return training.volunteer_certificates(session, actor, volunteer_id=volunteer_id)


@router.get(
    "/volunteers/{volunteer_id}/track",
    response_model=TrackRead,
    summary="A volunteer's positions over a period (replay)",
)
def volunteer_track(
    session: DbSession,
    actor: CurrentActor,
    volunteer_id: DbId,
    since: datetime,
    until: datetime | None = None,
) -> dict[str, Any]:
    return positions.volunteer_track(session, actor, volunteer_id=volunteer_id, since=since, until=until)


# --- roster import ------------------------------------------------------------------------------------


@router.get(
    "/roster/template",
    summary="The roster import template (.xlsx)",
    response_class=Response,
    responses=file_responses("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
def roster_template(actor: CurrentActor) -> Response:
    require_role(actor, *MANAGE_ROLES)
    return Response(
        roster.template_xlsx(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="patrol-roster-template.xlsx"'},
    )


@router.post(
    "/roster/import",
    response_model=RosterImportRead,
    response_model_exclude_unset=True,  # error_file only when rows were refused
    summary="Import a roster: multipart `file` (.xlsx/.csv) or the raw body with ?filename=; row errors",
)
async def import_roster(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    valid_only: bool = False,
    filename: str = "roster.csv",
) -> dict[str, Any]:
    upload = await read_upload(request, allow_empty=True)  # an empty roster answers its own row error
    name, valid = upload.filename or filename, valid_only or upload.flag("valid_only")
    report = await anyio.to_thread.run_sync(
        lambda: roster.import_roster(session, actor, data=upload.data, filename=name, valid_only=valid)
    )
    out = report.to_dict()
    if report.errors:
        out["error_file"] = report.error_csv()
    return out


# --- training, handbook, activities -------------------------------------------------------------------


@router.get("/courses", response_model=list[CourseRead], summary="Training courses")
def list_courses(session: DbSession, actor: CurrentActor) -> list[dict[str, Any]]:
    require_role(actor, *READ_ROLES)
    return [
        {"id": c.id, "code": c.code, "title": c.title, "validity_months": c.validity_months}
        for c in training.list_courses(session)
    ]


@router.post("/courses", status_code=201, response_model=CourseRead, summary="Create a training course")
def create_course(session: DbSession, actor: CurrentActor, body: CourseCreate) -> dict[str, Any]:
    c = training.create_course(session, actor, **body.model_dump())
    return {"id": c.id, "code": c.code, "title": c.title, "validity_months": c.validity_months}


@router.post(
    "/training-sessions",
    status_code=201,
    response_model=TrainingSessionRead,
    summary="Schedule a training session",
)
def schedule_session(session: DbSession, actor: CurrentActor, body: TrainingSessionCreate) -> dict[str, Any]:
    t = training.schedule_session(session, actor, **body.model_dump())
    return {"id": t.id, "course_id": t.course_id, "area_code": t.area_code, "held_on": t.held_on}


@router.post(
    "/training-sessions/{session_id}/certificates",
    status_code=201,
    response_model=list[CertificateIssued],
    summary="Issue certificates",
)
def issue_certificates(
    session: DbSession, actor: CurrentActor, session_id: DbId, body: CertificatesCreate
) -> list[dict[str, Any]]:
    certs = training.issue_certificates(
        session, actor, session_id=session_id, volunteer_ids=body.volunteer_ids
    )
    return [{"id": c.id, "volunteer_id": c.volunteer_id, "expires_on": c.expires_on} for c in certs]


@router.get(
    "/handbook",
    response_model=HandbookStatusRead,
    summary="The current handbook version and how many acknowledged it",
)
def read_handbook(session: DbSession, actor: CurrentActor, within: str | None = None) -> dict[str, Any]:
    item = training.current_handbook(session)
    return {"body": item.body, **training.handbook_status(session, actor, within=within)}


@router.post(
    "/handbook", status_code=201, response_model=HandbookVersionRead, summary="Publish a new handbook version"
)
def publish_handbook(session: DbSession, actor: CurrentActor, body: HandbookCreate) -> dict[str, Any]:
    item = training.publish_handbook(session, actor, **body.model_dump())
    return {"id": item.id, "version": item.version, "title": item.title}


@router.post(
    "/handbook/ack",
    status_code=201,
    response_model=HandbookAckRead,
    summary="Acknowledge a handbook version",
)
def acknowledge_handbook(session: DbSession, actor: CurrentActor, body: HandbookAckCreate) -> dict[str, Any]:
    volunteer_id = body.volunteer_id
    if volunteer_id is None:
        own = volunteers.volunteer_for_account(session, actor.account_id) if actor.account_id else None
        if own is None:
            raise ValidationFailed("say which volunteer (volunteer_id)", field="volunteer_id")
        volunteer_id = own.id
    ack = training.acknowledge_handbook(session, actor, volunteer_id=volunteer_id, version=body.version)
    return {"volunteer_id": ack.volunteer_id, "version": body.version, "acknowledged_at": ack.acknowledged_at}


@router.post(
    "/activities", status_code=201, response_model=ActivityRead, summary="Record a turn-out with its hours"
)
def record_activity(session: DbSession, actor: CurrentActor, body: ActivityCreate) -> dict[str, Any]:
    a = training.record_activity(session, actor, **body.model_dump())
    return {"id": a.id, "volunteer_id": a.volunteer_id, "kind": a.kind, "hours": a.hours}


@router.get(
    "/stats/activities",
    response_model=list[ActivityTotal],
    summary="Turn-outs (人次) and hours per volunteer/team/community/street",
)
def activity_totals(
    session: DbSession,
    actor: CurrentActor,
    group_by: str = "team",
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    within: str | None = None,
) -> list[dict[str, Any]]:
    return training.activity_totals(
        session, actor, group_by=group_by, since=since, until=until, kind=kind, within=within
    )


# --- shifts -------------------------------------------------------------------------------------------


@router.get("/shifts", response_model=list[ShiftRead], summary="Shifts overlapping a period")
def list_shifts(
    session: DbSession,
    actor: CurrentActor,
    since: datetime | None = None,
    until: datetime | None = None,
    within: str | None = None,
) -> list[ShiftRead]:
    start = since or utcnow() - timedelta(hours=12)
    end = until or start + timedelta(days=7)
    return [ShiftRead(**s) for s in shifts.list_shifts(session, actor, since=start, until=end, within=within)]


@router.post(
    "/shifts", status_code=201, response_model=ShiftRead, summary="Plan a shift: grid × slot × headcount"
)
def create_shift(session: DbSession, actor: CurrentActor, body: ShiftCreate) -> ShiftRead:
    s = shifts.create_shift(session, actor, **body.model_dump())
    return ShiftRead(
        id=s.id,
        grid_code=s.grid_code,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        headcount=s.headcount,
        booked=0,
        note=s.note,
    )


@router.post(
    "/shifts/{shift_id}/bookings", status_code=201, response_model=BookingRead, summary="Sign up or assign"
)
def book_volunteer(
    session: DbSession, actor: CurrentActor, shift_id: DbId, body: BookingCreate
) -> BookingRead:
    item = shifts.book_volunteer(session, actor, shift_id=shift_id, volunteer_id=body.volunteer_id)
    return BookingRead.model_validate(item)


@router.delete("/bookings/{assignment_id}", response_model=BookingRead, summary="Cancel a planned booking")
def cancel_booking(session: DbSession, actor: CurrentActor, assignment_id: DbId) -> BookingRead:
    return BookingRead.model_validate(shifts.cancel_booking(session, actor, assignment_id=assignment_id))


@router.post("/bookings/{assignment_id}/check-in", response_model=BookingRead, summary="Start the shift")
def check_in(session: DbSession, actor: CurrentActor, assignment_id: DbId) -> BookingRead:
    return BookingRead.model_validate(shifts.check_in(session, actor, assignment_id=assignment_id))


@router.post("/bookings/{assignment_id}/check-out", response_model=BookingRead, summary="End the shift")
def check_out(session: DbSession, actor: CurrentActor, assignment_id: DbId) -> BookingRead:
    return BookingRead.model_validate(shifts.check_out(session, actor, assignment_id=assignment_id))


@router.get(
    "/coverage-plan",
    response_model=CoveragePlanRead,
    summary="Planned headcount per grid × hour; cells with no one planned",
)
def coverage_plan(
    session: DbSession,
    actor: CurrentActor,
    since: datetime | None = None,
    hours: Annotated[int, Query(ge=1, le=336)] = 24,
    within: str | None = None,
) -> dict[str, Any]:
    return shifts.coverage_plan(session, actor, since=since or utcnow(), hours=hours, within=within)


# --- positions ----------------------------------------------------------------------------------------


def _read_batch(request: Request, body: bytes) -> list[Fix]:
    """Decode (unless the input rules did) and check a batch body (the garbage collector paused: 50,000
    small dicts, nothing cyclic)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        try:
            doc = json_body(request, body)
        except orjson.JSONDecodeError:
            raise ValidationFailed('body must be JSON: {"positions": [...]}', field="positions") from None
        items = doc.get("positions") if isinstance(doc, dict) else None
        if not isinstance(items, list) or not items:
            raise ValidationFailed("positions must be a non-empty list", field="positions")
        if len(items) > MAX_BATCH:
            raise TooLarge(f"at most {MAX_BATCH} positions per batch", field="positions")
        return parse_batch(items)
    finally:
        if paused:
            gc.enable()


def _batch_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))],
) -> tuple[Actor, str | None]:
    """The bearer's actor and the device it may post for, from a short transaction of its own (retried when
    SQLite reports the snapshot stale because the position writer committed meanwhile)."""
    if credentials is None:
        raise Unauthorized("sign in first (Authorization: Bearer <token>)", code="not_authenticated")
    for attempt in range(5):
        try:
            with transaction(request.app.state.session_factory) as session:
                account = accounts.account_for_token(session, credentials.credentials)
                actor = accounts.actor_for(account, client_ip=request.client.host if request.client else None)
                return actor, volunteers.batch_device_scope(session, actor)
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


@router.post("/positions", response_model=BatchResult, summary="Our own batch position API (≤ 50,000 fixes)")
async def post_positions(
    request: Request,
    caller: Annotated[tuple[Actor, str | None], Depends(_batch_caller)],
    details: bool = False,
) -> BatchResult:
    _actor, allowed = caller
    body = await request.body()
    if len(body) > MAX_BATCH_BYTES:
        raise TooLarge("at most 16 MB per batch", field="positions")
    fixes = _read_batch(request, body)
    if allowed is not None:
        stray = next((f.device_id for f in fixes if f.device_id != allowed), None)
        if stray is not None:
            raise Forbidden("a volunteer may send positions only for their own device", field="positions")
    results = await writer_of(request.app).submit(fixes)
    unknown = sorted({f.device_id for f, r in zip(fixes, results, strict=True) if r == UNKNOWN_DEVICE})
    return BatchResult(
        accepted=results.count(OK),
        duplicates=results.count(DUPLICATE),
        unknown_devices=unknown,
        results=results if details else None,
    )


# --- coverage, statistics, live, events ---------------------------------------------------------------


@router.get(
    "/coverage",
    summary="Per grid × hour: patrolled or not; gaps; per-volunteer time and distance",
    response_class=Response,
    responses={200: {"model": CoverageRead, "description": "Successful Response"}},
)
def coverage_report(
    session: DbSession,
    actor: CurrentActor,
    since: datetime | None = None,
    hours: Annotated[int, Query(ge=1, le=744)] = 24,
    within: str | None = None,
) -> Response:
    """Written by orjson: FastAPI's generic encoder took a fifth of the answer's time (thousands of cells)."""
    start = since or (utcnow() - timedelta(hours=hours))
    report = coverage.coverage_report(session, actor, since=start, hours=hours, within=within)
    return Response(orjson.dumps(report), media_type="application/json")


@router.get(
    "/stats/patrol",
    response_model=list[VolunteerPatrolTotal] | list[GroupPatrolTotal],  # per volunteer, or per group
    summary="Time and distance on patrol (from positions) per team/community/street",
)
def patrol_totals(
    session: DbSession,
    actor: CurrentActor,
    since: datetime | None = None,
    hours: Annotated[int, Query(ge=1, le=744)] = 24,
    group_by: str = "team",
    within: str | None = None,
) -> list[dict[str, Any]]:
    start = since or (utcnow() - timedelta(hours=hours))
    return coverage.patrol_totals(session, actor, since=start, hours=hours, group_by=group_by, within=within)


@router.get(
    "/live",
    response_model=LiveRead,
    summary="Patrollers on duty now with their last positions (for the wall)",
)
def on_duty_now(
    session: DbSession, actor: CurrentActor, within: str | None = None, crs: str = "wgs84"
) -> dict[str, Any]:
    return dispatch.on_duty_now(session, actor, within=within, crs=crs)


@router.get(
    "/events",
    response_model=list[PatrolEventRead],
    summary="Check-in/out, grid enter/leave, SOS and dispatch events",
)
def list_events(
    session: DbSession,
    actor: CurrentActor,
    kind: str | None = None,
    volunteer_id: DbId | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    return shifts.list_events(session, actor, kind=kind, volunteer_id=volunteer_id, since=since, limit=limit)


# --- dispatch -----------------------------------------------------------------------------------------


@router.get(
    "/dispatch/nearest",
    response_model=NearestRead,
    response_model_exclude_unset=True,  # the case's id and number only when asked for a case
    summary="Nearest available on-duty patrollers to a point or a case",
)
def nearest(
    session: DbSession,
    actor: CurrentActor,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    case_id: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    fresh_minutes: Annotated[int, Query(ge=1, le=240)] = 10,
    skill: str | None = None,
) -> dict[str, Any]:
    return dispatch.nearest_patrollers(
        session,
        actor,
        lon=lon,
        lat=lat,
        crs=crs,
        case_id=case_id,
        limit=limit,
        fresh_minutes=fresh_minutes,
        skill=skill,
    )


@router.post(
    "/dispatches", status_code=201, response_model=DispatchRead, summary="Send a volunteer to a case"
)
def assign_dispatch(session: DbSession, actor: CurrentActor, body: DispatchCreate) -> dict[str, Any]:
    item = dispatch.assign_dispatch(
        session, actor, case_id=body.case_id, volunteer_id=body.volunteer_id, note=body.note
    )
    return dispatch.dispatch_dict(item)


@router.get(
    "/dispatches/mine", response_model=list[DispatchRead], summary="The signed-in volunteer's open dispatches"
)
def my_dispatches(session: DbSession, actor: CurrentActor) -> list[dict[str, Any]]:
    return [dispatch.dispatch_dict(d) for d in dispatch.my_dispatches(session, actor)]


@router.post(
    "/dispatches/{dispatch_id}/report",
    response_model=DispatchRead,
    summary="Accepted / arrived / done / declined, into the case",
)
def report_dispatch(
    session: DbSession, actor: CurrentActor, dispatch_id: DbId, body: DispatchReport
) -> dict[str, Any]:
    item = dispatch.report_dispatch(
        session, actor, dispatch_id=dispatch_id, status=body.status, outcome=body.outcome
    )
    return dispatch.dispatch_dict(item)


@router.get(
    "/me",
    response_model=PatrolMeRead | NotAVolunteerRead,
    summary="The signed-in volunteer's own record, bookings and dispatches",
)
def me(session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    own = volunteers.volunteer_for_account(session, actor.account_id) if actor.account_id else None
    if own is None:
        return {"volunteer": None}
    now = utcnow()
    bookings = shifts.bookings_of(session, volunteer_id=own.id, since=now - timedelta(hours=12))
    return {
        "volunteer": VolunteerRead.model_validate(own).model_dump(),
        "bookings": [BookingRead.model_validate(b).model_dump() for b in bookings],
        "dispatches": [dispatch.dispatch_dict(d) for d in dispatch.my_dispatches(session, actor)],
    }
