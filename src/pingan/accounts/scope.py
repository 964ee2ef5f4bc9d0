"""What an administrator may manage: accounts holding a grant inside the admin's scope."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from pingan.accounts.models import Account, RoleGrant
from pingan.core.errors import NotFound, ValidationFailed
from pingan.core.security import Actor, Role, require_role, scope_clause

ADMIN_ROLES = (Role.DISTRICT_ADMIN,)


def visible_accounts(actor: Actor) -> ColumnElement[bool]:
    """Accounts holding a grant inside the admin's scope; district-wide admins also see ungranted ones."""
    granted = select(RoleGrant.account_id).where(scope_clause(RoleGrant.area_code, actor, roles=ADMIN_ROLES))
    cond: ColumnElement[bool] = Account.id.in_(granted)
    if actor.has_district_scope(ADMIN_ROLES):
        cond = or_(cond, ~Account.id.in_(select(RoleGrant.account_id)))
    return cond


def get_account_in_scope(session: Session, actor: Actor, *, account_id: int) -> Account:
    """One account the administrator may manage (404 when missing or outside the scope)."""
    require_role(actor, *ADMIN_ROLES)
    account = session.scalar(select(Account).where(Account.id == account_id, visible_accounts(actor)))
    if account is None:
        raise NotFound(f"no account {account_id}", field="account_id")
    return account


def home_area(account: Account, actor: Actor) -> str | None:
    """The first of the account's grant areas that lies in the actor's scope (for audit records)."""
    for grant in account.grants:
        if actor.can_see_area(grant.area_code, ADMIN_ROLES):
            return grant.area_code
    return account.grants[0].area_code if account.grants else None


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"unknown role {role!r}; one of: {names}", field="role") from None
