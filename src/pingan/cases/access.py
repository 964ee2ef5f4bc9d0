"""Who may see a case and in which capacity they may act on it."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from pingan.cases.models import Case
from pingan.core.errors import Forbidden, NotFound
from pingan.core.security import Actor, Role, scope_clause
from pingan.units import service as units
from pingan.units.types import UnitKind

OPERATOR_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
ROLES_REVEAL = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.DEPARTMENT_HANDLER)
VIEW_ROLES = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.DEPARTMENT_HANDLER,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
)
INTAKE_ROLES = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
    Role.PATROL_VOLUNTEER,
    Role.SECTOR_CLERK,
    Role.DEPARTMENT_HANDLER,
    Role.RESIDENT,
)


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


# A department handler sees the cases dispatched to their unit, not the reports routed to it that the command
# centre has yet to register and dispatch (they could not act on them).
NON_HANDLER_VIEW_ROLES = tuple(r for r in VIEW_ROLES if r is not Role.DEPARTMENT_HANDLER)


def visible(stmt: Q, actor: Actor) -> Q:
    """Restrict a SELECT on cases to what the actor may see (area scope, handler unit once dispatched, own
    reports)."""
    if actor.is_system:
        return stmt
    clause = scope_clause(Case.area_code, actor, roles=NON_HANDLER_VIEW_ROLES, unit_column=Case.owner_unit_id)
    if actor.grants_for((Role.DEPARTMENT_HANDLER,)):
        handled = scope_clause(
            Case.area_code, actor, roles=(Role.DEPARTMENT_HANDLER,), unit_column=Case.owner_unit_id
        )
        clause = or_(clause, and_(handled, Case.dispatched_at.is_not(None)))
    if actor.account_id is not None:
        clause = or_(clause, Case.reporter_account_id == actor.account_id)
    return stmt.where(clause)


def can_see(actor: Actor, case: Case) -> bool:
    if actor.is_system:
        return True
    if actor.account_id is not None and case.reporter_account_id == actor.account_id:
        return True
    if _in(actor, case, NON_HANDLER_VIEW_ROLES, unit_id=case.owner_unit_id):
        return True
    return case.dispatched_at is not None and _in(
        actor, case, (Role.DEPARTMENT_HANDLER,), unit_id=case.owner_unit_id
    )


ACT_ROLES = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.DEPARTMENT_HANDLER, Role.GRID_WORKER)


def ensure_visible(actor: Actor, case: Case | None, *, roles: tuple[Role, ...] = VIEW_ROLES) -> Case:
    """The case, or NotFound when missing or out of scope; 403 first for callers without any of ``roles``
    (unless they reported the case), so that the answer does not depend on the case's existence."""
    own = case is not None and actor.account_id is not None and case.reporter_account_id == actor.account_id
    if not actor.is_system and not own and not actor.has_role(*roles):
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs one of the roles: {names}", code="role_required")
    if case is None or not can_see(actor, case):
        raise NotFound("case not found", field="case_id")
    return case


def _in(actor: Actor, case: Case, roles: tuple[Role, ...], *, unit_id: int | None = None) -> bool:
    from pingan.core.security import scope_prefix

    for grant in actor.grants_for(roles):
        if case.area_code[: len(scope_prefix(grant.area_code))] == scope_prefix(grant.area_code):
            if grant.unit_id is None or grant.unit_id == unit_id:
                return True
    return False


def capacities(session: Session, actor: Actor, case: Case) -> set[str]:
    """The capacities in which the actor may act on the case: operator, handler, inspector, reporter."""
    if actor.is_system:
        return {"operator", "handler", "inspector", "reporter", "district"}
    caps: set[str] = set()
    district = _in(actor, case, (Role.DISTRICT_ADMIN,))
    # once escalated (上报区级) the case belongs to the district until the district hands it back
    if district or (case.escalation_level != "district" and _in(actor, case, OPERATOR_ROLES)):
        caps.add("operator")
    if district:
        caps.add("district")
    if _in(actor, case, (Role.GRID_WORKER,)):
        caps.add("inspector")
    if actor.account_id is not None and case.reporter_account_id == actor.account_id:
        caps.add("reporter")
    owner = units.find_unit(session, case.owner_unit_id) if case.owner_unit_id else None
    if owner is not None:
        if _in(actor, case, (Role.DEPARTMENT_HANDLER,), unit_id=owner.id) and any(
            g.unit_id == owner.id for g in actor.grants_for((Role.DEPARTMENT_HANDLER,))
        ):
            caps.add("handler")
        if owner.kind in (UnitKind.STREET_CENTRE, UnitKind.DISTRICT_CENTRE) and "operator" in caps:
            caps.add("handler")
        if owner.kind in (UnitKind.COMMUNITY, UnitKind.GRID) and "inspector" in caps:
            caps.add("handler")
    return caps


def require_capacity(caps: set[str], needed: tuple[str, ...], action: str) -> None:
    if not caps.intersection(needed):
        raise Forbidden(
            f"{action}: only {' or '.join(needed)} of this case may do this",
            code="not_allowed",
            field="action",
        )
