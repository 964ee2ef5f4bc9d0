"""The operator workbench (工作台): the case queue with filters in the URL, and one case with its actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from pingan.cases import dedupe, jobs, service, sla, workflow
from pingan.cases.access import VIEW_ROLES
from pingan.cases.models import OPEN_STATES, State
from pingan.cases.worktime import WorkCalendar
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, PinganError
from pingan.core.modules import load
from pingan.core.security import Actor
from pingan.core.validation import DbId
from pingan.web import i18n
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import STAFF_ROLES, lang_of, render, require_staff
from pingan.web.pages.lookups import Names, names, status_text, timeline_view
from pingan.web.pages.modules import case_panels

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 30
REMINDERS_SHOWN = 8
SLA_COLOURS = ("green", "yellow", "red")
STATES = [s.value for s in State]
# the order in which a case page offers its actions (the main path first)
ACTION_ORDER = (
    "register",
    "dispatch",
    "start",
    "handle",
    "verify",
    "close",
    "reject",
    "return",
    "rework",
    "reassign",
    "escalate",
    "hand_back",
    "supervise",
    "suspend",
    "resume",
    "reopen",
    "merge",
    "comment",
)
NEEDS_UNIT = ("dispatch", "reassign")
TAKES_FILES = ("handle",)
MAX_EVIDENCE = 10 * 1024 * 1024


FILTER_KEYS = ("state", "category", "area", "sla", "chain", "q", "page")
CHAINS = ("escalated", "supervised")  # the 上报/督办 tab: escalated to the district, or supervised
PAGE_PARAMS = frozenset({*FILTER_KEYS, "lang"})


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: (q.get(k) or "").strip()[:100] for k in FILTER_KEYS}


def _filter_problem(request: Request, f: dict[str, str]) -> str | None:
    """The first query parameter that is unknown or holds an unknown value (a typo must not show all)."""
    for name in request.query_params:
        if name not in PAGE_PARAMS:
            return name
    choices = {"state": ("open", "all", *STATES), "sla": SLA_COLOURS, "chain": CHAINS}
    for name, allowed in choices.items():
        if f[name] and f[name] not in allowed:
            return name
    if f["page"] and not f["page"].isdigit():
        return "page"
    return None


def _case_filter(f: dict[str, str]) -> service.CaseFilter:
    state = f["state"] or "open"
    flt = service.CaseFilter(
        category_prefix=f["category"] or None,
        area_code=f["area"] or None,
        sla_color=f["sla"] if f["sla"] in SLA_COLOURS else None,
        q=f["q"] or None,
        escalation_level="district" if f["chain"] == "escalated" else None,
        is_supervised=True if f["chain"] == "supervised" else None,
    )
    if state == "open":
        flt.is_open = True
    elif state in STATES:
        flt.state = [state]
    return flt


def _live_config(translate: i18n.Translator) -> dict[str, Any]:
    """How the queue stays live: the scoped SSE feed tells it that a case changed; it then reloads its own
    rows (same filters and page) in the background, so what appears is exactly what the queue would list."""
    return {
        "feed": "/api/v1/live?heartbeat=20",
        "debounce_ms": 600,
        "strings": {k: translate(f"work.live.{k}") for k in ("connecting", "on", "lost", "updated")},
    }


def row_of(
    case: Any,
    lookup: Names,
    translate: i18n.Translator,
    lang: str,
    *,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> dict[str, Any]:
    """One queue row, formatted for display; its colour and its due text are one status (sla.status_of)."""
    status = sla.status_of(case, now, calendar=calendar)
    is_open = case.state in {s.value for s in OPEN_STATES}
    return {
        "id": case.id,
        "number": case.number,
        "title": case.title,
        "category": lookup.category(case.category_code),
        "place": lookup.place(case.street_code, case.community_code, case.area_code),
        "state": case.state,
        "sla": status.color if is_open else None,
        "status": status,
        "reported_at": case.reported_at,
        "due": status_text(status, translate, lang),
        "supervised": case.is_supervised,
        "escalated": case.escalation_level == "district" and case.street_code is not None,
        "priority": case.priority,
    }


@router.get("/work")
def queue(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    actor = require_staff(actor)
    lang = lang_of(request)
    translate = i18n.translator(lang)
    f = _filters(request)
    page = int(f["page"]) if f["page"].isdigit() and int(f["page"]) > 0 else 1
    lookup = names(session, lang)
    problem = _filter_problem(request, f)
    if problem is None:
        items, total = service.list_cases(
            session, actor, filters=_case_filter(f), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    else:
        items, total = [], 0
    now, calendar = utcnow(), sla.calendar_for(session)
    rows = [row_of(c, lookup, translate, lang, now=now, calendar=calendar) for c in items]
    scope = actor.area_prefixes(STAFF_ROLES)
    area_choices = [
        (code, name)
        for code, name in sorted(lookup.areas.items())
        if len(code) <= 12 and len(code) > 6 and any(code.startswith(s) or s.startswith(code) for s in scope)
    ]
    base = {k: v for k, v in f.items() if v and k != "page"}
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    reminders = jobs.reminders_for(session, actor) if actor.has_role(*VIEW_ROLES) else []
    return render(
        request,
        "work_queue.html",
        actor,
        status_code=422 if problem else 200,
        problem=translate("work.bad_filter", name=problem) if problem else None,
        chain_tabs=[
            ("", f"/work?{urlencode({k: v for k, v in base.items() if k != 'chain'})}"),
            *((c, f"/work?{urlencode({**base, 'chain': c})}") for c in CHAINS),
        ],
        reminders=reminders[:REMINDERS_SHOWN],
        reminders_total=len(reminders),
        live=_live_config(translate),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filters=f,
        state_choices=["open", *STATES, "all"],
        majors=lookup.majors,
        area_choices=area_choices,
        prev_url=f"/work?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/work?{urlencode({**base, 'page': page + 1})}" if page < pages else None,
    )


def case_view(
    request: Request,
    session: DbSession,
    actor: Actor,
    case_id: DbId,
    *,
    errors: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
    panel_forms: dict[str, tuple[dict[str, str], dict[str, str]]] | None = None,
) -> Response:
    """The staff case page; ``panel_forms``: a module panel's form (by panel key) that came back with
    (errors, values)."""
    lang = lang_of(request)
    translate = i18n.translator(lang)
    case = service.get_case(session, actor, case_id=case_id)
    lookup = names(session, lang)
    events = service.timeline(session, actor, case_id=case.id)
    photos = [a for a in service.attachments_of(session, case.id) if a.content_type.startswith("image/")]
    nearby = []
    if case.lon is not None and case.lat is not None:
        for other, distance in dedupe.nearby_cases(
            session, category_code=case.category_code, lon=case.lon, lat=case.lat, exclude_id=case.id, limit=8
        ):
            nearby.append(
                {
                    "id": other.id,
                    "number": other.number,
                    "title": other.title,
                    "state": other.state,
                    "distance": round(distance),
                    "reported_at": other.reported_at,
                }
            )
    allowed = set(workflow.allowed_actions(session, actor, case))
    actions = [a for a in ACTION_ORDER if a in allowed]
    units = workflow.units_for_dispatch(session) if allowed.intersection(NEEDS_UNIT) else []
    is_open = case.state in {s.value for s in OPEN_STATES}
    done = request.query_params.get("done")
    config = {
        "tile_url": request.app.state.settings.tile_url,
        "tile_crs": request.app.state.settings.tile_crs,
        "point": [case.lon, case.lat] if case.lon is not None else None,
        "area_url": f"/api/v1/areas/{case.area_code}?geometry=true",
        "strings": {"where": translate("case.where")},
    }
    return render(
        request,
        "work_case.html",
        actor,
        status_code=status_code,
        case=case,
        row=row_of(case, lookup, translate, lang, calendar=sla.calendar_for(session)),
        category=lookup.category(case.category_code),
        place=lookup.place(case.street_code, case.community_code, case.area_code),
        events=timeline_view(events, translate),
        ratings=service.ratings_of(session, case.id),
        photos=photos,
        nearby=nearby,
        actions=actions,
        rules=workflow.RULES,
        units=units,
        owner=next((u["name"] for u in units if u["id"] == case.owner_unit_id), None)
        if units
        else _unit_name(session, case.owner_unit_id),
        is_open=is_open,
        errors=errors or {},
        values=values or {},
        alert=alert,
        done=done if done in workflow.RULES else None,
        config=config,
        panels=_panels(request, session, actor, case, panel_forms or {}),
    )


def _panels(
    request: Request,
    session: DbSession,
    actor: Actor,
    case: Any,
    forms: dict[str, tuple[dict[str, str], dict[str, str]]],
) -> list[dict[str, Any]]:
    """The enabled modules' sections of the case page that have something to show this actor."""
    shown = []
    for panel in case_panels(request.app):
        data = load(panel.build)(request, session, actor, case)
        if data is not None:
            errors, values = forms.get(panel.key, ({}, {}))
            shown.append(
                {
                    "key": panel.key,
                    "template": panel.template,
                    "data": data,
                    "errors": errors,
                    "values": values,
                }
            )
    return shown


def _unit_name(session: DbSession, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    for unit in workflow.units_for_dispatch(session):
        if unit["id"] == unit_id:
            return str(unit["name"])
    return None


@router.get("/work/cases/{case_id}")
def case_page(request: Request, session: DbSession, actor: OptionalActor, case_id: DbId) -> Response:
    actor = require_staff(actor)
    return case_view(request, session, actor, case_id)


@router.get("/work/number/{number}")
def case_by_number(session: DbSession, actor: OptionalActor, number: str) -> Response:
    actor = require_staff(actor)
    case = service.get_case_by_number(session, actor, number=number.strip().upper())
    return RedirectResponse(f"/work/cases/{case.id}", status_code=303)


def _message(translate: i18n.Translator, *keys: str) -> str:
    """The first of ``keys`` the catalog knows (the last is always known)."""
    for key in keys:
        text = translate(key)
        if text != key:
            return text
    return translate(keys[-1])


@router.post("/work/cases/{case_id}/act")
async def case_action(request: Request, session: DbSession, actor: OptionalActor, case_id: DbId) -> Response:
    """One workflow action from the case page; bad input brings the page back with messages by the fields."""
    actor = require_staff(actor)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("action", "note", "unit_id", "into")}
    action, note = values["action"], values["note"]
    translate = i18n.translator(lang_of(request))
    errors: dict[str, str] = {}
    unit_id = int(values["unit_id"]) if values["unit_id"].isdigit() else None
    if action in NEEDS_UNIT and unit_id is None:
        errors["unit_id"] = translate("err.unit_id")
    rule = workflow.RULES.get(action)
    if rule is not None and rule.needs_reason and not note.strip():
        errors["note"] = _message(translate, f"err.note_{action}", "err.note")
    files: list[tuple[str, bytes]] = []
    upload = form.get("evidence")
    if action in TAKES_FILES and isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_EVIDENCE + 1)
        if len(data) > MAX_EVIDENCE:
            errors["evidence"] = translate("err.too_large")
        elif data:
            files.append((upload.filename, data))
    into_id = None
    if action == "merge":
        into_id = _merge_target(session, actor, values["into"])
        if into_id is None:
            errors["into"] = translate("err.into")
    if errors:
        return case_view(
            request, session, actor, case_id, errors={action: errors}, values=values, status_code=422
        )
    try:
        workflow.transition(
            session,
            actor,
            case_id=case_id,
            action=action,
            note=note,
            unit_id=unit_id,
            into_case_id=into_id,
            files=files,
        )
    except NotFound:
        raise
    except Conflict:
        session.rollback()
        return case_view(request, session, actor, case_id, alert=translate("case.changed"), status_code=409)
    except PinganError as exc:
        session.rollback()
        field = (
            "evidence"
            if exc.field in ("media", "files", "file") or exc.status == 415
            else (exc.field or "note")
        )
        message = _message(translate, f"err.{field}", "err.generic")
        return case_view(
            request,
            session,
            actor,
            case_id,
            errors={action: {field: message}},
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"/work/cases/{case_id}?done={action}", status_code=303)


def _merge_target(session: DbSession, actor: Actor, number: str) -> int | None:
    number = number.strip().upper()
    if not number:
        return None
    try:
        return service.get_case_by_number(session, actor, number=number).id
    except NotFound:
        return None
