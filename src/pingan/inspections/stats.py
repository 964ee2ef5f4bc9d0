"""Figures: the progress board (places due, inspected, hazards found and rectified by area, team and place
type; who inspected nothing this week), hazard statistics, the campaign report (page and xlsx), the wall
tile."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.core.clock import utcnow
from pingan.core.security import Actor, in_scope
from pingan.grids import interface as places

from .common import INSPECTORS
from .hazards import is_overdue
from .models import Campaign, Hazard, Visit

STREET_LEN = 9  # 330108001: a street's code; grids and communities start with it


def _names(session: Session, codes: set[str]) -> dict[str, str]:
    out = {}
    for code in codes:
        try:
            out[code] = areas.get_area(session, code).name
        except Exception:  # an area since removed from the tree: its code
            out[code] = code
    return out


def _figure(key: str, label: str) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "due": 0,
        "inspected": 0,
        "found": 0,
        "rectified": 0,
        "rectified_on_time": 0,
        "overdue": 0,
        "repeat": 0,
    }


def board(
    session: Session, actor: Actor, campaign: Campaign, *, lang: str = "zh", now: datetime | None = None
) -> dict[str, Any]:
    """The campaign's progress in the actor's scope."""
    now = now or utcnow()
    type_names = {t.code: t.name(lang) for t in places.place_types()}
    totals = _figure("all", "合计" if lang == "zh" else "Total")
    groups: dict[str, dict[str, dict[str, Any]]] = {"area": {}, "team": {}, "type": {}, "hazard": {}}

    def bump(kind: str, key: str, field: str, n: int = 1) -> None:
        groups[kind].setdefault(key, _figure(key, key))[field] += n

    # places due: the register's places of the campaign's types in its areas (within the actor's scope)
    for place_type in campaign.checklist_ids:
        for code in campaign.area_codes:
            for street in _streets_under(session, code):
                _, n = places.list_places(
                    session, actor=actor, types=[place_type], area_codes=[street], limit=1
                )
                totals["due"] += n
                bump("area", street, "due", n)
                bump("type", place_type, "due", n)
    visits = in_scope(
        select(
            Visit.place_id, Visit.area_code, Visit.place_type, Visit.team, Visit.inspector, Visit.visited_at
        ).where(Visit.campaign_id == campaign.id, Visit.kind == "inspection"),
        Visit.area_code,
        actor,
        roles=INSPECTORS,
    )
    seen: set[int] = set()
    week_ago = now - timedelta(days=7)
    active_week: set[str] = set()
    inspectors: set[str] = set()
    for place_id, area_code, place_type, team, inspector, visited_at in session.execute(visits):
        inspectors.add(inspector)
        if visited_at >= week_ago:
            active_week.add(inspector)
            if team:
                active_week.add(f"team:{team}")
        if place_id in seen:
            continue
        seen.add(place_id)
        totals["inspected"] += 1
        bump("area", area_code[:STREET_LEN], "inspected")
        bump("type", place_type, "inspected")
        bump("team", team or "-", "inspected")
    hazards = in_scope(
        select(Hazard).where(Hazard.campaign_id == campaign.id), Hazard.area_code, actor, roles=INSPECTORS
    )
    for h in session.scalars(hazards):
        for kind, key in (
            ("area", h.area_code[:STREET_LEN]),
            ("type", h.place_type),
            ("hazard", h.hazard_type),
        ):
            _count_hazard(groups[kind].setdefault(key, _figure(key, key)), h, now)
        _count_hazard(totals, h, now)
    names = _names(session, set(groups["area"]))
    for key, fig in groups["area"].items():
        fig["label"] = names.get(key, key)
    for key, fig in groups["type"].items():
        fig["label"] = type_names.get(key, key)
    hazard_names = _hazard_type_names(lang)
    for key, fig in groups["hazard"].items():
        fig["label"] = hazard_names.get(key, key)
    idle = sorted(i for i in inspectors if i not in active_week)
    idle += sorted(f"{t}" for t in campaign.teams if f"team:{t}" not in active_week)
    return {
        "totals": totals,
        "by_area": sorted(groups["area"].values(), key=lambda f: f["key"]),
        "by_team": sorted(groups["team"].values(), key=lambda f: f["key"]),
        "by_place_type": sorted(groups["type"].values(), key=lambda f: f["key"]),
        "by_hazard_type": sorted(groups["hazard"].values(), key=lambda f: f["key"]),
        "idle_this_week": idle,
    }


def _hazard_type_names(lang: str) -> dict[str, str]:
    from .module import HAZARD_CATEGORIES

    return {k: (c.name_en if lang == "en" else c.name_zh) for k, c in HAZARD_CATEGORIES.items()}


def _count_hazard(fig: dict[str, Any], h: Hazard, now: datetime) -> None:
    fig["found"] += 1
    if h.status == "rectified":
        fig["rectified"] += 1
        if h.rectified_at is not None and h.rectified_at <= h.due_at:
            fig["rectified_on_time"] += 1
    if is_overdue(h, now) and h.status == "open":
        fig["overdue"] += 1
    if h.is_repeat:
        fig["repeat"] += 1


def _streets_under(session: Session, code: str) -> list[str]:
    """The campaign counts places due by street: a street or lower area as it is, the district's streets."""
    if len(code) >= STREET_LEN:
        return [code]
    return [a.code for a in areas.list_areas(session, parent_code=code)] or [code]


def open_hazards(session: Session, actor: Actor, campaign: Campaign, *, limit: int = 5000) -> list[Hazard]:
    """The campaign's open hazards in the actor's scope, most overdue first."""
    stmt = in_scope(
        select(Hazard).where(Hazard.campaign_id == campaign.id, Hazard.status == "open"),
        Hazard.area_code,
        actor,
        roles=INSPECTORS,
    ).order_by(Hazard.due_at, Hazard.id)
    return list(session.scalars(stmt.limit(limit)))


def place_names(session: Session, place_ids: list[int]) -> dict[int, str]:
    """The register's names of these places."""
    out = {}
    for pid in set(place_ids):
        try:
            out[pid] = places.get_place(session, pid).name
        except Exception:
            out[pid] = str(pid)
    return out


def report_xlsx(session: Session, actor: Actor, campaign: Campaign, *, lang: str = "zh") -> bytes:
    """The campaign report as an xlsx workbook: headline figures, by area/type/hazard type, open hazards."""
    from openpyxl import Workbook

    data = board(session, actor, campaign, lang=lang)
    zh = lang != "en"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "汇总" if zh else "Summary"
    heads = (
        ["分组", "应查", "已查", "发现隐患", "已整改", "按期整改", "逾期未改", "重复隐患"]
        if zh
        else ["Group", "Due", "Inspected", "Found", "Rectified", "On time", "Overdue", "Repeat"]
    )
    sheet.append([campaign.name])
    sheet.append(heads)
    keys = ("due", "inspected", "found", "rectified", "rectified_on_time", "overdue", "repeat")
    for fig in [data["totals"], *data["by_area"], *data["by_place_type"], *data["by_hazard_type"]]:
        sheet.append([fig["label"], *[fig[k] for k in keys]])
    listing = book.create_sheet("未整改隐患" if zh else "Open hazards")
    listing.append(
        ["编号", "场所", "区域", "隐患", "严重程度", "责任方", "发现时间", "整改期限", "案件", "重复"]
        if zh
        else ["Id", "Place", "Area", "Hazard", "Severity", "Responsible", "Found", "Due", "Case", "Repeat"]
    )
    rows = open_hazards(session, actor, campaign)
    names = place_names(session, [h.place_id for h in rows])
    for h in rows:
        listing.append(
            [
                h.id,
                names[h.place_id],
                h.area_code,
                h.description,
                h.severity,
                h.responsible,
                _local(h.found_at),
                _local(h.due_at),
                h.case_id,
                "是" if h.is_repeat and zh else ("yes" if h.is_repeat else ""),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _local(at: datetime) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def wall_tile(session: Session, actor: Actor, scope: str, translate: Callable[..., str]) -> dict[str, Any]:
    """The wall's tile: open hazards of the scope, how many overdue."""
    now = utcnow()
    stmt = select(func.count(), func.count().filter(Hazard.due_at < now)).where(Hazard.status == "open")
    stmt = in_scope(stmt, Hazard.area_code, actor, roles=INSPECTORS)
    if scope:  # the wall's chosen area, inside the actor's scope
        stmt = stmt.where(Hazard.area_code.startswith(scope))  # lint-scope: ok (scoped above)
    total, overdue = session.execute(stmt).one()
    return {"value": str(total), "sub": translate("inspections.tile_sub", overdue=overdue)}


def hazard_stats(session: Session, actor: Actor, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Hazards found, rectified on time, overdue and repeat by campaign, type and street (actor's scope)."""
    now = now or utcnow()
    stmt = in_scope(select(Hazard), Hazard.area_code, actor, roles=INSPECTORS)
    out: dict[tuple[int, str, str], dict[str, Any]] = defaultdict(lambda: _figure("", ""))
    for h in session.scalars(stmt):
        key = (h.campaign_id, h.hazard_type, h.area_code[:STREET_LEN])
        fig = out[key]
        fig["key"] = f"{key[0]}:{key[1]}:{key[2]}"
        _count_hazard(fig, h, now)
    return [out[k] | {"campaign_id": k[0], "hazard_type": k[1], "street_code": k[2]} for k in sorted(out)]
