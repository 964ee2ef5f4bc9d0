"""Test database: a temporary SQLite file, or PostgreSQL when PINGAN_TEST_DATABASE_URL is set.

The schema is built with the real migrations (``alembic upgrade heads``) and the demo district is generated
into it, so every test has the same named data (streets, communities, grids, units, one account per role).
The full-size district takes a while to generate, so a run builds it once: the first xdist worker builds a
template (a SQLite file, or a PostgreSQL template database) under a file lock, and every worker copies it
(file copy, or ``CREATE DATABASE … TEMPLATE``). Each test runs inside a transaction that is rolled back
afterwards; the app under test shares that transaction through savepoints.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

from pingan.core.config import SESSION_KEY, Settings, normalise_database_url  # noqa: E402
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


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory this run's workers share (xdist gives each worker a subdirectory of it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_demo(url: str) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with transaction(sessionmaker(bind=engine, expire_on_commit=False)) as session:
            generate_demo(session, seed=2016)
    finally:
        engine.dispose()


def _sqlite_template(run_dir: Path) -> Path:
    """The run's demo SQLite file, built by the first worker to get here (the others wait, then copy);
    ``PINGAN_TEST_DEMO_TEMPLATE`` names a ready one instead (a `pingan demo-data` file of today)."""
    ready = os.environ.get("PINGAN_TEST_DEMO_TEMPLATE")
    if ready:
        return Path(ready)
    template = run_dir / "demo-template.db"
    with _locked(run_dir / "demo-template.lock"):
        if not template.exists():
            building = run_dir / "demo-template.building.db"
            _build_demo(f"sqlite:///{building}")
            conn = sqlite3.connect(building)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            building.rename(template)
    return template


def _sqlite_from_template(url: str, run_dir: Path) -> None:
    """Copy the run's demo database to ``url``'s file."""
    target = make_url(url).database
    assert target
    shutil.copyfile(_sqlite_template(run_dir), target)


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's demo district as a SQLite file (built once per run; copy it before serving it)."""
    return _sqlite_template(_run_dir(tmp_path_factory))


def _postgres_from_template(url: str, run_dir: Path) -> Callable[[], None]:
    """Recreate ``url``'s database from the run's demo template database; returns the template's cleanup."""
    target = make_url(url)
    template = f"pingan_test_tpl_{run_dir.name.replace('-', '_')}"
    admin = create_db_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with _locked(run_dir / "demo-template.lock"):
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{template}"'))
        if not exists:
            _build_demo(target.set(database=template).render_as_string(hide_password=False))
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{template}"'))

    def drop_template() -> None:  # every worker has made its copy at its start; a late one builds anew
        with _locked(run_dir / "demo-template.lock"), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        admin.dispose()

    return drop_template


@pytest.fixture(scope="session")
def engine(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = settings.resolved_database_url()
    run_dir = _run_dir(tmp_path_factory)
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if url.startswith("sqlite"):
        _sqlite_from_template(url, run_dir)
    else:
        cleanup = _postgres_from_template(url, run_dir)
    upgrade(url)  # a no-op on the copy: the template is at the head already
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    cleanup()


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
def session_factory(connection: Connection, settings: Settings) -> sessionmaker[Session]:
    """Sessions in the test's transaction; like the app's own, they carry the settings to the services."""
    return sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info={SESSION_KEY: settings},
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def _session_app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    """The app under test, built once per worker: FastAPI takes over a second to build its ~200 routes.
    It runs the modules Pingan ships (``core.modules.BUILTIN``), whichever test builds it first: the example
    module that tests/modules installs for a while must not become part of it."""
    from pingan.core.modules import BUILTIN

    return create_app(settings.model_copy(update={"modules": ",".join(BUILTIN)}), engine=engine)


@pytest.fixture
def app(_session_app, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """The worker's app, as new to each test: what it learnt serving the last test (rate buckets, sign-in
    delays, the wall's snapshots, the batched writers bound to the last test's transaction) is forgotten,
    and its middleware is built anew on the first request."""
    from pingan.accounts.throttle import LoginGuard
    from pingan.web.middleware import RateLimiter

    state = _session_app.state
    for learnt in ("wall_snapshots", "patrol_writer"):
        if hasattr(state, learnt):
            delattr(state, learnt)
    writer = getattr(state, "intake_writer", None)
    if writer is not None:
        writer.close()
        del state.intake_writer
    state.rate_limiter = RateLimiter(state.settings.rate_limits)
    state.login_guard = LoginGuard()
    state.session_factory = session_factory
    _session_app.middleware_stack = None
    return _session_app


@pytest.fixture
def fresh_app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """An app of this test's own, for a test that adds routes to it."""
    application = create_app(settings, engine=engine)
    application.state.session_factory = session_factory
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def pytest_configure(config: pytest.Config) -> None:
    Path("docs/screenshots").mkdir(parents=True, exist_ok=True)
