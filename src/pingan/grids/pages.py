"""Mobile-first pages of the grid services: the grid worker's/cadre's day (tasks to acknowledge, households
to visit, one-form visit with an optional case) and the district's visit coverage by grid and cadre."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from pingan.core.errors import PinganError
from pingan.core.security import Actor, Role
from pingan.grids import registers, staff, tasks, visits
from pingan.grids.common import MANAGER_ROLES, READ_ROLES, grid_names, visible_grids
from pingan.grids.models import Building
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import lang_of, render, require_staff

router = APIRouter(include_in_schema=False)

CASE_CATEGORIES = ("0601", "0701", "0702", "0801", "0102", "1301", "1402", "1601")
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "mine.title": "我的网格",
        "mine.tasks": "待办任务",
        "mine.no_tasks": "暂无待办任务",
        "mine.ack": "签收",
        "mine.done": "完成",
        "mine.acked": "已签收",
        "mine.completed": "已完成",
        "mine.due": "截止",
        "mine.visit": "记录走访",
        "mine.household": "走访户",
        "mine.notes": "走访情况",
        "mine.issue": "发现的问题（可选）",
        "mine.category": "问题类别",
        "mine.raise": "同时上报为事件",
        "mine.save": "保存走访",
        "mine.never": "未走访",
        "mine.recent": "最近走访",
        "mine.coverage": "本季度走访覆盖",
        "c.grid": "网格",
        "c.households": "户数",
        "c.visited": "本季已走访",
        "c.share": "覆盖率",
        "c.never": "从未走访",
        "c.cadre": "联系干部",
        "c.org": "单位",
        "c.visits": "走访次数",
        "cov.title": "走访覆盖",
        "cov.grids": "按网格",
        "cov.cadres": "按联系干部",
        "cov.no_visit": "本季度无走访的干部",
        "cov.gaps": "缺少人员的网格",
        "cov.none": "无",
        "saved": "已保存。",
        "saved_case": "已保存，并上报事件 {number}。",
        "acked": "已签收。",
        "completed": "已完成。",
    },
    "en": {
        "mine.title": "My grids",
        "mine.tasks": "Tasks to do",
        "mine.no_tasks": "No open tasks",
        "mine.ack": "Acknowledge",
        "mine.done": "Done",
        "mine.acked": "acknowledged",
        "mine.completed": "completed",
        "mine.due": "due",
        "mine.visit": "Record a visit",
        "mine.household": "Household",
        "mine.notes": "Notes",
        "mine.issue": "Issue found (optional)",
        "mine.category": "Category",
        "mine.raise": "Also report it as a case",
        "mine.save": "Save visit",
        "mine.never": "never visited",
        "mine.recent": "Recent visits",
        "mine.coverage": "Visit coverage this quarter",
        "c.grid": "Grid",
        "c.households": "Households",
        "c.visited": "Visited",
        "c.share": "Share",
        "c.never": "Never visited",
        "c.cadre": "Liaison cadre",
        "c.org": "Organisation",
        "c.visits": "Visits",
        "cov.title": "Visit coverage",
        "cov.grids": "By grid",
        "cov.cadres": "By liaison cadre",
        "cov.no_visit": "Cadres with no visit this quarter",
        "cov.gaps": "Grids missing staff",
        "cov.none": "none",
        "saved": "Saved.",
        "saved_case": "Saved; case {number} reported.",
        "acked": "Acknowledged.",
        "completed": "Completed.",
    },
}


def _t(request: Request) -> Any:
    messages = TEXT["en" if lang_of(request) == "en" else "zh"]

    def t(key: str, **values: Any) -> str:
        text = messages.get(key, key)
        return text.format(**values) if values else text

    return t


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(message)}", status_code=303)


@router.get("/gridwork")
def my_grids(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """The grid worker's or cadre's page: tasks to acknowledge, households to visit, the visit form."""
    who: Actor = require_staff(actor, *READ_ROLES)
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
        households.extend(session.scalars(registers.list_households(session, who, area_code=code).limit(60)))
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
        t=_t(request),
        grids=[(c, names[c]) for c in grids],
        tasks=open_tasks,
        households=[(h, addresses.get(h.building_id, ""), h.id in never) for h in unique],
        coverage=[r for r in visits.grid_coverage(session, who) if r["area_code"] in grids],
        recent=recent,
        categories=CASE_CATEGORIES,
        msg=request.query_params.get("msg", ""),
    )


@router.post("/gridwork/visits")
def save_visit(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    household_id: int = Form(...),
    notes: str = Form(""),
    issue: str = Form(""),
    category_code: str = Form(""),
    raise_case: bool = Form(False),
) -> Response:
    """One form: the visit, and the issue as a case when asked."""
    who = require_staff(actor, *READ_ROLES)
    t = _t(request)
    issues = (
        [{"description": issue, "category_code": category_code or None, "raise_case": raise_case}]
        if issue.strip()
        else []
    )
    try:
        result = visits.record_visit(session, who, household_id=household_id, notes=notes, issues=issues)
    except PinganError as exc:
        return _back("/gridwork", f"{exc.field or ''}: {exc.message}")
    if result.cases:
        return _back("/gridwork", t("saved_case", number=result.cases[0]["number"]))
    return _back("/gridwork", t("saved"))


@router.post("/gridwork/tasks/{task_id}/{area_code}/{action}")
def task_action(
    request: Request, session: DbSession, actor: OptionalActor, task_id: int, area_code: str, action: str
) -> Response:
    """Acknowledge or complete a task for one grid."""
    who = require_staff(actor, *READ_ROLES)
    t = _t(request)
    try:
        if action == "complete":
            tasks.complete_task(session, who, task_id=task_id, area_code=area_code)
            return _back("/gridwork", t("completed"))
        tasks.acknowledge_task(session, who, task_id=task_id, area_code=area_code)
    except PinganError as exc:
        return _back("/gridwork", exc.message)
    return _back("/gridwork", t("acked"))


@router.get("/gridwork/coverage")
def coverage(request: Request, session: DbSession, actor: OptionalActor, area: str | None = None) -> Response:
    """District/street page: visit coverage by grid and by cadre, cadres with no visit, staffing gaps."""
    who = require_staff(actor, *READ_ROLES)
    grids = visits.grid_coverage(session, who, area_code=area)
    cadres = visits.cadre_coverage(session, who, area_code=area)
    return render(
        request,
        "grids_coverage.html",
        who,
        t=_t(request),
        grids=grids,
        cadres=cadres,
        no_visit=[c for c in cadres if c["visits"] == 0],
        gaps=staff.coverage_gaps(session, who, area_code=area),
        is_manager=who.has_role(*MANAGER_ROLES),
        grid_count=len(visible_grids(session, who, area_code=area)),
    )
