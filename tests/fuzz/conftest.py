"""Fuzzing the whole OpenAPI surface with schemathesis, in process, against the demo district.

One application per profile shares one connection whose outer transaction is rolled back at the end, so what
the fuzzer writes never leaks into other tests. Profiles: ``admin`` (district scope), ``street`` (one street's
scope) and ``anonymous`` (no credentials).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pingan.core.config import SESSION_KEY, Settings
from pingan.web.app import create_app
from tests.factories import token_for

PROFILES = ("admin", "street", "anonymous")


@pytest.fixture(scope="module")
def fuzz_app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    conn = engine.connect()
    outer = conn.begin()
    try:
        # Generous rate limits: a 429 is valid, but it would hide what the endpoint does with the input.
        generous = settings.model_copy(update={"rate_limits": {"public": 100_000, "login": 100_000}})
        application = create_app(generous, engine=engine)
        application.state.session_factory = sessionmaker(
            bind=conn,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            info={SESSION_KEY: generous},  # what the app's own factory does: its sessions carry its settings
        )
        yield application
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture(scope="module")
def fuzz_tokens(fuzz_app: FastAPI) -> dict[str, str]:
    factory: sessionmaker[Session] = fuzz_app.state.session_factory
    with factory() as session:
        tokens = {name: token_for(session, name) for name in PROFILES if name != "anonymous"}
        session.commit()
    return tokens
