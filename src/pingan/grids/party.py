"""Grid + party building (网格+党建): party branches (党支部) of communities and grids, and their members.

A branch belongs to one community and covers either the whole community or only the grids listed for it.
Members are existing person records — grid staff (grid workers, leaders, liaison cadres) or accounts such as
patrol volunteers — so no personal data is copied here. Everyone sees the branches of their area: a branch is
visible when its community, or a grid it covers, lies in the caller's scope, or when the caller's grid lies in
its community. District and street staff create branches and assign grids and members inside their scope.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.security import Actor, Grant, Role, ensure_in_scope, in_scope, require_role, scope_clause
from pingan.grids.common import MANAGER_ROLES, READ_ROLES, clean_text, grid_names, grids_under
from pingan.grids.models import (
    PartyBranch,
    PartyBranchGrid,
    PartyBranchRole,
    PartyMember,
    StaffLink,
    StaffMember,
)
from pingan.grids.staff import get_staff
from pingan.grids.visits import grid_coverage

ROLES = tuple(r.value for r in PartyBranchRole)


def _community(session: Session, code: str) -> str:
    try:
        area = areas.get_area(session, code)
    except NotFound:
        raise NotFound(f"no community with code {code}", field="area_code") from None
    if area.level != AreaLevel.COMMUNITY.value:
        raise ValidationFailed(
            f"{code} is a {area.level}: a branch belongs to a community", field="area_code"
        )
    return area.code


def _grids_of_community(session: Session, community: str, codes: list[str] | None) -> list[str]:
    """The grids a branch covers: the listed ones (each must be a grid of the community), or none = all."""
    if not codes:
        return []
    own = set(grids_under(session, community))
    wrong = [c for c in codes if c not in own]
    if wrong:
        raise ValidationFailed(f"not grids of community {community}: {', '.join(wrong)}", field="grid_codes")
    return sorted(set(codes))


def create_branch(
    session: Session, actor: Actor, *, name: str, area_code: str, grid_codes: list[str] | None = None
) -> PartyBranch:
    """Create a community's party branch, covering the whole community or the listed grids of it."""
    require_role(actor, *MANAGER_ROLES)
    ensure_in_scope(actor, area_code, what="community", roles=MANAGER_ROLES)
    community = _community(session, area_code)
    grids = _grids_of_community(session, community, grid_codes)
    branch = PartyBranch(
        name=clean_text(name, field="name", max_len=100), area_code=community, created_by=actor.username
    )
    session.add(branch)
    session.flush()
    session.add_all(PartyBranchGrid(branch_id=branch.id, area_code=g) for g in grids)
    session.flush()
    return branch


def set_branch_grids(session: Session, actor: Actor, *, branch_id: int, grid_codes: list[str]) -> PartyBranch:
    """Assign the grids a branch covers (an empty list: the whole community)."""
    branch = _managed(session, actor, branch_id)
    grids = _grids_of_community(session, branch.area_code, grid_codes)
    session.execute(delete(PartyBranchGrid).where(PartyBranchGrid.branch_id == branch.id))
    session.add_all(PartyBranchGrid(branch_id=branch.id, area_code=g) for g in grids)
    session.flush()
    return branch


def add_member(
    session: Session,
    actor: Actor,
    *,
    branch_id: int,
    staff_id: int | None = None,
    account_id: int | None = None,
    role: str = PartyBranchRole.MEMBER.value,
) -> PartyMember:
    """Record a grid staff member or an account (e.g. a volunteer) as a party member of the branch."""
    branch = _managed(session, actor, branch_id)
    if (staff_id is None) == (account_id is None):
        raise ValidationFailed("name either a staff member or an account", field="staff_id")
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of: {', '.join(ROLES)}", field="role")
    if staff_id is not None:
        get_staff(session, actor, staff_id)  # 404 outside the caller's scope
        taken = select(PartyMember.id).where(
            PartyMember.branch_id == branch.id, PartyMember.staff_id == staff_id
        )
    else:
        assert account_id is not None
        accounts.get_account_in_scope(session, actor, account_id=account_id)
        taken = select(PartyMember.id).where(
            PartyMember.branch_id == branch.id, PartyMember.account_id == account_id
        )
    if session.scalar(taken) is not None:
        raise Conflict("already a member of this branch", field="staff_id" if staff_id else "account_id")
    if role == PartyBranchRole.SECRETARY.value and _secretary(session, branch.id) is not None:
        raise Conflict("the branch has a secretary already", field="role")
    member = PartyMember(branch_id=branch.id, staff_id=staff_id, account_id=account_id, role=role)
    session.add(member)
    session.flush()
    return member


def remove_member(session: Session, actor: Actor, *, branch_id: int, member_id: int) -> None:
    """Take a member off the branch's roll."""
    branch = _managed(session, actor, branch_id)
    member = session.get(PartyMember, member_id)
    if member is None or member.branch_id != branch.id:
        raise NotFound("party member not found", field="member_id")
    session.delete(member)
    session.flush()


def _secretary(session: Session, branch_id: int) -> int | None:
    return session.scalar(
        select(PartyMember.id).where(
            PartyMember.branch_id == branch_id, PartyMember.role == PartyBranchRole.SECRETARY.value
        )
    )


def _managed(session: Session, actor: Actor, branch_id: int) -> PartyBranch:
    require_role(actor, *MANAGER_ROLES)
    branch = get_branch(session, actor, branch_id)
    ensure_in_scope(actor, branch.area_code, what="party branch", roles=MANAGER_ROLES)
    return branch


def _visible(session: Session, actor: Actor) -> Any:
    """Branch rows the actor may see: community or a covered grid in scope, or the actor's grid inside."""
    covered = select(PartyBranchGrid.branch_id).where(
        scope_clause(PartyBranchGrid.area_code, actor, roles=READ_ROLES)
    )
    own_communities = sorted(
        {
            area.parent_code
            for area in (areas.get_area(session, c) for c in actor.area_prefixes(READ_ROLES) if len(c) > 9)
            if area.level == AreaLevel.GRID.value and area.parent_code
        }
    )
    return or_(
        scope_clause(PartyBranch.area_code, actor, roles=READ_ROLES),
        PartyBranch.id.in_(covered),
        PartyBranch.area_code.in_(own_communities),
    )


def within(area_code: str) -> Actor:
    """A pseudo-actor whose scope is one area: narrows a query with ``in_scope`` to that area."""
    return Actor(account_id=None, username="within", grants=(Grant(Role.DISTRICT_ADMIN, area_code),))


def branches_query(session: Session, actor: Actor, *, area_code: str | None = None) -> Select[Any]:
    """Active branches visible to the actor, optionally inside one area, by community."""
    require_role(actor, *READ_ROLES)
    stmt = (
        select(PartyBranch)
        .where(PartyBranch.is_active, _visible(session, actor))
        .order_by(PartyBranch.area_code)
    )
    if area_code:
        stmt = in_scope(stmt, PartyBranch.area_code, within(area_code))
    return stmt


def get_branch(session: Session, actor: Actor, branch_id: int) -> PartyBranch:
    """One branch visible to the actor (404 otherwise)."""
    require_role(actor, *READ_ROLES)
    branch = session.scalar(select(PartyBranch).where(PartyBranch.id == branch_id, _visible(session, actor)))
    if branch is None:
        raise NotFound("party branch not found", field="branch_id")
    return branch


def covered_grids(session: Session, branches: list[PartyBranch]) -> dict[int, list[str]]:
    """Branch id → the grid codes it covers (its listed grids, else every grid of its community)."""
    listed: dict[int, list[str]] = {}
    if branches:
        rows = session.execute(
            select(PartyBranchGrid.branch_id, PartyBranchGrid.area_code)
            .where(PartyBranchGrid.branch_id.in_([b.id for b in branches]))
            .order_by(PartyBranchGrid.area_code)
        )
        for branch_id, code in rows:
            listed.setdefault(branch_id, []).append(code)
    grids = [a.code for a in areas.list_areas(session, level=AreaLevel.GRID)]
    return {b.id: listed.get(b.id) or [g for g in grids if g.startswith(b.area_code)] for b in branches}


def summaries(
    session: Session,
    actor: Actor,
    branches: list[PartyBranch],
    *,
    coverage_rows: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Each branch with its community, grids (names), secretary, member counts and this quarter's coverage."""
    grids = covered_grids(session, branches)
    if coverage_rows is None:  # aggregated in SQL, scoped to the caller; one community when only one branch
        area = branches[0].area_code if len(branches) == 1 else None
        coverage_rows = grid_coverage(session, actor, area_code=area) if branches else []
    coverage = {r["area_code"]: r for r in coverage_rows}
    listed = set(
        session.scalars(
            select(PartyBranchGrid.branch_id)
            .where(PartyBranchGrid.branch_id.in_([b.id for b in branches]))
            .distinct()
        )
    )
    people = _members(session, [b.id for b in branches])
    names = grid_names(session, [b.area_code for b in branches] + [g for gs in grids.values() for g in gs])
    out = []
    for b in branches:
        rows = [coverage[g] for g in grids[b.id] if g in coverage]
        households = sum(r["households"] for r in rows)
        visited = sum(r["visited"] for r in rows)
        members = people.get(b.id, [])
        out.append(
            {
                "id": b.id,
                "name": b.name,
                "area_code": b.area_code,
                "community": names.get(b.area_code, b.area_code),
                "whole_community": b.id not in listed,
                "grids": [{"area_code": g, "name": names.get(g, g)} for g in grids[b.id]],
                "secretary": next((m["name"] for m in members if m["role"] == "secretary"), None),
                "members": len(members),
                "members_by_kind": _by_kind(members),
                "households": households,
                "visited": visited,
                "share": round(visited / households, 4) if households else 0.0,
            }
        )
    return out


def _by_kind(members: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in members:
        counts[m["kind"]] = counts.get(m["kind"], 0) + 1
    return counts


def branch_detail(session: Session, actor: Actor, branch_id: int) -> dict[str, Any]:
    """One branch: summary, its members (name, organisation, kind, role) and coverage per grid."""
    branch = get_branch(session, actor, branch_id)
    rows = grid_coverage(session, actor, area_code=branch.area_code)
    summary = summaries(session, actor, [branch], coverage_rows=rows)[0]
    codes = {g["area_code"] for g in summary["grids"]}
    summary["coverage"] = [r for r in rows if r["area_code"] in codes]
    summary["member_list"] = _members(session, [branch.id]).get(branch.id, [])
    return summary


def _members(session: Session, branch_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Branch id → its members with their name and what they are on the grids (grid worker, cadre …)."""
    if not branch_ids:
        return {}
    rows = session.execute(
        select(PartyMember, StaffMember)
        .outerjoin(StaffMember, StaffMember.id == PartyMember.staff_id)
        .where(PartyMember.branch_id.in_(branch_ids))
        .order_by(PartyMember.branch_id, PartyMember.role != PartyBranchRole.SECRETARY.value, PartyMember.id)
    ).all()
    staff_ids = [m.staff_id for m, _s in rows if m.staff_id is not None]
    kinds: dict[int, str] = {}
    for staff_id, role in session.execute(
        select(StaffLink.staff_id, StaffLink.role).where(StaffLink.staff_id.in_(staff_ids))
    ):
        kinds.setdefault(staff_id, role)
    out: dict[int, list[dict[str, Any]]] = {}
    for member, person in rows:
        if person is not None:
            entry = {
                "name": person.name,
                "organisation": person.organisation,
                "kind": kinds.get(person.id, "staff"),
            }
        else:
            account = accounts.get_account(session, member.account_id) if member.account_id else None
            entry = {
                "name": (account.display_name or account.username) if account else "",
                "organisation": "",
                "kind": "account",
            }
        out.setdefault(member.branch_id, []).append(
            {
                "id": member.id,
                "staff_id": member.staff_id,
                "account_id": member.account_id,
                "role": member.role,
            }
            | entry
        )
    return out
