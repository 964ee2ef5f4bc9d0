"""JSON routes under /api/v1/grids: registers, import/export, staff, visits, tasks, opinions, coverage.

Every route is scoped: an object outside the caller's area is reported as missing (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pingan.core import pagination as paging
from pingan.core.pagination import Limit
from pingan.core.security import Actor
from pingan.core.validation import DbId, Offset
from pingan.grids import (
    buildings,
    households,
    opinions,
    party,
    places,
    registers,
    residents,
    staff,
    tasks,
    visits,
)
from pingan.grids import io as grid_io
from pingan.grids.party_schemas import (
    PartyBranchCreate,
    PartyBranchDetail,
    PartyBranchGrids,
    PartyBranchSummary,
    PartyMemberCreate,
    PartyMemberRead,
)
from pingan.grids.placetypes import place_types
from pingan.grids.schemas import (
    BuildingCreate,
    BuildingRead,
    BuildingUpdate,
    CadreCoverageRead,
    ChangeRead,
    CheckIn,
    CheckItemRead,
    CheckResultRead,
    CoverageGapRead,
    GridCoverageRead,
    HouseholdCreate,
    HouseholdRead,
    HouseholdUpdate,
    ImportReportRead,
    OpinionAnswer,
    OpinionCase,
    OpinionCreate,
    OpinionRead,
    OpinionTags,
    Page,
    PlaceCreate,
    PlaceRead,
    PlaceTypeRead,
    PlaceUpdate,
    ResidentCreate,
    ResidentRead,
    ResidentSearch,
    ResidentUpdate,
    RevealRequest,
    StaffCreate,
    StaffCreated,
    StaffLinkCreate,
    StaffLinked,
    StaffLinkRead,
    TargetRead,
    TaskComplete,
    TaskCreate,
    TaskProgressRead,
    TaskRead,
    VisitCreate,
    VisitRead,
    VisitResultRead,
)
from pingan.web.deps import CurrentActor, DbSession
from pingan.web.files import FILE_BODY, XLSX, file_download, read_upload
from pingan.web.routing import file_responses

router = APIRouter(prefix="/api/v1/grids", tags=["grids"])

DEPRECATED_PII = "deprecated (lands in access logs): use POST /api/v1/grids/residents/search"


def _changes(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    return data


# --- buildings --------------------------------------------------------------------------------------------


@router.get("/buildings", summary="Buildings/addresses in scope", response_model=Page[BuildingRead])
def list_buildings(
    session: DbSession,
    actor: CurrentActor,
    area_code: str | None = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    stmt = buildings.list_buildings(session, actor, area_code=area_code, q=q)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    return {
        "items": [BuildingRead.model_validate(b) for b in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.post("/buildings", status_code=201, summary="Register a building (its point must lie in its grid)")
def create_building(session: DbSession, actor: CurrentActor, body: BuildingCreate) -> BuildingRead:
    building = buildings.create_building(session, actor, **body.model_dump())
    return BuildingRead.model_validate(building)


@router.get("/buildings/{building_id}", summary="One building")
def get_building(session: DbSession, actor: CurrentActor, building_id: DbId) -> BuildingRead:
    return BuildingRead.model_validate(buildings.get_building(session, actor, building_id))


@router.patch("/buildings/{building_id}", summary="Change a building")
def update_building(
    session: DbSession, actor: CurrentActor, building_id: DbId, body: BuildingUpdate
) -> BuildingRead:
    building = buildings.update_building(session, actor, building_id=building_id, changes=_changes(body))
    return BuildingRead.model_validate(building)


# --- households -------------------------------------------------------------------------------------------


@router.get("/households", summary="Households in scope", response_model=Page[HouseholdRead])
def list_households(
    session: DbSession,
    actor: CurrentActor,
    area_code: str | None = None,
    building_id: DbId | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    stmt = households.list_households(session, actor, area_code=area_code, building_id=building_id)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    return {"items": [HouseholdRead.of(h) for h in items], "total": total, "limit": limit, "offset": offset}


@router.post("/households", status_code=201, summary="Register a household at a room of a building")
def create_household(session: DbSession, actor: CurrentActor, body: HouseholdCreate) -> HouseholdRead:
    return HouseholdRead.of(households.create_household(session, actor, **body.model_dump()))


@router.get("/households/{household_id}", summary="One household")
def get_household(session: DbSession, actor: CurrentActor, household_id: DbId) -> HouseholdRead:
    return HouseholdRead.of(households.get_household(session, actor, household_id))


@router.patch("/households/{household_id}", summary="Change a household")
def update_household(
    session: DbSession, actor: CurrentActor, household_id: DbId, body: HouseholdUpdate
) -> HouseholdRead:
    household = households.update_household(session, actor, household_id=household_id, changes=_changes(body))
    return HouseholdRead.of(household)


# --- residents --------------------------------------------------------------------------------------------


@router.get("/residents", summary="Residents in scope (masked)", response_model=Page[ResidentRead])
def list_residents(
    session: DbSession,
    actor: CurrentActor,
    area_code: str | None = None,
    household_id: DbId | None = None,
    category: str | None = None,
    care_tag: str | None = None,
    id_number: Annotated[str | None, Query(deprecated=True, description=DEPRECATED_PII)] = None,
    phone: Annotated[str | None, Query(deprecated=True, description=DEPRECATED_PII)] = None,
    active: bool | None = True,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    search = ResidentSearch(
        area_code=area_code,
        household_id=household_id,
        category=category,
        care_tag=care_tag,
        id_number=id_number,
        phone=phone,
        active=active,
        limit=limit,
        offset=offset,
    )
    return _resident_page(session, actor, search)


@router.post(
    "/residents/search",
    response_model=Page[ResidentRead],
    summary="Residents in scope (masked), by ID number or phone in the body",
)
def search_residents(session: DbSession, actor: CurrentActor, body: ResidentSearch) -> dict[str, Any]:
    """Like ``GET /residents``; searches by ID number or phone belong here (never in a URL or a log)."""
    return _resident_page(session, actor, body)


def _resident_page(session: Session, actor: Actor, f: ResidentSearch) -> dict[str, Any]:
    stmt = residents.list_residents(
        session,
        actor,
        area_code=f.area_code,
        household_id=f.household_id,
        category=f.category,
        care_tag=f.care_tag,
        id_number=f.id_number,
        phone=f.phone,
        active=f.active,
    )
    items, total = paging.page(session, stmt, limit=f.limit, offset=f.offset)
    return {
        "items": [ResidentRead.of(r) for r in items],
        "total": total,
        "limit": f.limit,
        "offset": f.offset,
    }


@router.post("/residents", status_code=201, summary="Register a resident (ID number and phone validated)")
def create_resident(session: DbSession, actor: CurrentActor, body: ResidentCreate) -> ResidentRead:
    return ResidentRead.of(residents.create_resident(session, actor, **body.model_dump()))


@router.get("/residents/{resident_id}", summary="One resident (masked)")
def get_resident(session: DbSession, actor: CurrentActor, resident_id: DbId) -> ResidentRead:
    return ResidentRead.of(residents.get_resident(session, actor, resident_id))


@router.patch("/residents/{resident_id}", summary="Correct a resident's data")
def update_resident(
    session: DbSession, actor: CurrentActor, resident_id: DbId, body: ResidentUpdate
) -> ResidentRead:
    resident = residents.update_resident(session, actor, resident_id=resident_id, changes=_changes(body))
    return ResidentRead.of(resident)


@router.post("/residents/{resident_id}/move-out", summary="Mark a resident as moved out")
def move_out(session: DbSession, actor: CurrentActor, resident_id: DbId) -> ResidentRead:
    return ResidentRead.of(residents.move_out_resident(session, actor, resident_id=resident_id))


@router.post(
    "/residents/{resident_id}/reveal", summary="Full name, ID number and phone (audited, needs a reason)"
)
def reveal_resident(
    session: DbSession, actor: CurrentActor, resident_id: DbId, body: RevealRequest
) -> dict[str, str | None]:
    return residents.reveal_resident(
        session, actor, resident_id=resident_id, fields=body.fields, purpose=body.purpose, reason=body.reason
    )


# --- places -----------------------------------------------------------------------------------------------


@router.get("/places", summary="Key places in scope, by type", response_model=Page[PlaceRead])
def list_places(
    session: DbSession,
    actor: CurrentActor,
    place_type: Annotated[str | None, Query(alias="type")] = None,
    area_code: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    stmt = places.places_query(session, actor, place_type=place_type, area_code=area_code, status=status, q=q)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    return {"items": [PlaceRead.of(p) for p in items], "total": total, "limit": limit, "offset": offset}


@router.get("/place-types", summary="The place types the register accepts (built-in and declared by modules)")
def list_place_types(request: Request, actor: CurrentActor) -> list[PlaceTypeRead]:
    modules = request.app.state.modules
    owner: dict[str, str] = {}
    for module in modules:
        for declared in module.place_types:
            owner.setdefault(declared.code, module.name)
    return [
        PlaceTypeRead(code=t.code, name_zh=t.name_zh, name_en=t.name_en, module=owner.get(t.code, "grids"))
        for t in place_types(modules)
    ]


@router.post("/places", status_code=201, summary="Register a key place")
def create_place(session: DbSession, actor: CurrentActor, body: PlaceCreate) -> PlaceRead:
    return PlaceRead.of(places.create_place(session, actor, **body.model_dump()))


@router.get("/places/{place_id}", summary="One key place")
def get_place(session: DbSession, actor: CurrentActor, place_id: DbId) -> PlaceRead:
    return PlaceRead.of(places.get_place(session, actor, place_id))


@router.patch("/places/{place_id}", summary="Change a key place")
def update_place(session: DbSession, actor: CurrentActor, place_id: DbId, body: PlaceUpdate) -> PlaceRead:
    return PlaceRead.of(places.update_place(session, actor, place_id=place_id, changes=_changes(body)))


@router.post("/places/{place_id}/reveal", summary="The responsible person's full name and phone (audited)")
def reveal_place(
    session: DbSession, actor: CurrentActor, place_id: DbId, body: RevealRequest
) -> dict[str, str | None]:
    return places.reveal_place(
        session, actor, place_id=place_id, fields=body.fields, purpose=body.purpose, reason=body.reason
    )


@router.get("/history/{record_type}/{record_id}", summary="Change history of one register record")
def record_history(
    session: DbSession, actor: CurrentActor, record_type: str, record_id: DbId
) -> list[ChangeRead]:
    changes = registers.record_history(session, actor, record_type=record_type, record_id=record_id)
    return [ChangeRead.of(c) for c in changes]


@router.post(
    "/history/changes/{change_id}/reveal",
    summary="Full old and new values of the personal fields a history entry changed (audited)",
)
def reveal_change(
    session: DbSession, actor: CurrentActor, change_id: DbId, body: RevealRequest
) -> dict[str, dict[str, str | None]]:
    return registers.reveal_change(
        session, actor, change_id=change_id, fields=body.fields, purpose=body.purpose, reason=body.reason
    )


# --- import / export --------------------------------------------------------------------------------------


@router.get(
    "/template",
    summary="An empty register file to fill in (xlsx or csv)",
    response_class=Response,
    responses=file_responses(XLSX, "text/csv"),
)
def download_template(
    actor: CurrentActor,
    kind: Annotated[str, Query(description="residents or places")] = "residents",
    file_format: Annotated[str, Query(alias="format")] = "xlsx",
) -> Response:
    data = grid_io.template(kind, "csv" if file_format == "csv" else "xlsx")
    return file_download(data, f"{kind}-template", file_format)


@router.post(
    "/import",
    summary="Import a register file (xlsx or csv); all-or-nothing unless valid_rows_only",
    description="Send the file as multipart form field `file`, or as the raw request body. "
    "A file with errors imports nothing (422 with the row errors) unless valid_rows_only=true, which "
    "writes the valid rows and returns the rejected ones as an xlsx error file (base64).",
    openapi_extra=FILE_BODY,
)
async def import_file(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    kind: Annotated[str, Query(description="residents or places")] = "residents",
    valid_rows_only: bool = False,
) -> ImportReportRead:
    upload = await read_upload(request)
    report = await run_in_threadpool(
        grid_io.import_register,
        session,
        actor,
        kind=upload.form.get("kind") or kind,
        data=upload.data,
        filename=upload.filename,
        valid_rows_only=valid_rows_only or upload.flag("valid_rows_only"),
    )
    return ImportReportRead.model_validate(report.to_dict())


@router.get(
    "/export",
    summary="Export a register (masked; full values need a reason) — audited",
    response_class=Response,
    responses=file_responses(XLSX, "text/csv"),
)
def export_file(
    session: DbSession,
    actor: CurrentActor,
    kind: str = "residents",
    file_format: Annotated[str, Query(alias="format")] = "xlsx",
    area_code: str | None = None,
    place_type: Annotated[str | None, Query(alias="type")] = None,
    full: bool = False,
    reason: str = "",
) -> Response:
    data, _ = grid_io.export_register(
        session,
        actor,
        kind=kind,
        fmt=file_format,
        area_code=area_code,
        place_type=place_type,
        full=full,
        reason=reason,
    )
    return file_download(data, kind, file_format)


# --- staff and coverage -----------------------------------------------------------------------------------


@router.get("/staff", summary="Grid leaders, grid workers and liaison cadres on grids in scope")
def list_staff(
    session: DbSession,
    actor: CurrentActor,
    area_code: str | None = None,
    role: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[StaffLinkRead]:
    items, total = paging.page(
        session, staff.links_query(session, actor, area_code=area_code, role=role), limit=limit, offset=offset
    )
    out = [
        StaffLinkRead(
            link_id=link.id,
            staff_id=member.id,
            name=member.name,
            organisation=member.organisation,
            phone=member.phone_masked,
            area_code=link.area_code,
            role=link.role,
        )
        for link, member in items
    ]
    return Page[StaffLinkRead](items=out, total=total, limit=limit, offset=offset)


@router.post("/staff", status_code=201, response_model=StaffCreated, summary="Add a staff member")
def create_staff(session: DbSession, actor: CurrentActor, body: StaffCreate) -> dict[str, Any]:
    member = staff.create_staff(session, actor, **body.model_dump())
    return {"id": member.id, "name": member.name, "organisation": member.organisation}


@router.post(
    "/staff/{staff_id}/links",
    status_code=201,
    response_model=StaffLinked,
    summary="Put a staff member on a grid in a role",
)
def link_staff(
    session: DbSession, actor: CurrentActor, staff_id: DbId, body: StaffLinkCreate
) -> dict[str, Any]:
    link = staff.link_staff(session, actor, staff_id=staff_id, area_code=body.area_code, role=body.role)
    return {"link_id": link.id, "staff_id": link.staff_id, "area_code": link.area_code, "role": link.role}


@router.delete("/staff/links/{link_id}", status_code=204, summary="Remove a staff member from a grid")
def unlink_staff(session: DbSession, actor: CurrentActor, link_id: DbId) -> None:
    staff.unlink_staff(session, actor, link_id=link_id)


@router.get("/coverage/gaps", summary="Grids without a liaison cadre, leader or grid worker")
def coverage_gaps(
    session: DbSession, actor: CurrentActor, area_code: str | None = None
) -> list[CoverageGapRead]:
    return [CoverageGapRead(**g.__dict__) for g in staff.coverage_gaps(session, actor, area_code=area_code)]


@router.get(
    "/coverage/grids",
    response_model=list[GridCoverageRead],
    summary="Visit coverage this quarter per grid (computed from the visits)",
)
def grid_coverage(
    session: DbSession, actor: CurrentActor, area_code: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    return visits.grid_coverage(session, actor, area_code=area_code, since=since)


@router.get(
    "/coverage/cadres",
    response_model=list[CadreCoverageRead],
    summary="Visit coverage this quarter per liaison cadre; visits=0 = no visit",
)
def cadre_coverage(
    session: DbSession, actor: CurrentActor, area_code: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    return visits.cadre_coverage(session, actor, area_code=area_code, since=since)


@router.get("/coverage/never-visited", summary="Households nobody has visited yet")
def never_visited(
    session: DbSession, actor: CurrentActor, area_code: str | None = None, limit: Limit = 100
) -> list[HouseholdRead]:
    return [
        HouseholdRead.of(h) for h in visits.never_visited(session, actor, area_code=area_code, limit=limit)
    ]


# --- visits -----------------------------------------------------------------------------------------------


@router.post("/visits", status_code=201, summary="Record a visit; issues may become cases, corrections apply")
def record_visit(session: DbSession, actor: CurrentActor, body: VisitCreate) -> VisitResultRead:
    data = body.model_dump()
    result = visits.record_visit(session, actor, **data)
    return VisitResultRead(
        visit=VisitRead.of(result.visit),
        cases=result.cases,
        opinions=[OpinionRead.of(o) for o in result.opinions],
        changed_residents=result.changed_residents,
    )


@router.get("/visits", summary="Visits in scope, newest first", response_model=Page[VisitRead])
def list_visits(
    session: DbSession,
    actor: CurrentActor,
    area_code: str | None = None,
    household_id: DbId | None = None,
    since: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    stmt = visits.visits_query(session, actor, area_code=area_code, household_id=household_id, since=since)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    return {"items": [VisitRead.of(v) for v in items], "total": total, "limit": limit, "offset": offset}


# --- tasks ------------------------------------------------------------------------------------------------


@router.post("/tasks", status_code=201, summary="Push a task, notice or population check down to grids")
def create_task(session: DbSession, actor: CurrentActor, body: TaskCreate) -> TaskRead:
    return TaskRead.model_validate(tasks.create_task(session, actor, **body.model_dump()))


@router.get("/tasks", summary="Tasks for grids in scope", response_model=Page[TaskRead])
def list_tasks(
    session: DbSession, actor: CurrentActor, open_only: bool = False, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    items, total = paging.page(
        session, tasks.tasks_query(session, actor, open_only=open_only), limit=limit, offset=offset
    )
    return {
        "items": [TaskRead.model_validate(t) for t in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/tasks/{task_id}",
    response_model=TaskProgressRead,
    response_model_exclude_unset=True,  # items and discrepancies only for a population check
    summary="A task and its progress board (computed from the work)",
)
def task_progress(session: DbSession, actor: CurrentActor, task_id: DbId) -> dict[str, Any]:
    board = tasks.task_progress(session, actor, task_id=task_id)
    return {**board, "task": TaskRead.model_validate(board["task"])}


@router.post("/tasks/{task_id}/grids/{area_code}/acknowledge", summary="A grid acknowledges the task")
def acknowledge(session: DbSession, actor: CurrentActor, task_id: DbId, area_code: str) -> TargetRead:
    return TargetRead.model_validate(
        tasks.acknowledge_task(session, actor, task_id=task_id, area_code=area_code)
    )


@router.post("/tasks/{task_id}/grids/{area_code}/complete", summary="A grid reports its part done")
def complete(
    session: DbSession, actor: CurrentActor, task_id: DbId, area_code: str, body: TaskComplete | None = None
) -> TargetRead:
    target = tasks.complete_task(
        session, actor, task_id=task_id, area_code=area_code, note=body.note if body else ""
    )
    return TargetRead.model_validate(target)


@router.post("/tasks/{task_id}/close", summary="The issuer closes the task")
def close(session: DbSession, actor: CurrentActor, task_id: DbId) -> TaskRead:
    return TaskRead.model_validate(tasks.close_task(session, actor, task_id=task_id))


@router.get("/tasks/{task_id}/checks", summary="Residents to verify in a population check (masked)")
def list_checks(
    session: DbSession,
    actor: CurrentActor,
    task_id: DbId,
    area_code: str | None = None,
    outcome: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[CheckItemRead]:
    stmt = tasks.check_items_query(session, actor, task_id=task_id, area_code=area_code, outcome=outcome)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    out = [
        CheckItemRead(
            id=item.id,
            area_code=item.area_code,
            outcome=item.outcome,
            note=item.note,
            checked_at=item.checked_at,
            resident=ResidentRead.of(resident),
        )
        for item, resident in items
    ]
    return Page[CheckItemRead](items=out, total=total, limit=limit, offset=offset)


@router.post(
    "/checks/{item_id}",
    response_model=CheckResultRead,
    summary="Verify one resident: confirmed, corrected or moved_out",
)
def check_resident(session: DbSession, actor: CurrentActor, item_id: DbId, body: CheckIn) -> dict[str, Any]:
    item = tasks.check_resident(
        session, actor, item_id=item_id, outcome=body.outcome, corrections=body.corrections, note=body.note
    )
    return {
        "id": item.id,
        "outcome": item.outcome,
        "checked_at": item.checked_at,
        "checked_by": item.checked_by,
    }


# --- opinions ---------------------------------------------------------------------------------------------


@router.post("/opinions", status_code=201, summary="Collect or submit an opinion/suggestion (民意)")
def submit_opinion(session: DbSession, actor: CurrentActor, body: OpinionCreate) -> OpinionRead:
    return OpinionRead.of(opinions.submit_opinion(session, actor, **body.model_dump()))


@router.get("/opinions", summary="Opinions in scope (residents: their own)", response_model=Page[OpinionRead])
def list_opinions(
    session: DbSession,
    actor: CurrentActor,
    state: str | None = None,
    tag: str | None = None,
    area_code: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    stmt = opinions.opinions_query(session, actor, state=state, tag=tag, area_code=area_code)
    items, total = paging.page(session, stmt, limit=limit, offset=offset)
    return {"items": [OpinionRead.of(o) for o in items], "total": total, "limit": limit, "offset": offset}


@router.get("/opinions/{opinion_id}", summary="One opinion")
def get_opinion(session: DbSession, actor: CurrentActor, opinion_id: DbId) -> OpinionRead:
    return OpinionRead.of(opinions.get_opinion(session, actor, opinion_id))


@router.put("/opinions/{opinion_id}/tags", summary="Tag an opinion")
def tag_opinion(session: DbSession, actor: CurrentActor, opinion_id: DbId, body: OpinionTags) -> OpinionRead:
    return OpinionRead.of(opinions.tag_opinion(session, actor, opinion_id=opinion_id, tags=body.tags))


@router.post("/opinions/{opinion_id}/answer", summary="Answer an opinion")
def answer_opinion(
    session: DbSession, actor: CurrentActor, opinion_id: DbId, body: OpinionAnswer
) -> OpinionRead:
    return OpinionRead.of(opinions.answer_opinion(session, actor, opinion_id=opinion_id, answer=body.answer))


@router.post("/opinions/{opinion_id}/case", summary="Turn an opinion into a case (one click)")
def opinion_case(
    session: DbSession, actor: CurrentActor, opinion_id: DbId, body: OpinionCase | None = None
) -> OpinionRead:
    body = body or OpinionCase()
    opinion = opinions.opinion_to_case(
        session, actor, opinion_id=opinion_id, category_code=body.category_code, title=body.title
    )
    return OpinionRead.of(opinion)


# --- grid + party building (网格+党建): /api/v1/party-branches ----------------------------------------

party_router = APIRouter(prefix="/api/v1/party-branches", tags=["grids"])


@party_router.get(
    "",
    response_model=list[PartyBranchSummary],
    summary="Party branches in scope, with their grids, secretary, members and visit coverage",
)
def list_branches(
    session: DbSession, actor: CurrentActor, area_code: str | None = None
) -> list[dict[str, Any]]:
    branches = list(session.scalars(party.branches_query(session, actor, area_code=area_code)))
    return party.summaries(session, actor, branches)


@party_router.post(
    "",
    status_code=201,
    response_model=PartyBranchDetail,
    summary="Create a community's party branch (district/street staff)",
)
def create_branch(session: DbSession, actor: CurrentActor, body: PartyBranchCreate) -> dict[str, Any]:
    branch = party.create_branch(
        session, actor, name=body.name, area_code=body.area_code, grid_codes=body.grid_codes
    )
    return party.branch_detail(session, actor, branch.id)


@party_router.get(
    "/{branch_id}",
    response_model=PartyBranchDetail,
    summary="One branch: members, grids and each grid's visit coverage this quarter",
)
def get_branch(session: DbSession, actor: CurrentActor, branch_id: DbId) -> dict[str, Any]:
    return party.branch_detail(session, actor, branch_id)


@party_router.put(
    "/{branch_id}/grids",
    response_model=PartyBranchDetail,
    summary="Assign the grids a branch covers (empty: the whole community)",
)
def set_grids(
    session: DbSession, actor: CurrentActor, branch_id: DbId, body: PartyBranchGrids
) -> dict[str, Any]:
    party.set_branch_grids(session, actor, branch_id=branch_id, grid_codes=body.grid_codes)
    return party.branch_detail(session, actor, branch_id)


@party_router.post(
    "/{branch_id}/members",
    status_code=201,
    response_model=PartyMemberRead,
    summary="Record a staff member or account as a party member",
)
def add_member(
    session: DbSession, actor: CurrentActor, branch_id: DbId, body: PartyMemberCreate
) -> dict[str, Any]:
    member = party.add_member(
        session,
        actor,
        branch_id=branch_id,
        staff_id=body.staff_id,
        account_id=body.account_id,
        role=body.role,
    )
    return {
        "id": member.id,
        "branch_id": member.branch_id,
        "staff_id": member.staff_id,
        "account_id": member.account_id,
        "role": member.role,
    }


@party_router.delete(
    "/{branch_id}/members/{member_id}", status_code=204, summary="Take a member off the roll"
)
def remove_member(session: DbSession, actor: CurrentActor, branch_id: DbId, member_id: DbId) -> None:
    party.remove_member(session, actor, branch_id=branch_id, member_id=member_id)
