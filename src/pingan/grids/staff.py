"""Grid staff: grid leaders, full-/part-time grid workers and liaison cadres (联系干部) linked to grids."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.pii import get_protector, mask_phone, normalise_phone
from pingan.core.security import Actor, ensure_in_scope, require_role
from pingan.grids.common import (
    MANAGER_ROLES,
    READ_ROLES,
    clean_text,
    get_grid_code,
    grid_names,
    grids_under,
    scoped,
    visible_grids,
)
from pingan.grids.models import StaffLink, StaffMember, StaffRole
from pingan.grids.privacy import encrypt_optional


def create_staff(
    session: Session,
    actor: Actor,
    *,
    name: str,
    home_area_code: str,
    organisation: str = "",
    phone: str | None = None,
    account_id: int | None = None,
) -> StaffMember:
    """Add a staff member (leader, grid worker or cadre) whose home is an area in the manager's scope."""
    require_role(actor, *MANAGER_ROLES)
    ensure_in_scope(actor, home_area_code, what="area", roles=MANAGER_ROLES)
    phone_n = normalise_phone(phone) if phone else None
    if account_id is not None and session.scalar(
        select(StaffMember.id).where(StaffMember.account_id == account_id)
    ):
        raise Conflict("this account already belongs to a staff member", field="account_id")
    member = StaffMember(
        name=clean_text(name, field="name", max_len=40),
        organisation=clean_text(organisation, field="organisation", max_len=100, required=False),
        phone_enc=encrypt_optional(get_protector(), phone_n),
        phone_masked=mask_phone(phone_n),
        account_id=account_id,
        home_area_code=home_area_code,
    )
    session.add(member)
    session.flush()
    return member


def get_staff(session: Session, actor: Actor, staff_id: int) -> StaffMember:
    """One staff member visible to the actor (home area or one of their grids in scope)."""
    member = session.get(StaffMember, staff_id)
    if member is None:
        raise NotFound("staff member not found", field="staff_id")
    require_role(actor, *READ_ROLES)
    if actor.can_see_area(member.home_area_code, READ_ROLES):
        return member
    for code in session.scalars(select(StaffLink.area_code).where(StaffLink.staff_id == member.id)):
        if actor.can_see_area(code, READ_ROLES):
            return member
    raise NotFound("staff member not found", field="staff_id")


def link_staff(session: Session, actor: Actor, *, staff_id: int, area_code: str, role: str) -> StaffLink:
    """Put a staff member on a grid in a role (a cadre may hold several grids)."""
    require_role(actor, *MANAGER_ROLES)
    if role not in {r.value for r in StaffRole}:
        raise ValidationFailed(f"role must be one of: {', '.join(r.value for r in StaffRole)}", field="role")
    member = get_staff(session, actor, staff_id)
    grid = get_grid_code(session, actor, area_code, roles=MANAGER_ROLES)
    exists = session.scalar(
        select(StaffLink.id).where(
            StaffLink.staff_id == member.id, StaffLink.area_code == grid, StaffLink.role == role
        )
    )
    if exists is not None:
        raise Conflict("this staff member already holds this role on this grid", field="area_code")
    link = StaffLink(staff_id=member.id, area_code=grid, role=role)
    session.add(link)
    session.flush()
    return link


def unlink_staff(session: Session, actor: Actor, *, link_id: int) -> None:
    """Remove a staff member from a grid."""
    require_role(actor, *MANAGER_ROLES)
    link = session.get(StaffLink, link_id)
    if link is None:
        raise NotFound("staff link not found", field="link_id")
    ensure_in_scope(actor, link.area_code, what="staff link", roles=MANAGER_ROLES)
    session.execute(delete(StaffLink).where(StaffLink.id == link.id))


def staff_for_account(session: Session, account_id: int | None) -> StaffMember | None:
    """The staff member record of a signed-in account, if any."""
    if account_id is None:
        return None
    return session.scalar(select(StaffMember).where(StaffMember.account_id == account_id))


def links_query(
    session: Session, actor: Actor, *, area_code: str | None = None, role: str | None = None
) -> Select[StaffLink, StaffMember]:
    """Staff links (with their member) on grids visible to the actor."""
    require_role(actor, *READ_ROLES)
    stmt = scoped(
        select(StaffLink, StaffMember).join(StaffMember, StaffMember.id == StaffLink.staff_id),
        StaffLink.area_code,
        actor,
        roles=READ_ROLES,
    ).order_by(StaffLink.area_code, StaffLink.role, StaffMember.name)
    if area_code is not None:
        stmt = stmt.where(StaffLink.area_code.in_(grids_under(session, area_code)))
    if role is not None:
        stmt = stmt.where(StaffLink.role == role)
    return stmt


@dataclass(frozen=True)
class CoverageGap:
    area_code: str
    name: str
    missing: list[str]


def coverage_gaps(session: Session, actor: Actor, *, area_code: str | None = None) -> list[CoverageGap]:
    """Grids in scope without a liaison cadre, a grid leader or any grid worker."""
    require_role(actor, *READ_ROLES)
    grids = visible_grids(session, actor, area_code=area_code)
    held: dict[str, set[str]] = {}
    stmt = scoped(
        select(StaffLink.area_code, StaffLink.role).distinct(), StaffLink.area_code, actor, roles=READ_ROLES
    )
    for code, role in session.execute(stmt):
        held.setdefault(code, set()).add(role)
    names = grid_names(session, grids)
    gaps = []
    for code in grids:
        roles = held.get(code, set())
        missing = []
        if StaffRole.LIAISON_CADRE.value not in roles:
            missing.append(StaffRole.LIAISON_CADRE.value)
        if StaffRole.GRID_LEADER.value not in roles:
            missing.append(StaffRole.GRID_LEADER.value)
        if not roles & {StaffRole.FULL_TIME.value, StaffRole.PART_TIME.value}:
            missing.append("grid_worker")
        if missing:
            gaps.append(CoverageGap(code, names[code], missing))
    return gaps


def staff_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many staff links of each role lie in the actor's scope."""
    stmt = scoped(
        select(StaffLink.role, func.count(func.distinct(StaffLink.staff_id))).group_by(StaffLink.role),
        StaffLink.area_code,
        actor,
        roles=READ_ROLES,
    )
    return {role: n for role, n in session.execute(stmt)}
