"""The case state machine: who may move a case from which state to which, with SLA clocks and a timeline.

reported → registered (立案) | rejected (不予立案) → dispatched (派遣) → in_progress (处置) → handled (反馈)
→ verified (核查) → closed (结案); side steps: returned (退回), reassign, escalate (上报), supervise (督办),
suspend/resume (clock paused), rework (返工) on failed verification, reopen ("not fixed"), merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit import service as audit
from pingan.cases import hooks, jobs, live, routing, sla
from pingan.cases.access import ACT_ROLES, OPERATOR_ROLES, capacities, ensure_visible, require_capacity
from pingan.cases.config import get_cases_settings
from pingan.cases.models import Case, CaseLink, Category, State
from pingan.cases.service import raise_case
from pingan.cases.timeline import add_event, attach_file
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor
from pingan.units import service as units

S = State
_OPEN_ACTIVE = (S.REPORTED, S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.VERIFIED, S.RETURNED)


@dataclass(frozen=True)
class Rule:
    sources: tuple[State, ...]
    target: State | None  # None = the state does not change
    who: tuple[str, ...]
    needs_reason: bool = False
    public: bool = False


RULES: dict[str, Rule] = {
    "register": Rule((S.REPORTED,), S.REGISTERED, ("operator",), public=True),
    "reject": Rule((S.REPORTED,), S.REJECTED, ("operator",), needs_reason=True, public=True),
    "dispatch": Rule((S.REGISTERED, S.RETURNED), S.DISPATCHED, ("operator",), public=True),
    "reassign": Rule((S.DISPATCHED, S.IN_PROGRESS), S.DISPATCHED, ("operator",), needs_reason=True),
    "start": Rule((S.DISPATCHED,), S.IN_PROGRESS, ("handler",), public=True),
    "return": Rule((S.DISPATCHED, S.IN_PROGRESS), S.RETURNED, ("handler",), needs_reason=True),
    "handle": Rule((S.DISPATCHED, S.IN_PROGRESS), S.HANDLED, ("handler",), needs_reason=True, public=True),
    "verify": Rule((S.HANDLED,), S.VERIFIED, ("operator", "inspector"), public=True),
    "rework": Rule((S.HANDLED, S.VERIFIED), S.IN_PROGRESS, ("operator", "inspector"), needs_reason=True),
    "close": Rule((S.VERIFIED,), S.CLOSED, ("operator",), public=True),
    "suspend": Rule(
        (S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED), S.SUSPENDED, ("operator",), needs_reason=True
    ),
    "resume": Rule((S.SUSPENDED,), None, ("operator",)),
    "reopen": Rule((S.CLOSED,), S.DISPATCHED, ("reporter", "operator"), needs_reason=True, public=True),
    "escalate": Rule(_OPEN_ACTIVE, None, ("operator", "inspector"), needs_reason=True),
    "supervise": Rule((*_OPEN_ACTIVE, S.SUSPENDED), None, ("district",), needs_reason=True),
    "hand_back": Rule((*_OPEN_ACTIVE, S.SUSPENDED), None, ("district",), needs_reason=True),
    "merge": Rule((S.REPORTED, S.REGISTERED, S.RETURNED), S.MERGED, ("operator",)),
    "comment": Rule(tuple(S), None, ("operator", "handler", "inspector")),
}
ACTIONS = tuple(RULES)
KEEPS_STAGE_CLOCK = frozenset({"suspend", "start"})


def allowed_actions(session: Session, actor: Actor, case: Case) -> list[str]:
    """The actions this actor may take on the case in its current state."""
    caps = capacities(session, actor, case)
    return [
        name
        for name, rule in RULES.items()
        if case.state in rule.sources and caps.intersection(rule.who) and _extra_ok(name, case)
    ]


def _extra_ok(action: str, case: Case) -> bool:
    if action == "escalate":
        return case.escalation_level == "street"
    if action == "hand_back":  # back to the street that escalated it (cases of no street stay)
        return case.escalation_level == "district" and case.street_code is not None
    return True


def transition(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    action: str,
    note: str = "",
    unit_id: int | None = None,
    into_case_id: int | None = None,
    files: list[tuple[str, bytes]] | None = None,
    now: datetime | None = None,
) -> Case:
    """Apply one workflow action; 409 naming the state and the allowed actions when illegal."""
    rule = RULES.get(action)
    if rule is None:
        raise ValidationFailed(f"unknown action {action!r}; one of {', '.join(ACTIONS)}", field="action")
    case = ensure_visible(actor, session.get(Case, case_id, with_for_update=True), roles=ACT_ROLES)
    caps = capacities(session, actor, case)
    if case.state not in rule.sources or not _extra_ok(action, case):
        allowed = allowed_actions(session, actor, case)
        raise Conflict(
            f"cannot {action} a case that is {case.state}; allowed now: {', '.join(allowed) or 'none'}",
            code="illegal_transition",
            field="action",
            details={"state": case.state, "allowed_actions": allowed},
        )
    require_capacity(caps, rule.who, action)
    if action == "verify":
        _check_verification(session, case)
    note = (note or "").strip()
    if rule.needs_reason and not note:
        raise ValidationFailed(f"{action} needs a reason/note", field="note")
    if len(note) > 2000:
        raise ValidationFailed("note is longer than 2000 characters", field="note")
    now = now or utcnow()
    category = session.get(Category, case.category_code)
    before = case.state
    target_unit = _apply(session, actor, case, action, rule, category, note, unit_id, into_case_id, now)
    event = add_event(
        session,
        case,
        actor,
        action=action,
        from_state=before,
        to_state=case.state,
        note=note,
        unit_id=target_unit,
        is_public=rule.public,
    )
    if files:
        session.flush()  # the event's id for its evidence
    for filename, data in files or ():
        attach_file(session, actor, case, filename=filename, data=data, kind="evidence", event=event)
    case.updated_at = now
    case.sla_color = sla.color_of(
        case, now, get_cases_settings().sla_warning_share, calendar=sla.calendar_for(session)
    )
    session.flush()
    if action != "comment":
        live.queue_change(session, case, action)
    return case


def _check_verification(session: Session, case: Case) -> None:
    """409 ``verification_required`` while a check an enabled module declares for the case's category
    (``Module.verification_checks``, e.g. a passing re-inspection) does not hold."""
    from pingan.core.config import settings_of
    from pingan.core.modules import load

    for ref in hooks.verification_checks(settings_of(session).modules, case.category_code):
        reason = load(ref)(session, case)
        if reason:
            raise Conflict(
                f"cannot verify yet: {reason}",
                code="verification_required",
                field="action",
                details={"state": case.state, "reason": reason},
            )


def _apply(
    session: Session,
    actor: Actor,
    case: Case,
    action: str,
    rule: Rule,
    category: Category | None,
    note: str,
    unit_id: int | None,
    into_case_id: int | None,
    now: datetime,
) -> int | None:
    """State-specific effects; returns the unit concerned (for the timeline)."""
    unit: int | None = None
    calendar = sla.calendar_for(session)
    if action in ("dispatch", "reassign"):
        unit = _dispatch_unit(session, case, unit_id, required=action == "reassign")
        case.owner_unit_id = unit
        case.dispatched_at = now
    elif action == "register":
        case.registered_at = now
    elif action == "start":
        case.started_at = case.started_at or now
    elif action == "return":
        case.return_count += 1
    elif action == "handle":
        case.handled_at = now
    elif action == "verify":
        case.verified_at = now
    elif action == "rework":
        case.rework_count += 1
    elif action == "close":
        case.closed_at = now
        case.is_closed_on_time = case.close_due_at is None or now <= case.close_due_at
    elif action == "reject":
        case.closed_at = now
    elif action == "suspend":
        case.suspended_from = case.state
        sla.pause(case, now)
    elif action == "resume":
        sla.resume(case, now, calendar=calendar)
        case.state = case.suspended_from or S.REGISTERED.value
        case.suspended_from = None
        return None
    elif action == "reopen":
        case.reopen_count += 1
        case.closed_at = None
        case.is_closed_on_time = None
        case.dispatched_at = now
        unit = case.owner_unit_id
        sla.plan_close_due(case, category, now, from_stage="handle", calendar=calendar)
    elif action == "escalate":
        case.escalation_level = "district"
        case.is_supervised = True
        audit.record(
            session,
            actor,
            action="escalate",
            subject_type="case",
            subject_id=case.id,
            area_code=case.area_code,
            reason=note,
        )
        jobs.remind(session, case, "escalated")  # the district's operators see it in their queue
    elif action == "supervise":
        case.is_supervised = True
        jobs.remind(session, case, "supervised")  # the street and the owning unit see it in their queue
    elif action == "hand_back":
        case.escalation_level = "street"
        jobs.remind(session, case, "handed_back")
    elif action == "merge":
        _merge_into(session, actor, case, into_case_id)
        case.closed_at = now
    if rule.target is not None:
        case.state = rule.target.value
        # "start" stays in the handle stage that dispatch began: its clock runs from dispatch (a handler
        # cannot restart their own deadline); a suspension keeps the stage and pauses its clock
        if action not in KEEPS_STAGE_CLOCK:
            sla.start_stage(case, category, now, calendar=calendar)
    return unit


def _dispatch_unit(session: Session, case: Case, unit_id: int | None, *, required: bool) -> int:
    if unit_id is None:
        if required:
            raise ValidationFailed("reassign needs unit_id (the new owning unit)", field="unit_id")
        unit_id = case.routed_unit_id or case.owner_unit_id
    if unit_id is None:
        raise ValidationFailed("no unit is routed for this case: choose unit_id", field="unit_id")
    unit = units.find_unit(session, unit_id)
    if unit is None or not unit.is_active:
        raise ValidationFailed(f"no active unit {unit_id}", field="unit_id")
    return unit.id


def _merge_into(session: Session, actor: Actor, case: Case, into_case_id: int | None) -> None:
    if into_case_id is None:
        raise ValidationFailed("merge needs into_case_id", field="into_case_id")
    if into_case_id == case.id:
        raise ValidationFailed("a case cannot be merged into itself", field="into_case_id")
    target = ensure_visible(actor, session.get(Case, into_case_id))
    if target.state in (S.CLOSED, S.REJECTED, S.MERGED):
        raise Conflict(
            f"case {target.number} is {target.state}; merge into an open case", field="into_case_id"
        )
    target.signal_count += case.signal_count
    case.duplicate_of_id = target.id
    session.add(CaseLink(case_id=case.id, other_case_id=target.id, kind="merged", created_by=actor.username))
    add_event(
        session,
        target,
        actor,
        action="absorb",
        note=f"{case.number} merged into this case",
        details={"other_number": case.number},
    )


def split_case(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    description: str | None = None,
    category_code: str | None = None,
    title: str | None = None,
) -> Case:
    """Undo a duplicate link (no description), or carve a separate problem out as a new linked case."""
    case = ensure_visible(actor, session.get(Case, case_id), roles=OPERATOR_ROLES)
    require_capacity(capacities(session, actor, case), ("operator",), "split")
    if not (description or "").strip():
        if case.duplicate_of_id is None or case.state == S.MERGED:
            raise ValidationFailed(
                "the case is not linked as a duplicate; describe the new problem", field="description"
            )
        for link in session.scalars(
            select(CaseLink).where(CaseLink.case_id == case.id, CaseLink.kind == "duplicate")
        ):
            session.delete(link)
        case.duplicate_of_id = None
        add_event(session, case, actor, action="split", note="not a duplicate: link removed")
        session.flush()
        return case
    new = raise_case(
        session,
        actor,
        category_code=category_code or case.category_code,
        description=description or "",
        source="system",
        lon=case.lon,
        lat=case.lat,
        area_code=case.area_code if case.lon is None else None,
        title=title,
    )
    session.add(CaseLink(case_id=new.id, other_case_id=case.id, kind="split_from", created_by=actor.username))
    add_event(
        session,
        case,
        actor,
        action="split",
        note=f"split off as {new.number}",
        details={"other_number": new.number},
    )
    session.flush()
    return new


def units_for_dispatch(session: Session) -> list[dict[str, Any]]:
    """Active units a case can be dispatched to."""
    rows = units.list_units(session, active_only=True)
    return [
        {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind, "area_code": u.area_code} for u in rows
    ]


def preview_route(
    session: Session, *, category_code: str, area_code: str | None, lon: float | None, lat: float | None
) -> dict[str, Any]:
    """Test-your-rule: which unit would own a case of this category at this place, and why."""
    from pingan.areas import service as areas

    if lon is not None and lat is not None:
        found = areas.locate(session, lon=lon, lat=lat)
        if found is None:
            raise ValidationFailed(f"lon/lat ({lon}, {lat}) lies outside the district", field="lon")
        area_code = found.grid.code
    if not area_code:
        raise ValidationFailed("send area_code or lon and lat", field="area_code")
    chain = areas.ancestors(session, area_code)
    if not chain:
        raise NotFound(f"no area with code {area_code}", field="area_code")
    levels = {a.level: a.code for a in chain}
    routing.get_category(session, category_code)
    route = routing.route_case(
        session,
        category_code=category_code,
        area_code=area_code,
        street_code=levels.get("street"),
        community_code=levels.get("community"),
    )
    return {
        "category_code": category_code,
        "area_code": area_code,
        "unit": None
        if route.unit is None
        else {"id": route.unit.id, "code": route.unit.code, "name": route.unit.name, "kind": route.unit.kind},
        "rule": routing.rule_dict(route.rule) if route.rule else None,
        "reason": route.reason,
    }
