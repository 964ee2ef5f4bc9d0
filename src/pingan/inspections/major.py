"""Major-event operations (平安护航, e.g. the G20 summit): a period and a scope (areas) tied to the campaigns,
the joint enforcement operations and the case categories of the event, with patrol targets (turn-outs,
hours) and a target of key places covered per day. The board reports progress from the work itself: patrol
turn-outs and hours are the patrols module's figures (read by name through ``pingan.core.figures``, never
typed in), key-place coverage is the inspections recorded, hazards, enforcement and cases are counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core.clock import to_local
from pingan.core.config import settings_of
from pingan.core.errors import Conflict, NotFound, PinganError, ValidationFailed
from pingan.core.figures import figure as find_figure
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role

from .common import INSPECTORS, MANAGERS
from .enforcement import get_operation, targets_of, totals
from .models import Campaign, Hazard, MajorOperation, Visit
from .schemas import MajorOperationCreate

PATROL_FIGURES = (("patrols.turnouts", "target_turnouts"), ("patrols.hours", "target_hours"))


def _touches(actor: Actor, area_codes: list[str]) -> bool:
    prefixes = actor.area_prefixes(INSPECTORS)
    return actor.is_system or any(c.startswith(p) or p.startswith(c) for c in area_codes for p in prefixes)


def create(session: Session, actor: Actor, body: MajorOperationCreate) -> MajorOperation:
    """A major-event operation over areas in the actor's scope, linking campaigns and enforcement operations
    the actor can see (a wrong id is a 422 naming the field); nothing is written on a refusal."""
    require_role(actor, *MANAGERS)
    if body.ends_at <= body.starts_at:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    for code in body.area_codes:
        ensure_in_scope(actor, code, what="area", roles=MANAGERS)
    for cid in body.campaign_ids:
        found = session.get(Campaign, cid)
        if found is None or not _touches(actor, found.area_codes):
            raise ValidationFailed(f"campaign {cid} not found", field="campaign_ids")
    for oid in body.operation_ids:
        try:
            get_operation(session, actor, oid)
        except NotFound:
            raise ValidationFailed(f"enforcement operation {oid} not found", field="operation_ids") from None
    if session.scalar(select(MajorOperation.id).where(MajorOperation.code == body.code)) is not None:
        raise Conflict(f"major operation {body.code} exists", field="code", code="exists")
    item = MajorOperation(
        code=body.code,
        name=body.name,
        area_codes=body.area_codes,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        target_turnouts=body.target_turnouts,
        target_hours=body.target_hours,
        target_key_places_per_day=body.target_key_places_per_day,
        campaign_ids=list(dict.fromkeys(body.campaign_ids)),
        operation_ids=list(dict.fromkeys(body.operation_ids)),
        case_categories=list(dict.fromkeys(body.case_categories)),
        created_by=actor.username,
    )
    session.add(item)
    session.flush()
    return item


def get(session: Session, actor: Actor, major_id: int) -> MajorOperation:
    """One major operation touching the actor's scope; 404 naming ``major_id``."""
    require_role(actor, *INSPECTORS)
    found = session.get(MajorOperation, major_id)
    if found is None or not _touches(actor, found.area_codes):
        raise NotFound(f"major operation {major_id} not found", field="major_id")
    return found


def listing(session: Session, actor: Actor) -> Any:
    """A statement of the major operations touching the actor's scope, newest first (paged by the caller)."""
    require_role(actor, *INSPECTORS)
    ids = [
        i
        for i, codes in session.execute(select(MajorOperation.id, MajorOperation.area_codes))
        if _touches(actor, codes)
    ]
    return (
        select(MajorOperation)
        .where(MajorOperation.id.in_(ids))
        .order_by(MajorOperation.starts_at.desc(), MajorOperation.id.desc())
    )


def _days(item: MajorOperation) -> int:
    return max(1, -(-int((item.ends_at - item.starts_at).total_seconds()) // 86_400))


def _in_areas(stmt: Any, column: Any, area_codes: list[str]) -> Any:
    return stmt.where(or_(*(column.startswith(c) for c in area_codes)))


def _outermost(codes: list[str]) -> list[str]:
    """The areas not inside another of the list (a figure summed over them counts nothing twice)."""
    return [c for c in dict.fromkeys(codes) if not any(o != c and c.startswith(o) for o in codes)]


def _patrol(session: Session, actor: Actor, item: MajorOperation, name: str, target: int) -> dict[str, Any]:
    """One patrol figure summed over the operation's areas, or marked unavailable (module not enabled, or
    the actor may not read it) with the reason."""
    row: dict[str, Any] = {"key": name, "target": target, "actual": None, "share": None, "available": False}
    try:
        declared, provider = find_figure(name, settings_of(session).modules)
        row["title_zh"], row["title_en"] = declared.title_zh, declared.title_en
        row["unit_zh"], row["unit_en"] = declared.unit_zh, declared.unit_en
        actual = sum(
            provider(session, actor, start=item.starts_at, end=item.ends_at, area_code=code)
            for code in _outermost(item.area_codes)
        )
    except PinganError as exc:
        row["reason"] = str(exc)
        return row
    row["actual"] = round(actual, 1) if isinstance(actual, float) else actual
    row["available"] = True
    row["share"] = round(actual / target, 4) if target > 0 else None
    return row


def board(session: Session, actor: Actor, item: MajorOperation) -> dict[str, Any]:
    """The operation's progress: each target with its actual and share, the campaigns' hazards, the
    enforcement operations' totals and the open cases of its categories in its scope and period."""
    targets = [_patrol(session, actor, item, name, getattr(item, attr)) for name, attr in PATROL_FIGURES]
    visits = in_scope(
        select(Visit.visited_at, Visit.place_id).distinct(), Visit.area_code, actor, roles=INSPECTORS
    )
    visits = _in_areas(visits, Visit.area_code, item.area_codes).where(
        Visit.visited_at >= item.starts_at, Visit.visited_at < item.ends_at
    )
    # places covered on each local (Asia/Shanghai) day: a visit at 07:00 counts on the day it was made
    covered_days = {(to_local(at).date(), place_id) for at, place_id in session.execute(visits)}
    covered = round(len(covered_days) / _days(item), 1)
    goal = item.target_key_places_per_day
    targets.append(
        {
            "key": "inspections.key_places_per_day",
            "title_zh": "重点场所日均检查",
            "title_en": "Key places inspected per day",
            "unit_zh": "处/日",
            "unit_en": "per day",
            "target": goal,
            "actual": covered,
            "share": round(covered / goal, 4) if goal > 0 else None,
            "available": True,
        }
    )
    campaigns = []
    for cid in item.campaign_ids:
        found = session.get(Campaign, cid)
        if found is None or not _touches(actor, found.area_codes):
            continue
        stmt = in_scope(
            select(Hazard.status, func.count(Hazard.id)), Hazard.area_code, actor, roles=INSPECTORS
        ).where(Hazard.campaign_id == cid)
        counts = {str(k): int(v) for k, v in session.execute(stmt.group_by(Hazard.status))}
        campaigns.append(
            {
                "id": found.id,
                "code": found.code,
                "name": found.name,
                "hazards": sum(counts.values()),
                "open": counts.get("open", 0),
                "rectified": counts.get("rectified", 0),
            }
        )
    operations = []
    for oid in item.operation_ids:
        try:
            op = get_operation(session, actor, oid)
        except NotFound:
            continue
        operations.append(
            {
                "id": op.id,
                "code": op.code,
                "name": op.name,
                "totals": totals(targets_of(session, actor, op.id)),
            }
        )
    open_cases: list[dict[str, Any]] = []
    if item.case_categories:
        case = cases.Case
        stmt = in_scope(
            select(case.category_code, func.count(case.id)), case.area_code, actor, roles=INSPECTORS
        )
        stmt = _in_areas(stmt, case.area_code, item.area_codes).where(
            case.category_code.in_(item.case_categories),
            case.state.in_([s.value for s in cases.OPEN_STATES]),
            case.reported_at >= item.starts_at,
            case.reported_at < item.ends_at,
        )
        found_counts = {str(k): int(v) for k, v in session.execute(stmt.group_by(case.category_code))}
        open_cases = [{"category": c, "open": int(found_counts.get(c, 0))} for c in item.case_categories]
    return {
        "days": _days(item),
        "targets": targets,
        "campaigns": campaigns,
        "operations": operations,
        "open_cases": open_cases,
    }
