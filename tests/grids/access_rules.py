"""Access rules of the /api/v1/grids routes for the access matrix (tests/security/access_rules.py).

Objects are built as the system actor in area A (the demo grid worker's grid) or area B (a 西兴街道 grid).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pingan.core.pii import id_check_char
from pingan.core.security import Actor, Role
from pingan.grids import buildings, households, opinions, party, places, registers, residents, staff, tasks
from tests.grids.conftest import point_in
from tests.security.access_rules import AUTHENTICATED, ROLE, SCOPED, Ctx, Target, rule

READ = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)
WRITE = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)
PLACE_READ = (*READ, Role.DEPARTMENT_HANDLER, Role.SECTOR_CLERK)
MANAGER = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
P = "/api/v1/grids"
SYSTEM = Actor.system("matrix")
# Beijing 东城区: a region the demo district draws no residents from, so no ID number collides with it
_ids = iter(range(1, 10**6))


def _id_number() -> str:
    n = next(_ids)
    first17 = f"110101{1950 + n % 50}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def building(c: Ctx, area: str) -> int:
    lon, lat = point_in(c.session, area)
    return buildings.create_building(c.session, SYSTEM, address=c.unique("矩阵路"), lon=lon, lat=lat).id


def household(c: Ctx, area: str) -> int:
    return households.create_household(
        c.session, SYSTEM, building_id=building(c, area), room=c.unique("室")
    ).id


def resident(c: Ctx, area: str) -> int:
    hh = household(c, area)
    return residents.create_resident(
        c.session, SYSTEM, household_id=hh, name="矩阵测试", id_number=_id_number(), phone="13800001234"
    ).id


def place(c: Ctx, area: str) -> int:
    lon, lat = point_in(c.session, area)
    return places.create_place(
        c.session,
        SYSTEM,
        place_type="pharmacy",
        name=c.unique("矩阵药房"),
        lon=lon,
        lat=lat,
        responsible_name="负责人",
        responsible_phone="13900001234",
    ).id


def member(c: Ctx, area: str) -> int:
    return staff.create_staff(c.session, SYSTEM, name="矩阵干部", home_area_code=area).id


def link(c: Ctx, area: str) -> int:
    return staff.link_staff(
        c.session, SYSTEM, staff_id=member(c, area), area_code=area, role="liaison_cadre"
    ).id


def task(c: Ctx, area: str, kind: str = "task") -> int:
    return tasks.create_task(c.session, SYSTEM, kind=kind, title="矩阵任务", area_codes=[area]).id


def check_item(c: Ctx, area: str) -> int:
    resident(c, area)
    task_id = task(c, area, "population_check")
    item, _ = c.session.execute(tasks.check_items_query(c.session, SYSTEM, task_id=task_id).limit(1)).one()
    return int(item.id)


def opinion(c: Ctx, area: str) -> int:
    return opinions.submit_opinion(c.session, SYSTEM, content="路灯不亮", household_id=household(c, area)).id


def scoped(
    method: str,
    path: str,
    roles: tuple[Role, ...],
    make: Callable[[Ctx, str], Target],
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


# --- registers ----------------------------------------------------------------------------------------
listing("/buildings", READ)
listing("/households", READ)
listing("/residents", READ)
rule(
    "POST",
    P + "/residents/search",
    ROLE,
    roles=READ,
    build=lambda c: Target(P + "/residents/search", json={"phone": "13800000000"}),
)
listing("/places", PLACE_READ, {"type": "school"})


def _building_body(c: Ctx, area: str) -> Target:
    lon, lat = point_in(c.session, area)
    return Target(P + "/buildings", area, json={"address": c.unique("新楼"), "lon": lon, "lat": lat})


scoped("POST", "/buildings", WRITE, _building_body, ok=(201,))
scoped("GET", "/buildings/{building_id}", READ, lambda c, a: Target(f"{P}/buildings/{building(c, a)}", a))
scoped(
    "PATCH",
    "/buildings/{building_id}",
    WRITE,
    lambda c, a: Target(f"{P}/buildings/{building(c, a)}", a, json={"floors": 12}),
)
scoped(
    "POST",
    "/households",
    WRITE,
    lambda c, a: Target(f"{P}/households", a, json={"building_id": building(c, a), "room": "101"}),
    ok=(201,),
)
scoped("GET", "/households/{household_id}", READ, lambda c, a: Target(f"{P}/households/{household(c, a)}", a))
scoped(
    "PATCH",
    "/households/{household_id}",
    WRITE,
    lambda c, a: Target(f"{P}/households/{household(c, a)}", a, json={"notes": "已走访"}),
)
scoped(
    "POST",
    "/residents",
    WRITE,
    lambda c, a: Target(
        f"{P}/residents",
        a,
        json={"household_id": household(c, a), "name": "新居民", "id_number": _id_number()},
    ),
    ok=(201,),
)
scoped("GET", "/residents/{resident_id}", READ, lambda c, a: Target(f"{P}/residents/{resident(c, a)}", a))
scoped(
    "PATCH",
    "/residents/{resident_id}",
    WRITE,
    lambda c, a: Target(f"{P}/residents/{resident(c, a)}", a, json={"phone": "13711110000"}),
)
scoped(
    "POST",
    "/residents/{resident_id}/move-out",
    WRITE,
    lambda c, a: Target(f"{P}/residents/{resident(c, a)}/move-out", a),
)
scoped(
    "POST",
    "/residents/{resident_id}/reveal",
    WRITE,
    lambda c, a: Target(
        f"{P}/residents/{resident(c, a)}/reveal",
        a,
        json={"fields": ["phone"], "purpose": "verify_identity", "reason": "核对身份信息"},
    ),
)


def _place_body(c: Ctx, area: str) -> Target:
    lon, lat = point_in(c.session, area)
    return Target(
        P + "/places", area, json={"place_type": "pharmacy", "name": c.unique("药房"), "lon": lon, "lat": lat}
    )


scoped("POST", "/places", WRITE, _place_body, ok=(201,))
scoped("GET", "/places/{place_id}", PLACE_READ, lambda c, a: Target(f"{P}/places/{place(c, a)}", a))
scoped(
    "PATCH",
    "/places/{place_id}",
    WRITE,
    lambda c, a: Target(f"{P}/places/{place(c, a)}", a, json={"status": "closed"}),
)
scoped(
    "POST",
    "/places/{place_id}/reveal",
    WRITE,
    lambda c, a: Target(
        f"{P}/places/{place(c, a)}/reveal",
        a,
        json={"fields": ["responsible_phone"], "purpose": "contact", "reason": "联系场所负责人"},
    ),
)
scoped(
    "GET",
    "/history/{record_type}/{record_id}",
    READ,
    lambda c, a: Target(f"{P}/history/resident/{resident(c, a)}", a),
)


def phone_change(c: Ctx, area: str) -> int:
    rid = resident(c, area)
    residents.update_resident(c.session, SYSTEM, resident_id=rid, changes={"phone": "13800004321"})
    return registers.record_history(c.session, SYSTEM, record_type="resident", record_id=rid)[-1].id


scoped(
    "POST",
    "/history/changes/{change_id}/reveal",
    WRITE,
    lambda c, a: Target(
        f"{P}/history/changes/{phone_change(c, a)}/reveal",
        a,
        json={"fields": ["phone"], "purpose": "data_correction", "reason": "核对号码"},
    ),
)

rule("GET", P + "/place-types", AUTHENTICATED, build=lambda c: Target(P + "/place-types"))

# --- import / export ----------------------------------------------------------------------------------
rule(
    "GET",
    P + "/template",
    AUTHENTICATED,
    build=lambda c: Target(P + "/template", params={"kind": "residents"}),
)


def _import(c: Ctx) -> Target:
    lon, lat = point_in(c.session, c.area_a)
    header = "网格编码,地址,经度,纬度,房号,户类型,姓名,身份证号,手机号,人员类别,关爱标签,与户主关系"
    person = f"导入人,{_id_number()},13800002222,registered,,户主"
    row = f"{c.area_a},{c.unique('导入路')},{lon},{lat},101,registered,{person}"
    return Target(
        P + "/import", params={"kind": "residents", "valid_rows_only": "true"}, data=f"{header}\n{row}\n"
    )  # type: ignore[arg-type]


rule("POST", P + "/import", ROLE, roles=WRITE, build=_import)
rule(
    "GET",
    P + "/export",
    ROLE,
    roles=READ,
    # CSV: the access answer is the same as XLSX's, without writing a district's workbook for each caller
    build=lambda c: Target(P + "/export", params={"kind": "residents", "format": "csv"}),
)

# --- staff and coverage -------------------------------------------------------------------------------
listing("/staff", READ)
scoped(
    "POST",
    "/staff",
    MANAGER,
    lambda c, a: Target(
        P + "/staff", a, json={"name": "新干部", "home_area_code": a, "organisation": "区统计局"}
    ),
    ok=(201,),
)
scoped(
    "POST",
    "/staff/{staff_id}/links",
    MANAGER,
    lambda c, a: Target(f"{P}/staff/{member(c, a)}/links", a, json={"area_code": a, "role": "liaison_cadre"}),
    ok=(201,),
)
scoped(
    "DELETE",
    "/staff/links/{link_id}",
    MANAGER,
    lambda c, a: Target(f"{P}/staff/links/{link(c, a)}", a),
    ok=(204,),
)
listing("/coverage/gaps", READ)
listing("/coverage/grids", READ)
listing("/coverage/cadres", READ)
listing("/coverage/never-visited", READ)

# --- visits -------------------------------------------------------------------------------------------
scoped(
    "POST",
    "/visits",
    READ,
    lambda c, a: Target(P + "/visits", a, json={"household_id": household(c, a), "notes": "入户走访"}),
    ok=(201,),
)
listing("/visits", READ)

# --- tasks --------------------------------------------------------------------------------------------
scoped(
    "POST",
    "/tasks",
    MANAGER,
    lambda c, a: Target(P + "/tasks", a, json={"title": "燃气排查", "area_codes": [a]}),
    ok=(201,),
)
listing("/tasks", READ)
scoped("GET", "/tasks/{task_id}", READ, lambda c, a: Target(f"{P}/tasks/{task(c, a)}", a))
scoped(
    "POST",
    "/tasks/{task_id}/grids/{area_code}/acknowledge",
    READ,
    lambda c, a: Target(f"{P}/tasks/{task(c, a)}/grids/{a}/acknowledge", a),
)
scoped(
    "POST",
    "/tasks/{task_id}/grids/{area_code}/complete",
    READ,
    lambda c, a: Target(f"{P}/tasks/{task(c, a)}/grids/{a}/complete", a, json={"note": "已排查"}),
)
scoped("POST", "/tasks/{task_id}/close", MANAGER, lambda c, a: Target(f"{P}/tasks/{task(c, a)}/close", a))
scoped(
    "GET",
    "/tasks/{task_id}/checks",
    READ,
    lambda c, a: Target(f"{P}/tasks/{task(c, a, 'population_check')}/checks", a),
)
scoped(
    "POST",
    "/checks/{item_id}",
    READ,
    lambda c, a: Target(f"{P}/checks/{check_item(c, a)}", a, json={"outcome": "confirmed"}),
)

# --- opinions -----------------------------------------------------------------------------------------


def _opinion_body(c: Ctx, area: str) -> Target:
    lon, lat = point_in(c.session, area)
    return Target(
        P + "/opinions", area, json={"content": "建议增设充电桩", "lon": lon, "lat": lat, "tags": ["消防"]}
    )


scoped("POST", "/opinions", (*READ, Role.RESIDENT), _opinion_body, ok=(201,))
listing("/opinions", (*READ, Role.RESIDENT))
scoped("GET", "/opinions/{opinion_id}", READ, lambda c, a: Target(f"{P}/opinions/{opinion(c, a)}", a))
scoped(
    "PUT",
    "/opinions/{opinion_id}/tags",
    READ,
    lambda c, a: Target(f"{P}/opinions/{opinion(c, a)}/tags", a, json={"tags": ["路灯"]}),
)
scoped(
    "POST",
    "/opinions/{opinion_id}/answer",
    READ,
    lambda c, a: Target(f"{P}/opinions/{opinion(c, a)}/answer", a, json={"answer": "已报修"}),
)
scoped(
    "POST",
    "/opinions/{opinion_id}/case",
    READ,
    lambda c, a: Target(f"{P}/opinions/{opinion(c, a)}/case", a, json={"category_code": "1402"}),
)

# --- grid + party building: /api/v1/party-branches ----------------------------------------------------------
B = "/api/v1/party-branches"


def branch(c: Ctx, area: str) -> int:
    """A branch of the grid's community covering that grid only."""
    return party.create_branch(
        c.session, SYSTEM, name=c.unique("矩阵党支部"), area_code=area[:12], grid_codes=[area]
    ).id


def party_member(c: Ctx, area: str) -> tuple[int, int]:
    branch_id = branch(c, area)
    return branch_id, party.add_member(c.session, SYSTEM, branch_id=branch_id, staff_id=member(c, area)).id


rule("GET", B, ROLE, roles=READ, build=lambda c: Target(B))
scoped_b = [
    (
        "POST",
        "",
        MANAGER,
        lambda c, a: Target(B, a, json={"name": c.unique("新支部"), "area_code": a[:12]}),
        (201,),
    ),
    ("GET", "/{branch_id}", READ, lambda c, a: Target(f"{B}/{branch(c, a)}", a), (200,)),
    (
        "PUT",
        "/{branch_id}/grids",
        MANAGER,
        lambda c, a: Target(f"{B}/{branch(c, a)}/grids", a, json={"grid_codes": []}),
        (200,),
    ),
    (
        "POST",
        "/{branch_id}/members",
        MANAGER,
        lambda c, a: Target(f"{B}/{branch(c, a)}/members", a, json={"staff_id": member(c, a)}),
        (201,),
    ),
    (
        "DELETE",
        "/{branch_id}/members/{member_id}",
        MANAGER,
        lambda c, a: Target("{}/{}/members/{}".format(B, *party_member(c, a)), a),
        (204,),
    ),
]
for _method, _path, _roles, _make, _ok in scoped_b:
    rule(
        _method,
        B + _path,
        SCOPED,
        roles=_roles,
        build=lambda c, make=_make: make(c, c.area_a),
        build_other=lambda c, make=_make: make(c, c.area_b),
        ok=_ok,
    )
