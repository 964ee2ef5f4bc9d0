"""Demo grid + party building (网格+党建): a party branch per community — two in communities of four or more
grids, each covering half of them — with a secretary (a grid leader of the community) and party members drawn
from the community's existing grid staff and liaison cadres (and the demo `volunteer` account in its
community's branch). Deterministic from the seed; nothing personal is copied (members link to staff
records)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.types import AreaLevel
from pingan.grids.models import PartyBranch, PartyBranchGrid, PartyMember, StaffLink, StaffRole

Step = Callable[[str, float], None]
# Share of each kind of grid staff who are party members (cadres of district departments mostly are).
MEMBER_SHARE = {
    StaffRole.LIAISON_CADRE.value: 0.75,
    StaffRole.GRID_LEADER.value: 0.6,
    StaffRole.FULL_TIME.value: 0.35,
    StaffRole.PART_TIME.value: 0.2,
}
SPLIT_AT = 4  # communities with this many grids or more get two branches


def generate_party_demo(session: Session, *, seed: int = 2016, step: Step | None = None) -> dict[str, int]:
    """Create the demo party branches and members; returns counts."""
    report = step or (lambda _label, _share: None)
    report("party branches", 0.0)
    rng = np.random.default_rng(seed + 11)
    grids_of: dict[str, list[str]] = {}
    for grid in areas.list_areas(session, level=AreaLevel.GRID):
        grids_of.setdefault(grid.parent_code or "", []).append(grid.code)
    links: dict[str, list[tuple[int, str]]] = {}
    for staff_id, code, role in session.execute(
        select(StaffLink.staff_id, StaffLink.area_code, StaffLink.role).order_by(StaffLink.id)
    ):
        links.setdefault(code, []).append((staff_id, role))
    volunteer = _volunteer_community(session)
    branches = members = 0
    for community in areas.list_areas(session, level=AreaLevel.COMMUNITY):
        grids = sorted(grids_of.get(community.code, []))
        if not grids:
            continue
        parts = [grids] if len(grids) < SPLIT_AT else [grids[: len(grids) // 2], grids[len(grids) // 2 :]]
        for n, part in enumerate(parts, start=1):
            name = (
                f"{community.name}党支部" if len(parts) == 1 else f"{community.name}第{'一二'[n - 1]}党支部"
            )
            branch = PartyBranch(name=name, area_code=community.code, created_by="demo")
            session.add(branch)
            session.flush()
            if len(parts) > 1:
                session.add_all(PartyBranchGrid(branch_id=branch.id, area_code=g) for g in part)
            branches += 1
            members += _members(session, rng, branch.id, part, links)
            if volunteer is not None and any(g.startswith(volunteer[1]) for g in part):
                session.add(PartyMember(branch_id=branch.id, account_id=volunteer[0], role="member"))
                members += 1
                volunteer = None
    session.flush()
    report("party branches", 1.0)
    return {"party_branches": branches, "party_members": members}


def _members(
    session: Session,
    rng: np.random.Generator,
    branch_id: int,
    grids: list[str],
    links: dict[str, list[tuple[int, str]]],
) -> int:
    """Party members among the staff of the branch's grids; the first grid leader chosen is the secretary."""
    chosen: dict[int, str] = {}
    for code in grids:
        for staff_id, role in links.get(code, []):
            if staff_id not in chosen and rng.random() < MEMBER_SHARE.get(role, 0.0):
                chosen[staff_id] = role
    leaders = [s for s, role in chosen.items() if role == StaffRole.GRID_LEADER.value]
    if not leaders:  # every branch has a secretary: a grid leader of its grids
        first = next(
            (s for g in grids for s, role in links.get(g, []) if role == StaffRole.GRID_LEADER.value), None
        )
        if first is not None:
            chosen[first] = StaffRole.GRID_LEADER.value
            leaders = [first]
    secretary = leaders[0] if leaders else None
    deputy = next((s for s, role in chosen.items() if role == StaffRole.LIAISON_CADRE.value), None)
    session.add_all(
        PartyMember(
            branch_id=branch_id,
            staff_id=staff_id,
            role="secretary" if staff_id == secretary else "deputy" if staff_id == deputy else "member",
        )
        for staff_id in chosen
    )
    return len(chosen)


def _volunteer_community(session: Session) -> tuple[int, str] | None:
    """The demo `volunteer` account and the area of its grant (its community), if both exist."""
    from pingan.accounts.models import Account, RoleGrant

    row = session.execute(
        select(Account.id, RoleGrant.area_code)
        .join(RoleGrant, RoleGrant.account_id == Account.id)
        .where(Account.username == "volunteer")
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None
