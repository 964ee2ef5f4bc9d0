"""Access rules of the /api/v1/cameras routes for the access matrix (tests/security/access_rules.py).

Objects are built as the system actor in area A (the demo grid worker's grid, 长河街道) or area B (a grid of
西兴街道). A new camera is placed in the caller's own scope when it has one there (A, else B)."""

from __future__ import annotations

from typing import Any

from pingan.cameras import service
from pingan.core.errors import NotFound
from pingan.core.security import Actor, Role, ensure_in_scope
from tests.cameras.conftest import new_id
from tests.cases.access_rules import make_case
from tests.grids.conftest import point_in
from tests.security.access_rules import AUTHENTICATED, PUBLIC, ROLE, SCOPED, Ctx, Target, rule

READ = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER, Role.LIAISON_CADRE)
WRITE = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
ADMIN = (Role.DISTRICT_ADMIN,)
P = "/api/v1/cameras"
SYSTEM = Actor.system("matrix")


def _camera(c: Ctx, area: str, type_code: str = "132") -> Any:
    lon, lat = point_in(c.session, area)
    return service.save_camera(
        c.session, SYSTEM, {"gb_id": new_id(type_code), "name": "matrix", "lon": lon, "lat": lat}
    )


def _own_area(c: Ctx) -> str:
    if c.who is None:
        return c.area_a
    try:
        ensure_in_scope(c.who, c.area_a, roles=WRITE)
        return c.area_a
    except NotFound:
        return c.area_b


def _create(c: Ctx) -> Target:
    lon, lat = point_in(c.session, _own_area(c))
    return Target(P, json={"gb_id": new_id(), "name": "matrix", "lon": lon, "lat": lat})


def _one(area_of: Any, **extra: Any) -> Any:
    def build(c: Ctx) -> Target:
        area = area_of(c)
        camera = _camera(c, area)
        return Target(f"{P}/{camera.gb_id}", area, **extra)

    return build


def _for_case(area_of: Any) -> Any:
    def build(c: Ctx) -> Target:
        case = make_case(c, area_of(c))
        return Target(f"{P}/for-case/{case.id}", case.area_code, unit_id=case.owner_unit_id)

    return build


def _platform(c: Ctx) -> Target:
    platform, _ = service.create_platform(c.session, SYSTEM, code=c.unique("matrix"), name="matrix")
    return Target(f"{P}/platforms/{platform.code}/token")


A = lambda c: c.area_a  # noqa: E731
B = lambda c: c.area_b  # noqa: E731

rule("GET", P + "/gbid/{gb_id}", AUTHENTICATED, build=lambda c: Target(f"{P}/gbid/33010800001320000001"))
rule("GET", P, ROLE, roles=READ, build=lambda c: Target(P, params={"limit": 5}))
rule("POST", P, ROLE, roles=WRITE, build=_create, ok=(201,))
rule(
    "GET",
    P + "/export",
    ROLE,
    roles=READ,
    build=lambda c: Target(P + "/export", params={"format": "csv", "area": c.area_a}),
)
rule("GET", P + "/template", AUTHENTICATED, build=lambda c: Target(P + "/template", params={"format": "csv"}))
rule(
    "POST",
    P + "/import",
    ROLE,
    roles=WRITE,
    build=lambda c: Target(P + "/import", data={"not": "a register file"}),
    ok=(422,),
    notes="the matrix sends a form, which is no register file: 422 for those who may import",
)
rule(
    "GET",
    P + "/online-rate",
    ROLE,
    roles=READ,
    build=lambda c: Target(P + "/online-rate", params={"days": 2}),
)
rule("GET", P + "/coverage", ROLE, roles=READ, build=lambda c: Target(P + "/coverage"))
rule("GET", P + "/coverage/roads", ROLE, roles=READ, build=lambda c: Target(P + "/coverage/roads"))
rule("GET", P + "/coverage/places", ROLE, roles=READ, build=lambda c: Target(P + "/coverage/places"))
rule(
    "GET",
    P + "/seeing",
    ROLE,
    roles=READ,
    build=lambda c: Target(
        P + "/seeing", params=dict(zip(("lon", "lat"), point_in(c.session, c.area_a), strict=True))
    ),
)
rule("GET", P + "/for-case/{case_id}", SCOPED, roles=READ, build=_for_case(A), build_other=_for_case(B))
rule("GET", P + "/platforms", ROLE, roles=READ, build=lambda c: Target(P + "/platforms"))
rule(
    "POST",
    P + "/platforms",
    ROLE,
    roles=ADMIN,
    build=lambda c: Target(P + "/platforms", json={"code": c.unique("m"), "name": "matrix"}),
    ok=(201,),
)
rule("POST", P + "/platforms/{code}/token", ROLE, roles=ADMIN, build=_platform)
rule(
    "POST",
    P + "/status",
    PUBLIC,
    build=lambda c: Target(P + "/status", json={"items": [{"gb_id": new_id(), "status": "ON"}]}),
    ok=(401,),
    notes="a video platform's push token, never an account's: every caller here is refused",
)
rule("GET", P + "/{gb_id}", SCOPED, roles=READ, build=_one(A), build_other=_one(B))
rule(
    "PATCH",
    P + "/{gb_id}",
    SCOPED,
    roles=WRITE,
    build=_one(A, json={"owner_unit": "matrix"}),
    build_other=_one(B, json={"owner_unit": "matrix"}),
)
