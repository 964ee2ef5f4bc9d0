"""Small typed helpers that set up test data through the services."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.core.security import Actor, Role


def make_account(
    session: Session,
    username: str,
    role: Role,
    area_code: str,
    *,
    unit_id: int | None = None,
    password: str = "correct-horse",
) -> int:
    """An account holding one role on one area; returns its id."""
    account = accounts.create_account(session, username=username, password=password)
    accounts.grant_role(session, account_id=account.id, role=role, area_code=area_code, unit_id=unit_id)
    return account.id


def token_for(session: Session, username: str) -> str:
    """A bearer token for an existing account (demo accounts included)."""
    account = accounts.get_account_by_username(session, username)
    return accounts.issue_token(session, account_id=account.id)


def auth(session: Session, username: str) -> dict[str, str]:
    """Authorization headers for an existing account."""
    return {"Authorization": f"Bearer {token_for(session, username)}"}


def actor(session: Session, username: str) -> Actor:
    return accounts.actor_for(accounts.get_account_by_username(session, username))
