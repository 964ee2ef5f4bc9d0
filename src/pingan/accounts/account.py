"""Accounts: create, read, enable/disable, check a password (argon2), the Actor of an account."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.accounts.models import Account, ApiToken
from pingan.accounts.passwords import check_password
from pingan.accounts.throttle import FREE_FAILURES, delay_after
from pingan.audit.service import record
from pingan.core.clock import utcnow
from pingan.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from pingan.core.pii import Protector, protect_phone
from pingan.core.security import Actor, Grant, Role

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


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


def demo_accounts(session: Session) -> list[str]:
    """Usernames of active demo accounts (published password): refused outside demo mode."""
    stmt = select(Account.username).where(Account.is_demo.is_(True), Account.is_active.is_(True))
    return list(session.scalars(stmt.order_by(Account.username)))


def set_phone(session: Session, account: Account, *, phone: str, protector: Protector) -> None:
    """Store an account's contact phone protected (encrypted, blind index, masked)."""
    protected = protect_phone(protector, phone)
    account.phone_enc, account.phone_index, account.phone_masked = protected
    session.flush()
