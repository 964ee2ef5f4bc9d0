"""Role grants: a role on an area scope (the unchecked building blocks; admins use ``admin``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.accounts.account import get_account
from pingan.accounts.models import RoleGrant
from pingan.areas.service import get_area
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Role


def grant_role(
    session: Session, *, account_id: int, role: Role | str, area_code: str, unit_id: int | None = None
) -> RoleGrant:
    """Grant a role on an area scope (idempotent)."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(f"unknown role {role!r}", field="role") from None
    try:
        get_area(session, area_code)
    except NotFound:
        raise ValidationFailed(f"no area with code {area_code}", field="area_code") from None
    existing = session.scalar(
        select(RoleGrant).where(
            RoleGrant.account_id == account_id,
            RoleGrant.role == role.value,
            RoleGrant.area_code == area_code,
            RoleGrant.unit_id.is_(None) if unit_id is None else RoleGrant.unit_id == unit_id,
        )
    )
    if existing is not None:
        return existing
    grant = RoleGrant(account_id=account_id, role=role.value, area_code=area_code, unit_id=unit_id)
    session.add(grant)
    session.flush()
    session.expire(get_account(session, account_id), ["grants"])
    return grant


def revoke_role(session: Session, *, account_id: int, role: Role | str, area_code: str | None = None) -> int:
    """Remove grants of a role (on one area, or all); returns how many were removed."""
    grants = session.scalars(
        select(RoleGrant).where(RoleGrant.account_id == account_id, RoleGrant.role == str(role))
    )
    removed = 0
    for grant in grants:
        if area_code is None or grant.area_code == area_code:
            session.delete(grant)
            removed += 1
    session.flush()
    session.expire(get_account(session, account_id), ["grants"])
    return removed
