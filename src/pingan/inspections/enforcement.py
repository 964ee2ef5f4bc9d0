"""Joint enforcement (联合执法): operations with the departments taking part, their targets (suspected illegal
LPG filling, storage, transport or sale, or any other kind), findings, measures (cylinders seized, closure,
fine, referral to the police) and follow-up. Closed sites stay on a watch list: a later inspection, case or
report at the same place, the same address or within WATCH_METRES is flagged "previously closed illegal LPG
site" (曾取缔非法液化气点)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, ensure_in_scope, in_scope, require_role
from pingan.grids import interface as places

from .common import INSPECTORS, MANAGERS
from .models import Operation, Target
from .module import ILLEGAL_LPG_SITE
from .schemas import OperationCreate, TargetCreate

WATCH_METRES = 50.0
WATCH_FLAG = "previously_closed_lpg_site"
_DEG = 111_320.0


def create_operation(session: Session, actor: Actor, body: OperationCreate) -> Operation:
    """An operation over areas in the actor's scope."""
    require_role(actor, *MANAGERS)
    if body.ends_at <= body.starts_at:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    for code in body.area_codes:
        ensure_in_scope(actor, code, what="area", roles=MANAGERS)
    if session.scalar(select(Operation.id).where(Operation.code == body.code)) is not None:
        raise Conflict(f"operation {body.code} exists", field="code", code="exists")
    operation = Operation(
        code=body.code,
        name=body.name,
        departments=body.departments,
        area_codes=body.area_codes,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        created_by=actor.username,
    )
    session.add(operation)
    session.flush()
    return operation


def get_operation(session: Session, actor: Actor, operation_id: int) -> Operation:
    """One operation touching the actor's scope; 404 naming ``operation_id``."""
    require_role(actor, *INSPECTORS)
    found = session.get(Operation, operation_id)
    prefixes = actor.area_prefixes(INSPECTORS)
    if found is None or not (
        actor.is_system or any(c.startswith(p) or p.startswith(c) for c in found.area_codes for p in prefixes)
    ):
        raise NotFound(f"operation {operation_id} not found", field="operation_id")
    return found


def list_operations(session: Session, actor: Actor) -> list[Operation]:
    """The operations touching the actor's scope, newest first."""
    require_role(actor, *INSPECTORS)
    rows = session.scalars(select(Operation).order_by(Operation.starts_at.desc(), Operation.id.desc()))
    out = []
    for op in rows:
        try:
            out.append(get_operation(session, actor, op.id))
        except NotFound:
            continue
    return out


def add_target(
    session: Session, actor: Actor, *, operation_id: int, body: TargetCreate, now: datetime | None = None
) -> Target:
    """A target acted on: its site found in (or added once to) the register of places, with the findings and
    measures; a closed site goes on the watch list."""
    require_role(actor, *MANAGERS)
    operation = get_operation(session, actor, operation_id)
    found = places.find_or_add_place(
        session,
        actor,
        place_type=ILLEGAL_LPG_SITE
        if body.target_type.startswith("lpg_")
        else body.place_type or "small_venue",
        name=body.name,
        address=body.address,
        lon=body.lon,
        lat=body.lat,
        source="inspections",
    )
    place = found.place
    if not any(place.area_code.startswith(c) for c in operation.area_codes):  # lint-scope: ok (operation's)
        raise ValidationFailed("the target lies outside the operation's areas", field="lon")
    target = Target(
        operation_id=operation.id,
        target_type=body.target_type,
        place_id=place.id,
        name=place.name,
        address=place.address,
        area_code=place.area_code,
        lon=place.lon,
        lat=place.lat,
        findings=body.findings,
        cylinders_seized=body.cylinders_seized,
        is_closed=body.is_closed,
        fine_yuan=body.fine_yuan,
        is_referred_to_police=body.is_referred_to_police,
        follow_up=body.follow_up,
        acted_at=body.acted_at or now or utcnow(),
        created_by=actor.username,
    )
    session.add(target)
    session.flush()
    return target


def targets_of(session: Session, actor: Actor, operation_id: int) -> list[Target]:
    """The operation's targets in the actor's scope."""
    stmt = in_scope(select(Target), Target.area_code, actor, roles=INSPECTORS)
    return list(session.scalars(stmt.where(Target.operation_id == operation_id).order_by(Target.id)))


def totals(targets: list[Target]) -> dict[str, int]:
    """An operation's figures: targets, sites closed, cylinders seized, fines, referrals."""
    return {
        "targets": len(targets),
        "closed": sum(t.is_closed for t in targets),
        "cylinders_seized": sum(t.cylinders_seized for t in targets),
        "fines_yuan": sum(t.fine_yuan for t in targets),
        "referred_to_police": sum(t.is_referred_to_police for t in targets),
    }


def watch_list(session: Session, actor: Actor) -> Any:
    """A statement of the closed sites in the actor's scope, newest first (paged by the caller)."""
    require_role(actor, *INSPECTORS)
    stmt = in_scope(
        select(Target).where(Target.is_closed.is_(True)), Target.area_code, actor, roles=INSPECTORS
    )
    return stmt.order_by(Target.acted_at.desc(), Target.id.desc())


def closed_site_near(
    session: Session,
    *,
    place_id: int | None = None,
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
) -> Target | None:
    """The closed illegal site at this place, this address or within WATCH_METRES of this point, if any."""
    stmt = select(Target).where(Target.is_closed.is_(True))
    if place_id is not None:
        hit = session.scalar(stmt.where(Target.place_id == place_id).limit(1))
        if hit is not None:
            return hit
    if lon is not None and lat is not None:
        d = WATCH_METRES / _DEG
        box = stmt.where(Target.lat.between(lat - d, lat + d), Target.lon.between(lon - 2 * d, lon + 2 * d))
        for hit in session.scalars(box):
            return hit
    key = places.normalised(address) if address else ""
    if key:
        for hit in session.scalars(stmt):
            if places.normalised(hit.address) == key:
                return hit
    return None


def place_is_watched(session: Session, place_id: int) -> bool:
    """Whether a place of the register is (at, or at the address of) a closed illegal LPG site."""
    try:
        place = places.get_place(session, place_id)
    except NotFound:
        return False
    found = closed_site_near(session, place_id=place.id, address=place.address, lon=place.lon, lat=place.lat)
    return found is not None


def case_panel(request: Any, session: Session, actor: Actor, case: Any) -> dict[str, Any] | None:
    """The staff case page's warning when the case lies at a previously closed illegal LPG site."""
    if case.lon is None or case.lat is None:
        return None
    hit = closed_site_near(session, lon=case.lon, lat=case.lat, address=getattr(case, "address", "") or "")
    if hit is None:
        return None
    operation = session.get(Operation, hit.operation_id)
    return {
        "name": hit.name,
        "address": hit.address,
        "acted_at": hit.acted_at,
        "operation": operation.name if operation else "",
    }
