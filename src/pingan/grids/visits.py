"""Household visits (走访): one entry records the visit, the issues raised (→ cases), the register
corrections and the opinions heard; coverage KPIs are computed from the visits themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from pingan.cases.interface import raise_case
from pingan.core import geo
from pingan.core.clock import LOCAL_TZ, as_utc, utcnow
from pingan.core.errors import PinganError, ValidationFailed
from pingan.core.security import Actor, require_role
from pingan.grids import opinions as opinions_service
from pingan.grids.common import (
    READ_ROLES,
    VISIT_ROLES,
    check_write,
    clean_text,
    grid_names,
    scoped,
    visible_grids,
)
from pingan.grids.households import get_household
from pingan.grids.models import Building, Household, Opinion, StaffLink, StaffMember, StaffRole, Visit
from pingan.grids.residents import get_resident, update_resident
from pingan.grids.staff import staff_for_account

MAX_ISSUES = 20


@dataclass
class VisitResult:
    visit: Visit
    cases: list[dict[str, Any]] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    changed_residents: list[int] = field(default_factory=list)
    case_errors: list[dict[str, Any]] = field(default_factory=list)  # {index, field, message, code}


def quarter_start(now: datetime | None = None) -> datetime:
    """The start (UTC) of the current quarter in Asia/Shanghai time."""
    local = as_utc(now or utcnow()).astimezone(LOCAL_TZ)
    first_month = 3 * ((local.month - 1) // 3) + 1
    return as_utc(local.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0))


def record_visit(
    session: Session,
    actor: Actor,
    *,
    household_id: int,
    visited_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    notes: str = "",
    issues: list[dict[str, Any]] | None = None,
    resident_changes: list[dict[str, Any]] | None = None,
    opinions: list[dict[str, Any]] | None = None,
    keep_visit_on_case_error: bool = False,
) -> VisitResult:
    """Record one visit; issues marked raise_case become cases, corrections update the register.

    Grid workers and liaison cadres record visits in their grids (a cadre's grants are their liaison grids).
    By default a case that cannot be raised fails the whole visit; with ``keep_visit_on_case_error`` the visit
    is kept, the issue stays on it unraised with ``case_error``, and ``result.case_errors`` says why.
    """
    require_role(actor, *VISIT_ROLES)
    household = get_household(session, actor, household_id)
    check_write(actor, household.area_code, what="household", roles=VISIT_ROLES)
    when = as_utc(visited_at) if visited_at else utcnow()
    if when > utcnow():
        raise ValidationFailed("a visit cannot lie in the future", field="visited_at")
    wlon = wlat = None
    if lon is not None and lat is not None:
        geo.validate_lonlat(lon, lat)
        wlon, wlat = geo.to_wgs84(lon, lat, geo.parse_crs(crs))
    elif (lon is None) != (lat is None):
        raise ValidationFailed("give both lon and lat, or neither", field="lat" if lat is None else "lon")
    issues = issues or []
    if len(issues) > MAX_ISSUES:
        raise ValidationFailed(f"at most {MAX_ISSUES} issues per visit", field="issues")
    for i, issue in enumerate(issues):  # checked before anything is written
        clean_text(issue.get("description"), field=f"issues.{i}.description", max_len=2000)
        if issue.get("raise_case") and not issue.get("category_code"):
            raise ValidationFailed("a case needs a category", field=f"issues.{i}.category_code")
    member = staff_for_account(session, actor.account_id)
    visit = Visit(
        area_code=household.area_code,
        household_id=household.id,
        staff_id=member.id if member else None,
        account_id=actor.account_id,
        username=actor.username,
        visited_at=when,
        lon=wlon,
        lat=wlat,
        notes=clean_text(notes, field="notes", max_len=4000, required=False),
        issues=[],
    )
    session.add(visit)
    session.flush()
    result = VisitResult(visit)
    building = session.get(Building, household.building_id)
    point = (wlon, wlat) if wlon is not None else ((building.lon, building.lat) if building else (None, None))
    stored = []
    for i, issue in enumerate(issues):
        description = clean_text(issue.get("description"), field=f"issues.{i}.description", max_len=2000)
        entry: dict[str, Any] = {"description": description, "category_code": issue.get("category_code")}
        if issue.get("raise_case"):
            try:
                with session.begin_nested():
                    case = raise_case(
                        session,
                        actor,
                        category_code=str(issue["category_code"]),
                        description=description,
                        source="grid_worker",
                        lon=point[0],
                        lat=point[1],
                        area_code=household.area_code,
                        source_ref=f"visit:{visit.id}",
                    )
            except PinganError as exc:
                if not keep_visit_on_case_error:
                    raise
                entry["case_error"] = exc.message
                result.case_errors.append(
                    {
                        "index": i,
                        "field": f"issues.{i}.{exc.field or 'category_code'}",
                        "message": exc.message,
                    }
                )
            else:
                entry |= {"case_id": case.id, "case_number": case.number}
                result.cases.append({"id": case.id, "number": case.number, "state": str(case.state)})
        stored.append(entry)
    visit.issues = stored
    for i, change in enumerate(resident_changes or []):
        resident_id = change.get("resident_id")
        if not isinstance(resident_id, int):
            raise ValidationFailed("each register change names a resident_id", field=f"resident_changes.{i}")
        fields = {k: v for k, v in change.items() if k != "resident_id"}
        resident = get_resident(session, actor, resident_id)
        if resident.household_id != household.id:
            raise ValidationFailed(
                "register changes in a visit concern residents of the visited household",
                field=f"resident_changes.{i}.resident_id",
            )
        update_resident(session, actor, resident_id=resident_id, changes=fields, source="visit")
        result.changed_residents.append(resident_id)
    for i, op in enumerate(opinions or []):
        result.opinions.append(
            opinions_service.submit_opinion(
                session,
                actor,
                content=op.get("content", ""),
                tags=op.get("tags") or [],
                household_id=household.id,
                visit_id=visit.id,
                field_prefix=f"opinions.{i}.",
            )
        )
    session.flush()
    return result


def visits_query(
    session: Session,
    actor: Actor,
    *,
    area_code: str | None = None,
    household_id: int | None = None,
    since: datetime | None = None,
) -> Select[Visit]:
    """Visits visible to the actor, newest first."""
    require_role(actor, *READ_ROLES)
    stmt = scoped(select(Visit), Visit.area_code, actor, roles=READ_ROLES).order_by(Visit.visited_at.desc())
    if area_code is not None:
        stmt = stmt.where(Visit.area_code.in_(visible_grids(session, actor, area_code=area_code)))
    if household_id is not None:
        stmt = stmt.where(Visit.household_id == household_id)
    if since is not None:
        stmt = stmt.where(Visit.visited_at >= as_utc(since))
    return stmt


def grid_coverage(
    session: Session, actor: Actor, *, area_code: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Per grid: active households, households visited since the quarter start, share, never visited."""
    require_role(actor, *READ_ROLES)
    start = as_utc(since) if since else quarter_start()
    grids = visible_grids(session, actor, area_code=area_code)
    wanted = set(grids)
    # Three grouped counts, each one pass over an indexed table (the register holds ~100,000 households):
    # active households, households visited since the start, households ever visited; never = total - ever.
    totals = _count_by_grid(
        session, actor, select(Household.area_code, func.count()).where(Household.is_active), area_code
    )
    visited = _count_by_grid(
        session,
        actor,
        select(Visit.area_code, func.count(func.distinct(Visit.household_id))).where(
            Visit.visited_at >= start
        ),
        area_code,
    )
    ever_visited = select(Visit.household_id).distinct().subquery()
    ever = _count_by_grid(
        session,
        actor,
        select(Household.area_code, func.count())
        .join(ever_visited, ever_visited.c.household_id == Household.id)
        .where(Household.is_active),
        area_code,
    )
    never = {code: n - ever.get(code, 0) for code, n in totals.items()}
    names = grid_names(session, grids)
    rows = []
    for code in grids:
        if code not in wanted:
            continue
        total = totals.get(code, 0)
        done = visited.get(code, 0)
        rows.append(
            {
                "area_code": code,
                "name": names[code],
                "households": total,
                "visited": done,
                "share": round(done / total, 4) if total else 0.0,
                "never_visited": never.get(code, 0),
            }
        )
    return rows


def _count_by_grid(session: Session, actor: Actor, stmt: Any, area_code: str | None = None) -> dict[str, int]:
    column = stmt.selected_columns[0]
    stmt = scoped(stmt.group_by(column), column, actor, roles=READ_ROLES)
    if area_code:  # already checked to be in scope by visible_grids
        stmt = stmt.where(column.startswith(area_code, autoescape=True))
    return {code: int(n) for code, n in session.execute(stmt)}


def cadre_coverage(
    session: Session, actor: Actor, *, area_code: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Per liaison cadre: their grids, households there, households they visited since the quarter start."""
    require_role(actor, *READ_ROLES)
    start = as_utc(since) if since else quarter_start()
    grids = set(visible_grids(session, actor, area_code=area_code))
    links = session.execute(
        scoped(
            select(StaffLink.staff_id, StaffLink.area_code).where(
                StaffLink.role == StaffRole.LIAISON_CADRE.value
            ),
            StaffLink.area_code,
            actor,
            roles=READ_ROLES,
        )
    ).all()
    by_staff: dict[int, list[str]] = {}
    for staff_id, code in links:
        if code in grids:
            by_staff.setdefault(staff_id, []).append(code)
    if not by_staff:
        return []
    totals = _count_by_grid(
        session, actor, select(Household.area_code, func.count()).where(Household.is_active)
    )
    visit_rows = session.execute(
        scoped(
            select(
                Visit.staff_id, Visit.area_code, func.count(func.distinct(Visit.household_id)), func.count()
            )
            .where(Visit.visited_at >= start, Visit.staff_id.in_(list(by_staff)))
            .group_by(Visit.staff_id, Visit.area_code),
            Visit.area_code,
            actor,
            roles=READ_ROLES,
        )
    ).all()
    visited: dict[int, tuple[int, int]] = {}
    for staff_id, code, households, visits in visit_rows:
        if staff_id is None:
            continue
        if code in by_staff.get(staff_id, []):
            h, v = visited.get(staff_id, (0, 0))
            visited[staff_id] = (h + int(households), v + int(visits))
    members = {
        m.id: m for m in session.scalars(select(StaffMember).where(StaffMember.id.in_(list(by_staff))))
    }
    rows = []
    for staff_id, codes in sorted(by_staff.items(), key=lambda kv: members[kv[0]].name):
        total = sum(totals.get(c, 0) for c in codes)
        households, visits = visited.get(staff_id, (0, 0))
        member = members[staff_id]
        rows.append(
            {
                "staff_id": staff_id,
                "name": member.name,
                "organisation": member.organisation,
                "grids": sorted(codes),
                "households": total,
                "visited": households,
                "visits": visits,
                "share": round(households / total, 4) if total else 0.0,
            }
        )
    return rows


def never_visited(
    session: Session, actor: Actor, *, area_code: str | None = None, limit: int = 100
) -> list[Household]:
    """Active households nobody has visited yet."""
    require_role(actor, *READ_ROLES)
    stmt = scoped(
        select(Household).where(Household.is_active, ~exists().where(Visit.household_id == Household.id)),
        Household.area_code,
        actor,
        roles=READ_ROLES,
    ).order_by(Household.id)
    if area_code is not None:
        stmt = stmt.where(Household.area_code.in_(visible_grids(session, actor, area_code=area_code)))
    return list(session.scalars(stmt.limit(limit)))
