"""JSON API of the cases workflow under /api/v1 (intake, reading, actions, rules, SLA, KPIs, live feed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from pingan.cases import (
    dedupe,
    intake,
    jobs,
    kpis,
    live,
    public,
    routing,
    service,
    sla,
    storage,
    workdays,
    workflow,
)
from pingan.cases.access import OPERATOR_ROLES, VIEW_ROLES
from pingan.cases.config import get_cases_settings
from pingan.cases.schemas import (
    CalendarDayRead,
    CalendarDayUpdate,
    CalendarRead,
    CaseAction,
    CaseCreate,
    CaseCreated,
    CaseDetail,
    CasePage,
    CaseRead,
    CaseSearch,
    CaseSplit,
    CategoryMajor,
    CategoryRead,
    CategoryUpdate,
    DigestRow,
    DispatchUnit,
    KpiReport,
    NearbyCase,
    PublicCase,
    RatingCreate,
    ReminderAck,
    ReminderRead,
    RevealedReporter,
    RevealRequest,
    RoutePreview,
    RuleCreate,
    RuleRead,
    SlaTickReport,
    SnoozeCreate,
    SnoozeRead,
)
from pingan.core.clock import utcnow
from pingan.core.errors import Unauthorized, ValidationFailed
from pingan.core.events import bus
from pingan.core.pagination import Limit, Offset
from pingan.core.security import Actor, Role, require_role
from pingan.core.validation import DbId
from pingan.web.deps import (
    CurrentActor,
    DbSession,
    OptionalActor,
    RememberedActor,
    client_ip,
    parse_body,
    parse_fields,
    remembered_actor,
)
from pingan.web.middleware import rate_limit
from pingan.web.routing import file_responses

T = TypeVar("T")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Check the attachment store, start the PostgreSQL live-feed bridge, the intake writer process and (when
    enabled) the SLA ticker."""
    cs = get_cases_settings()
    storage.check_store()  # an unusable S3 bucket fails the start with a clear message
    engine = app.state.engine
    bridge = None
    if engine.dialect.name == "postgresql" and cs.listen_postgres:
        bridge = live.PgBridge(engine.url.render_as_string(hide_password=False))
        bridge.start()
    ticker = (
        jobs.SlaTicker(app.state.session_factory, cs.sla_tick_seconds) if cs.sla_tick_seconds > 0 else None
    )
    if ticker is not None:
        ticker.start()
    writer = intake_writer(app)
    writer.start()
    try:
        yield
    finally:
        writer.close()
        if ticker is not None:
            ticker.stop()
        if bridge is not None:
            bridge.stop()


router = APIRouter(tags=["cases"], lifespan=lifespan)


def limit_anonymous(request: Request, group: str) -> None:
    """Anonymous callers share the per-IP rate limit of ``group`` (signed-in apps are not limited here)."""
    rate_limit(group)(request)


def _report(
    actor: Actor | None, body: CaseCreate, files: list[tuple[str, bytes]] | None = None
) -> intake.Report:
    """The report of an intake request, after the channel's own checks."""
    anonymous = actor is None or actor.account_id is None
    if anonymous and body.source != "resident_web":
        raise Unauthorized("sign in to report through this channel", code="not_authenticated")
    if anonymous and not body.reporter_phone:
        raise ValidationFailed(
            "an anonymous report needs a phone number to reach you", field="reporter_phone"
        )
    return intake.Report(
        category_code=body.category_code,
        description=body.description,
        source=body.source,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        title=body.title,
        address=body.address,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        is_anonymous_public=body.is_anonymous_public,
        on_behalf=body.source == "hotline",
        attributes=body.attributes,
        files=files,
    )


def intake_writer(app: FastAPI) -> intake.IntakeWriter:
    """The app's batched intake writer (created on first use with the app's session factory)."""
    writer: intake.IntakeWriter | None = getattr(app.state, "intake_writer", None)
    if writer is None or writer.factory is not app.state.session_factory:
        if writer is not None:
            writer.close()
        writer = intake.IntakeWriter(app.state.session_factory, settings=app.state.settings)
        app.state.intake_writer = writer
    return writer


_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "the new case (staff view) with its tracking code, once committed",
        "model": CaseCreated,  # documented only: the answer is written by the intake writer, already JSON
    }
}


async def _submit(request: Request, actor: Actor | None, report: intake.Report) -> Response:
    if actor is None:
        limit_anonymous(request, "reports")
    pending = intake.Pending(actor, report, client_ip(request))
    created = await intake_writer(request.app).submit(pending)
    return Response(orjson.dumps(created), status_code=201, media_type="application/json")


@router.post(
    "/api/v1/cases",
    status_code=201,
    summary="Report a problem (resident, hotline, grid worker, app)",
    response_class=Response,
    responses=_CREATED,
    # The busiest write of the system takes its actor and body itself: FastAPI's dependency resolution
    # cost more than the rest of the request's own work. The body and sign-in are documented here.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CaseCreate.model_json_schema()}},
        },
        "security": [{"HTTPBearer": []}, {}],
    },
)
async def create_case(request: Request) -> Response:
    actor = await remembered_actor(request)
    body = parse_body(CaseCreate, await request.body())
    return await _submit(request, actor, _report(actor, body))


@router.post(
    "/api/v1/cases/form",
    status_code=201,
    summary="Report a problem with photos (multipart)",
    response_class=Response,
    responses=_CREATED,
)
async def create_case_form(
    request: Request,
    actor: RememberedActor,
    category_code: Annotated[str, Form()],
    description: Annotated[str, Form()],
    lon: Annotated[float | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    crs: Annotated[str, Form()] = "wgs84",
    title: Annotated[str | None, Form()] = None,
    address: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "resident_web",
    reporter_name: Annotated[str | None, Form()] = None,
    reporter_phone: Annotated[str | None, Form()] = None,
    is_anonymous_public: Annotated[bool, Form()] = False,
    media: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    body = parse_fields(
        CaseCreate,
        {
            "category_code": category_code,
            "description": description,
            "lon": lon,
            "lat": lat,
            "crs": crs,
            "title": title or None,
            "address": address,
            "source": source,
            "reporter_name": reporter_name or None,
            "reporter_phone": reporter_phone or None,
            "is_anonymous_public": is_anonymous_public,
        },
    )
    files = [(f.filename or "upload", await f.read()) for f in media or [] if f.filename or f.size]
    return await _submit(request, actor, _report(actor, body, files))


@router.get(
    "/api/v1/cases/nearby",
    response_model=list[NearbyCase],
    summary="Open and recently closed cases of a category near a point",
)
def nearby(
    request: Request, db: DbSession, category_code: str, lon: float, lat: float, crs: str = "wgs84"
) -> list[dict[str, Any]]:
    limit_anonymous(request, "public")
    return dedupe.nearby_public(db, category_code=category_code, lon=lon, lat=lat, crs=crs)


LIST_PARAMS = frozenset(
    {
        "state",
        "category",
        "area_code",
        "owner_unit_id",
        "source",
        "sla_color",
        "is_open",
        "q",
        "reporter_phone",
        "reported_from",
        "reported_to",
        "escalation_level",
        "is_supervised",
        "limit",
        "offset",
    }
)


def reject_unknown_params(request: Request, known: frozenset[str]) -> None:
    """422 naming a query parameter the endpoint does not know (a misspelt filter must not list all)."""
    for name in request.query_params:
        if name not in known:
            raise ValidationFailed(
                f"unknown query parameter {name!r}; known: {', '.join(sorted(known))}", field=name
            )


@router.get("/api/v1/cases", response_model=CasePage, summary="Cases in the caller's scope (filters, pages)")
def list_cases(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    state: Annotated[list[str] | None, Query()] = None,
    category: str | None = None,
    area_code: str | None = None,
    owner_unit_id: DbId | None = None,
    source: str | None = None,
    sla_color: str | None = None,
    is_open: bool | None = None,
    q: str | None = None,
    reporter_phone: Annotated[
        str | None, Query(deprecated=True, description="deprecated: use POST /api/v1/cases/search")
    ] = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
    escalation_level: Annotated[str | None, Query(description="street or district (上报区级)")] = None,
    is_supervised: Annotated[bool | None, Query(description="督办 cases only (true) or none of them")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    reject_unknown_params(request, LIST_PARAMS)
    search = CaseSearch(
        state=state,
        category=category,
        area_code=area_code,
        owner_unit_id=owner_unit_id,
        source=source,
        sla_color=sla_color,
        is_open=is_open,
        q=q,
        reporter_phone=reporter_phone,
        reported_from=reported_from,
        reported_to=reported_to,
        escalation_level=escalation_level,
        is_supervised=is_supervised,
        limit=limit,
        offset=offset,
    )
    return _case_page(db, actor, search)


@router.post(
    "/api/v1/cases/search",
    response_model=CasePage,
    summary="Cases in the caller's scope, filters in the body (by reporter phone)",
)
def search_cases(db: DbSession, actor: CurrentActor, body: CaseSearch) -> dict[str, Any]:
    """Like ``GET /api/v1/cases``; a search by reporter phone belongs here (no phone in a URL or a log)."""
    return _case_page(db, actor, body)


def _case_page(db: Session, actor: Actor, f: CaseSearch) -> dict[str, Any]:
    filters = service.CaseFilter(
        state=f.state,
        category_prefix=f.category,
        area_code=f.area_code,
        owner_unit_id=f.owner_unit_id,
        source=f.source,
        sla_color=f.sla_color,
        is_open=f.is_open,
        q=f.q,
        reporter_phone=f.reporter_phone,
        reported_from=f.reported_from,
        reported_to=f.reported_to,
        escalation_level=f.escalation_level,
        is_supervised=f.is_supervised,
    )
    items, total = service.list_cases(db, actor, filters=filters, limit=f.limit, offset=f.offset)
    now, calendar = utcnow(), sla.calendar_for(db)
    return {
        "items": [service.case_dict(c, now=now, calendar=calendar) for c in items],
        "total": total,
        "limit": f.limit,
        "offset": f.offset,
    }


@router.get("/api/v1/cases/by-number/{number}", response_model=CaseDetail, summary="One case by its number")
def case_by_number(db: DbSession, actor: CurrentActor, number: str) -> dict[str, Any]:
    case = service.get_case_by_number(db, actor, number=number)
    return _detail(db, actor, case)


# --- the work calendar (SLA working time); declared before /api/v1/cases/{case_id} ---


@router.get(
    "/api/v1/cases/calendar",
    response_model=CalendarRead,
    response_model_exclude_unset=True,  # official days have no updated_by/updated_at
    summary="Work calendar of a year: working periods, holidays, make-up days",
)
def calendar(
    db: DbSession, actor: CurrentActor, year: Annotated[int | None, Query(ge=1900, le=2200)] = None
) -> dict[str, Any]:
    return workdays.list_days(db, actor, year=year)


@router.put(
    "/api/v1/cases/calendar/{day}",
    response_model=CalendarDayRead,
    summary="Make a day a working day or a day off (district admin)",
)
def put_calendar_day(
    db: DbSession, actor: CurrentActor, day: date, body: CalendarDayUpdate
) -> dict[str, Any]:
    row = workdays.set_day(db, actor, day=day, is_workday=body.is_workday, note=body.note)
    return workdays.day_dict(row)


@router.delete("/api/v1/cases/calendar/{day}", status_code=204, summary="Remove an admin's calendar day")
def delete_calendar_day(db: DbSession, actor: CurrentActor, day: date) -> None:
    workdays.unset_day(db, actor, day=day)


_ATTACHMENT = file_responses(*sorted(storage.ALLOWED))


@router.get(
    "/api/v1/cases/attachments/{attachment_id}",
    summary="Download a photo or document",
    response_class=Response,
    responses=_ATTACHMENT,
)
def download_attachment(db: DbSession, actor: CurrentActor, attachment_id: DbId) -> Response:
    attachment, data = service.get_attachment(db, actor, attachment_id=attachment_id)
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{attachment.id}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _detail(db: Session, actor: Actor, case: Any) -> dict[str, Any]:
    body = service.case_dict(case, calendar=sla.calendar_for(db))
    body["timeline"] = [service.event_dict(e) for e in service.timeline(db, actor, case_id=case.id)]
    body["attachments"] = [service.attachment_dict(a) for a in service.attachments_of(db, case.id)]
    body["links"] = [
        {
            "case_id": link.case_id,
            "other_case_id": link.other_case_id,
            "kind": link.kind,
            "distance_m": link.distance_m,
        }
        for link in service.links_of(db, case.id)
    ]
    body["ratings"] = [service.rating_dict(r) for r in service.ratings_of(db, case.id)]
    body["allowed_actions"] = workflow.allowed_actions(db, actor, case)
    return body


@router.get(
    "/api/v1/cases/{case_id}",
    response_model=CaseDetail,
    summary="One case with its timeline, attachments, links and allowed actions",
)
def get_case(db: DbSession, actor: CurrentActor, case_id: DbId) -> dict[str, Any]:
    return _detail(db, actor, service.get_case(db, actor, case_id=case_id))


@router.post(
    "/api/v1/cases/{case_id}/actions/{action}",
    response_model=CaseDetail,
    summary="Move a case through the workflow",
)
def act(db: DbSession, actor: CurrentActor, case_id: DbId, action: str, body: CaseAction) -> dict[str, Any]:
    case = workflow.transition(
        db,
        actor,
        case_id=case_id,
        action=action,
        note=body.note,
        unit_id=body.unit_id,
        into_case_id=body.into_case_id,
    )
    return _detail(db, actor, case)


@router.post(
    "/api/v1/cases/{case_id}/actions/{action}/form",
    response_model=CaseDetail,
    summary="Workflow action with evidence files",
)
async def act_form(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    case_id: DbId,
    action: str,
    note: Annotated[str, Form()] = "",
    unit_id: Annotated[DbId | None, Form()] = None,
    media: Annotated[list[UploadFile] | None, File()] = None,
) -> dict[str, Any]:
    files = [(f.filename or "upload", await f.read()) for f in media or [] if f.filename or f.size]

    def work() -> dict[str, Any]:  # in a worker thread; the request's transaction commits at the edge
        case = workflow.transition(
            db, actor, case_id=case_id, action=action, note=note, unit_id=unit_id, files=files
        )
        return _detail(db, actor, case)

    return await asyncio.to_thread(work)


@router.post(
    "/api/v1/cases/{case_id}/split",
    status_code=201,
    response_model=CaseRead,
    summary="Undo a duplicate link or split off a case",
)
def split(db: DbSession, actor: CurrentActor, case_id: DbId, body: CaseSplit) -> dict[str, Any]:
    case = workflow.split_case(
        db,
        actor,
        case_id=case_id,
        description=body.description,
        category_code=body.category_code,
        title=body.title,
    )
    return service.case_dict(case)


@router.post(
    "/api/v1/cases/{case_id}/reveal-reporter",
    response_model=RevealedReporter,
    response_model_exclude_unset=True,  # only the fields asked for
    summary="The reporter's contact in clear (audited)",
)
def reveal(db: DbSession, actor: CurrentActor, case_id: DbId, body: RevealRequest) -> dict[str, Any]:
    """Only the fields asked for (``name``, ``phone``), with a purpose and a reason."""
    return service.reveal_reporter(
        db, actor, case_id=case_id, fields=body.fields, purpose=body.purpose, reason=body.reason
    )


# --- categories and routing rules ---


@router.get(
    "/api/v1/case-categories",
    response_model=list[CategoryMajor],
    summary="The category tree (majors with minor classes)",
)
def categories(db: DbSession) -> list[dict[str, Any]]:
    return routing.category_tree(db)


@router.put(
    "/api/v1/case-categories/{code}",
    response_model=CategoryRead,
    summary="Create or change a category (district admin)",
)
def put_category(db: DbSession, actor: CurrentActor, code: str, body: CategoryUpdate) -> dict[str, Any]:
    existing = db.get(routing.Category, code)
    cat = routing.upsert_category(
        db, actor, code=code, attributes=existing.attributes if existing else None, **body.model_dump()
    )
    return routing.category_dict(cat)


@router.get(
    "/api/v1/case-routing/rules", response_model=list[RuleRead], summary="Routing rules, most specific first"
)
def rules(db: DbSession, actor: CurrentActor) -> list[dict[str, Any]]:
    require_role(actor, *OPERATOR_ROLES)
    return [routing.rule_dict(r) for r in routing.list_rules(db)]


@router.post(
    "/api/v1/case-routing/rules",
    status_code=201,
    response_model=RuleRead,
    summary="Add a routing rule (district admin)",
)
def add_rule(db: DbSession, actor: CurrentActor, body: RuleCreate) -> dict[str, Any]:
    return routing.rule_dict(routing.save_rule(db, actor, **body.model_dump()))


@router.put(
    "/api/v1/case-routing/rules/{rule_id}",
    response_model=RuleRead,
    summary="Change a routing rule (district admin)",
)
def put_rule(db: DbSession, actor: CurrentActor, rule_id: DbId, body: RuleCreate) -> dict[str, Any]:
    return routing.rule_dict(routing.save_rule(db, actor, rule_id=rule_id, **body.model_dump()))


@router.delete("/api/v1/case-routing/rules/{rule_id}", status_code=204, summary="Remove a routing rule")
def delete_rule(db: DbSession, actor: CurrentActor, rule_id: DbId) -> None:
    routing.delete_rule(db, actor, rule_id=rule_id)


@router.get(
    "/api/v1/case-routing/preview",
    response_model=RoutePreview,
    summary="Test your rules: who would own such a case",
)
def preview(
    db: DbSession,
    actor: CurrentActor,
    category_code: str,
    area_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> dict[str, Any]:
    require_role(actor, *OPERATOR_ROLES)
    return workflow.preview_route(db, category_code=category_code, area_code=area_code, lon=lon, lat=lat)


@router.get(
    "/api/v1/case-units", response_model=list[DispatchUnit], summary="Units a case can be dispatched to"
)
def dispatch_units(db: DbSession, actor: CurrentActor) -> list[dict[str, Any]]:
    require_role(actor, *VIEW_ROLES)
    return workflow.units_for_dispatch(db)


# --- machine-signal snoozes -------------------------------------------------------------------------------


@router.post(
    "/api/v1/case-snoozes",
    status_code=201,
    response_model=SnoozeRead,
    summary="Snooze a machine signal's dedupe key",
)
def snooze(db: DbSession, actor: CurrentActor, body: SnoozeCreate) -> dict[str, Any]:
    row = service.snooze_key(db, actor, dedupe_key=body.dedupe_key, minutes=body.minutes, reason=body.reason)
    return {"dedupe_key": row.dedupe_key, "until": row.until.isoformat(), "reason": row.reason}


@router.delete("/api/v1/case-snoozes/{dedupe_key:path}", status_code=204, summary="Stop snoozing a key")
def unsnooze(db: DbSession, actor: CurrentActor, dedupe_key: str) -> None:
    service.unsnooze_key(db, actor, dedupe_key=dedupe_key)


# --- SLA: reminders, digest, tick ---


@router.get(
    "/api/v1/case-reminders",
    response_model=list[ReminderRead],
    summary="SLA reminders for the caller's unit and scope",
)
def reminders(db: DbSession, actor: CurrentActor, include_acknowledged: bool = False) -> list[dict[str, Any]]:
    return jobs.reminders_for(db, actor, include_acknowledged=include_acknowledged)


@router.post(
    "/api/v1/case-reminders/{reminder_id}/ack", response_model=ReminderAck, summary="Acknowledge a reminder"
)
def ack_reminder(db: DbSession, actor: CurrentActor, reminder_id: DbId) -> dict[str, Any]:
    return jobs.acknowledge_reminder(db, actor, reminder_id=reminder_id)


@router.get(
    "/api/v1/case-digest",
    response_model=list[DigestRow],
    summary="Daily digest per unit: open, overdue, due soon, closed",
)
def digest(db: DbSession, actor: CurrentActor, day: date | None = None) -> list[dict[str, Any]]:
    return jobs.daily_digest(db, actor, day=day)


@router.post(
    "/api/v1/case-sla/tick",
    response_model=SlaTickReport,
    summary="Recompute SLA colours, reminders and escalations now",
)
def sla_tick(request: Request, actor: RememberedActor) -> dict[str, Any]:
    # No request transaction (RememberedActor, not CurrentActor): the job takes its own short transactions,
    # and on SQLite a request transaction would hold the writer queue the job then waits for.
    if actor is None:
        raise Unauthorized("sign in first", code="not_authenticated")
    require_role(actor, Role.DISTRICT_ADMIN)
    report = jobs.refresh_sla(request.app.state.session_factory, holder=f"api:{actor.username}")
    return report.to_dict()


# --- KPIs ---


@router.get(
    "/api/v1/case-kpis",
    response_model=KpiReport,
    response_model_exclude_unset=True,  # names only for group_by=major and category
    summary="KPIs per area, unit, category or month with YoY/MoM",
)
def case_kpis(
    db: DbSession,
    actor: CurrentActor,
    group_by: str = "total",
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
    area_code: str | None = None,
    category: str | None = None,
    unit_id: DbId | None = None,
) -> dict[str, Any]:
    return kpis.case_kpis(
        db,
        actor,
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
        area_code=area_code,
        category_prefix=category,
        unit_id=unit_id,
    )


# --- public tracking and rating ---


def _tracking_code(tracking_code: str | None, token: str | None) -> str:
    """The tracking code (``tracking_code``; ``token``, its former name, is still accepted)."""
    return (tracking_code or token or "").strip()


@router.get(
    "/api/v1/public/cases/{number}",
    response_model=PublicCase,
    summary="Follow a case by number and tracking code (no login)",
)
def track(
    request: Request,
    db: DbSession,
    actor: OptionalActor,
    number: str,
    tracking_code: Annotated[str | None, Query(description="the code given when the case was filed")] = None,
    token: Annotated[str | None, Query(deprecated=True, description="former name of tracking_code")] = None,
) -> dict[str, Any]:
    limit_anonymous(request, "public")
    code = _tracking_code(tracking_code, token)
    case = public.tracked_or_own_case(db, actor, number=number, tracking_code=code)
    return public.public_view(db, case, tracking_code=code)


@router.get(
    "/api/v1/public/cases/{number}/attachments/{attachment_id}",
    summary="A public photo of a tracked case (the tracking code, or the reporter's own sign-in)",
    response_class=Response,
    responses=_ATTACHMENT,
)
def track_attachment(
    request: Request,
    db: DbSession,
    actor: OptionalActor,
    number: str,
    attachment_id: DbId,
    tracking_code: str | None = None,
    token: Annotated[str | None, Query(deprecated=True, description="former name of tracking_code")] = None,
) -> Response:
    limit_anonymous(request, "public")
    case = public.tracked_or_own_case(
        db, actor, number=number, tracking_code=_tracking_code(tracking_code, token)
    )
    attachment, data = public.public_attachment(db, case, attachment_id=attachment_id)
    return Response(
        data,
        media_type=attachment.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post(
    "/api/v1/public/cases/{number}/rating",
    response_model=PublicCase,
    summary="Rate a closed case; 'not fixed' reopens it",
)
def rate(
    request: Request, db: DbSession, actor: OptionalActor, number: str, body: RatingCreate
) -> dict[str, Any]:
    if actor is None:
        limit_anonymous(request, "public")
    code = _tracking_code(body.tracking_code, body.token)
    case = public.rate_case(
        db,
        actor,
        number=number,
        token=code,
        is_fixed=body.is_fixed,
        satisfaction=body.satisfaction,
        comment=body.comment,
    )
    return public.public_view(db, case, tracking_code=code)


# --- live feed (SSE) ---


def may_see_message(actor: Actor, message: dict[str, Any]) -> bool:
    """Whether a live-feed message is for the actor: a case change in their scope; a patrol dispatch only for
    the volunteer's own account (their phone page follows it)."""
    if message.get("type") == "dispatch":
        target = (message.get("dispatch") or {}).get("account_id")
        return target is not None and actor.account_id == target
    if actor.is_system:
        return True
    case = message.get("case") or {}
    area = case.get("area_code")
    for grant in actor.grants_for(VIEW_ROLES):
        if grant.role == Role.DEPARTMENT_HANDLER and case.get("is_dispatched") is False:
            continue  # handlers see their unit's cases once dispatched (access.visible)
        if actor.can_see_area(area, roles=(grant.role,)) and (
            grant.unit_id is None or grant.unit_id == case.get("owner_unit_id")
        ):
            return True
    return False


@router.get(
    "/api/v1/live",
    summary="Server-sent events: case changes in the caller's scope",
    response_class=StreamingResponse,
    responses={200: {"description": "an endless event stream", "content": {"text/event-stream": {}}}},
)
async def live_feed(
    request: Request,
    actor: CurrentActor,
    heartbeat: Annotated[float, Query(ge=0.05, le=300)] = 15.0,
    limit: Annotated[int, Query(ge=0, description="end after this many events (0 = never)")] = 0,
    duration: Annotated[
        float, Query(ge=0, le=86400, description="end after this many seconds (0 = never)")
    ] = 0,
) -> StreamingResponse:
    queue = bus.subscribe({live.TOPIC})
    loop = asyncio.get_running_loop()
    ends = loop.time() + duration if duration else None

    async def stream() -> AsyncIterator[str]:
        sent = 0
        try:
            yield ": connected\n\n"
            while True:
                wait = heartbeat if ends is None else min(heartbeat, ends - loop.time())
                if wait <= 0:
                    break
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=wait)
                except TimeoutError:
                    if await request.is_disconnected() or (ends is not None and loop.time() >= ends):
                        break
                    yield ": heartbeat\n\n"
                    continue
                if not may_see_message(actor, message):
                    continue
                data = json.dumps({k: v for k, v in message.items() if k != "topic"}, ensure_ascii=False)
                kind = "dispatch" if message.get("type") == "dispatch" else "case"
                yield f"event: {kind}\ndata: {data}\n\n"
                sent += 1
                if limit and sent >= limit:
                    break
        finally:
            bus.unsubscribe(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
