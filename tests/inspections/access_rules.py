"""Access rules of the /api/v1/inspections routes for the access matrix (tests/security/access_rules.py).

Campaigns are built over one grid: area A (the demo grid worker's grid) or area B (a 西兴街道 grid); a
campaign is seen by those whose scope holds its areas, visits and hazards by those whose scope holds their
place.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pingan.core.clock import utcnow
from pingan.core.security import Actor, Role
from pingan.grids import interface as places
from pingan.inspections import service
from pingan.inspections.models import Campaign, Checklist
from pingan.inspections.schemas import CampaignCreate, VisitCreate
from tests.grids.conftest import point_in
from tests.inspections.conftest import photo
from tests.security.access_rules import ROLE, SCOPED, Ctx, Target, rule

P = "/api/v1/inspections"
INSPECTORS = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR, Role.GRID_WORKER)
MANAGERS = (Role.DISTRICT_ADMIN, Role.STREET_OPERATOR)
SYSTEM = Actor.system("matrix")


def _campaign_body(c: Ctx, area: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "code": c.unique("M"),
        "name": "矩阵排查",
        "area_codes": [area],
        "place_types": ["restaurant"],
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=5)).isoformat(),
    }


def campaign(c: Ctx, area: str) -> Campaign:
    return service.create_campaign(c.session, SYSTEM, CampaignCreate.model_validate(_campaign_body(c, area)))


def _visit_body(c: Ctx, area: str, *, fail: bool = False) -> dict[str, Any]:
    camp = campaign(c, area)
    lon, lat = point_in(c.session, area)
    place = places.find_or_add_place(
        c.session,
        SYSTEM,
        place_type="restaurant",
        name=c.unique("矩阵餐馆"),
        lon=lon,
        lat=lat,
        area_code=area,
    ).place
    checklist = c.session.get(Checklist, camp.checklist_ids["restaurant"])
    assert checklist is not None
    answers = [
        {
            "item": i["code"],
            "result": "fail" if fail and n == 0 else "pass",
            "photos": [photo()] if fail and n == 0 else [],
        }
        for n, i in enumerate(checklist.items)
    ]
    return {
        "visit_uid": c.unique("matrixvisit"),
        "campaign_id": camp.id,
        "place_id": place.id,
        "checklist_id": checklist.id,
        "checklist_version": checklist.version,
        "answers": answers,
        "signed_by": "矩阵",
    }


def hazard(c: Ctx, area: str) -> int:
    found = service.record_visit(
        c.session, SYSTEM, VisitCreate.model_validate(_visit_body(c, area, fail=True))
    )
    return int(found["hazards"][0]["id"])


def scoped(method: str, path: str, roles: tuple[Role, ...], make: Any, ok: tuple[int, ...] = (200,)) -> None:
    rule(
        method,
        P + path,
        SCOPED,
        roles=roles,
        build=lambda c: make(c, c.area_a),
        build_other=lambda c: make(c, c.area_b),
        ok=ok,
    )


def _checklist_body(c: Ctx) -> dict[str, Any]:
    item = {
        "code": "x.1",
        "text_zh": "测试项",
        "text_en": "Test item",
        "severity": "major",
        "hazard_type": "fire",
    }
    return {"place_type": "small_venue", "title_zh": "矩阵", "title_en": "Matrix", "items": [item]}


def _first_checklist(c: Ctx) -> str:
    service.install_builtin_checklists(c.session)
    return f"{P}/checklists/{service.list_checklists(c.session)[0].id}"


rule("GET", P + "/checklists", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/checklists"))
rule(
    "POST",
    P + "/checklists",
    ROLE,
    roles=(Role.DISTRICT_ADMIN,),
    ok=(201,),
    build=lambda c: Target(P + "/checklists", json=_checklist_body(c)),
)
rule(
    "GET",
    P + "/checklists/{checklist_id}",
    ROLE,
    roles=INSPECTORS,
    build=lambda c: Target(_first_checklist(c)),
)
rule("GET", P + "/campaigns", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/campaigns"))
rule("GET", P + "/visits", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/visits"))
scoped(
    "POST",
    "/campaigns",
    MANAGERS,
    lambda c, a: Target(P + "/campaigns", a, json=_campaign_body(c, a)),
    ok=(201,),
)
for suffix in ("", "/places", "/board", "/report.xlsx"):
    scoped(
        "GET",
        "/campaigns/{campaign_id}" + suffix,
        INSPECTORS,
        lambda c, a, s=suffix: Target(f"{P}/campaigns/{campaign(c, a).id}{s}", a),
    )
scoped(
    "POST", "/visits", INSPECTORS, lambda c, a: Target(P + "/visits", a, json=_visit_body(c, a)), ok=(201,)
)
scoped("GET", "/hazards/{hazard_id}", INSPECTORS, lambda c, a: Target(f"{P}/hazards/{hazard(c, a)}", a))
scoped(
    "POST",
    "/hazards/{hazard_id}/reinspections",
    INSPECTORS,
    lambda c, a: Target(
        f"{P}/hazards/{hazard(c, a)}/reinspections",
        a,
        json={"visit_uid": c.unique("matrixre"), "result": "fail", "photos": [photo()], "signed_by": "矩阵"},
    ),
    ok=(201,),
)


# --- joint enforcement --------------------------------------------------------------------------------
def _operation_body(c: Ctx, area: str) -> dict[str, Any]:
    return _campaign_body(c, area) | {"departments": ["城管", "公安"]}


def operation(c: Ctx, area: str) -> int:
    from pingan.inspections import enforcement
    from pingan.inspections.schemas import OperationCreate

    body = {k: v for k, v in _operation_body(c, area).items() if k != "place_types"}
    return enforcement.create_operation(c.session, SYSTEM, OperationCreate.model_validate(body)).id


def _target_body(c: Ctx, area: str) -> Target:
    lon, lat = point_in(c.session, area)
    body = {
        "target_type": "lpg_sale",
        "name": c.unique("矩阵非法点"),
        "lon": lon,
        "lat": lat,
        "findings": "x",
    }
    return Target(f"{P}/operations/{operation(c, area)}/targets", area, json=body)


rule("GET", P + "/operations", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/operations"))
rule("GET", P + "/watchlist", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/watchlist"))
scoped(
    "POST",
    "/operations",
    MANAGERS,
    lambda c, a: Target(
        P + "/operations", a, json={k: v for k, v in _operation_body(c, a).items() if k != "place_types"}
    ),
    ok=(201,),
)
for suffix in ("", "/targets"):
    scoped(
        "GET",
        "/operations/{operation_id}" + suffix,
        INSPECTORS,
        lambda c, a, s=suffix: Target(f"{P}/operations/{operation(c, a)}{s}", a),
    )
scoped("POST", "/operations/{operation_id}/targets", MANAGERS, _target_body, ok=(201,))
rule(
    "GET",
    P + "/hazards",
    ROLE,
    roles=INSPECTORS,
    build=lambda c: Target(P + "/hazards", params={"status": "open"}),
)
rule("GET", P + "/hazard-stats", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/hazard-stats"))


# --- major-event operations (平安护航) ----------------------------------------------------------------------
def _major_body(c: Ctx, area: str) -> dict[str, Any]:
    body = _campaign_body(c, area)
    return {k: v for k, v in body.items() if k != "place_types"} | {"target_turnouts": 10, "target_hours": 40}


def major_operation(c: Ctx, area: str) -> int:
    from pingan.inspections import major
    from pingan.inspections.schemas import MajorOperationCreate

    return major.create(c.session, SYSTEM, MajorOperationCreate.model_validate(_major_body(c, area))).id


rule("GET", P + "/major-operations", ROLE, roles=INSPECTORS, build=lambda c: Target(P + "/major-operations"))
scoped(
    "POST",
    "/major-operations",
    MANAGERS,
    lambda c, a: Target(P + "/major-operations", a, json=_major_body(c, a)),
    ok=(201,),
)
scoped(
    "GET",
    "/major-operations/{major_id}",
    INSPECTORS,
    lambda c, a: Target(f"{P}/major-operations/{major_operation(c, a)}", a),
)
