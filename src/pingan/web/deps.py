"""Request-scoped dependencies: the database session (one transaction per request) and the actor."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pingan.accounts import service as accounts
from pingan.core.config import Settings, carry_settings
from pingan.core.db import base_engine, transaction, writer_bind
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
    The session carries the app's settings to the services (``core.config.settings_of``).
    """
    factory = request.app.state.session_factory
    if request.method in SAFE_METHODS:
        session: Session = factory()
        session.info["read_only"] = True
    else:
        session = factory(bind=writer_bind(factory.kw.get("bind")))
    carry_settings(session, request.app.state.settings)  # the services read this app's settings
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


async def get_remembered_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _csrf: Annotated[None, Depends(csrf_guard)],
) -> Actor | None:
    """Like :func:`get_optional_actor` without a request transaction: the actor of a token seen moments ago
    comes from memory (``accounts.remembered_actor``), others are looked up once in a worker thread. For
    hot write paths that do their own transactions (the batched case intake)."""
    if credentials is not None:
        secret, kinds = credentials.credentials, None
    else:
        cookie = sessions.session_secret(request)
        if cookie is None:
            return None
        secret, kinds = cookie, ("session",)
    factory = request.app.state.session_factory
    ip = client_ip(request)
    actor = accounts.remembered_actor(base_engine(factory.kw.get("bind")), secret, kinds)
    if actor is None:
        # When the memory lapses, the requests of that moment share one look-up (under load, dozens at once
        # would each take a transaction — on SQLite the write lock — for the same answer).
        key = (id(factory), secret, kinds)
        look_up = _looking_up.get(key)
        if look_up is None:

            def authenticate() -> Actor:
                with transaction(factory) as session:  # may note the token's last use
                    return accounts.authenticate_actor(session, secret, kinds=kinds)

            look_up = asyncio.ensure_future(run_in_threadpool(authenticate))
            _looking_up[key] = look_up
            look_up.add_done_callback(lambda _done: _looking_up.pop(key, None))
        try:
            actor = await asyncio.shield(look_up)
        except Unauthorized:
            if kinds is not None:
                return None  # an expired or revoked browser session is simply signed out
            raise
    return replace(actor, client_ip=ip) if ip else actor


_looking_up: dict[tuple[int, str, tuple[str, ...] | None], asyncio.Future[Actor]] = {}


def get_actor(actor: Annotated[Actor | None, Depends(get_optional_actor)]) -> Actor:
    """The signed-in actor; 401 when there is none."""
    if actor is None:
        raise Unauthorized(
            "sign in first (Authorization: Bearer <token>, or the web sign-in)", code="not_authenticated"
        )
    return actor


OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]
RememberedActor = Annotated[Actor | None, Depends(get_remembered_actor)]


async def remembered_actor(request: Request) -> Actor | None:
    """:func:`get_remembered_actor` called directly, for an endpoint that resolves no dependencies (the
    batched case intake: FastAPI's dependency machinery costs more than the look-up)."""
    credentials = await _bearer(request)
    await csrf_guard(request, credentials)
    return await get_remembered_actor(request, credentials, None)


CurrentActor = Annotated[Actor, Depends(get_actor)]


M = TypeVar("M", bound=BaseModel)


def parse_fields(model: type[M], fields: dict[str, Any]) -> M:
    """Form fields validated as ``model``; errors are raised as for a declared body (422 naming the field)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def parse_body(model: type[M], raw: bytes) -> M:
    """A JSON request body validated as ``model`` in one step (pydantic reads the bytes), for a hot endpoint
    that takes the body itself; errors are raised as for a declared body parameter (422 naming the field)."""
    if not raw.strip():
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
