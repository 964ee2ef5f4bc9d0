"""Shift plans (grid × time slot × headcount), sign-up and assignment without double booking,
check-in/out, and the coverage-plan view (grid × hour cells with no one planned)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.clock import as_utc, utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.patrols.common import MANAGE_ROLES, READ_ROLES, within_actor
from pingan.patrols.models import (
    Activity,
    PatrolEvent,
    PatrolVolunteer,
    Shift,
    ShiftAssignment,
    VolunteerStatus,
)
from pingan.patrols.volunteers import get_volunteer

MAX_SHIFT = timedelta(hours=12)
ACTIVE_STATES = ("planned", "on_duty", "done")


def create_shift(
    session: Session,
    actor: Actor,
    *,
    grid_code: str,
    starts_at: datetime,
    ends_at: datetime,
    headcount: int = 2,
    note: str = "",
) -> Shift:
    """Plan one patrol of a grid for a time slot with a required headcount."""
    require_role(actor, *MANAGE_ROLES)
    area = areas.get_area(session, grid_code)
    if area.level != "grid":
        raise ValidationFailed("shifts are planned per grid (网格)", field="grid_code")
    ensure_in_scope(actor, grid_code, what="grid", roles=MANAGE_ROLES)
    starts_at, ends_at = as_utc(starts_at), as_utc(ends_at)
    if ends_at <= starts_at:
        raise ValidationFailed("a shift must end after it starts", field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationFailed("a shift lasts at most 12 hours", field="ends_at")
    if not 1 <= headcount <= 50:
        raise ValidationFailed("headcount must be 1–50", field="headcount")
    shift = Shift(
        grid_code=grid_code, starts_at=starts_at, ends_at=ends_at, headcount=headcount, note=note[:200]
    )
    session.add(shift)
    session.flush()
    return shift


def get_shift(session: Session, actor: Actor, shift_id: int) -> Shift:
    require_role(actor, *READ_ROLES)
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("shift not found", field="shift_id")
    ensure_in_scope(actor, shift.grid_code, what="shift", roles=READ_ROLES)
    return shift


def list_shifts(
    session: Session,
    actor: Actor,
    *,
    since: datetime,
    until: datetime,
    within: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Shifts overlapping a period, with how many volunteers are booked."""
    require_role(actor, *READ_ROLES)
    booked = (
        select(ShiftAssignment.shift_id, func.count().label("n"))
        .where(ShiftAssignment.status.in_(ACTIVE_STATES))
        .group_by(ShiftAssignment.shift_id)
        .subquery()
    )
    stmt = (
        select(Shift, func.coalesce(booked.c.n, 0))
        .outerjoin(booked, booked.c.shift_id == Shift.id)
        .where(Shift.starts_at < as_utc(until), Shift.ends_at > as_utc(since))
    )
    stmt = in_scope(stmt, Shift.grid_code, actor, roles=READ_ROLES)
    if within:
        stmt = in_scope(stmt, Shift.grid_code, within_actor(within))
    rows = session.execute(stmt.order_by(Shift.starts_at, Shift.grid_code).limit(min(limit, 5000))).all()
    return [
        {
            "id": s.id,
            "grid_code": s.grid_code,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "headcount": s.headcount,
            "booked": n,
            "note": s.note,
        }
        for s, n in rows
    ]


def book_volunteer(
    session: Session, actor: Actor, *, shift_id: int, volunteer_id: int | None = None
) -> ShiftAssignment:
    """Sign up (a volunteer for themself) or assign (a manager); double booking is refused."""
    volunteer, how = _booking_volunteer(session, actor, volunteer_id)
    shift = get_shift(session, actor, shift_id)
    if how == "assigned":
        ensure_in_scope(actor, shift.grid_code, what="shift", roles=MANAGE_ROLES)
    if volunteer.status != VolunteerStatus.ACTIVE.value:
        raise Conflict(f"volunteer is {volunteer.status}, not active", field="volunteer_id")
    if shift.ends_at <= utcnow():
        raise Conflict("the shift is over", field="shift_id")
    booked = session.scalar(
        select(func.count())
        .select_from(ShiftAssignment)
        .where(ShiftAssignment.shift_id == shift.id, ShiftAssignment.status.in_(ACTIVE_STATES))
    )
    if (booked or 0) >= shift.headcount:
        raise Conflict("the shift is full", field="shift_id")
    clash = session.scalar(
        select(ShiftAssignment).where(
            ShiftAssignment.volunteer_id == volunteer.id,
            ShiftAssignment.status.in_(ACTIVE_STATES),
            ShiftAssignment.starts_at < shift.ends_at,
            ShiftAssignment.ends_at > shift.starts_at,
        )
    )
    if clash is not None:
        raise Conflict(
            f"double booking: the volunteer is already on shift {clash.shift_id} at that time",
            field="shift_id",
        )
    existing = session.scalar(
        select(ShiftAssignment).where(
            ShiftAssignment.shift_id == shift.id, ShiftAssignment.volunteer_id == volunteer.id
        )
    )
    if existing is not None:  # a cancelled booking is revived
        existing.status, existing.how = "planned", how
        session.flush()
        return existing
    item = ShiftAssignment(
        shift_id=shift.id,
        volunteer_id=volunteer.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        how=how,
        status="planned",
    )
    session.add(item)
    session.flush()
    return item


def _booking_volunteer(
    session: Session, actor: Actor, volunteer_id: int | None
) -> tuple[PatrolVolunteer, str]:
    own = None
    if actor.account_id is not None:
        own = session.scalar(select(PatrolVolunteer).where(PatrolVolunteer.account_id == actor.account_id))
    if volunteer_id is None or (own is not None and own.id == volunteer_id):
        if own is None:
            raise ValidationFailed("say which volunteer (volunteer_id)", field="volunteer_id")
        return own, "signup"
    require_role(actor, *MANAGE_ROLES)
    return get_volunteer(session, actor, volunteer_id), "assigned"


def cancel_booking(session: Session, actor: Actor, *, assignment_id: int) -> ShiftAssignment:
    """Withdraw a planned booking."""
    item = _assignment(session, actor, assignment_id)
    if item.status != "planned":
        raise Conflict(
            f"the booking is {item.status}; only planned bookings can be cancelled", field="assignment_id"
        )
    item.status = "cancelled"
    session.flush()
    return item


def _assignment(session: Session, actor: Actor, assignment_id: int) -> ShiftAssignment:
    item = session.get(ShiftAssignment, assignment_id)
    if item is None:
        raise NotFound("booking not found", field="assignment_id")
    volunteer = session.get(PatrolVolunteer, item.volunteer_id)
    assert volunteer is not None
    if actor.is_system or (actor.account_id is not None and volunteer.account_id == actor.account_id):
        return item
    require_role(actor, *MANAGE_ROLES)
    shift = session.get(Shift, item.shift_id)
    assert shift is not None
    ensure_in_scope(actor, shift.grid_code, what="booking", roles=MANAGE_ROLES)
    return item


def check_in(
    session: Session, actor: Actor, *, assignment_id: int, at: datetime | None = None
) -> ShiftAssignment:
    """The volunteer starts the shift (recorded as an event)."""
    item = _assignment(session, actor, assignment_id)
    at = as_utc(at or utcnow())
    if item.status != "planned":
        raise Conflict(f"the booking is {item.status}", field="assignment_id")
    if not item.starts_at - timedelta(minutes=30) <= at <= item.ends_at:
        raise Conflict("check-in opens 30 minutes before the shift and closes at its end", field="at")
    item.status, item.checked_in_at = "on_duty", at
    _event(session, item, "check_in", at)
    session.flush()
    return item


def check_out(
    session: Session, actor: Actor, *, assignment_id: int, at: datetime | None = None
) -> ShiftAssignment:
    """The volunteer ends the shift; the turn-out and its hours are recorded as an activity."""
    item = _assignment(session, actor, assignment_id)
    at = as_utc(at or utcnow())
    if item.status != "on_duty" or item.checked_in_at is None:
        raise Conflict("check in first", field="assignment_id")
    if at <= item.checked_in_at:
        raise ValidationFailed("check-out must come after check-in", field="at")
    item.status, item.checked_out_at = "done", at
    _event(session, item, "check_out", at)
    volunteer = session.get(PatrolVolunteer, item.volunteer_id)
    assert volunteer is not None
    hours = min((at - item.checked_in_at).total_seconds() / 3600, 24.0)
    session.add(
        Activity(
            volunteer_id=item.volunteer_id,
            area_code=volunteer.area_code,
            kind="patrol",
            started_at=item.checked_in_at,
            hours=round(hours, 2),
            shift_id=item.shift_id,
        )
    )
    session.flush()
    return item


def _event(session: Session, item: ShiftAssignment, kind: str, at: datetime) -> None:
    shift = session.get(Shift, item.shift_id)
    volunteer = session.get(PatrolVolunteer, item.volunteer_id)
    assert shift is not None and volunteer is not None
    session.add(
        PatrolEvent(
            volunteer_id=volunteer.id,
            area_code=volunteer.area_code,
            kind=kind,
            at=at,
            grid_code=shift.grid_code,
            shift_id=shift.id,
        )
    )


def on_duty_assignments(
    session: Session, *, at: datetime, volunteer_ids: list[int] | None = None
) -> dict[int, str]:
    """Volunteer id → the grid of the shift they are checked in to at a moment (or planned for)."""
    stmt = (
        select(ShiftAssignment.volunteer_id, Shift.grid_code)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(
            ShiftAssignment.status.in_(("planned", "on_duty")),
            ShiftAssignment.starts_at <= at,
            ShiftAssignment.ends_at > at,
        )
    )
    if volunteer_ids is not None:
        stmt = stmt.where(ShiftAssignment.volunteer_id.in_(volunteer_ids))
    return {vid: grid for vid, grid in session.execute(stmt)}


def grids_in_scope(session: Session, actor: Actor, *, within: str | None = None) -> list[str]:
    """Codes of the grids the actor may see (optionally under one area), ordered."""
    return [
        a.code
        for a in areas.list_areas(session, level=AreaLevel.GRID, within=within)
        if actor.can_see_area(a.code, READ_ROLES)
    ]


def coverage_plan(
    session: Session,
    actor: Actor,
    *,
    since: datetime,
    hours: int = 24,
    within: str | None = None,
    grids: list[str] | None = None,
) -> dict[str, Any]:
    """Per grid × hour: volunteers planned (booked) and required; the cells with no one planned. ``grids``:
    :func:`grids_in_scope` of the same actor and ``within`` when the caller has it already."""
    require_role(actor, *READ_ROLES)
    if not 1 <= hours <= 24 * 14:
        raise ValidationFailed("hours must be 1–336", field="hours")
    since = as_utc(since).replace(minute=0, second=0, microsecond=0)
    until = since + timedelta(hours=hours)
    if grids is None:
        grids = grids_in_scope(session, actor, within=within)
    index = {g: i for i, g in enumerate(grids)}
    planned = np.zeros((len(grids), hours), dtype=np.int32)
    required = np.zeros((len(grids), hours), dtype=np.int32)
    booked = (
        select(ShiftAssignment.shift_id, func.count().label("n"))
        .where(ShiftAssignment.status.in_(ACTIVE_STATES))
        .group_by(ShiftAssignment.shift_id)
        .subquery()
    )
    stmt = (
        select(Shift.grid_code, Shift.starts_at, Shift.ends_at, Shift.headcount, func.coalesce(booked.c.n, 0))
        .outerjoin(booked, booked.c.shift_id == Shift.id)
        .where(and_(Shift.starts_at < until, Shift.ends_at > since))
    )
    for grid, start, end, headcount, n in session.execute(stmt):
        i = index.get(grid)
        if i is None:
            continue
        a = max(0, int((as_utc(start) - since).total_seconds() // 3600))
        b = min(hours, int(np.ceil((as_utc(end) - since).total_seconds() / 3600)))
        planned[i, a:b] += int(n)
        required[i, a:b] += headcount
    empty = np.argwhere(planned == 0)
    return {
        "since": since,
        "hours": hours,
        "grids": grids,
        "planned": planned.tolist(),
        "required": required.tolist(),
        "cells": len(grids) * hours,
        "uncovered_cells": int(empty.shape[0]),
        "uncovered": [
            {"grid_code": grids[i], "hour": (since + timedelta(hours=int(h))).isoformat()}
            for i, h in empty[:2000]
        ],
    }


def bookings_of(session: Session, *, volunteer_id: int, since: datetime) -> list[ShiftAssignment]:
    """A volunteer's bookings that end after ``since`` (their own page)."""
    return list(
        session.scalars(
            select(ShiftAssignment)
            .where(ShiftAssignment.volunteer_id == volunteer_id, ShiftAssignment.ends_at > as_utc(since))
            .order_by(ShiftAssignment.starts_at)
            .limit(200)
        )
    )


def list_events(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    volunteer_id: int | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Check-in/out, grid enter/leave, SOS and dispatch events in scope, newest first."""
    require_role(actor, *READ_ROLES)
    stmt = in_scope(select(PatrolEvent), PatrolEvent.area_code, actor, roles=READ_ROLES)
    if kind:
        stmt = stmt.where(PatrolEvent.kind == kind)
    if volunteer_id is not None:
        stmt = stmt.where(PatrolEvent.volunteer_id == volunteer_id)
    if since is not None:
        stmt = stmt.where(PatrolEvent.at >= as_utc(since))
    rows = session.scalars(
        stmt.order_by(PatrolEvent.at.desc(), PatrolEvent.id.desc()).limit(min(limit, 1000))
    )
    return [
        {
            "id": e.id,
            "volunteer_id": e.volunteer_id,
            "kind": e.kind,
            "at": e.at,
            "grid_code": e.grid_code,
            "shift_id": e.shift_id,
            "details": e.details,
        }
        for e in rows
    ]
