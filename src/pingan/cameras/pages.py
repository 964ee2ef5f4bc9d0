"""Staff pages: the camera register (``/cameras``, filters in the URL), one camera with its ID explained
(``/cameras/{gb_id}``), the online-rate and coverage board (``/cameras/board``), and the case page's panel of
the cameras that see the case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pingan.core import pagination as paging
from pingan.core.clock import format_local
from pingan.core.errors import PinganError
from pingan.core.security import Actor
from pingan.core.validation import Offset
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import lang_of, render, require_staff

from . import coverage, gbid, liveness, service

router = APIRouter(include_in_schema=False)
PAGE = 100
PANEL_CAMERAS = 8


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
    area, role, q = area or None, role or None, (q or "").strip() or None
    stmt = service.list_cameras(session, actor, area=area, role=role, q=q)
    items, total = paging.page(session, stmt, limit=PAGE, offset=offset)
    counts = liveness.current_counts(session, actor, area or "")
    return render(
        request,
        "cameras.html",
        actor,
        cameras=service.camera_dicts(session, items),
        total=total,
        offset=offset,
        page=PAGE,
        area=area or "",
        role=role or "",
        q=q or "",
        counts=counts,
        local=format_local,
    )


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


@router.get("/cameras/{gb_id}")
def camera_page(request: Request, session: DbSession, actor: OptionalActor, gb_id: str) -> Response:
    actor = require_staff(actor, *service.READ_ROLES)
    camera = service.get_camera(session, actor, gb_id=gb_id[:40])
    children = list(
        session.scalars(
            service.list_cameras(session, actor).where(service.Camera.parent_id == camera.id).limit(200)
        )
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
