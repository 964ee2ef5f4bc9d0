"""Accounts: create, authenticate (argon2), grant roles on area scopes, issue bearer tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.accounts.models import Account, ApiToken, RoleGrant
from pingan.areas.service import get_area
from pingan.core.clock import as_utc, utcnow
from pingan.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from pingan.core.security import Actor, Grant, Role

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 8
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
ACCESS_TOKEN_TTL = timedelta(hours=12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD} characters", field="password")


def create_account(
    session: Session, *, username: str, password: str, display_name: str = "", is_demo: bool = False
) -> Account:
    """A new account; usernames are unique and passwords hashed with argon2id."""
    if not USERNAME_RE.match(username):
        raise ValidationFailed("username: 3–64 letters, digits or _ . @ -", field="username")
    _validate_password(password)
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise Conflict(f"username {username} is taken", field="username")
    account = Account(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        is_demo=is_demo,
    )
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}", field="account_id")
    return account


def get_account_by_username(session: Session, username: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise NotFound(f"no account {username}", field="username")
    return account


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.username)))


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


def set_active(session: Session, *, account_id: int, active: bool) -> Account:
    account = get_account(session, account_id)
    account.is_active = active
    if not active:
        for token in session.scalars(select(ApiToken).where(ApiToken.account_id == account_id)):
            token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return account


def authenticate(session: Session, *, username: str, password: str, now: datetime | None = None) -> Account:
    """Check a password; repeated failures lock the account for a while."""
    now = now or utcnow()
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        _hasher.hash(password)  # same cost whether or not the user exists
        raise Unauthorized("wrong username or password", code="bad_credentials")
    if account.locked_until is not None and as_utc(account.locked_until) > now:
        raise Unauthorized("too many failed attempts; try again later", code="locked")
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        account.failed_logins += 1
        if account.failed_logins >= LOCK_AFTER:
            account.locked_until = now + LOCK_FOR
            account.failed_logins = 0
        session.flush()
        raise Unauthorized("wrong username or password", code="bad_credentials") from None
    if not account.is_active:
        raise Unauthorized("this account is disabled", code="disabled")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    session.flush()
    return account


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    account_id: int,
    kind: str = "access",
    name: str = "",
    ttl: timedelta | None = ACCESS_TOKEN_TTL,
) -> str:
    """A new bearer token for the account; only its digest is stored."""
    secret = f"pa_{secrets.token_urlsafe(32)}"
    session.add(
        ApiToken(
            account_id=account_id,
            digest=_digest(secret),
            kind=kind,
            name=name,
            expires_at=utcnow() + ttl if ttl else None,
        )
    )
    session.flush()
    return secret


def account_for_token(session: Session, secret: str, *, kinds: tuple[str, ...] | None = None) -> Account:
    """The active account behind a bearer token, or Unauthorized."""
    token = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(secret)))
    now = utcnow()
    if (
        token is None
        or token.revoked_at is not None
        or (kinds and token.kind not in kinds)
        or (token.expires_at is not None and as_utc(token.expires_at) <= now)
    ):
        raise Unauthorized("invalid or expired token", code="bad_token")
    account = session.get(Account, token.account_id)
    if account is None or not account.is_active:
        raise Unauthorized("invalid or expired token", code="bad_token")
    return account


def revoke_token(session: Session, secret: str) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(secret)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()


def actor_for(account: Account, *, client_ip: str | None = None) -> Actor:
    """The Actor (roles and scopes) of an account."""
    grants = tuple(Grant(Role(g.role), g.area_code, g.unit_id) for g in account.grants)
    return Actor(
        account_id=account.id,
        username=account.username,
        grants=grants,
        client_ip=client_ip,
        display_name=account.display_name,
    )
