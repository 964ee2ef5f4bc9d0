"""Mobile-first pages of the grid services: the grid worker's/cadre's day (tasks to acknowledge, households
to visit, one-form visit with an optional case) and the district's visit coverage by grid and cadre."""

from __future__ import annotations

import base64
import importlib
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.config import Settings
from pingan.core.errors import Forbidden, PinganError
from pingan.core.pii import normalise_id_number, normalise_phone
from pingan.core.security import Actor, Role
from pingan.core.validation import DbId, PageNumber
from pingan.grids import io as grid_io
from pingan.grids import party, staff, tasks, visits
from pingan.grids.common import (
    MANAGER_ROLES,
    READ_ROLES,
    WRITE_ROLES,
    get_grid_code,
    grid_names,
    visible_grids,
)
from pingan.grids.households import get_household, list_households
from pingan.grids.models import Building, Household, Place, Resident, StaffLink, Visit
from pingan.grids.places import places_query
from pingan.grids.placetypes import place_types, type_name
from pingan.grids.residents import list_residents
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.files import MAX_FILE_BYTES, XLSX
from pingan.web.pages.common import lang_of, render, require_staff

router = APIRouter(include_in_schema=False)

CASE_CATEGORIES = ("0601", "0701", "0702", "0801", "0102", "1301", "1402", "1601")
PAGE_SIZE = 50
CADRE_PAGE_SIZE = 25  # the cadres with no visit: a compact table, a page at a time
STASH_SECONDS = 3600
STASH_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")
# The import's row messages come from the service in English; the page shows them in its own language.
ROW_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"is required$", "gw.err.required"),
        (r"must be a number$", "gw.err.number"),
        (r"^ID number must have 18", "gw.err.id_length"),
        (r"^ID number holds", "gw.err.id_birth"),
        (r"^ID number check digit", "gw.err.id_check"),
        (r"^the same ID number is already on row (?P<row>\d+)", "gw.err.dup_file"),
        (r"^a resident with this ID number is already registered", "gw.err.dup_db"),
        (r"^the same place is already on row (?P<row>\d+)", "gw.err.dup_place"),
        (r"^place_type .* is not a known type", "gw.err.place_type"),
        (r"outside every grid", "gw.err.outside"),
        (r"^grid (?P<code>\d+) is not in your area", "gw.err.not_your_grid"),
        (r"not in grid|not inside", "gw.err.wrong_grid"),
        (r"^the header row lacks the columns: (?P<columns>.*)$", "gw.err.header"),
        (r"is not a readable xlsx workbook$", "gw.err.unreadable"),
        (r"^the file has no header row", "gw.err.no_header"),
    )
)


def _t(request: Request) -> i18n.Translator:
    return i18n.translator(lang_of(request))


def _gw(request: Request) -> i18n.Translator:
    """The translator of the grid pages' own keys (``gw.`` in the catalogs)."""
    translate = _t(request)

    def t(key: str, **values: Any) -> str:
        return translate(f"gw.{key}", **values)

    return t


def row_message(translate: i18n.Translator, message: str) -> str:
    """A service message in the page's language (the generic one when no pattern matches)."""
    for pattern, key in ROW_MESSAGES:
        found = pattern.search(message)
        if found:
            return translate(key, **found.groupdict())
    return translate("gw.err.generic")


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(message)}", status_code=303)


@router.get("/gridwork")
def my_grids(
    request: Request, session: DbSession, actor: OptionalActor, household: int | None = None
) -> Response:
    """The grid worker's or cadre's page: tasks to acknowledge, households to visit, the visit form."""
    who: Actor = require_staff(actor, *READ_ROLES)
    return _mine_page(request, session, who, household=household, msg=request.query_params.get("msg", ""))


def _mine_page(
    request: Request,
    session: Session,
    who: Actor,
    *,
    household: int | None = None,
    msg: str = "",
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The day page; after a failed visit ``form`` holds what was typed, ``errors`` the message by field."""
    grids = [g.area_code for g in who.grants if g.role in (Role.GRID_WORKER, Role.LIAISON_CADRE)]
    if not grids:
        return RedirectResponse("/gridwork/coverage", status_code=303)
    names = grid_names(session, grids)
    open_tasks: list[dict[str, Any]] = []
    for task in session.scalars(tasks.tasks_query(session, who, open_only=True).limit(20)):
        board = tasks.task_progress(session, who, task_id=task.id)
        open_tasks.extend({"task": task, "grid": g} for g in board["grids"] if g["area_code"] in grids)
    households = []
    for code in grids:
        households.extend(visits.never_visited(session, who, area_code=code, limit=30))
        households.extend(session.scalars(list_households(session, who, area_code=code).limit(60)))
    if household is not None:
        try:
            households.insert(0, get_household(session, who, household))
        except PinganError:
            household = None
    unique = list({h.id: h for h in households}.values())
    never = {h.id for h in visits.never_visited(session, who, limit=500)}
    addresses = {
        b.id: b.address
        for b in session.scalars(select(Building).where(Building.id.in_({h.building_id for h in unique})))
    }
    recent = list(session.scalars(visits.visits_query(session, who).limit(10)))
    return render(
        request,
        "grids_mine.html",
        who,
        status_code=status_code,
        t=_gw(request),
        grids=[(c, names[c]) for c in grids],
        tasks=open_tasks,
        households=[(h, addresses.get(h.building_id, ""), h.id in never) for h in unique],
        coverage=[r for r in visits.grid_coverage(session, who) if r["area_code"] in grids],
        recent=recent,
        categories=case_categories(session, lang_of(request)),
        selected=household,
        form=form or {},
        errors=errors or {},
        is_cadre=any(g.role == Role.LIAISON_CADRE for g in who.grants),
        can_import=who.has_role(*WRITE_ROLES),
        msg=msg,
    )


def case_categories(session: Session, lang: str) -> list[tuple[str, str]]:
    """The visit form's case categories as (code, name in the page's language)."""
    try:
        routing = importlib.import_module("pingan.cases.routing")
    except ModuleNotFoundError:
        return []
    known = {c.code: c for c in routing.list_categories(session) if c.code in CASE_CATEGORIES}
    return [
        (code, (known[code].name_en or known[code].name_zh) if lang == "en" else known[code].name_zh)
        for code in CASE_CATEGORIES
        if code in known
    ]


@router.post("/gridwork/visits")
def save_visit(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    household_id: DbId = Form(...),
    notes: str = Form(""),
    issue: str = Form(""),
    category_code: str = Form(""),
    raise_case: bool = Form(False),
) -> Response:
    """One form: the visit, and the issue as a case when asked. Nothing typed is ever lost: a visit that
    cannot be saved comes back with its content and the error by the field; a case that cannot be raised
    leaves the visit saved and the issue in the form to report again."""
    who = require_staff(actor, *READ_ROLES)
    t = _gw(request)
    issues = (
        [{"description": issue, "category_code": category_code or None, "raise_case": raise_case}]
        if issue.strip()
        else []
    )
    form = {"notes": notes, "issue": issue, "category_code": category_code, "raise_case": raise_case}
    try:
        result = visits.record_visit(
            session,
            who,
            household_id=household_id,
            notes=notes,
            issues=issues,
            keep_visit_on_case_error=True,
        )
    except PinganError as exc:
        session.rollback()  # nothing of the visit is written; the form comes back as typed
        field = _form_field(exc.field or "")
        problem = _visit_problem(t, exc.field or "")
        return _mine_page(
            request,
            session,
            who,
            household=household_id,
            msg=t("err.visit", problem=problem),
            form=form,
            errors={field: problem},
            status_code=exc.status if 400 <= exc.status < 500 else 422,
        )
    if result.case_errors:
        problem = _case_problem(t, result.case_errors[0])
        kept = {**form, "notes": ""}  # the visit is saved: only the issue waits to be reported again
        return _mine_page(
            request,
            session,
            who,
            household=household_id,
            msg=t("err.case_not_raised", problem=problem),
            form=kept,
            errors={"category_code": problem},
            status_code=422,
        )
    if result.cases:
        return _back("/gridwork", t("saved_case", number=result.cases[0]["number"]))
    return _back("/gridwork", t("saved"))


def _form_field(field: str) -> str:
    """The visit form's field named by a service error field."""
    if field.endswith("category_code"):
        return "category_code"
    if field.startswith("issues"):
        return "issue"
    return field if field in ("household_id", "notes") else "household_id"


def _visit_problem(t: i18n.Translator, field: str) -> str:
    """What was wrong with the visit form, in the page's language."""
    if field.endswith("category_code"):
        return t("err.category")
    if field.startswith("issues"):
        return t("err.issues")
    if field in ("household_id", "notes"):
        return t("err." + field.removesuffix("_id"))
    return t("err.generic")


def _case_problem(t: i18n.Translator, error: dict[str, Any]) -> str:
    """Why the case of a saved visit was not raised, in the page's language."""
    if str(error.get("field", "")).endswith("category_code"):
        return t("err.case_category")
    return t("err.case_generic")


@router.post("/gridwork/tasks/{task_id}/{area_code}/{action}")
def task_action(
    request: Request, session: DbSession, actor: OptionalActor, task_id: DbId, area_code: str, action: str
) -> Response:
    """Acknowledge or complete a task for one grid."""
    who = require_staff(actor, *READ_ROLES)
    t = _gw(request)
    try:
        if action == "complete":
            tasks.complete_task(session, who, task_id=task_id, area_code=area_code)
            return _back("/gridwork", t("completed"))
        tasks.acknowledge_task(session, who, task_id=task_id, area_code=area_code)
    except PinganError:
        session.rollback()
        return _back("/gridwork", t("err.task"))
    return _back("/gridwork", t("acked"))


@router.get("/gridwork/coverage")
def coverage(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    street: str = "",
    community: str = "",
    area: str = "",
    page: int = 1,
    cadres: str = "no_visit",
    cpage: int = 1,
) -> Response:
    """District/street page: coverage grouped by street and community (filters in the URL), the grids a page
    at a time with names, the cadres with no visit this quarter (or all cadres), staffing gaps."""
    who = require_staff(actor, *READ_ROLES)
    selected = community or street or area or None
    if community and street and not community.startswith(street):
        selected = community  # a community chosen from another street wins over the street
    grids = visits.grid_coverage(session, who, area_code=selected)  # 404 for an area outside the scope
    tree = _area_tree(session, [r["area_code"] for r in grids])
    for row in grids:
        row["community"], row["street"] = tree.get(row["area_code"], ("", ""))
    level = "community" if street or community or area else "street"
    groups = _group_rows(grids, level, tree) if not community else []
    grids.sort(key=lambda r: (r["street"], r["community"], r["area_code"]))
    page_rows, page, pages = _paged(grids, page)
    all_cadres = visits.cadre_coverage(session, who, area_code=selected)
    no_visit = [c for c in all_cadres if c["visits"] == 0]
    shown = all_cadres if cadres == "all" else no_visit
    cadre_rows, cpage, cpages = _paged(shown, cpage, size=CADRE_PAGE_SIZE)
    names = {code.removeprefix("name:"): value[0] for code, value in tree.items() if code.startswith("name:")}
    streets, communities = _filter_choices(session, who, street or (community[:9] if community else ""))
    return render(
        request,
        "grids_coverage.html",
        who,
        t=_gw(request),
        groups=groups,
        level=level,
        totals=_totals(grids),
        grids=page_rows,
        page=page,
        pages=pages,
        cadres=cadre_rows,
        cadre_view="all" if cadres == "all" else "no_visit",
        cpage=cpage,
        cpages=cpages,
        cadre_count=len(all_cadres),
        no_visit_count=len(no_visit),
        names=names,
        gaps=staff.coverage_gaps(session, who, area_code=selected),
        is_manager=who.has_role(*MANAGER_ROLES),
        grid_count=len(grids),
        streets=streets,
        communities=communities,
        street=street,
        community=community,
        query=lambda **changes: _query(request, **changes),
    )


def _area_tree(session: Session, grid_codes: list[str]) -> dict[str, tuple[str, str]]:
    """For each grid its (community code, street code), and for every area code its (name, parent code)."""
    by_code = {a.code: (a.name, a.parent_code or "") for a in areas.list_areas(session)}
    tree: dict[str, tuple[str, str]] = {f"name:{code}": value for code, value in by_code.items()}
    for code in grid_codes:
        community = by_code.get(code, ("", ""))[1]
        tree[code] = (community, by_code.get(community, ("", ""))[1])
    return tree


def _group_rows(
    grids: list[dict[str, Any]], level: str, tree: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Coverage summed per street (or per community): households, visited, share, never visited, grids."""
    groups: dict[str, dict[str, Any]] = {}
    for row in grids:
        code = row[level]
        g = groups.setdefault(
            code,
            {
                "area_code": code,
                "name": tree.get(f"name:{code}", (code, ""))[0],
                "grids": 0,
                "households": 0,
                "visited": 0,
                "never_visited": 0,
            },
        )
        g["grids"] += 1
        for key in ("households", "visited", "never_visited"):
            g[key] += row[key]
    out = sorted(groups.values(), key=lambda g: g["area_code"])
    for g in out:
        g["share"] = round(g["visited"] / g["households"], 4) if g["households"] else 0.0
    return out


def _totals(grids: list[dict[str, Any]]) -> dict[str, Any]:
    households = sum(r["households"] for r in grids)
    visited = sum(r["visited"] for r in grids)
    return {
        "households": households,
        "visited": visited,
        "never_visited": sum(r["never_visited"] for r in grids),
        "share": round(visited / households, 4) if households else 0.0,
    }


def _paged(rows: list[Any], page: int, *, size: int = PAGE_SIZE) -> tuple[list[Any], int, int]:
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * size : page * size], page, pages


def _filter_choices(
    session: Session, who: Actor, street: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The streets in the actor's scope, and the communities of the chosen street (or all in scope)."""
    visible = set(visible_grids(session, who))
    streets = [
        (a.code, a.name) for a in areas.list_areas(session, level=AreaLevel.STREET) if _holds(a.code, visible)
    ]
    communities = [
        (a.code, a.name)
        for a in areas.list_areas(session, level=AreaLevel.COMMUNITY, within=street or None)
        if _holds(a.code, visible)
    ]
    return streets, communities


def _holds(code: str, grids: set[str]) -> bool:
    return any(g.startswith(code) for g in grids)


def _query(request: Request, **changes: Any) -> str:
    """The current URL's query with some parameters changed (filters stay in the URL)."""
    params = {k: v for k, v in request.query_params.items() if v}
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def _addresses(session: Session, households: list[Household]) -> dict[int, str]:
    """Household id → "address room"."""
    ids = {h.building_id for h in households}
    buildings = {b.id: b.address for b in session.scalars(select(Building).where(Building.id.in_(ids)))}
    return {h.id: f"{buildings.get(h.building_id, '')} {h.room}".strip() for h in households}


@router.get("/gridwork/grids/{area_code}/residents")
def residents(
    request: Request, session: DbSession, actor: OptionalActor, area_code: str, page: PageNumber = 1
) -> Response:
    """The residents of one grid, masked, a page at a time."""
    return _residents(request, session, actor, area_code, "", page)


@router.post("/gridwork/grids/{area_code}/residents")
def find_residents(
    request: Request, session: DbSession, actor: OptionalActor, area_code: str, q: str = Form("")
) -> Response:
    """An exact ID number or phone finds a person by its blind index (posted: never in a URL or a log)."""
    return _residents(request, session, actor, area_code, q, 1)


def _residents(
    request: Request, session: Session, actor: Actor | None, area_code: str, q: str, page: int
) -> Response:
    who = require_staff(actor, *READ_ROLES)
    code = get_grid_code(session, who, area_code)
    t = _gw(request)
    query, message = q.strip(), ""
    id_number: str | None = None
    phone: str | None = None
    if query:
        digits = query.replace(" ", "").replace("-", "")
        try:
            if len(digits) == 18:
                id_number = normalise_id_number(digits)
            elif digits.isdigit() and len(digits) >= 7:
                phone = normalise_phone(digits)
            else:
                message = t("res.bad_query")
        except PinganError:
            message = t("res.bad_query")
    page = max(page, 1)
    people: list[Resident] = []
    total = 0
    if not message:
        stmt = list_residents(session, who, area_code=code, id_number=id_number, phone=phone)
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        people = list(session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    homes = list(session.scalars(select(Household).where(Household.id.in_({p.household_id for p in people}))))
    return render(
        request,
        "grids_residents.html",
        who,
        t=t,
        grid=(code, grid_names(session, [code])[code]),
        residents=people,
        addresses=_addresses(session, homes),
        total=total,
        searched=bool(query),
        message=message,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        can_import=who.has_role(*WRITE_ROLES),
    )


@router.get("/gridwork/grids/{area_code}/households")
def households(
    request: Request, session: DbSession, actor: OptionalActor, area_code: str, page: PageNumber = 1
) -> Response:
    """The households of one grid: address, type, residents, last visit, a link to record a visit."""
    who = require_staff(actor, *READ_ROLES)
    code = get_grid_code(session, who, area_code)
    page = max(page, 1)
    stmt = list_households(session, who, area_code=code).where(Household.is_active)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    homes = list(session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    ids = [h.id for h in homes]
    people = dict(
        session.execute(
            select(Resident.household_id, func.count())
            .where(Resident.household_id.in_(ids), Resident.is_active)
            .group_by(Resident.household_id)
        ).all()
    )
    last = dict(
        session.execute(
            select(Visit.household_id, func.max(Visit.visited_at))
            .where(Visit.household_id.in_(ids))
            .group_by(Visit.household_id)
        ).all()
    )
    return render(
        request,
        "grids_households.html",
        who,
        t=_gw(request),
        grid=(code, grid_names(session, [code])[code]),
        households=[(h, people.get(h.id, 0), last.get(h.id)) for h in homes],
        addresses=_addresses(session, homes),
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@router.get("/gridwork/import")
def import_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """The register import page: the template, the upload form."""
    who = require_staff(actor, *WRITE_ROLES)
    return _import_page(request, session, who)


@router.get("/gridwork/import/template")
def import_template(actor: OptionalActor, kind: str = "residents", fmt: str = "xlsx") -> Response:
    """The empty register file (the same as the API's /api/v1/grids/template)."""
    require_staff(actor, *WRITE_ROLES)
    file_format = "csv" if fmt == "csv" else "xlsx"
    data = grid_io.template(kind, file_format)
    media = "text/csv; charset=utf-8" if file_format == "csv" else XLSX
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.{file_format}"'},
    )


@router.post("/gridwork/import")
def import_upload(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    kind: str = Form("residents"),
    file: UploadFile | None = File(None),
    upload: str = Form(""),
    valid_rows_only: bool = Form(False),
) -> Response:
    """Check a register file row by row; import it when clean, or only its valid rows when asked."""
    who = require_staff(actor, *WRITE_ROLES)
    t = _gw(request)
    content, filename = b"", ""
    if file is not None and file.filename:
        content = file.file.read(MAX_FILE_BYTES + 1)
        filename = file.filename
    elif upload:
        content, filename = _unstash(request, who, upload)
        if not content:
            return _import_page(request, session, who, kind=kind, problem=t("imp.expired"), status_code=422)
    if not content:
        return _import_page(request, session, who, kind=kind, problem=t("imp.no_file"), status_code=422)
    if len(content) > MAX_FILE_BYTES:
        return _import_page(request, session, who, kind=kind, problem=t("imp.too_large"), status_code=413)
    try:
        report = grid_io.import_register(
            session, who, kind=kind, data=content, filename=filename, valid_rows_only=valid_rows_only
        )
    except grid_io.ImportRejected as exc:
        session.rollback()
        return _import_page(
            request,
            session,
            who,
            kind=kind,
            report=exc.report,
            retry=_stash(request, who, content, filename),
            status_code=422,
        )
    except PinganError as exc:
        session.rollback()
        problem = t("imp.file_error", message=row_message(_t(request), exc.message))
        return _import_page(request, session, who, kind=kind, problem=problem, status_code=exc.status)
    if upload:
        _unstash(request, who, upload, remove=True)
    return _import_page(request, session, who, kind=kind, report=report)


def _stash_dir(request: Request) -> Path:
    settings: Settings = request.app.state.settings
    folder = settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stash(request: Request, who: Actor, content: bytes, filename: str) -> str:
    """Keep a rejected upload for an hour so "import the valid rows" needs no second upload."""
    folder = _stash_dir(request)
    for old in folder.iterdir():
        if old.stat().st_mtime < time.time() - STASH_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / f"{who.account_id}-{token}").write_bytes(content)
    (folder / f"{who.account_id}-{token}.name").write_text(filename[:200], encoding="utf-8")
    return token


def _unstash(request: Request, who: Actor, token: str, *, remove: bool = False) -> tuple[bytes, str]:
    """The stashed upload of this account (empty when unknown or expired)."""
    if not STASH_TOKEN.fullmatch(token):
        return b"", ""
    path = _stash_dir(request) / f"{who.account_id}-{token}"
    name = path.with_name(path.name + ".name")
    if not path.exists() or path.stat().st_mtime < time.time() - STASH_SECONDS:
        return b"", ""
    content, filename = path.read_bytes(), name.read_text(encoding="utf-8") if name.exists() else ""
    if remove:
        path.unlink(missing_ok=True)
        name.unlink(missing_ok=True)
    return content, filename


def _column(translate: i18n.Translator, field: str) -> str:
    label = translate(f"gw.col.{field}")
    return field if label == f"gw.col.{field}" else label


def _import_page(
    request: Request,
    session: Session,
    who: Actor,
    *,
    kind: str = "residents",
    report: grid_io.ImportReport | None = None,
    retry: str = "",
    problem: str = "",
    status_code: int = 200,
) -> Response:
    translate = _t(request)
    errors = [
        {
            "row": e.row,
            "field": _column(translate, e.field),
            "message": row_message(translate, e.message),
        }
        for e in (report.errors if report else [])
    ]
    mine = [g.area_code for g in who.grants if g.role == Role.GRID_WORKER]
    return render(
        request,
        "grids_import.html",
        who,
        status_code=status_code,
        t=_gw(request),
        kind=kind if kind in ("residents", "places") else "residents",
        report=report,
        errors=errors,
        retry=retry,
        problem=problem,
        error_file=base64.b64encode(report.error_file).decode() if report and report.error_file else "",
        xlsx=XLSX,
        grids=[(c, n) for c, n in grid_names(session, mine).items()],
        place_types=[(t.code, t.name(lang_of(request))) for t in place_types(request.app.state.modules)],
    )


@router.get("/gridwork/cadre")
def cadre_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """The liaison cadre's grids: this quarter's visit coverage, households never visited, a visit link."""
    who = require_staff(actor, *READ_ROLES)
    grids = sorted({g.area_code for g in who.grants if g.role == Role.LIAISON_CADRE})
    if not grids:
        return RedirectResponse("/gridwork/coverage" if who.has_role(*MANAGER_ROLES) else "/gridwork", 303)
    rows = [r for r in visits.grid_coverage(session, who) if r["area_code"] in grids]
    member = staff.staff_for_account(session, who.account_id)
    own = next(
        (c for c in visits.cadre_coverage(session, who) if member is not None and c["staff_id"] == member.id),
        None,
    )
    never: list[tuple[str, list[Household]]] = []
    homes: list[Household] = []
    for row in rows:
        households = visits.never_visited(session, who, area_code=row["area_code"], limit=20)
        never.append((row["name"], households))
        homes.extend(households)
    return render(
        request,
        "grids_cadre.html",
        who,
        t=_gw(request),
        rows=rows,
        own=own,
        never=never,
        addresses=_addresses(session, homes),
    )


# --- grid + party building (网格+党建): /grids/party ----------------------------------------------------


@router.get("/grids/party")
def party_branches_page(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    street: str = "",
    community: str = "",
    page: int = 1,
) -> Response:
    """The party branches of the caller's area: community, grids, secretary, members, visit coverage."""
    who = require_staff(actor, *READ_ROLES)
    area = community or street or None
    if area is not None:
        visible_grids(session, who, area_code=area)  # 404 outside the caller's scope
    branches = list(session.scalars(party.branches_query(session, who, area_code=area)))
    rows = party.summaries(session, who, branches)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return render(
        request,
        "grids_party.html",
        who,
        t=_gw(request),
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        street=street,
        community=community,
        streets=_party_areas(session, who, AreaLevel.STREET, None),
        communities=_party_areas(session, who, AreaLevel.COMMUNITY, street or None),
        can_manage=who.has_role(*MANAGER_ROLES),
        msg=request.query_params.get("msg", ""),
    )


def _party_areas(session: Session, who: Actor, level: AreaLevel, within: str | None) -> list[tuple[str, str]]:
    """Areas of one level holding a grid the caller sees."""
    grids = visible_grids(session, who)
    return [
        (a.code, a.name)
        for a in areas.list_areas(session, level=level, within=within)
        if any(g.startswith(a.code) for g in grids)
    ]


@router.post("/grids/party")
def party_create_branch(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    name: str = Form(""),
    area_code: str = Form(""),
) -> Response:
    """District/street staff create a community's branch (covering the whole community)."""
    who = require_staff(actor, *MANAGER_ROLES)
    t = _gw(request)
    try:
        branch = party.create_branch(session, who, name=name, area_code=area_code)
    except PinganError as exc:
        session.rollback()
        return _back("/grids/party", t("party.err", message=_party_problem(t, exc)))
    return _back(f"/grids/party/{branch.id}", t("party.created"))


@router.get("/grids/party/{branch_id}")
def party_branch_page(
    request: Request, session: DbSession, actor: OptionalActor, branch_id: DbId
) -> Response:
    """One branch: its secretary and members, its grids and each grid's visit coverage this quarter."""
    who = require_staff(actor, *READ_ROLES)
    detail = party.branch_detail(session, who, branch_id)
    can_manage = who.has_role(*MANAGER_ROLES) and who.can_see_area(detail["area_code"], MANAGER_ROLES)
    return render(
        request,
        "grids_party_branch.html",
        who,
        t=_gw(request),
        b=detail,
        can_manage=can_manage,
        candidates=_party_candidates(session, who, detail) if can_manage else [],
        roles=party.ROLES,
        msg=request.query_params.get("msg", ""),
    )


def _party_candidates(session: Session, who: Actor, detail: dict[str, Any]) -> list[tuple[int, str]]:
    """Staff on the branch's grids (grid workers, leaders, cadres) who are not members yet."""
    codes = [g["area_code"] for g in detail["grids"]]
    taken = {m["staff_id"] for m in detail["member_list"]}
    rows = session.execute(
        staff.links_query(session, who).where(StaffLink.area_code.in_(codes)).order_by(None)
    ).all()
    seen: dict[int, str] = {}
    for _link, member in rows:
        if member.id not in taken and member.id not in seen:
            seen[member.id] = f"{member.name} · {member.organisation}" if member.organisation else member.name
    return sorted(seen.items(), key=lambda kv: kv[1])


@router.post("/grids/party/{branch_id}/members")
def party_add_member(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    branch_id: DbId,
    staff_id: DbId = Form(...),
    role: str = Form("member"),
) -> Response:
    """Record a staff member of the branch's grids as a party member."""
    who = require_staff(actor, *MANAGER_ROLES)
    t = _gw(request)
    try:
        party.add_member(session, who, branch_id=branch_id, staff_id=staff_id, role=role)
    except PinganError as exc:
        session.rollback()
        if exc.status == 404 and not _party_exists(session, who, branch_id):
            raise
        return _back(f"/grids/party/{branch_id}", t("party.err", message=_party_problem(t, exc)))
    return _back(f"/grids/party/{branch_id}", t("party.member_added"))


def _party_exists(session: Session, who: Actor, branch_id: int) -> bool:
    try:
        party.get_branch(session, who, branch_id)
    except PinganError:
        return False
    return True


def _party_problem(t: Any, exc: PinganError) -> str:
    """What was wrong with a party form, in the page's language (the field decides)."""
    field = exc.field if exc.field in ("name", "area_code", "role", "staff_id") else "generic"
    return str(t(f"party.problem.{field}"))


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def area_panel(request: Request, session: Session, actor: Actor, area_code: str) -> dict[str, Any]:
    """The area page's section of the grid registers (``AreaPanel``): the counts of registered households
    and key places (with the places by type, named in the viewer's language) and the area's staff, each left
    out where the actor may not read that register."""
    lang = lang_of(request)
    translate = i18n.translator(lang)
    staff_rows: list[dict[str, Any]] = []
    stats: list[dict[str, Any]] = []
    by_type: list[tuple[str, int]] = []
    try:
        links = staff.links_query(session, actor, area_code=area_code).limit(50)
        staff_rows = [
            {"name": member.name, "role": link.role, "phone": member.phone_masked}
            for link, member in session.execute(links)
        ]
        households = _count(session, list_households(session, actor, area_code=area_code))
        stats.append({"value": households, "label": translate("grid.registered_households")})
    except Forbidden:
        pass
    try:
        stmt = places_query(session, actor, area_code=area_code)
        stats.append({"value": _count(session, stmt), "label": translate("grid.places")})
        counted = session.execute(
            stmt.with_only_columns(Place.place_type, func.count())
            .group_by(Place.place_type)
            .order_by(None)
            .order_by(func.count().desc(), Place.place_type)
        ).all()
        known = place_types(request.app.state.modules)
        by_type = [(type_name(str(code), lang, known), int(n)) for code, n in counted]
    except Forbidden:
        pass
    stats.append({"value": len(staff_rows), "label": translate("grid.staff")})
    return {"stats": stats, "staff": staff_rows, "place_types": by_type}
