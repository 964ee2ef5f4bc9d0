"""Staff pages: the camera register (``/cameras``, filters in the URL), one camera with its ID explained
(``/cameras/{gb_id}``), the online-rate and coverage board (``/cameras/board``), and the case page's panel of
the cameras that see the case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from pingan.core import pagination as paging
from pingan.core.clock import format_local
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.security import Actor
from pingan.core.validation import Offset
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import lang_of, render, require_staff

from . import coverage, gbid, io, liveness, service
from .models import Camera

router = APIRouter(include_in_schema=False)
PAGE = 100
PANEL_CAMERAS = 8
MAX_UPLOAD = 20 * 1024 * 1024
# the add form's fields, with their labels (the import file's column labels)
FORM_FIELDS = tuple(k for k, _ in io.COLUMNS if k not in ("platform", "area_code"))
LABELS_ZH = dict(io.COLUMNS)


@router.get("/cameras")
def cameras_page(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    area: Annotated[str | None, Query(max_length=20)] = None,
    role: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[Offset, Query(ge=0)] = 0,
) -> Response:
    actor = require_staff(actor, *service.READ_ROLES)
    return _list_view(request, session, actor, area=area, role=role, q=q, offset=offset)


def _list_view(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    area: str | None = None,
    role: str | None = None,
    q: str | None = None,
    offset: int = 0,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    area, role, q = area or None, role or None, (q or "").strip() or None
    stmt = service.list_cameras(session, actor, area=area, role=role, q=q)
    items, total = paging.page(session, stmt, limit=PAGE, offset=offset)
    counts = liveness.current_counts(session, actor, area or "")
    return render(
        request,
        "cameras.html",
        actor,
        status_code=status_code,
        cameras=service.camera_dicts(session, items),
        total=total,
        offset=offset,
        page=PAGE,
        area=area or "",
        role=role or "",
        q=q or "",
        counts=counts,
        local=format_local,
        can_write=actor.has_role(*service.WRITE_ROLES),
        fields=FORM_FIELDS,
        labels=LABELS_ZH,
        form_errors=extra.pop("form_errors", {}),
        form_values=extra.pop("form_values", {}),
        import_report=extra.pop("import_report", None),
        **extra,
    )


def _message(request: Request, exc: PinganError) -> str:
    """The error for the form: the field's Chinese label first on a Chinese page."""
    if lang_of(request) == "en" or not exc.field:
        return exc.message
    return f"{LABELS_ZH.get(exc.field, exc.field)}：{exc.message}"


@router.post("/cameras/new")
async def camera_create(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """Register one device from the page's form; errors come back next to their fields."""
    actor = require_staff(actor, *service.WRITE_ROLES)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip()[:200] for k in FORM_FIELDS}
    values["crs"] = values.get("crs") or "wgs84"
    given = {k: v for k, v in values.items() if v or k in ("gb_id", "name")}
    savepoint = session.begin_nested()
    try:
        camera = service.save_camera(session, actor, given)
    except PinganError as exc:
        savepoint.rollback()
        errors = {exc.field if exc.field in FORM_FIELDS else "gb_id": _message(request, exc)}
        return _list_view(
            request, session, actor, status_code=exc.status, form_errors=errors, form_values=values
        )
    savepoint.commit()
    return RedirectResponse(f"/cameras/{camera.gb_id}", status_code=303)


@router.post("/cameras/import")
async def camera_import(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """Import a register file from the page; the report (row errors) shows on the list."""
    actor = require_staff(actor, *service.WRITE_ROLES)
    form = await request.form()
    upload = form.get("file")
    valid_only = str(form.get("valid_rows_only") or "") in ("1", "on", "true")
    data = await upload.read(MAX_UPLOAD + 1) if upload is not None and not isinstance(upload, str) else b""
    savepoint = session.begin_nested()
    try:
        if not data or len(data) > MAX_UPLOAD:
            raise ValidationFailed("choose an xlsx or csv file of at most 20 MB", field="file")
        report = io.import_cameras(
            session,
            actor,
            data=data,
            filename=getattr(upload, "filename", "") or "",
            valid_rows_only=valid_only,
        )
    except io.ImportRejected as exc:
        savepoint.rollback()
        return _list_view(request, session, actor, status_code=422, import_report=exc.report.to_dict())
    except PinganError as exc:
        savepoint.rollback()
        failed = {"total": 0, "imported": 0, "rejected": 0, "errors": [], "message": _message(request, exc)}
        return _list_view(request, session, actor, status_code=exc.status, import_report=failed)
    savepoint.commit()
    return _list_view(request, session, actor, import_report=report.to_dict())


@router.get("/cameras/board")
def board_page(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    by: Annotated[str, Query(max_length=8)] = "street",
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> Response:
    actor = require_staff(actor, *service.READ_ROLES)
    lang = lang_of(request)
    if by not in liveness.GROUPINGS:
        by = "street"
    rates = liveness.online_rates(session, actor, by=by, days=days, lang=lang)
    roads = coverage.road_coverage(session, actor, level="street")
    gaps = coverage.uncovered_roads(session, actor)[:15]
    return render(request, "cameras_board.html", actor, rates=rates, by=by, days=days, roads=roads, gaps=gaps)


@router.get("/cameras/platforms")
def platforms_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    actor = require_staff(actor, *service.READ_ROLES)
    return _platforms_view(request, session, actor)


def _platforms_view(
    request: Request, session: DbSession, actor: Actor, status_code: int = 200, **extra: Any
) -> Response:
    platforms = [
        (p, service.platform_camera_count(session, p)) for p in service.list_platforms(session, actor)
    ]
    return render(
        request,
        "camera_platforms.html",
        actor,
        status_code=status_code,
        platforms=platforms,
        can_admin=actor.has_role(*service.ADMIN_ROLES),
        form_errors=extra.get("form_errors", {}),
        form_values=extra.get("form_values", {}),
        created=extra.get("created"),
    )


@router.post("/cameras/platforms")
async def platform_create(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """Register a video platform; its push token is shown once on the answer."""
    actor = require_staff(actor, *service.ADMIN_ROLES)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip()[:500] for k in ("code", "name", "link_template")}
    savepoint = session.begin_nested()
    try:
        platform, token = service.create_platform(session, actor, **values)
    except PinganError as exc:
        savepoint.rollback()
        errors = {exc.field if exc.field in values else "code": exc.message}
        return _platforms_view(request, session, actor, exc.status, form_errors=errors, form_values=values)
    savepoint.commit()
    return _platforms_view(request, session, actor, 201, created={"code": platform.code, "token": token})


@router.get("/cameras/{gb_id}")
def camera_page(request: Request, session: DbSession, actor: OptionalActor, gb_id: str) -> Response:
    actor = require_staff(actor, *service.READ_ROLES)
    camera = service.get_camera(session, actor, gb_id=gb_id[:40])
    children = list(
        session.scalars(service.list_cameras(session, actor).where(Camera.parent_id == camera.id).limit(200))
    )
    return render(
        request,
        "camera.html",
        actor,
        camera=service.camera_dicts(session, [camera])[0],
        explained=gbid.explain(camera.gb_id),
        children=service.camera_dicts(session, children),
        children_total=service.children_count(session, camera),
        local=format_local,
    )


def case_panel(request: Request, session: DbSession, actor: Actor, case: Any) -> dict[str, Any] | None:
    """The cameras whose view covers the case's point, nearest first, with links that open their video."""
    if not actor.has_role(*service.READ_ROLES) or case.lon is None or case.lat is None:
        return None
    try:
        seen = coverage.covering(session, actor, lon=case.lon, lat=case.lat, limit=PANEL_CAMERAS)
    except PinganError:
        return None
    rows = service.camera_dicts(session, [s.camera for s in seen])
    for row, s in zip(rows, seen, strict=True):
        row["distance_m"] = round(s.distance_m)
    return {"cameras": rows}
