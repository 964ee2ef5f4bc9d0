"""Who is acting, what they may see: roles, grants on area scopes, and the one scoping helper.

Every query for area-owned rows goes through :func:`in_scope`; every single-object check goes
through :func:`ensure_in_scope`. Out-of-scope objects are reported as missing (404), never as
forbidden, so that their existence does not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, true

from pingan.core.errors import Forbidden, NotFound, PinganError


class Role(StrEnum):
    """Roles of the platform; each is granted on an area scope (and for handlers, a unit)."""

    DISTRICT_ADMIN = "district_admin"  # 区级指挥长/管理员
    STREET_OPERATOR = "street_operator"  # 街道指挥室操作员
    DEPARTMENT_HANDLER = "department_handler"  # 职能部门处置人员
    GRID_WORKER = "grid_worker"  # 网格员/网格长
    LIAISON_CADRE = "liaison_cadre"  # 联系干部
    PATROL_VOLUNTEER = "patrol_volunteer"  # 平安巡防队员
    SECTOR_CLERK = "sector_clerk"  # 行业填报员: 快递网点、学校食堂、药店、河长
    RESIDENT = "resident"  # 居民
    AUDITOR = "auditor"  # 审计员


# Roles that work on area-owned rows by area scope; a resident sees only their own rows and an
# auditor only the audit trail.
AREA_ROLES = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.STREET_OPERATOR,
        Role.DEPARTMENT_HANDLER,
        Role.GRID_WORKER,
        Role.LIAISON_CADRE,
        Role.PATROL_VOLUNTEER,
        Role.SECTOR_CLERK,
    }
)


@dataclass(frozen=True)
class Grant:
    """One role on one area scope, optionally tied to a unit (a department handler's unit)."""

    role: Role
    area_code: str
    unit_id: int | None = None


@dataclass(frozen=True)
class Actor:
    """The person (or system job) doing something, with everything needed for scope checks."""

    account_id: int | None
    username: str
    grants: tuple[Grant, ...] = ()
    is_system: bool = False
    client_ip: str | None = None
    display_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """An actor for jobs and the CLI: unrestricted, but still named in the audit trail."""
        return cls(account_id=None, username=name, is_system=True, display_name=name)

    @classmethod
    def scoped_to(cls, area_code: str, role: Role = Role.DISTRICT_ADMIN) -> Actor:
        """A stand-in actor whose only scope is one area (to filter rows "inside area X" the scoped way)."""
        return cls(account_id=None, username=f"scope:{area_code}", grants=(Grant(role, area_code),))

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: Role) -> bool:
        """Whether the actor holds any of the roles (the system actor holds all)."""
        return self.is_system or any(g.role in roles for g in self.grants)

    def grants_for(self, roles: Iterable[Role] | None = None) -> list[Grant]:
        wanted = set(roles) if roles is not None else set(AREA_ROLES)
        return [g for g in self.grants if g.role in wanted]

    def area_prefixes(self, roles: Iterable[Role] | None = None) -> list[str]:
        """The area codes this actor may see through the given roles."""
        return sorted({g.area_code for g in self.grants_for(roles)})

    def can_see_area(self, area_code: str | None, roles: Iterable[Role] | None = None) -> bool:
        """Whether an object in ``area_code`` lies inside one of the actor's scopes."""
        if self.is_system:
            return True
        if area_code is None:
            return False
        return any(area_code.startswith(scope_prefix(g.area_code)) for g in self.grants_for(roles))

    def has_district_scope(self, roles: Iterable[Role] | None = None) -> bool:
        """Whether a grant covers a whole district (or more): only such scopes see rows without an area."""
        return self.is_system or any(len(scope_prefix(g.area_code)) <= 6 for g in self.grants_for(roles))


def scope_prefix(area_code: str) -> str:
    """The code prefix shared by everything inside an area.

    Districts, streets, communities and grids nest by prefix already (330108 → 330108001 → …).
    Province and city codes are padded with zeros (330000, 330100), so their significant part is used.
    """
    if len(area_code) == 6 and area_code.endswith("0000"):
        return area_code[:2]
    if len(area_code) == 6 and area_code.endswith("00"):
        return area_code[:4]
    return area_code


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse (403) an action that needs one of ``roles``."""
    if not actor.has_role(*roles):
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"this action needs one of the roles: {names}", code="role_required")


def scope_clause(
    area_column: Any, actor: Actor, *, roles: Iterable[Role] | None = None, unit_column: Any = None
) -> ColumnElement[bool]:
    """The SQL condition "row is inside the actor's scope".

    A row is visible through a grant when its area code starts with the grant's area code; for grants
    tied to a unit (department handlers) the row must also belong to that unit when ``unit_column`` is
    given.
    """
    if actor.is_system:
        return true()
    clauses: list[ColumnElement[bool]] = []
    for grant in actor.grants_for(roles):
        cond: ColumnElement[bool] = area_column.startswith(scope_prefix(grant.area_code), autoescape=True)
        if grant.unit_id is not None and unit_column is not None:
            cond = and_(cond, unit_column == grant.unit_id)
        clauses.append(cond)
    if not clauses:
        return false()
    return or_(*clauses)


S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def in_scope(
    stmt: S, area_column: Any, actor: Actor, *, roles: Iterable[Role] | None = None, unit_column: Any = None
) -> S:
    """Restrict a SELECT to rows inside the actor's scope (the one scoping mechanism)."""
    return stmt.where(scope_clause(area_column, actor, roles=roles, unit_column=unit_column))


def ensure_in_scope(
    actor: Actor,
    area_code: str | None,
    *,
    what: str = "object",
    roles: Iterable[Role] | None = None,
    unit_id: int | None = None,
) -> None:
    """Raise NotFound (not Forbidden) when one object lies outside the actor's scope."""
    if actor.is_system:
        return
    for grant in actor.grants_for(roles):
        if area_code is not None and area_code.startswith(scope_prefix(grant.area_code)):
            if grant.unit_id is None or unit_id is None or grant.unit_id == unit_id:
                return
    raise NotFound(f"{what} not found")


# Magic bytes of the image formats accepted for uploads (content decides, never the file name).
_IMAGE_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
IMAGE_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
}


def sniff_image(data: bytes, *, field: str = "photo") -> str:
    """The MIME type of an uploaded image judged by its first bytes; 415 naming the field otherwise."""
    for offset, magic, mime in _IMAGE_SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return "image/heic"
    raise PinganError(
        f"{field}: not an image (JPEG, PNG, WebP, GIF or HEIC expected, judged by content)",
        code="unsupported_media_type",
        field=field,
        status=415,
    )
