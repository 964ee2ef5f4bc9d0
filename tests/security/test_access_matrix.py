"""The access matrix: every /api/v1 route × every role (and anonymous) gives the right answer.

Rules live in tests/security/access_rules.py and tests/<module>/access_rules.py. Out-of-scope objects
must be indistinguishable from missing ones (404), a missing role is 403, an anonymous caller 401.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.areas import service as areas
from pingan.areas.models import AreaLevel
from pingan.core.config import Settings
from pingan.core.errors import NotFound
from pingan.core.security import Actor, Role, ensure_in_scope
from pingan.web.app import create_app
from tests.factories import actor, auth, make_account
from tests.security.access_rules import (
    AUTHENTICATED,
    OWNED,
    PUBLIC,
    ROLE,
    SCOPED,
    Ctx,
    Rule,
    Target,
    load_all_rules,
)

pytestmark = pytest.mark.slow  # ~1,700 requests: `make test-fast` leaves it to `make test`

RULES = load_all_rules()

DEMO_USERS = (
    "admin",
    "street",
    "handler",
    "gridworker",
    "cadre",
    "volunteer",
    "clerk",
    "resident",
    "auditor",
)
PRINCIPALS = (*DEMO_USERS, "xixing_admin", "anonymous")
METHODS = {"get", "post", "put", "patch", "delete"}


def api_routes() -> set[tuple[str, str]]:
    """Every (METHOD, path) under /api/v1 of the application, as the OpenAPI schema lists them."""
    app = create_app(Settings(demo_mode=True, database_url="sqlite://", secret_key="x"))
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {
        (method.upper(), path)
        for path, ops in paths.items()
        if path.startswith("/api/v1")
        for method in ops
        if method in METHODS
    }


class TestEveryRouteIsClassified:
    def test_no_route_without_a_rule(self) -> None:
        missing = sorted(api_routes() - set(RULES))
        assert not missing, "routes without an access rule (tests/<module>/access_rules.py):\n" + "\n".join(
            f"  {m} {p}" for m, p in missing
        )

    def test_no_rule_without_a_route(self) -> None:
        stale = sorted(set(RULES) - api_routes())
        assert not stale, f"rules for routes that do not exist: {stale}"

    def test_scoped_and_owned_rules_build_two_objects(self) -> None:
        for r in RULES.values():
            assert r.build is not None, r.key
            if r.access in (SCOPED, OWNED):
                assert r.build_other is not None, f"{r.key} needs build_other (an out-of-scope object)"
            if r.access in (ROLE, SCOPED):
                assert r.roles, f"{r.key} names no roles"


def expected(r: Rule, who: Actor | None, target: Target, *, own: bool) -> tuple[int, ...]:
    """The status codes a caller must get for one request."""
    if r.access == PUBLIC:
        return r.ok
    if who is None:
        return (401,)
    if r.access == AUTHENTICATED:
        return r.ok
    if r.access == OWNED:
        return r.ok if own else (404,)
    if not who.has_role(*r.roles):
        return (403,)
    if r.access == ROLE:
        return r.ok
    try:
        ensure_in_scope(who, target.area_code, roles=r.roles, unit_id=target.unit_id)
    except NotFound:
        return (404,)
    return r.ok


def send(client: TestClient, method: str, target: Target, headers: dict[str, str]) -> Any:
    return client.request(
        method, target.path, headers=headers, json=target.json, params=target.params, data=target.data
    )


CASES = [pytest.param(r, p, id=f"{r.method} {r.path} | {p}") for r in RULES.values() for p in PRINCIPALS]


@pytest.mark.parametrize(("rule", "principal"), CASES)
def test_access(rule: Rule, principal: str, client: TestClient, session: Session, settings: Settings) -> None:
    if principal == "xixing_admin":
        make_account(session, "xixing_admin", Role.DISTRICT_ADMIN, "330108001")
    who = None if principal == "anonymous" else actor(session, principal)
    headers = {} if who is None else auth(session, principal)
    area_a = actor(session, "gridworker").grants[0].area_code
    area_b = areas.list_areas(session, level=AreaLevel.GRID, within="330108001")[0].code
    ctx = Ctx(session=session, who=who, settings=settings, area_a=area_a, area_b=area_b)
    assert rule.build is not None
    builds = [(rule.build, True)] + ([(rule.build_other, False)] if rule.build_other else [])
    for build, own in builds:
        assert build is not None
        target = build(ctx)
        response = send(client, rule.method, target, headers)
        want = expected(rule, who, target, own=own)
        assert response.status_code in want, (
            f"{principal} {rule.method} {target.path} (area {target.area_code}): "
            f"got {response.status_code} {response.text[:300]}, expected {want}"
        )
        if response.status_code == 404 and rule.access in (SCOPED, OWNED):
            assert response.json()["error"]["code"] == "not_found"
