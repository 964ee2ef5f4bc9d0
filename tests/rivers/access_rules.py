"""Access rules of the /api/v1/rivers routes for the access matrix (tests/security/access_rules.py).

Objects are built as the system actor in area A (the demo grid worker's grid) or area B (a 西兴街道 grid)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pingan.core.clock import utcnow
from pingan.core.security import Role
from pingan.rivers.ingest import INGEST
from pingan.rivers.registers import MANAGE, READ
from tests.rivers.conftest import make_station
from tests.security.access_rules import ADMIN, ROLE, SCOPED, Ctx, Target, rule

P = "/api/v1/rivers"


def _station(c: Ctx, area: str) -> Any:
    return make_station(c.session, area).station


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


def listing(path: str, roles: tuple[Role, ...]) -> None:
    rule("GET", P + path, ROLE, roles=roles, build=lambda c: Target(P + path))


listing("", READ)
listing("/segments", READ)
listing("/stations", READ)
listing("/refusals", ADMIN)
scoped(
    "POST",
    "",
    MANAGE,
    lambda c, a: Target(P, a, json={"code": c.unique("M-R"), "name": "矩阵河", "area_code": a}),
    ok=(201,),
)


def _segment_body(c: Ctx, a: str) -> Target:
    from pingan.rivers.models import RiverSegment

    segment = c.session.get(RiverSegment, _station(c, a).segment_id)
    assert segment is not None
    return Target(
        P + "/segments",
        a,
        json={
            "river_id": segment.river_id,
            "code": c.unique("M-G"),
            "name": "矩阵段",
            "area_code": a,
            "line": [[120.2, 30.2], [120.21, 30.2]],
            "target_class": "III",
        },
    )


scoped("POST", "/segments", MANAGE, _segment_body, ok=(201,))
scoped(
    "GET",
    "/segments/{segment_id}/chiefs",
    READ,
    lambda c, a: Target(f"{P}/segments/{_station(c, a).segment_id}/chiefs", a),
)
scoped(
    "PUT",
    "/segments/{segment_id}/chiefs/{level}",
    MANAGE,
    lambda c, a: Target(
        f"{P}/segments/{_station(c, a).segment_id}/chiefs/street", a, json={"name": "矩阵河长"}
    ),
)
scoped(
    "POST",
    "/stations",
    MANAGE,
    lambda c, a: Target(
        P + "/stations",
        a,
        json={
            "segment_id": _station(c, a).segment_id,
            "code": c.unique("M-S"),
            "name": "矩阵站",
            "lon": _station(c, a).lon,
            "lat": _station(c, a).lat,
            "parameters": ["pH", "DO"],
        },
    ),
    ok=(201,),
)
scoped("GET", "/stations/{station_id}", READ, lambda c, a: Target(f"{P}/stations/{_station(c, a).id}", a))
scoped(
    "GET",
    "/stations/{station_id}/readings",
    READ,
    lambda c, a: Target(f"{P}/stations/{_station(c, a).id}/readings", a),
)
scoped(
    "GET",
    "/stations/{station_id}/refusals",
    READ,
    lambda c, a: Target(f"{P}/stations/{_station(c, a).id}/refusals", a),
)


def _batch(c: Ctx) -> Target:
    at = (utcnow() - timedelta(hours=1)).isoformat()
    return Target(
        P + "/readings",
        json={"readings": [{"station": "NO-SUCH", "parameter": "pH", "value": 7, "observed_at": at}]},
    )


def _ngsi(c: Ctx) -> Target:
    at = (utcnow() - timedelta(hours=1)).isoformat()
    entity = {
        "id": "urn:ngsi-ld:WaterQualityObserved:NO-SUCH",
        "type": "WaterQualityObserved",
        "dateObserved": at,
    }
    return Target(P + "/ngsi-ld/entities", json={**entity, "pH": {"type": "Property", "value": 7.1}})


rule("POST", P + "/readings", ROLE, roles=INGEST, build=_batch)
rule("POST", P + "/ngsi-ld/entities", ROLE, roles=INGEST, build=_ngsi)
rule(
    "POST",
    P + "/classify",
    ROLE,
    roles=(*READ, Role.DEPARTMENT_HANDLER),
    build=lambda c: Target(P + "/classify", json={"values": {"DO": 5.5}}),
)
