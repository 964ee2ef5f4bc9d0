"""Dispatch (指挥调度): the nearest available on-duty patrollers to a point or case, assignment, and the
volunteer's arrival and outcome reported into the case; the wall's live view of patrollers on duty."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.cases import interface as cases
from pingan.core import geo
from pingan.core.clock import format_local, utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.patrols.common import DISPATCH_ROLES, READ_ROLES, from_ms, within_actor
from pingan.patrols.coverage import haversine_np
from pingan.patrols.models import (
    DeviceState,
    Dispatch,
    PatrolEvent,
    PatrolTeam,
    PatrolVolunteer,
    Shift,
    ShiftAssignment,
    VolunteerStatus,
)
from pingan.patrols.positions import SOS_HOLD_MS, liveness

OPEN_DISPATCH = ("assigned", "accepted", "arrived")
NEXT_STATES = {
    "assigned": ("accepted", "declined", "arrived"),
    "accepted": ("arrived", "declined"),
    "arrived": ("done",),
}


def _duty_rows(session: Session, actor: Actor, *, now: datetime, within: str | None) -> list[Any]:
    """Volunteers with a current position who are on a shift now (checked in, or planned and sending)."""
    on_shift = (
        select(ShiftAssignment.volunteer_id, Shift.grid_code)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(
            ShiftAssignment.status.in_(("planned", "on_duty")),
            ShiftAssignment.starts_at <= now,
            ShiftAssignment.ends_at > now,
        )
        .subquery()
    )
    stmt = (
        select(
            DeviceState,
            PatrolVolunteer.name_masked,
            PatrolVolunteer.skills,
            PatrolVolunteer.team_id,
            PatrolTeam.name,
            on_shift.c.grid_code,
        )
        .join(PatrolVolunteer, PatrolVolunteer.id == DeviceState.volunteer_id)
        .join(PatrolTeam, PatrolTeam.id == PatrolVolunteer.team_id)
        .join(on_shift, on_shift.c.volunteer_id == DeviceState.volunteer_id)
        .where(PatrolVolunteer.status == VolunteerStatus.ACTIVE.value)
    )
    stmt = in_scope(stmt, DeviceState.area_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, DeviceState.area_code, within_actor(within))
    return list(session.execute(stmt).all())


def on_duty_now(
    session: Session,
    actor: Actor,
    *,
    within: str | None = None,
    crs: str = "wgs84",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Patrollers on duty now with their last positions and liveness (for the wall map)."""
    require_role(actor, *READ_ROLES)
    target = geo.parse_crs(crs)
    now = now or utcnow()
    now_ms = int(now.timestamp() * 1000)
    people = []
    counts = {"online": 0, "unknown": 0, "offline": 0, "sos": 0}
    for state, name, skills, team_id, team_name, shift_grid in _duty_rows(
        session, actor, now=now, within=within
    ):
        status = liveness(
            received_ms=state.received_ms,
            is_moving=state.is_moving,
            event=state.event,
            sos_ms=state.sos_ms,
            now_ms=now_ms,
        )
        counts[status] += 1
        lon, lat = geo.from_wgs84(state.lon, state.lat, target)
        people.append(
            {
                "volunteer_id": state.volunteer_id,
                "name": name,
                "team_id": team_id,
                "team": team_name,
                "skills": skills or [],
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
                "grid_code": state.grid_code,
                "shift_grid_code": shift_grid,
                "in_assigned_grid": state.grid_code == shift_grid,
                "status": status,
                "is_moving": state.is_moving,
                "battery": state.battery,
                "fixed_at": from_ms(state.fixed_ms),
                "last_heard_at": from_ms(state.received_ms),
            }
        )
    people.sort(key=lambda p: (p["status"] != "sos", p["volunteer_id"]))
    return {"on_duty": len(people), "counts": counts, "crs": target.value, "patrollers": people}


def nearest_patrollers(
    session: Session,
    actor: Actor,
    *,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    case_id: int | None = None,
    limit: int = 5,
    fresh_minutes: int = 10,
    skill: str | None = None,
) -> dict[str, Any]:
    """The nearest available on-duty patrollers (fresh position, no open dispatch, no open SOS) to a point or
    a case."""
    require_role(actor, *DISPATCH_ROLES)
    if not 1 <= limit <= 50:
        raise ValidationFailed("limit must be 1–50", field="limit")
    if not 1 <= fresh_minutes <= 240:
        raise ValidationFailed("fresh_minutes must be 1–240", field="fresh_minutes")
    wlon, wlat, case_info = _target(session, actor, lon=lon, lat=lat, crs=crs, case_id=case_id)
    now = utcnow()
    now_ms = int(now.timestamp() * 1000)
    busy = set(session.scalars(select(Dispatch.volunteer_id).where(Dispatch.status.in_(OPEN_DISPATCH))))
    rows = [
        r
        for r in _duty_rows(session, actor, now=now, within=None)
        if r[0].volunteer_id not in busy
        and not in_sos(r[0], now_ms)
        and _fresh(r[0], now_ms, fresh_minutes * 60_000)
        and (skill is None or skill in (r[2] or []))
    ]
    if not rows:
        return {"target": {"lon": wlon, "lat": wlat, **case_info}, "candidates": []}
    lons = np.array([r[0].lon for r in rows])
    lats = np.array([r[0].lat for r in rows])
    dist = haversine_np(lons, lats, np.full_like(lons, wlon), np.full_like(lats, wlat))
    order = np.argsort(dist, kind="stable")[:limit]
    candidates = []
    for i in order.tolist():
        state, name, skills, team_id, team_name, shift_grid = rows[i]
        candidates.append(
            {
                "volunteer_id": state.volunteer_id,
                "name": name,
                "team": team_name,
                "skills": skills or [],
                "distance_m": round(float(dist[i]), 1),
                "lon": state.lon,
                "lat": state.lat,
                "grid_code": state.grid_code,
                "shift_grid_code": shift_grid,
                "last_heard_at": from_ms(state.received_ms),
                "status": liveness(
                    received_ms=state.received_ms,
                    is_moving=state.is_moving,
                    event=state.event,
                    sos_ms=state.sos_ms,
                    now_ms=now_ms,
                ),
            }
        )
    return {"target": {"lon": wlon, "lat": wlat, **case_info}, "candidates": candidates}


def in_sos(state: DeviceState | None, now_ms: int) -> bool:
    """The volunteer pressed SOS and it is still open: within the hold during which the wall shows them as
    SOS (positions.SOS_HOLD_MS, one hour). They need help; they are not sent to help others."""
    return state is not None and state.sos_ms is not None and now_ms - state.sos_ms < SOS_HOLD_MS


def _fresh(state: DeviceState, now_ms: int, window_ms: int) -> bool:
    """The position is recent, or the phone reported recently that it stands still there."""
    if now_ms - state.fixed_ms <= window_ms:
        return True
    return state.is_moving is False and now_ms - state.received_ms <= window_ms


def _target(
    session: Session,
    actor: Actor,
    *,
    lon: float | None,
    lat: float | None,
    crs: str,
    case_id: int | None,
) -> tuple[float, float, dict[str, Any]]:
    if case_id is not None:
        case = cases.get_case(session, actor, case_id=case_id)
        if case.lon is None or case.lat is None:
            raise ValidationFailed("the case has no location; give lon and lat", field="case_id")
        return float(case.lon), float(case.lat), {"case_id": case.id, "case_number": case.number}
    if lon is None or lat is None:
        raise ValidationFailed("give a case_id or lon and lat", field="lon")
    geo.validate_lonlat(lon, lat)
    wlon, wlat = geo.to_wgs84(lon, lat, geo.parse_crs(crs))
    return float(wlon), float(wlat), {}


def assign_dispatch(
    session: Session, actor: Actor, *, case_id: int, volunteer_id: int, note: str = ""
) -> Dispatch:
    """Send one volunteer to a case; recorded on the case timeline and as a patrol event."""
    require_role(actor, *DISPATCH_ROLES)
    case = cases.get_case(session, actor, case_id=case_id)
    volunteer = session.get(PatrolVolunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found", field="volunteer_id")
    ensure_in_scope(actor, volunteer.area_code, what="volunteer", roles=DISPATCH_ROLES)
    if volunteer.status != VolunteerStatus.ACTIVE.value:
        raise Conflict(f"the volunteer is {volunteer.status}", field="volunteer_id")
    if session.scalar(
        select(Dispatch.id).where(Dispatch.volunteer_id == volunteer_id, Dispatch.status.in_(OPEN_DISPATCH))
    ):
        raise Conflict("the volunteer is already on another dispatch", field="volunteer_id")
    state = session.get(DeviceState, volunteer_id)
    if state is not None and in_sos(state, int(utcnow().timestamp() * 1000)):
        raise Conflict(
            f"the volunteer pressed SOS at {format_local(from_ms(state.sos_ms or 0))} and needs help; "
            "they cannot be dispatched until the SOS is over",
            code="volunteer_in_sos",
            field="volunteer_id",
        )
    distance = None
    if state is not None and case.lon is not None and case.lat is not None:
        distance = geo.haversine_m(state.lon, state.lat, float(case.lon), float(case.lat))
    item = Dispatch(
        case_id=case.id,
        case_number=case.number,
        volunteer_id=volunteer_id,
        area_code=volunteer.area_code,
        lon=case.lon,
        lat=case.lat,
        status="assigned",
        distance_m=distance,
        assigned_by=actor.username,
        instruction=note.strip()[:500],
    )
    session.add(item)
    session.flush()
    cases.add_event(
        session,
        case,
        actor,
        action="patrol_dispatched",
        note=f"派巡防队员 {volunteer.name_masked} 前往处置"
        + (f"（约 {distance:.0f} 米）" if distance else "")
        + (f"：{item.instruction}" if item.instruction else ""),
        details={
            "dispatch_id": item.id,
            "volunteer_id": volunteer_id,
            "volunteer": volunteer.name_masked,
            "distance_m": None if distance is None else round(distance),
            "instruction": item.instruction,
        },
    )
    _event(session, volunteer, "dispatch", {"dispatch_id": item.id, "case_number": case.number})
    session.flush()
    _announce(session, item, volunteer)
    return item


def _announce(session: Session, item: Dispatch, volunteer: PatrolVolunteer) -> None:
    """Tell the volunteer's phone page (/patrol, over the live feed) after the commit: only their account
    receives it, and it carries no personal data: the page then fetches its own view."""
    if volunteer.account_id is None:
        return
    cases.queue_message(
        session,
        {
            "type": "dispatch",
            "event": item.status,
            "dispatch": {
                "id": item.id,
                "status": item.status,
                "case_number": item.case_number,
                "account_id": volunteer.account_id,
            },
        },
    )


def _event(session: Session, volunteer: PatrolVolunteer, kind: str, details: dict[str, Any]) -> None:
    session.add(
        PatrolEvent(
            volunteer_id=volunteer.id, area_code=volunteer.area_code, kind=kind, at=utcnow(), details=details
        )
    )


def my_dispatches(session: Session, actor: Actor) -> list[Dispatch]:
    """The open dispatches of the signed-in volunteer (for their phone page)."""
    if actor.account_id is None:
        return []
    volunteer = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == actor.account_id))
    if volunteer is None:
        return []
    return list(
        session.scalars(
            select(Dispatch)
            .where(Dispatch.volunteer_id == volunteer.id, Dispatch.status.in_(OPEN_DISPATCH))
            .order_by(Dispatch.assigned_at.desc())
        )
    )


def report_dispatch(
    session: Session, actor: Actor, *, dispatch_id: int, status: str, outcome: str = ""
) -> Dispatch:
    """The volunteer (or an operator) reports accepted / arrived / done / declined; written into the case."""
    item = session.get(Dispatch, dispatch_id)
    if item is None:
        raise NotFound("dispatch not found", field="dispatch_id")
    volunteer = session.get(PatrolVolunteer, item.volunteer_id)
    assert volunteer is not None
    own = actor.account_id is not None and volunteer.account_id == actor.account_id
    if not own:
        require_role(actor, *DISPATCH_ROLES)
        ensure_in_scope(actor, item.area_code, what="dispatch", roles=DISPATCH_ROLES)
    allowed = NEXT_STATES.get(item.status, ())
    if status not in allowed:
        raise Conflict(
            f"a dispatch that is {item.status} can become: {', '.join(allowed) or 'nothing'}", field="status"
        )
    if status == "done" and len(outcome.strip()) < 2:
        raise ValidationFailed("describe the outcome", field="outcome")
    now = utcnow()
    item.status = status
    if status == "arrived":
        item.arrived_at = now
    if status in ("done", "declined"):
        item.finished_at = now
    if outcome.strip():
        item.outcome = outcome.strip()[:2000]
    session.flush()
    case = cases.get_case(session, Actor.system("patrols"), case_id=item.case_id)
    words = {"accepted": "已接单", "arrived": "已到场", "done": "已处置", "declined": "无法前往"}
    cases.add_event(
        session,
        case,
        actor,
        action=f"patrol_{status}",
        note=f"巡防队员 {volunteer.name_masked} {words[status]}"
        + (f"：{outcome.strip()}" if outcome.strip() else ""),
        details={
            "dispatch_id": item.id,
            "volunteer": volunteer.name_masked,
            "outcome": outcome.strip()[:2000],
        },
    )
    _event(
        session, volunteer, f"dispatch_{status}", {"dispatch_id": item.id, "case_number": item.case_number}
    )
    session.flush()
    _announce(session, item, volunteer)
    return item


def dispatch_dict(item: Dispatch) -> dict[str, Any]:
    return {
        "id": item.id,
        "case_id": item.case_id,
        "case_number": item.case_number,
        "volunteer_id": item.volunteer_id,
        "status": item.status,
        "lon": item.lon,
        "lat": item.lat,
        "distance_m": None if item.distance_m is None else round(item.distance_m, 1),
        "assigned_by": item.assigned_by,
        "assigned_at": item.assigned_at,
        "arrived_at": item.arrived_at,
        "finished_at": item.finished_at,
        "instruction": item.instruction,
        "outcome": item.outcome,
    }


def case_dispatches(session: Session, actor: Actor, *, case_id: int) -> list[dict[str, Any]]:
    """The volunteers sent to one visible case, newest first, with their masked names."""
    require_role(actor, *DISPATCH_ROLES)
    case = cases.get_case(session, actor, case_id=case_id)
    rows = session.execute(
        select(Dispatch, PatrolVolunteer.name_masked)
        .join(PatrolVolunteer, PatrolVolunteer.id == Dispatch.volunteer_id)
        .where(Dispatch.case_id == case.id)
        .order_by(Dispatch.assigned_at.desc(), Dispatch.id.desc())
    ).all()
    return [{**dispatch_dict(item), "name": name} for item, name in rows]


def my_dispatch_cards(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The signed-in volunteer's open dispatches with what and where of each case (for their phone)."""
    cards = []
    for item in my_dispatches(session, actor):
        case = cases.get_case(session, Actor.system("patrols"), case_id=item.case_id)
        cards.append(
            {
                **dispatch_dict(item),
                "title": case.title,
                "description": case.description,
                "address": case.address or "",
                "category_code": case.category_code,
                "priority": case.priority,
            }
        )
    return cards
