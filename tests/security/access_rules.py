"""Who may call each /api/v1 route, and how to build an object for it (the access matrix).

Every (method, path) of the API must appear here or in tests/<module>/access_rules.py (loaded by
load_all_rules); tests/security/test_access_matrix.py fails for any route
without a rule and checks every rule for every demo role, an extra street-level administrator and an
anonymous caller. Adding a rule for a new route is a few lines::

    rule("GET", "/api/v1/cases/{case_id}", SCOPED, roles=STAFF,
         build=lambda c: Target(f"/api/v1/cases/{make_case(c.session, c.area_a).id}", c.area_a),
         build_other=lambda c: Target(f"/api/v1/cases/{make_case(c.session, c.area_b).id}", c.area_b))

Access kinds:
- PUBLIC: anyone, signed in or not.
- AUTHENTICATED: any signed-in account (anonymous → 401).
- ROLE: signed in with one of ``roles`` (others → 403, anonymous → 401).
- SCOPED: ROLE, and the object's area must lie in one of the caller's grants of those roles (else 404);
  ``build`` makes an object in area A (长河街道, the demo grid worker's grid), ``build_other`` one in area
  B (西兴街道); the expected answer for each caller follows from its grants.
- OWNED: signed in; the object belongs to the caller (``build`` makes the caller's own object,
  ``build_other`` someone else's, which must be 404).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.areas import service as areas
from pingan.core.config import Settings
from pingan.core.pii import protector_for
from pingan.core.security import Actor, Role

PUBLIC, AUTHENTICATED, ROLE, SCOPED, OWNED = "public", "authenticated", "role", "scoped", "owned"
STAFF = (
    Role.DISTRICT_ADMIN,
    Role.STREET_OPERATOR,
    Role.DEPARTMENT_HANDLER,
    Role.GRID_WORKER,
    Role.LIAISON_CADRE,
    Role.PATROL_VOLUNTEER,
    Role.SECTOR_CLERK,
)
ADMIN = (Role.DISTRICT_ADMIN,)
AUDITOR = (Role.AUDITOR,)
_serial = itertools.count(1)


@dataclass
class Ctx:
    """What a builder gets: the test's session, the caller (None = anonymous) and the two areas."""

    session: Session
    who: Actor | None
    settings: Settings
    area_a: str  # the demo grid worker's grid (长河街道 330108002)
    area_b: str  # a grid of 西兴街道 330108001

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(_serial)}"


@dataclass
class Target:
    """One concrete request: path, area of the object it touches, and body/query/form."""

    path: str
    area_code: str | None = None
    json: Any = None
    params: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    unit_id: int | None = None


Builder = Callable[[Ctx], Target]


@dataclass
class Rule:
    method: str
    path: str
    access: str
    roles: tuple[Role, ...] = ()
    build: Builder | None = None
    build_other: Builder | None = None
    ok: tuple[int, ...] = (200,)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


RULES: dict[tuple[str, str], Rule] = {}


def rule(method: str, path: str, access: str, **kwargs: Any) -> Rule:
    """Declare the access rule of one route."""
    declared = Rule(method.upper(), path, access, **kwargs)
    if declared.key in RULES:
        raise ValueError(f"two rules for {declared.key}")
    RULES[declared.key] = declared
    return declared


# --- helpers for builders -----------------------------------------------------------------------------


def staff_account(c: Ctx, area_code: str, *, role: Role = Role.GRID_WORKER, phone: str | None = None) -> int:
    """An account holding ``role`` on ``area_code`` (created as the system, so it exists for any caller)."""
    account = accounts.create_account_in_scope(
        c.session,
        Actor.system("matrix"),
        username=c.unique("matrix_user_"),
        password="matrix-password",
        role=role,
        area_code=area_code,
        phone=phone,
        protector=protector_for(c.settings),
    )
    return account.id


def own_token(c: Ctx) -> int:
    """A personal token of the caller (of the admin for anonymous callers)."""
    owner = c.who if c.who is not None and c.who.account_id else None
    account_id = owner.account_id if owner else accounts.get_account_by_username(c.session, "admin").id
    token, _secret = accounts.create_personal_token(
        c.session, Actor.system("matrix"), name="matrix", account_id=account_id
    )
    return token.id


def someone_elses_token(c: Ctx) -> int:
    other = staff_account(c, c.area_b)
    token, _secret = accounts.create_personal_token(
        c.session, Actor.system("matrix"), name="x", account_id=other
    )
    return token.id


def first_grant(c: Ctx, account_id: int) -> int:
    return accounts.get_account(c.session, account_id).grants[0].id


def community_of(c: Ctx, grid_code: str) -> str:
    area = areas.get_area(c.session, grid_code)
    return area.parent_code or grid_code


# --- auth ---------------------------------------------------------------------------------------------

rule(
    "POST",
    "/api/v1/auth/token",
    PUBLIC,
    build=lambda c: Target("/api/v1/auth/token", data={"username": "auditor", "password": "pingan-demo"}),
)
rule("GET", "/api/v1/auth/me", AUTHENTICATED, build=lambda c: Target("/api/v1/auth/me"))
rule("POST", "/api/v1/auth/logout", AUTHENTICATED, build=lambda c: Target("/api/v1/auth/logout"), ok=(204,))

# --- areas: boundaries and the locator are public (maps, resident reports) ----------------------------

rule("GET", "/api/v1/areas", PUBLIC, build=lambda c: Target("/api/v1/areas", params={"max_level": "street"}))
rule(
    "GET",
    "/api/v1/areas/geojson",
    PUBLIC,
    build=lambda c: Target("/api/v1/areas/geojson", params={"level": "street"}),
)
rule(
    "GET",
    "/api/v1/areas/{code}",
    PUBLIC,
    build=lambda c: Target(f"/api/v1/areas/{c.area_a}", c.area_a),
    notes="households/population only inside the caller's scope (tests/security/test_areas_redaction.py)",
)
rule("GET", "/api/v1/areas/roads", PUBLIC, build=lambda c: Target("/api/v1/areas/roads"))
rule(
    "GET",
    "/api/v1/locate",
    PUBLIC,
    build=lambda c: Target("/api/v1/locate", params={"lon": 120.2, "lat": 30.2}),
)
rule(
    "POST",
    "/api/v1/locate",
    PUBLIC,
    build=lambda c: Target("/api/v1/locate", json={"points": [[120.2, 30.2]], "crs": "wgs84"}),
)

# --- accounts: the signed-in account's own tokens -----------------------------------------------------

rule("GET", "/api/v1/accounts/me/tokens", AUTHENTICATED, build=lambda c: Target("/api/v1/accounts/me/tokens"))
rule(
    "POST",
    "/api/v1/accounts/me/tokens",
    AUTHENTICATED,
    build=lambda c: Target("/api/v1/accounts/me/tokens", json={"name": "matrix", "days": 7}),
    ok=(201,),
)
rule(
    "DELETE",
    "/api/v1/accounts/me/tokens/{token_id}",
    OWNED,
    build=lambda c: Target(f"/api/v1/accounts/me/tokens/{own_token(c)}"),
    build_other=lambda c: Target(f"/api/v1/accounts/me/tokens/{someone_elses_token(c)}"),
    ok=(204,),
)

# --- accounts: administration (district_admin, scoped by the target account's grants) -----------------

rule("GET", "/api/v1/accounts", ROLE, roles=ADMIN, build=lambda c: Target("/api/v1/accounts"))
rule(
    "POST",
    "/api/v1/accounts",
    SCOPED,
    roles=ADMIN,
    build=lambda c: Target(
        "/api/v1/accounts",
        c.area_a,
        json={
            "username": c.unique("matrix_new_"),
            "password": "violet-harbour-lamp",
            "role": "grid_worker",
            "area_code": c.area_a,
        },
    ),
    build_other=lambda c: Target(
        "/api/v1/accounts",
        c.area_b,
        json={
            "username": c.unique("matrix_new_"),
            "password": "violet-harbour-lamp",
            "role": "grid_worker",
            "area_code": c.area_b,
        },
    ),
    ok=(201,),
)


def _account_rule(
    method: str, suffix: str, *, ok: tuple[int, ...] = (200,), json: Any = None, phone: bool = False
) -> None:
    def build_in(area: Callable[[Ctx], str]) -> Builder:
        def _build(c: Ctx) -> Target:
            account_id = staff_account(c, area(c), phone="13912345678" if phone else None)
            path = f"/api/v1/accounts/{account_id}{suffix}"
            if "{grant_id}" in path:
                path = path.replace("{grant_id}", str(first_grant(c, account_id)))
            if "{token_id}" in path:
                token, _s = accounts.create_personal_token(
                    c.session, Actor.system("matrix"), name="t", account_id=account_id
                )
                path = path.replace("{token_id}", str(token.id))
            body = json(c, area(c)) if callable(json) else json
            return Target(path, area(c), json=body)

        return _build

    rule(
        method,
        "/api/v1/accounts/{account_id}" + suffix,
        SCOPED,
        roles=ADMIN,
        build=build_in(lambda c: c.area_a),
        build_other=build_in(lambda c: c.area_b),
        ok=ok,
    )


_account_rule("GET", "")
_account_rule("POST", "/disable")
_account_rule("POST", "/enable")
_account_rule(
    "POST",
    "/grants",
    ok=(201,),
    json=lambda c, area: {"role": "liaison_cadre", "area_code": area},
)
_account_rule("DELETE", "/grants/{grant_id}", ok=(204,))
_account_rule(
    "POST",
    "/reveal",
    json={"fields": ["phone"], "purpose": "contact", "reason": "call about a case"},
    phone=True,
)
_account_rule("POST", "/password", json={"password": "amber-window-quietly"})
_account_rule("GET", "/tokens")
_account_rule("POST", "/open311-keys", ok=(201,), json={"name": "partner app"})
_account_rule("DELETE", "/tokens/{token_id}", ok=(204,))

# --- audit (auditors only; records filtered by the auditor's scope, see tests/audit) ------------------

rule(
    "GET", "/api/v1/audit", ROLE, roles=AUDITOR, build=lambda c: Target("/api/v1/audit", params={"limit": 5})
)

# --- other modules: their rules live in tests/<module>/access_rules.py, found by load_all_rules() ----------


def load_all_rules() -> dict[tuple[str, str], Rule]:
    """Import every ``tests/<module>/access_rules.py`` (each registers its routes with :func:`rule`)."""
    import importlib
    from pathlib import Path

    tests_dir = Path(__file__).resolve().parents[1]
    for path in sorted(tests_dir.glob("*/access_rules.py")):
        if path.parent.name != "security":
            importlib.import_module(f"tests.{path.parent.name}.access_rules")
    return RULES
