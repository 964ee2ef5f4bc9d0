"""Access rules of the /api/v1/patrols routes for the access matrix (tests/security/access_rules.py).

Volunteers belong to a community's team, so objects tied to a volunteer live at community level (the demo
grid worker, scoped to one grid, does not see them); shifts and bookings live on a grid.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from pingan.core.clock import utcnow
from pingan.core.security import Actor, Role
from pingan.demo.patrols import demo_device_key
from pingan.patrols import dispatch, shifts, training
from pingan.patrols.models import PatrolTeam
from tests.patrols.conftest import make_id_number, make_phone, register
from tests.security.access_rules import AUTHENTICATED, PUBLIC, ROLE, SCOPED, Ctx, Target, community_of, rule

P = "/api/v1/patrols"
SYSTEM = Actor.system("matrix")
READ = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
    Role.PATROL_VOLUNTEER,
)
MANAGE = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)
REVEAL = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
BATCH = (Role.DISTRICT_ADMIN, Role.PATROL_VOLUNTEER)
ADMIN = (Role.DISTRICT_ADMIN,)
DEMO_DEVICE = "31007745"
DEMO_KEY = demo_device_key(2016, DEMO_DEVICE)


def team(c: Ctx, grid: str) -> int:
    team_id = c.session.scalar(select(PatrolTeam.id).where(PatrolTeam.area_code == community_of(c, grid)))
    assert team_id is not None
    return team_id


def volunteer(c: Ctx, grid: str) -> int:
    return register(c.session, team(c, grid), device_id=c.unique("MX")).id


def future_shift(c: Ctx, grid: str, *, minutes: int = 60) -> int:
    start = utcnow() + timedelta(minutes=minutes)
    return shifts.create_shift(
        c.session, SYSTEM, grid_code=grid, starts_at=start, ends_at=start + timedelta(hours=3)
    ).id


def booking(c: Ctx, grid: str, *, checked_in: bool = False) -> int:
    """A volunteer of the grid's community booked on a shift of the grid that started 10 minutes ago."""
    shift_id = future_shift(c, grid, minutes=-10)
    item = shifts.book_volunteer(c.session, SYSTEM, shift_id=shift_id, volunteer_id=volunteer(c, grid))
    if checked_in:
        shifts.check_in(c.session, SYSTEM, assignment_id=item.id)
    return item.id


def case(c: Ctx, grid: str) -> int:
    from pingan.areas import service as areas
    from pingan.cases import service as cases

    point = areas.geometry_of(areas.get_area(c.session, grid)).representative_point()  # type: ignore[union-attr]
    return cases.raise_case(
        c.session,
        SYSTEM,
        category_code="0602",
        description="可疑物品",
        source="patrol",
        lon=point.x,
        lat=point.y,
    ).id


def a_dispatch(c: Ctx, grid: str) -> int:
    return dispatch.assign_dispatch(
        c.session, SYSTEM, case_id=case(c, grid), volunteer_id=volunteer(c, grid)
    ).id


def course(c: Ctx) -> int:
    return training.create_course(c.session, SYSTEM, code=c.unique("MX-"), title="矩阵课程").id


def scoped(
    method: str,
    path: str,
    roles: tuple[Role, ...],
    make: Any,
    ok: tuple[int, ...] = (200,),
) -> None:
    rule(
        method,
        P + path,
        SCOPED,
        roles=roles,
        build=lambda c: make(c, c.area_a),
        build_other=lambda c: make(c, c.area_b),
        ok=ok,
    )


def listing(path: str, roles: tuple[Role, ...], params: dict[str, Any] | None = None) -> None:
    rule("GET", P + path, ROLE, roles=roles, build=lambda c: Target(P + path, params=params))


# --- teams and volunteers -----------------------------------------------------------------------------
listing("/teams", READ)
scoped(
    "POST",
    "/teams",
    MANAGE,
    lambda c, a: Target(
        P + "/teams", community_of(c, a), json={"area_code": community_of(c, a), "name": c.unique("队")}
    ),
    ok=(201,),
)
listing("/volunteers", READ)
rule(
    "POST",
    P + "/volunteers/search",
    ROLE,
    roles=READ,
    build=lambda c: Target(P + "/volunteers/search", json={"phone": "13800000000"}),
)
scoped(
    "POST",
    "/volunteers",
    MANAGE,
    lambda c, a: Target(
        P + "/volunteers",
        community_of(c, a),
        json={
            "team_id": team(c, a),
            "name": "矩阵队员",
            "id_number": make_id_number(),
            "phone": make_phone(),
        },
    ),
    ok=(201,),
)
listing("/volunteers/export", MANAGE)


def _vol(suffix: str = "", **kwargs: Any) -> Any:
    return lambda c, a: Target(f"{P}/volunteers/{volunteer(c, a)}{suffix}", community_of(c, a), **kwargs)


scoped("GET", "/volunteers/{volunteer_id}", READ, _vol())
scoped("PATCH", "/volunteers/{volunteer_id}", MANAGE, _vol(json={"skills": ["first_aid"]}))
scoped("POST", "/volunteers/{volunteer_id}/device-key", MANAGE, _vol("/device-key"))
scoped(
    "POST",
    "/volunteers/{volunteer_id}/reveal",
    REVEAL,
    _vol("/reveal", json={"fields": ["phone"], "purpose": "verify_identity", "reason": "矩阵核查"}),
)
scoped("GET", "/volunteers/{volunteer_id}/certificates", READ, _vol("/certificates"))
scoped(
    "GET", "/volunteers/{volunteer_id}/track", READ, _vol("/track", params={"since": "2026-01-01T00:00:00Z"})
)

# --- roster -------------------------------------------------------------------------------------------
listing("/roster/template", MANAGE)


def _roster(c: Ctx) -> Target:
    body = (
        f"姓名,身份证号,手机号,社区\n导入队员,{make_id_number()},{make_phone()},{community_of(c, c.area_a)}\n"
    )
    return Target(P + "/roster/import", params={"valid_only": "true", "filename": "r.csv"}, data=body)  # type: ignore[arg-type]


rule("POST", P + "/roster/import", ROLE, roles=MANAGE, build=_roster)

# --- training, handbook, activities -------------------------------------------------------------------
listing("/courses", READ)
rule(
    "POST",
    P + "/courses",
    ROLE,
    roles=MANAGE,
    build=lambda c: Target(P + "/courses", json={"code": c.unique("C-"), "title": "巡防基础"}),
    ok=(201,),
)
scoped(
    "POST",
    "/training-sessions",
    MANAGE,
    lambda c, a: Target(
        P + "/training-sessions",
        community_of(c, a),
        json={"course_id": course(c), "area_code": community_of(c, a), "held_on": str(date.today())},
    ),
    ok=(201,),
)


def _certificates(c: Ctx, a: str) -> Target:
    held = training.schedule_session(
        c.session, SYSTEM, course_id=course(c), area_code=community_of(c, a), held_on=date.today()
    )
    return Target(
        f"{P}/training-sessions/{held.id}/certificates",
        community_of(c, a),
        json={"volunteer_ids": [volunteer(c, a)]},
    )


scoped("POST", "/training-sessions/{session_id}/certificates", MANAGE, _certificates, ok=(201,))
listing("/handbook", READ)
rule(
    "POST",
    P + "/handbook",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(P + "/handbook", json={"version": c.unique("v"), "title": "手册", "body": "内容"}),
    ok=(201,),
)
scoped(
    "POST",
    "/handbook/ack",
    MANAGE,
    lambda c, a: Target(
        P + "/handbook/ack", community_of(c, a), json={"version": "2016.1", "volunteer_id": volunteer(c, a)}
    ),
    ok=(201,),
)
scoped(
    "POST",
    "/activities",
    MANAGE,
    lambda c, a: Target(
        P + "/activities",
        community_of(c, a),
        json={
            "volunteer_id": volunteer(c, a),
            "kind": "event",
            "started_at": "2026-11-01T01:00:00Z",
            "hours": 2,
        },
    ),
    ok=(201,),
)
listing("/stats/activities", READ)

# --- shifts -------------------------------------------------------------------------------------------
listing("/shifts", READ)
scoped(
    "POST",
    "/shifts",
    MANAGE,
    lambda c, a: Target(
        P + "/shifts",
        a,
        json={
            "grid_code": a,
            "starts_at": (utcnow() + timedelta(days=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(days=1, hours=3)).isoformat(),
        },
    ),
    ok=(201,),
)
scoped(
    "POST",
    "/shifts/{shift_id}/bookings",
    MANAGE,
    lambda c, a: Target(
        f"{P}/shifts/{future_shift(c, a)}/bookings",
        community_of(c, a),
        json={"volunteer_id": volunteer(c, a)},
    ),
    ok=(201,),
)
scoped("DELETE", "/bookings/{assignment_id}", MANAGE, lambda c, a: Target(f"{P}/bookings/{booking(c, a)}", a))
scoped(
    "POST",
    "/bookings/{assignment_id}/check-in",
    MANAGE,
    lambda c, a: Target(f"{P}/bookings/{booking(c, a)}/check-in", a),
)
scoped(
    "POST",
    "/bookings/{assignment_id}/check-out",
    MANAGE,
    lambda c, a: Target(f"{P}/bookings/{booking(c, a, checked_in=True)}/check-out", a),
)
listing("/coverage-plan", READ, {"hours": 6})

# --- positions ----------------------------------------------------------------------------------------


def _batch(c: Ctx) -> Target:
    t = int(time.time() * 1000) - 1000 * int(c.unique("")) % 3_600_000
    fix = {"device_id": DEMO_DEVICE, "t": t, "lon": 120.2, "lat": 30.19}
    return Target(P + "/positions", json={"positions": [fix]})


rule("POST", P + "/positions", ROLE, roles=BATCH, build=_batch)


def _osmand(c: Ctx) -> Target:
    t = int(time.time()) - 7200 - int(c.unique(""))
    return Target(
        P + "/osmand",
        params={"id": DEMO_DEVICE, "key": DEMO_KEY, "timestamp": t, "lat": 30.19, "lon": 120.2},
    )


for _method in ("GET", "POST", "PUT"):
    rule(_method, P + "/osmand", PUBLIC, build=_osmand)

# --- coverage, statistics, live, events, dispatch -----------------------------------------------------
listing("/coverage", READ, {"hours": 2})
listing("/stats/patrol", READ, {"hours": 2})
listing("/live", READ)
listing("/events", READ)
rule(
    "GET",
    P + "/dispatch/nearest",
    ROLE,
    roles=MANAGE,
    build=lambda c: Target(P + "/dispatch/nearest", params={"lon": 120.2, "lat": 30.19}),
)
scoped(
    "POST",
    "/dispatches",
    MANAGE,
    lambda c, a: Target(
        P + "/dispatches", community_of(c, a), json={"case_id": case(c, a), "volunteer_id": volunteer(c, a)}
    ),
    ok=(201,),
)
rule("GET", P + "/dispatches/mine", AUTHENTICATED, build=lambda c: Target(P + "/dispatches/mine"))
scoped(
    "POST",
    "/dispatches/{dispatch_id}/report",
    MANAGE,
    lambda c, a: Target(
        f"{P}/dispatches/{a_dispatch(c, a)}/report", community_of(c, a), json={"status": "accepted"}
    ),
)
rule("GET", P + "/me", AUTHENTICATED, build=lambda c: Target(P + "/me"))
