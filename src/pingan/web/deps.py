"""Request-scoped dependencies: the database session (one transaction per request) and the actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from pingan.accounts import service as accounts
from pingan.core.config import Settings
from pingan.core.db import writer_bind
from pingan.core.errors import Unauthorized
from pingan.core.security import Actor
from pingan.web import sessions

_bearer = HTTPBearer(auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent.

    Unsafe methods write: on SQLite their transaction takes the write lock when it begins (BEGIN IMMEDIATE).
    Safe methods read; ``session.info["read_only"]`` tells services to skip optional bookkeeping writes.
    """
    factory = request.app.state.session_factory
    if request.method in SAFE_METHODS:
        session: Session = factory()
        session.info["read_only"] = True
    else:
        session = factory(bind=writer_bind(factory.kw.get("bind")))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def csrf_guard(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Unsafe requests authenticated by the session cookie must repeat the CSRF token (double submit)."""
    if credentials is None and sessions.session_secret(request):
        await sessions.check_csrf(request)


def get_optional_actor(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _csrf: Annotated[None, Depends(csrf_guard)],
) -> Actor | None:
    """The actor from a bearer token or the browser's session cookie; None for anonymous requests."""
    if credentials is not None:
        account = accounts.account_for_token(session, credentials.credentials)
        return accounts.actor_for(account, client_ip=client_ip(request))
    secret = sessions.session_secret(request)
    if secret is None:
        return None
    try:
        account = accounts.account_for_token(session, secret, kinds=("session",))
    except Unauthorized:
        return None  # an expired or revoked browser session is simply signed out
    return accounts.actor_for(account, client_ip=client_ip(request))


def get_actor(actor: Annotated[Actor | None, Depends(get_optional_actor)]) -> Actor:
    """The signed-in actor; 401 when there is none."""
    if actor is None:
        raise Unauthorized(
            "sign in first (Authorization: Bearer <token>, or the web sign-in)", code="not_authenticated"
        )
    return actor


OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]
CurrentActor = Annotated[Actor, Depends(get_actor)]
