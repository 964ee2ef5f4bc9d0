"""Test database: a temporary SQLite file, or PostgreSQL when PINGAN_TEST_DATABASE_URL is set.

The schema is built once per session with the real migrations (``alembic upgrade heads``) and the demo
district is generated into it, so every test has the same named data (streets, communities, grids, units,
one account per role). Each test runs inside a transaction that is rolled back afterwards; the app under
test shares that transaction through savepoints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PINGAN_LOCATOR_REFRESH_SECONDS", "0")
os.environ.setdefault("PINGAN_DEMO_MODE", "true")  # demo-derived PII key for the test data
# Apps under test run in one process: no LISTEN bridge per app (tests/cases/test_live_pg.py tests the bridge)
# and no intake writer process per app (served apps — tests/cases/server.py, tests/e2e — run the default).
os.environ.setdefault("PINGAN_CASES_LISTEN_POSTGRES", "false")
os.environ.setdefault("PINGAN_CASES_INTAKE_PROCESS", "false")
os.environ.setdefault("PINGAN_GC_FREEZE", "false")  # frozen objects are never freed: apps come and go here

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from pingan.core.config import Settings, normalise_database_url  # noqa: E402
from pingan.core.db import create_db_engine, transaction, upgrade  # noqa: E402
from pingan.demo.generate import generate_demo  # noqa: E402
from pingan.web.app import create_app  # noqa: E402


def _postgres_database(base: str, label: str = "") -> tuple[str, Callable[[], None]]:
    """A fresh database for this test process on the server of PINGAN_TEST_DATABASE_URL, and its cleanup.

    The name carries the xdist worker and the process id, so concurrent runs never share a database.
    """
    url = make_url(normalise_database_url(base))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"pingan_test_{label}{worker}_{os.getpid()}"
    admin = create_db_engine(
        url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("PINGAN_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url, drop = _postgres_database(base)
    try:
        yield url
    finally:
        drop()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret",
        pii_key="",
        demo_mode=True,
        locator_refresh_seconds=0,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    url = settings.resolved_database_url()
    upgrade(url)
    engine = create_db_engine(url)
    with transaction(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        generate_demo(session, seed=2016)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    application = create_app(settings, engine=engine)
    application.state.session_factory = session_factory
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def pytest_configure(config: pytest.Config) -> None:
    Path("docs/screenshots").mkdir(parents=True, exist_ok=True)
