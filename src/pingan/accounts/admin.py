"""Administration (district_admin, scoped; every change audited): accounts, grants, passwords, phones."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pingan.accounts.account import create_account, get_account, hash_password, set_active, set_phone
from pingan.accounts.grants import grant_role
from pingan.accounts.models import Account, ApiToken, RoleGrant
from pingan.accounts.passwords import check_password
from pingan.accounts.scope import ADMIN_ROLES, get_account_in_scope, home_area, parse_role, visible_accounts
from pingan.areas.service import get_area
from pingan.audit import pii_service
from pingan.audit.service import record
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, ValidationFailed
from pingan.core.pii import Protector
from pingan.core.security import Actor, Role, require_role, scope_prefix


def set_password(session: Session, actor: Actor, *, account_id: int, password: str) -> Account:
    """A new password for an account (same rule as at creation; tokens and sessions are revoked; audited)."""
    account = (
        get_account(session, account_id)
        if actor.is_system
        else get_account_in_scope(session, actor, account_id=account_id)
    )
    check_password(password, username=account.username, display_name=account.display_name)
    account.password_hash = hash_password(password)
    account.failed_logins, account.locked_until = 0, None
    for token in session.scalars(select(ApiToken).where(ApiToken.account_id == account.id)):
        token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    record(
        session,
        actor,
        action="account.password",
        subject_type="account",
        subject_id=account.id,
        details={"username": account.username},
    )
    return account


def list_accounts_in_scope(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Account], int]:
    """Accounts an administrator may manage, filtered and paginated, with the total."""
    require_role(actor, *ADMIN_ROLES)
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit must be between 1 and 500", field="limit")
    if offset < 0:
        raise ValidationFailed("offset cannot be negative", field="offset")
    conds = [visible_accounts(actor)]
    if q:
        pattern = f"%{q.strip().lower()}%"
        conds.append(
            or_(func.lower(Account.username).like(pattern), func.lower(Account.display_name).like(pattern))
        )
    if role:
        conds.append(
            Account.id.in_(select(RoleGrant.account_id).where(RoleGrant.role == parse_role(role).value))
        )
    if active is not None:
        conds.append(Account.is_active.is_(active))
    total = session.scalar(select(func.count()).select_from(Account).where(*conds)) or 0
    rows = session.scalars(
        select(Account).where(*conds).order_by(Account.username).limit(limit).offset(offset)
    )
    return list(rows), total


def _ensure_area_in_scope(session: Session, actor: Actor, area_code: str) -> None:
    try:
        get_area(session, area_code)
    except NotFound:
        raise ValidationFailed(f"no area with code {area_code}", field="area_code") from None
    if not actor.can_see_area(area_code, ADMIN_ROLES):
        raise NotFound(f"no area {area_code} in your scope", field="area_code")


def _ensure_unit(session: Session, role: Role, unit_id: int | None) -> None:
    from pingan.units.service import get_unit

    if unit_id is not None:
        try:
            get_unit(session, unit_id)
        except NotFound:
            raise ValidationFailed(f"no unit {unit_id}", field="unit_id") from None
    elif role is Role.DEPARTMENT_HANDLER:
        raise ValidationFailed("a department handler needs the unit they work for", field="unit_id")


def create_account_in_scope(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: Role | str,
    area_code: str,
    unit_id: int | None = None,
    display_name: str = "",
    phone: str | None = None,
    protector: Protector | None = None,
) -> Account:
    """A new account with its first role grant on an area inside the administrator's scope."""
    require_role(actor, *ADMIN_ROLES)
    role = parse_role(role)
    _ensure_area_in_scope(session, actor, area_code)
    _ensure_unit(session, role, unit_id)
    account = create_account(session, username=username, password=password, display_name=display_name)
    if phone:
        if protector is None:
            raise ValueError("a Protector is needed to store a phone number")
        set_phone(session, account, phone=phone, protector=protector)
    grant_role(session, account_id=account.id, role=role, area_code=area_code, unit_id=unit_id)
    record(
        session,
        actor,
        action="account.create",
        subject_type="account",
        subject_id=account.id,
        area_code=area_code,
        details={"username": username, "role": role.value, "unit_id": unit_id},
    )
    return account


def grant_role_in_scope(
    session: Session,
    actor: Actor,
    *,
    account_id: int,
    role: Role | str,
    area_code: str,
    unit_id: int | None = None,
) -> RoleGrant:
    """Grant a role on an area inside the administrator's scope (audited)."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    role = parse_role(role)
    _ensure_area_in_scope(session, actor, area_code)
    _ensure_unit(session, role, unit_id)
    grant = grant_role(session, account_id=account.id, role=role, area_code=area_code, unit_id=unit_id)
    record(
        session,
        actor,
        action="role.grant",
        subject_type="account",
        subject_id=account.id,
        area_code=area_code,
        details={"username": account.username, "role": role.value, "unit_id": unit_id},
    )
    return grant


def revoke_grant_in_scope(session: Session, actor: Actor, *, account_id: int, grant_id: int) -> None:
    """Remove one grant whose area lies inside the administrator's scope (audited)."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    grant = next((g for g in account.grants if g.id == grant_id), None)
    if grant is None or not actor.can_see_area(grant.area_code, ADMIN_ROLES):
        raise NotFound(f"no grant {grant_id} on account {account_id}", field="grant_id")
    if account.id == actor.account_id and grant.role == Role.DISTRICT_ADMIN.value:
        raise Conflict("you cannot revoke your own administrator grant", field="grant_id")
    details = {"username": account.username, "role": grant.role, "unit_id": grant.unit_id}
    area_code = grant.area_code
    session.delete(grant)
    session.flush()
    session.expire(account, ["grants"])
    record(
        session,
        actor,
        action="role.revoke",
        subject_type="account",
        subject_id=account.id,
        area_code=area_code,
        details=details,
    )


def revoke_role_in_scope(
    session: Session, actor: Actor, *, account_id: int, role: Role | str, area_code: str | None = None
) -> int:
    """Remove an account's grants of one role (on one area, or all in scope); returns how many went."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    role = parse_role(role)
    ids = [
        g.id
        for g in account.grants
        if g.role == role.value and (area_code is None or g.area_code == area_code)
    ]
    for grant_id in ids:
        revoke_grant_in_scope(session, actor, account_id=account_id, grant_id=grant_id)
    return len(ids)


def set_active_in_scope(session: Session, actor: Actor, *, account_id: int, active: bool) -> Account:
    """Disable (revoking every token) or re-enable an account inside the administrator's scope."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    if not active and account.id == actor.account_id:
        raise Conflict("you cannot disable your own account", field="account_id")
    set_active(session, account_id=account.id, active=active)
    if active:
        account.failed_logins, account.locked_until = 0, None
    record(
        session,
        actor,
        action="account.enable" if active else "account.disable",
        subject_type="account",
        subject_id=account.id,
        area_code=home_area(account, actor),
        details={"username": account.username},
    )
    return account


def reveal_phone(
    session: Session,
    actor: Actor,
    *,
    account_id: int,
    reason: str | None,
    protector: Protector,
    purpose: str | None = None,
) -> str:
    """An account's full contact phone for an administrator in scope, with a reason (audited)."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    area_code = home_area(account, actor)
    if area_code is None:  # no grants: only district-wide administrators got this far
        district = [g.area_code for g in actor.grants_for(ADMIN_ROLES) if len(scope_prefix(g.area_code)) <= 6]
        area_code = district[0] if district else None
    return pii_service.reveal(
        session,
        actor,
        protector=protector,
        subject_type="account",
        subject_id=account.id,
        area_code=area_code,
        field="phone",
        ciphertext=account.phone_enc,
        reason=reason,
        purpose=purpose,
        roles=ADMIN_ROLES,
    )
