"""Accounts: create, authenticate (argon2), grant roles on area scopes, issue bearer tokens.

The ``*_in_scope`` functions are the administrators' versions (API and CLI): they check the
district_admin role and area scope and write an audit record for every change.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Engine, event, func, inspect, or_, select
from sqlalchemy.orm import Session

from pingan.accounts.models import Account, ApiToken, RoleGrant
from pingan.accounts.passwords import check_password
from pingan.accounts.throttle import FREE_FAILURES, delay_after
from pingan.areas.service import get_area
from pingan.audit import pii_service
from pingan.audit.service import record
from pingan.core.clock import as_utc, utcnow
from pingan.core.db import base_engine
from pingan.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from pingan.core.pii import Protector, protect_phone
from pingan.core.security import Actor, Grant, Role, require_role, scope_clause, scope_prefix

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
ACCESS_TOKEN_TTL = timedelta(hours=12)
BEARER_KINDS = ("access", "personal")  # open311 keys and browser sessions are not bearer tokens
TOKEN_KINDS = ("access", "personal", "open311", "session")
MAX_PERSONAL_TOKEN_DAYS = 366
TOUCH_EVERY = timedelta(minutes=5)
ADMIN_ROLES = (Role.DISTRICT_ADMIN,)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_account(
    session: Session, *, username: str, password: str, display_name: str = "", is_demo: bool = False
) -> Account:
    """A new account; usernames are unique and passwords hashed with argon2id."""
    if not USERNAME_RE.match(username):
        raise ValidationFailed("username: 3–64 letters, digits or _ . @ -", field="username")
    check_password(password, username=username, display_name=display_name, is_demo=is_demo)
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


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime | None = None,
    client_ip: str | None = None,
) -> Account:
    """Check a password. An unknown name costs the same (a dummy hash is verified) and fails the same way.

    There is no lockout: the web layer delays further attempts (``accounts.throttle``), by name and client,
    whether or not the account exists. Here consecutive failures are counted on the account for its
    administrators (``locked_until`` notes until when further attempts are delayed), and audited once they
    reach ``throttle.FREE_FAILURES``.
    """
    now = now or utcnow()
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        _verify(_dummy_hash(), password)  # same cost whether or not the user exists
        raise Unauthorized("wrong username or password", code="bad_credentials")
    if not _verify(account.password_hash, password):
        account.failed_logins += 1
        delay = delay_after(account.failed_logins)
        account.locked_until = now + timedelta(seconds=delay) if delay else None
        if account.failed_logins == FREE_FAILURES:
            who = Actor(account_id=account.id, username=account.username, client_ip=client_ip)
            record(
                session,
                who,
                action="account.sign_in_delayed",
                subject_type="account",
                subject_id=account.id,
                details={"failures": account.failed_logins},
            )
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


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy: list[str] = []


def _dummy_hash() -> str:
    """An argon2 hash of a random secret, verified for unknown names (made once per process)."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


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
    return _new_token(session, account_id=account_id, kind=kind, name=name, ttl=ttl)[1]


def _new_token(
    session: Session, *, account_id: int, kind: str, name: str, ttl: timedelta | None
) -> tuple[ApiToken, str]:
    if kind not in TOKEN_KINDS:
        raise ValidationFailed(f"token kind must be one of {', '.join(TOKEN_KINDS)}", field="kind")
    secret = f"pa_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        account_id=account_id,
        digest=_digest(secret),
        kind=kind,
        name=name,
        expires_at=utcnow() + ttl if ttl else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def account_for_token(session: Session, secret: str, *, kinds: tuple[str, ...] | None = None) -> Account:
    """The active account behind a token of one of ``kinds`` (default: bearer kinds), or Unauthorized."""
    token = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(secret)))
    now = utcnow()
    if (
        token is None
        or token.revoked_at is not None
        or token.kind not in (kinds or BEARER_KINDS)
        or (token.expires_at is not None and as_utc(token.expires_at) <= now)
    ):
        raise Unauthorized("invalid or expired token", code="bad_token")
    account = session.get(Account, token.account_id)
    if account is None or not account.is_active:
        raise Unauthorized("invalid or expired token", code="bad_token")
    stale = token.last_used_at is None or as_utc(token.last_used_at) < now - TOUCH_EVERY
    if stale and not session.info.get("read_only"):  # bookkeeping only where the request writes anyway
        token.last_used_at = now
        session.flush()
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


# --- remembered actors (the hot path of intake: no database read per request) ---------------------------

ACTOR_CACHE_SECONDS = 5.0  # a change by another server process is seen within this time
_remembered: dict[tuple[Engine, str, tuple[str, ...]], tuple[float, Actor]] = {}
_FORGET = "pingan_forget_actors"


def remembered_actor(engine: Engine, secret: str, kinds: tuple[str, ...] | None = None) -> Actor | None:
    """The actor of a token authenticated moments ago by this process, or None (then use
    :func:`authenticate_actor`)."""
    hit = _remembered.get((engine, _digest(secret), kinds or BEARER_KINDS))
    if hit is None or hit[0] < time.monotonic():
        return None
    return hit[1]


def authenticate_actor(
    session: Session, secret: str, *, kinds: tuple[str, ...] | None = None, client_ip: str | None = None
) -> Actor:
    """:func:`account_for_token` + :func:`actor_for`, remembered for a few seconds (never past the token's
    expiry). Any change to accounts, grants or tokens in this process forgets everything remembered."""
    account = account_for_token(session, secret, kinds=kinds)
    actor = actor_for(account)
    expires = session.scalar(select(ApiToken.expires_at).where(ApiToken.digest == _digest(secret)))
    ttl = ACTOR_CACHE_SECONDS
    if expires is not None:
        ttl = min(ttl, as_utc(expires).timestamp() - utcnow().timestamp())
    if ttl > 0:
        key = (base_engine(session.get_bind()), _digest(secret), kinds or BEARER_KINDS)
        _remembered[key] = (time.monotonic() + ttl, actor)
    return replace(actor, client_ip=client_ip) if client_ip else actor


def forget_actors() -> None:
    _remembered.clear()


@event.listens_for(Session, "before_flush")
def _note_account_changes(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Account | ApiToken | RoleGrant) and not _only_touched(session, obj):
            session.info[_FORGET] = True
            forget_actors()
            return


def _only_touched(session: Session, obj: object) -> bool:
    """A token whose last use was noted, and nothing else changed (not a reason to forget)."""
    if not isinstance(obj, ApiToken) or obj not in session.dirty:
        return False
    changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
    return changed <= {"last_used_at"}


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(_FORGET, False):
        forget_actors()  # again: a request may have remembered the old state before this commit


def demo_accounts(session: Session) -> list[str]:
    """Usernames of active demo accounts (published password): refused outside demo mode."""
    stmt = select(Account.username).where(Account.is_demo.is_(True), Account.is_active.is_(True))
    return list(session.scalars(stmt.order_by(Account.username)))


# --- administration (district_admin, scoped; every change audited) -------------------------------


def _visible_accounts(actor: Actor) -> ColumnElement[bool]:
    """Accounts holding a grant inside the admin's scope; district-wide admins also see ungranted ones."""
    granted = select(RoleGrant.account_id).where(scope_clause(RoleGrant.area_code, actor, roles=ADMIN_ROLES))
    cond: ColumnElement[bool] = Account.id.in_(granted)
    if actor.has_district_scope(ADMIN_ROLES):
        cond = or_(cond, ~Account.id.in_(select(RoleGrant.account_id)))
    return cond


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
    conds = [_visible_accounts(actor)]
    if q:
        pattern = f"%{q.strip().lower()}%"
        conds.append(
            or_(func.lower(Account.username).like(pattern), func.lower(Account.display_name).like(pattern))
        )
    if role:
        conds.append(Account.id.in_(select(RoleGrant.account_id).where(RoleGrant.role == _role(role).value)))
    if active is not None:
        conds.append(Account.is_active.is_(active))
    total = session.scalar(select(func.count()).select_from(Account).where(*conds)) or 0
    rows = session.scalars(
        select(Account).where(*conds).order_by(Account.username).limit(limit).offset(offset)
    )
    return list(rows), total


def get_account_in_scope(session: Session, actor: Actor, *, account_id: int) -> Account:
    """One account the administrator may manage (404 when missing or outside the scope)."""
    require_role(actor, *ADMIN_ROLES)
    account = session.scalar(select(Account).where(Account.id == account_id, _visible_accounts(actor)))
    if account is None:
        raise NotFound(f"no account {account_id}", field="account_id")
    return account


def home_area(account: Account, actor: Actor) -> str | None:
    """The first of the account's grant areas that lies in the actor's scope (for audit records)."""
    for grant in account.grants:
        if actor.can_see_area(grant.area_code, ADMIN_ROLES):
            return grant.area_code
    return account.grants[0].area_code if account.grants else None


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"unknown role {role!r}; one of: {names}", field="role") from None


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
    role = _role(role)
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


def set_phone(session: Session, account: Account, *, phone: str, protector: Protector) -> None:
    """Store an account's contact phone protected (encrypted, blind index, masked)."""
    protected = protect_phone(protector, phone)
    account.phone_enc, account.phone_index, account.phone_masked = protected
    session.flush()


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
    role = _role(role)
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
    role = _role(role)
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


# --- tokens -------------------------------------------------------------------------------------------


def create_personal_token(
    session: Session, actor: Actor, *, name: str, days: int | None = 90, account_id: int | None = None
) -> tuple[ApiToken, str]:
    """A personal API token (the secret is returned once): one's own, or for an account an admin manages."""
    owner_id = actor.account_id if account_id is None else account_id
    if owner_id is None:
        raise ValidationFailed("personal tokens belong to an account", field="account")
    if owner_id != actor.account_id:
        get_account_in_scope(session, actor, account_id=owner_id)
    name = _token_name(name)
    if days is not None and not 1 <= days <= MAX_PERSONAL_TOKEN_DAYS:
        raise ValidationFailed(f"days must be between 1 and {MAX_PERSONAL_TOKEN_DAYS}", field="days")
    token, secret = _new_token(
        session, account_id=owner_id, kind="personal", name=name, ttl=timedelta(days=days) if days else None
    )
    record(
        session,
        actor,
        action="token.create",
        subject_type="account",
        subject_id=owner_id,
        details={"token_id": token.id, "kind": "personal", "name": name, "days": days},
    )
    return token, secret


def _token_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed("name the token (1–100 characters), e.g. the script using it", field="name")
    return name


def list_own_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    """The signed-in account's personal tokens and Open311 keys (never the secrets)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.account_id == actor.account_id, ApiToken.kind.in_(("personal", "open311")))
            .order_by(ApiToken.id)
        )
    )


def revoke_own_token(session: Session, actor: Actor, *, token_id: int) -> ApiToken:
    """Revoke one of the signed-in account's tokens (404 for anyone else's)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.account_id != actor.account_id or actor.account_id is None:
        raise NotFound(f"no token {token_id}", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record(
            session,
            actor,
            action="token.revoke",
            subject_type="account",
            subject_id=actor.account_id,
            details={"token_id": token.id, "kind": token.kind},
        )
    return token


def list_account_tokens(session: Session, actor: Actor, *, account_id: int) -> list[ApiToken]:
    """An account's personal tokens and Open311 keys, for an administrator in scope."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    return list_own_tokens(session, Actor(account_id=account.id, username=account.username))


def create_open311_key(session: Session, actor: Actor, *, account_id: int, name: str) -> tuple[ApiToken, str]:
    """An Open311 ``api_key`` for a partner app, acting as the given account (admin, in scope; audited)."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    if not account.is_active:
        raise Conflict("the account is disabled", field="account_id")
    name = _token_name(name)
    token, secret = _new_token(session, account_id=account.id, kind="open311", name=name, ttl=None)
    record(
        session,
        actor,
        action="token.create",
        subject_type="account",
        subject_id=account.id,
        area_code=home_area(account, actor),
        details={"token_id": token.id, "kind": "open311", "name": name},
    )
    return token, secret


def revoke_account_token(session: Session, actor: Actor, *, account_id: int, token_id: int) -> ApiToken:
    """Revoke a personal token or Open311 key of an account in the administrator's scope (audited)."""
    account = get_account_in_scope(session, actor, account_id=account_id)
    token = session.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise NotFound(f"no token {token_id}", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record(
            session,
            actor,
            action="token.revoke",
            subject_type="account",
            subject_id=account.id,
            area_code=home_area(account, actor),
            details={"token_id": token.id, "kind": token.kind},
        )
    return token


def purge_old_tokens(session: Session, cutoff: datetime) -> int:
    """Retention: delete tokens that expired or were revoked before ``cutoff``."""
    from sqlalchemy import delete

    stale = or_(ApiToken.revoked_at < cutoff, ApiToken.expires_at < cutoff)
    count = session.scalar(select(func.count()).select_from(ApiToken).where(stale)) or 0
    if count:
        session.execute(delete(ApiToken).where(stale))
        session.flush()
    return count
