"""JSON routes under /api/v1/inspections: checklists, campaigns (places due, board, report), visits from the
phone (exactly once by ``visit_uid``), hazards and their re-inspection."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from pingan.core.pagination import Limit, Offset, Page, page
from pingan.core.security import require_role
from pingan.core.validation import DbId
from pingan.web.deps import CurrentActor, DbSession

from . import enforcement, hazards, major, service, stats
from .common import INSPECTORS
from .schemas import (
    Board,
    CampaignCreate,
    CampaignRead,
    ChecklistCreate,
    ChecklistRead,
    HazardFigure,
    HazardRead,
    MajorOperationBoard,
    MajorOperationCreate,
    MajorOperationRead,
    OperationCreate,
    OperationRead,
    PlaceDue,
    ReinspectionCreate,
    TargetCreate,
    TargetRead,
    VisitCreate,
    VisitRead,
)

router = APIRouter(prefix="/api/v1/inspections", tags=["inspections"])
Lon = Annotated[float | None, Query(ge=-180, le=180)]
Lat = Annotated[float | None, Query(ge=-90, le=90)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/checklists", response_model=list[ChecklistRead], summary="Checklist versions")
def list_checklists(session: DbSession, actor: CurrentActor, place_type: str | None = None) -> Any:
    require_role(actor, *INSPECTORS)
    return service.list_checklists(session, place_type=place_type)


@router.post(
    "/checklists", response_model=ChecklistRead, status_code=201, summary="Publish a checklist version"
)
def publish_checklist(session: DbSession, actor: CurrentActor, body: ChecklistCreate) -> Any:
    return service.publish_checklist(session, actor, body)


@router.get("/checklists/{checklist_id}", response_model=ChecklistRead, summary="One checklist version")
def get_checklist(session: DbSession, actor: CurrentActor, checklist_id: DbId) -> Any:
    require_role(actor, *INSPECTORS)
    return service.get_checklist(session, checklist_id)


@router.get("/campaigns", response_model=list[CampaignRead], summary="Campaigns touching your scope")
def list_campaigns(session: DbSession, actor: CurrentActor) -> Any:
    return service.list_campaigns(session, actor)


@router.post("/campaigns", response_model=CampaignRead, status_code=201, summary="Start a campaign")
def create_campaign(session: DbSession, actor: CurrentActor, body: CampaignCreate) -> Any:
    return service.create_campaign(session, actor, body)


@router.get("/campaigns/{campaign_id}", response_model=CampaignRead, summary="One campaign")
def get_campaign(session: DbSession, actor: CurrentActor, campaign_id: DbId) -> Any:
    return service.get_campaign(session, actor, campaign_id)


@router.get(
    "/campaigns/{campaign_id}/places", response_model=Page[PlaceDue], summary="Places due, nearest first"
)
def campaign_places(
    session: DbSession,
    actor: CurrentActor,
    campaign_id: DbId,
    lon: Lon = None,
    lat: Lat = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    campaign = service.get_campaign(session, actor, campaign_id)
    rows, total = service.campaign_places(
        session, actor, campaign, lon=lon, lat=lat, limit=limit, offset=offset
    )
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.get("/campaigns/{campaign_id}/board", response_model=Board, summary="Progress board of a campaign")
def campaign_board(session: DbSession, actor: CurrentActor, campaign_id: DbId, lang: str = "zh") -> Any:
    campaign = service.get_campaign(session, actor, campaign_id)
    return {"campaign": campaign, **stats.board(session, actor, campaign, lang=lang)}


@router.get(
    "/campaigns/{campaign_id}/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the campaign report workbook"}},
    summary="Campaign report (xlsx)",
)
def campaign_report_xlsx(
    session: DbSession, actor: CurrentActor, campaign_id: DbId, lang: str = "zh"
) -> Response:
    campaign = service.get_campaign(session, actor, campaign_id)
    data = stats.report_xlsx(session, actor, campaign, lang="en" if lang == "en" else "zh")
    headers = {"Content-Disposition": f'attachment; filename="campaign-{campaign.code}.xlsx"'}
    return Response(data, media_type=XLSX, headers=headers)


@router.post(
    "/visits",
    response_model=VisitRead,
    status_code=201,
    responses={200: {"model": VisitRead, "description": "received before: the visit already recorded"}},
    summary="Record a visit (idempotent by visit_uid)",
)
def record_visit(session: DbSession, actor: CurrentActor, body: VisitCreate) -> Any:
    result = service.record_visit(session, actor, body)
    if result["replayed"]:
        return JSONResponse(VisitRead.model_validate(result).model_dump(mode="json"), status_code=200)
    return result


@router.get("/visits", response_model=Page[VisitRead], summary="Visits in your scope")
def list_visits(
    session: DbSession,
    actor: CurrentActor,
    campaign_id: DbId | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    rows, total = page(
        session, service.list_visits(session, actor, campaign_id=campaign_id), limit=limit, offset=offset
    )
    items = [service.visit_dict(session, v) for v in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/hazards", response_model=Page[HazardRead], summary="Hazards in your scope, soonest deadline first"
)
def list_hazards(
    session: DbSession,
    actor: CurrentActor,
    campaign_id: DbId | None = None,
    status: Literal["open", "rectified"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    stmt = hazards.list_hazards(session, actor, campaign_id=campaign_id, status=status)
    rows, total = page(session, stmt, limit=limit, offset=offset)
    names = stats.place_names(session, [h.place_id for h in rows])
    items = [hazards.hazard_dict(session, h) | {"place_name": names[h.place_id]} for h in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/hazard-stats",
    response_model=list[HazardFigure],
    summary="Hazards found, rectified on time, overdue and repeat by campaign, hazard type and street",
)
def hazard_stats(session: DbSession, actor: CurrentActor) -> Any:
    require_role(actor, *INSPECTORS)
    return stats.hazard_stats(session, actor)


@router.get("/hazards/{hazard_id}", response_model=HazardRead, summary="One hazard")
def get_hazard(session: DbSession, actor: CurrentActor, hazard_id: DbId) -> Any:
    return hazards.hazard_dict(session, hazards.get_hazard(session, actor, hazard_id))


@router.post(
    "/hazards/{hazard_id}/reinspections",
    response_model=HazardRead,
    status_code=201,
    summary="Re-inspect a hazard (its case's verification)",
)
def reinspect(session: DbSession, actor: CurrentActor, hazard_id: DbId, body: ReinspectionCreate) -> Any:
    result = hazards.reinspect(session, actor, hazard_id=hazard_id, body=body)
    if result["replayed"]:
        return JSONResponse(
            HazardRead.model_validate(result["hazard"]).model_dump(mode="json"), status_code=200
        )
    return result["hazard"]


def _operation(session: DbSession, actor: CurrentActor, operation: Any) -> dict[str, Any]:
    found = enforcement.targets_of(session, actor, operation.id)
    return OperationRead.model_validate(operation).model_dump() | {"totals": enforcement.totals(found)}


@router.get("/operations", response_model=list[OperationRead], summary="Joint enforcement operations")
def list_operations(session: DbSession, actor: CurrentActor) -> Any:
    return [_operation(session, actor, op) for op in enforcement.list_operations(session, actor)]


@router.post("/operations", response_model=OperationRead, status_code=201, summary="Start a joint operation")
def create_operation(session: DbSession, actor: CurrentActor, body: OperationCreate) -> Any:
    return _operation(session, actor, enforcement.create_operation(session, actor, body))


@router.get("/operations/{operation_id}", response_model=OperationRead, summary="One joint operation")
def get_operation(session: DbSession, actor: CurrentActor, operation_id: DbId) -> Any:
    return _operation(session, actor, enforcement.get_operation(session, actor, operation_id))


@router.get("/operations/{operation_id}/targets", response_model=list[TargetRead], summary="Its targets")
def operation_targets(session: DbSession, actor: CurrentActor, operation_id: DbId) -> Any:
    enforcement.get_operation(session, actor, operation_id)
    return enforcement.targets_of(session, actor, operation_id)


@router.post(
    "/operations/{operation_id}/targets",
    response_model=TargetRead,
    status_code=201,
    summary="Record a target acted on (findings, measures)",
)
def add_target(session: DbSession, actor: CurrentActor, operation_id: DbId, body: TargetCreate) -> Any:
    return enforcement.add_target(session, actor, operation_id=operation_id, body=body)


@router.get("/watchlist", response_model=Page[TargetRead], summary="Closed illegal sites (the watch list)")
def watchlist(session: DbSession, actor: CurrentActor, limit: Limit = 50, offset: Offset = 0) -> Any:
    rows, total = page(session, enforcement.watch_list(session, actor), limit=limit, offset=offset)
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


# --- major-event operations (平安护航) ----------------------------------------------------------------------
def _major(session: DbSession, actor: CurrentActor, item: Any) -> dict[str, Any]:
    return MajorOperationRead.model_validate(item).model_dump() | {"board": major.board(session, actor, item)}


@router.post(
    "/major-operations",
    response_model=MajorOperationBoard,
    status_code=201,
    summary="Start a major-event operation (平安护航)",
)
def create_major(session: DbSession, actor: CurrentActor, body: MajorOperationCreate) -> Any:
    return _major(session, actor, major.create(session, actor, body))


@router.get(
    "/major-operations", response_model=Page[MajorOperationRead], summary="Major-event operations (平安护航)"
)
def list_major(session: DbSession, actor: CurrentActor, limit: Limit = 50, offset: Offset = 0) -> Any:
    rows, total = page(session, major.listing(session, actor), limit=limit, offset=offset)
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/major-operations/{major_id}",
    response_model=MajorOperationBoard,
    summary="One major-event operation with its board (progress from the work itself)",
)
def get_major(session: DbSession, actor: CurrentActor, major_id: DbId) -> Any:
    return _major(session, actor, major.get(session, actor, major_id))
