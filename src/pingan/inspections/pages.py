"""The module's pages: the phone checklist (390 px; visits kept on the phone without signal and sent once),
the progress board, and the printable campaign report. Strings in Chinese and English live here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import utcnow
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.security import Actor
from pingan.core.validation import DbId
from pingan.grids.interface import place_types as places_types
from pingan.web.deps import DbSession, OptionalActor
from pingan.web.pages.common import lang_of, render, require_staff

from . import enforcement, major, service, stats
from .checklists import BUILTIN
from .common import INSPECTORS, MANAGERS
from .models import Campaign
from .schemas import CampaignCreate, TargetCreate

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
SHANGHAI = ZoneInfo("Asia/Shanghai")

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "check": "隐患排查",
        "campaign": "排查行动",
        "nearby": "附近场所",
        "locate": "按我的位置排序",
        "search": "查找场所",
        "new_place": "登记新发现场所",
        "name": "名称",
        "address": "地址",
        "type": "类型",
        "pass": "合格",
        "fail": "不合格",
        "na": "不适用",
        "photo": "拍照",
        "sign": "检查人签字",
        "send": "提交",
        "queued": "无信号：已保存在手机上，恢复信号后自动提交（{n} 条待提交）",
        "sent": "已提交",
        "sent_hazards": "已提交，发现隐患 {n} 处，已立案",
        "need_photo": "不合格项需拍照",
        "need_all": "请逐项作答",
        "inspected": "已查",
        "due": "应查",
        "found": "发现隐患",
        "rectified": "已整改",
        "on_time": "按期整改",
        "overdue": "逾期未改",
        "repeat": "重复隐患",
        "by_area": "按街道",
        "by_team": "按小组",
        "by_type": "按场所类型",
        "by_hazard": "按隐患类型",
        "idle": "本周未开展排查",
        "board": "排查进度",
        "report": "排查报告",
        "xlsx": "下载 Excel",
        "open_hazards": "未整改隐患",
        "period": "时间",
        "print": "打印",
        "none": "无",
        "place": "场所",
        "hazard": "隐患",
        "severity": "等级",
        "responsible": "责任方",
        "found_at": "发现",
        "due_at": "整改期限",
        "case": "案件",
        "pick": "选择场所",
        "distance": "距离",
        "back": "返回列表",
        "error": "提交失败",
        "basis": "依据",
        "retry": "重试",
        "minor": "一般",
        "major": "较大",
        "critical": "重大",
        "headline": "主要数据",
        "go": "查看",
        "add_target": "登记查处对象",
        "target_type": "对象类型",
        "lon": "经度",
        "lat": "纬度",
        "save": "保存",
        "tt_lpg_filling": "非法充装",
        "tt_lpg_storage": "非法储存",
        "tt_lpg_transport": "非法运输",
        "tt_lpg_sale": "非法销售",
        "tt_other": "其他",
        "inspect_new": "检查此场所",
        "need_position": "需要手机定位",
        "need_name": "请填写名称",
        "new_campaign": "发起排查行动",
        "code": "编号",
        "areas": "范围（街道）",
        "place_types": "场所类型",
        "starts_on": "开始日期",
        "ends_on": "结束日期",
        "teams": "小组（逗号分隔）",
        "threshold": "立案等级（不低于）",
        "create": "发起",
        "operations": "联合执法",
        "departments": "参与部门",
        "targets": "对象",
        "closed": "已取缔",
        "cylinders": "收缴钢瓶",
        "fines": "罚款（元）",
        "police": "移送公安",
        "majors": "平安护航",
        "findings": "查处情况",
        "follow_up": "后续跟踪",
        "measures": "处置措施",
        "recheck": "待复查隐患",
        "recheck_result": "复查结果",
        "rectified_ok": "已整改",
        "not_rectified": "未整改",
        "note": "说明",
        "send_recheck": "提交复查",
        "recheck_sent": "复查已提交",
        "due_short": "期限",
    },
    "en": {
        "check": "Inspection",
        "campaign": "Campaign",
        "nearby": "Places nearby",
        "locate": "Sort by my position",
        "search": "Find a place",
        "new_place": "Register a place found",
        "name": "Name",
        "address": "Address",
        "type": "Type",
        "pass": "Pass",
        "fail": "Fail",
        "na": "N/A",
        "photo": "Photo",
        "sign": "Inspector's signature",
        "send": "Submit",
        "queued": "No signal: kept on this phone, sent when the signal returns ({n} waiting)",
        "sent": "Submitted",
        "sent_hazards": "Submitted; {n} hazards found and raised as cases",
        "need_photo": "A failed item needs a photo",
        "need_all": "Answer every item",
        "inspected": "Inspected",
        "due": "Due",
        "found": "Hazards found",
        "rectified": "Rectified",
        "on_time": "On time",
        "overdue": "Overdue",
        "repeat": "Repeat",
        "by_area": "By street",
        "by_team": "By team",
        "by_type": "By place type",
        "by_hazard": "By hazard type",
        "idle": "Nothing inspected this week",
        "board": "Inspection board",
        "report": "Campaign report",
        "xlsx": "Download Excel",
        "open_hazards": "Open hazards",
        "period": "Period",
        "print": "Print",
        "none": "None",
        "place": "Place",
        "hazard": "Hazard",
        "severity": "Severity",
        "responsible": "Responsible",
        "found_at": "Found",
        "due_at": "Due",
        "case": "Case",
        "pick": "Choose a place",
        "distance": "Distance",
        "back": "Back to the list",
        "error": "Sending failed",
        "basis": "Basis",
        "retry": "Retry",
        "minor": "Minor",
        "major": "Major",
        "critical": "Critical",
        "headline": "Headline figures",
        "go": "Show",
        "add_target": "Record a target",
        "target_type": "Target type",
        "lon": "Longitude",
        "lat": "Latitude",
        "save": "Save",
        "tt_lpg_filling": "Illegal filling",
        "tt_lpg_storage": "Illegal storage",
        "tt_lpg_transport": "Illegal transport",
        "tt_lpg_sale": "Illegal sale",
        "tt_other": "Other",
        "inspect_new": "Inspect this place",
        "need_position": "The phone's position is needed",
        "need_name": "Give the name",
        "new_campaign": "Start a campaign",
        "code": "Code",
        "areas": "Scope (streets)",
        "place_types": "Place types",
        "starts_on": "Starts on",
        "ends_on": "Ends on",
        "teams": "Teams (comma-separated)",
        "threshold": "Raise hazards from severity",
        "create": "Start",
        "operations": "Joint enforcement",
        "departments": "Departments",
        "targets": "Targets",
        "closed": "Closed",
        "cylinders": "Cylinders seized",
        "fines": "Fines (yuan)",
        "police": "Referred to police",
        "majors": "Major-event operations",
        "findings": "Findings",
        "follow_up": "Follow-up",
        "measures": "Measures",
        "recheck": "Hazards to re-inspect",
        "recheck_result": "Re-inspection result",
        "rectified_ok": "Rectified",
        "not_rectified": "Not rectified",
        "note": "Note",
        "send_recheck": "Submit re-inspection",
        "recheck_sent": "Re-inspection submitted",
        "due_short": "Due",
    },
}


def _t(request: Request) -> dict[str, str]:
    return STRINGS["en" if lang_of(request) == "en" else "zh"]


def _current(session: DbSession, campaigns: list[Campaign], wanted: int | None) -> Campaign | None:
    if wanted is not None:
        return next((c for c in campaigns if c.id == wanted), None)
    now = utcnow()
    running = [c for c in campaigns if c.starts_at <= now <= c.ends_at]
    chosen = running or campaigns
    return chosen[0] if chosen else None


@router.get("/inspections/static/check.js")
def check_script() -> Response:
    return FileResponse(STATIC / "check.js", media_type="text/javascript")


@router.get("/inspections/check")
def check_page(
    request: Request, session: DbSession, actor: OptionalActor, campaign: int | None = None
) -> Response:
    actor = require_staff(actor, *INSPECTORS)
    campaigns = service.list_campaigns(session, actor)
    current = _current(session, campaigns, campaign)
    t = _t(request)
    lang = lang_of(request)
    names = {pt.code: pt.name(lang) for pt in places_types()}
    checklists = dict(current.checklist_ids) if current else {}
    types = [(code, names.get(code, code)) for code in checklists]
    config: dict[str, Any] = {
        "campaign_id": current.id if current else None,
        "checklists": checklists,
        "strings": t,
        "lang": lang,
    }
    return render(
        request,
        "inspections_check.html",
        actor,
        t=t,
        campaigns=campaigns,
        current=current,
        config=config,
        types=types,
    )


@router.get("/inspections")
def board_page(
    request: Request, session: DbSession, actor: OptionalActor, campaign: int | None = None
) -> Response:
    actor = require_staff(actor, *MANAGERS)
    return _board(request, session, actor, campaign)


def _board(
    request: Request,
    session: DbSession,
    actor: Actor,
    campaign: int | None,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    campaigns = service.list_campaigns(session, actor)
    current = _current(session, campaigns, campaign)
    lang = lang_of(request)
    data = stats.board(session, actor, current, lang=lang) if current else None
    streets = [
        a for a in areas.list_areas(session, level=AreaLevel.STREET) if actor.can_see_area(a.code, MANAGERS)
    ]
    types = [(t.code, t.name(lang)) for t in places_types() if t.code in BUILTIN]
    return render(
        request,
        "inspections_board.html",
        actor,
        t=_t(request),
        campaigns=campaigns,
        current=current,
        data=data,
        streets=streets,
        types=types,
        error=error or {},
        values=values or {},
        status_code=status_code,
    )


@router.post("/inspections/campaigns")
async def create_campaign_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """The managers' form: a campaign over streets of their scope, place types, a period (Shanghai dates)."""
    actor = require_staff(actor, *MANAGERS)
    form = await request.form()
    teams = str(form.get("teams") or "").replace("，", ",").split(",")
    values: dict[str, Any] = {
        "code": str(form.get("code") or "").strip(),
        "name": str(form.get("name") or "").strip(),
        "area_codes": [str(v) for v in form.getlist("area_codes")],
        "place_types": [str(v) for v in form.getlist("place_types")],
        "teams": [p.strip() for p in teams if p.strip()],
        "severity_threshold": str(form.get("severity_threshold") or "major"),
        "starts_on": str(form.get("starts_on") or ""),
        "ends_on": str(form.get("ends_on") or ""),
    }
    try:
        fields = {k: v for k, v in values.items() if k not in ("starts_on", "ends_on")}
        fields["starts_at"] = _local_day(values["starts_on"], "starts_on")
        fields["ends_at"] = _local_day(values["ends_on"], "ends_on", end=True)
        created = service.create_campaign(session, actor, CampaignCreate.model_validate(fields))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "name"
        error = {"field": field, "message": str(first["msg"])}
        return _board(request, session, actor, None, error=error, values=values, status_code=422)
    except PinganError as exc:
        session.rollback()
        error = {"field": exc.field or "", "message": exc.message}
        return _board(request, session, actor, None, error=error, values=values, status_code=exc.status)
    return RedirectResponse(f"/inspections?campaign={created.id}", status_code=303)


def _local_day(text: str, field: str, *, end: bool = False) -> datetime:
    """A Shanghai date (YYYY-MM-DD) as the UTC moment its day starts (or ends)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{field}: a date YYYY-MM-DD", field=field) from None
    moment = datetime.combine(day, time(23, 59, 59) if end else time(0, 0), tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


@router.get("/inspections/campaigns/{campaign_id}/report")
def report_page(request: Request, session: DbSession, actor: OptionalActor, campaign_id: DbId) -> Response:
    actor = require_staff(actor, *MANAGERS)
    current = service.get_campaign(session, actor, campaign_id)
    data = stats.board(session, actor, current, lang=lang_of(request))
    rows = stats.open_hazards(session, actor, current, limit=2000)
    names = stats.place_names(session, [h.place_id for h in rows])
    return render(
        request,
        "inspections_report.html",
        actor,
        t=_t(request),
        current=current,
        data=data,
        hazards=rows,
        names=names,
        now=utcnow(),
    )


@router.get("/inspections/operations")
def operations_page(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    actor = require_staff(actor, *MANAGERS)
    return _operations(request, session, actor)


def _operations(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    rows = []
    for operation in enforcement.list_operations(session, actor):
        targets = enforcement.targets_of(session, actor, operation.id)
        rows.append({"op": operation, "targets": targets, "totals": enforcement.totals(targets)})
    return render(
        request,
        "inspections_operations.html",
        actor,
        t=_t(request),
        operations=rows,
        majors=list(session.scalars(major.listing(session, actor).limit(20))),
        error=error or {},
        values=values or {},
        status_code=status_code,
    )


@router.post("/inspections/operations/{operation_id}/targets")
async def add_target_page(
    request: Request, session: DbSession, actor: OptionalActor, operation_id: DbId
) -> Response:
    """The managers' form: one target acted on, with its findings and measures."""
    actor = require_staff(actor, *MANAGERS)
    form = await request.form()
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    fields: dict[str, Any] = {
        k: values.get(k) or None
        for k in ("target_type", "name", "address", "lon", "lat", "findings", "cylinders_seized", "fine_yuan")
    }
    fields |= {
        "address": values.get("address", ""),
        "follow_up": values.get("follow_up", ""),
        "is_closed": "is_closed" in values,
        "is_referred_to_police": "is_referred_to_police" in values,
        "cylinders_seized": values.get("cylinders_seized") or 0,
        "fine_yuan": values.get("fine_yuan") or 0,
    }
    try:
        body = TargetCreate.model_validate(fields)
        enforcement.add_target(session, actor, operation_id=operation_id, body=body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "name"
        error = {"operation_id": operation_id, "field": field, "message": str(first["msg"])}
        return _operations(request, session, actor, error=error, values=values, status_code=422)
    except PinganError as exc:
        session.rollback()
        error = {"operation_id": operation_id, "field": exc.field or "", "message": exc.message}
        return _operations(request, session, actor, error=error, values=values, status_code=exc.status)
    return RedirectResponse(f"/inspections/operations#op-{operation_id}", status_code=303)


MAJOR_STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "major": "平安护航",
        "period": "时段",
        "areas": "范围",
        "target": "目标",
        "actual": "完成",
        "share": "完成率",
        "unavailable": "暂不可用",
        "campaigns": "关联排查行动",
        "hazards": "发现隐患",
        "open": "未整改",
        "rectified": "已整改",
        "operations": "关联联合执法",
        "targets": "对象",
        "closed": "已取缔",
        "cylinders": "收缴钢瓶",
        "fines": "罚款（元）",
        "cases": "关注类别未办结案件（范围与时段内）",
        "category": "类别",
        "wall": "在指挥大屏查看",
        "none": "无",
    },
    "en": {
        "major": "Major-event operation",
        "period": "Period",
        "areas": "Scope",
        "target": "Target",
        "actual": "Actual",
        "share": "Share",
        "unavailable": "unavailable",
        "campaigns": "Linked inspection campaigns",
        "hazards": "Hazards found",
        "open": "Open",
        "rectified": "Rectified",
        "operations": "Linked joint enforcement",
        "targets": "Targets",
        "closed": "Closed",
        "cylinders": "Cylinders seized",
        "fines": "Fines (yuan)",
        "cases": "Open cases of the categories of interest (scope and period)",
        "category": "Category",
        "wall": "View on the command wall",
        "none": "None",
    },
}


for _lang, _strings in MAJOR_STRINGS.items():  # the major board's strings, prefixed, join the module's
    STRINGS[_lang].update({f"mj_{key}": value for key, value in _strings.items()})


@router.get("/inspections/major/{major_id}")
def major_page(request: Request, session: DbSession, actor: OptionalActor, major_id: DbId) -> Response:
    """The board of a major-event operation: each target with its actual, share and a progress bar."""
    actor = require_staff(actor, *INSPECTORS)
    item = major.get(session, actor, major_id)
    lang = "en" if lang_of(request) == "en" else "zh"
    return render(
        request,
        "inspections_major.html",
        actor,
        t=_t(request),
        lang=lang,
        item=item,
        board=major.board(session, actor, item),
        area_names=_names_of(session, item.area_codes),
    )


def _names_of(session: DbSession, codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        try:
            out.append(areas.get_area(session, code).name)
        except PinganError:
            out.append(code)
    return out
