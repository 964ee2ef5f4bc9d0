"""API tokens: bearer tokens (only digests stored), remembered actors, personal tokens, Open311 keys."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, event, func, inspect, or_, select
from sqlalchemy.orm import Session

from pingan.accounts.account import actor_for
from pingan.accounts.models import Account, ApiToken, RoleGrant
from pingan.accounts.scope import get_account_in_scope, home_area
from pingan.audit.service import record
from pingan.core.clock import as_utc, utcnow
from pingan.core.db import base_engine
from pingan.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from pingan.core.security import Actor

ACCESS_TOKEN_TTL = timedelta(hours=12)
BEARER_KINDS = ("access", "personal")  # open311 keys and browser sessions are not bearer tokens
TOKEN_KINDS = ("access", "personal", "open311", "session")
MAX_PERSONAL_TOKEN_DAYS = 366
TOUCH_EVERY = timedelta(minutes=5)


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
